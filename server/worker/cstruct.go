package worker

import (
	"encoding/binary"
	"runtime"
	"unsafe"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// cstruct builds a C structure of the backend's ABI in Go memory: CK_ULONG
// fields in native size and order, pointers as native addresses, each field
// aligned to its size (the System V rule; PKCS#11 structures are packed to 1
// only on Windows, where hsmd does not run workers).
//
// Pointer fields point into Go memory that the Pinner pins: miekg/pkcs11
// copies a mechanism parameter or attribute value into C memory (C.CBytes),
// and pinned Go pointers may be stored in C memory for as long as they stay
// pinned (cgo rules, Go 1.21). The caller unpins after the backend call: the
// PKCS#11 specification lets a module read parameters only during the call
// (SoftHSMv2 copies them at C_xxxInit), so nothing outlives it.
type cstruct struct {
	b   []byte
	pin *runtime.Pinner
}

var (
	hostLayout = ck.NativeLayout()
	ptrSize    = int(unsafe.Sizeof(uintptr(0)))
)

func (s *cstruct) align(n int) {
	if runtime.GOOS == "windows" {
		return
	}
	for len(s.b)%n != 0 {
		s.b = append(s.b, 0)
	}
}

func (s *cstruct) ulong(v uint64) {
	s.align(hostLayout.ULONGSize)
	if hostLayout.ULONGSize == 4 {
		s.b = binary.NativeEndian.AppendUint32(s.b, uint32(v))
		return
	}
	s.b = binary.NativeEndian.AppendUint64(s.b, v)
}

func (s *cstruct) bbool(v bool) {
	if v {
		s.b = append(s.b, 1)
	} else {
		s.b = append(s.b, 0)
	}
}

func (s *cstruct) raw(v []byte) { s.b = append(s.b, v...) }

// ptr stores the address of data's first byte, pinning it; empty data is a
// NULL pointer.
func (s *cstruct) ptr(data []byte) {
	s.align(ptrSize)
	var addr uint64
	if len(data) > 0 {
		s.pin.Pin(&data[0])
		addr = uint64(uintptr(unsafe.Pointer(&data[0])))
	}
	if ptrSize == 4 {
		s.b = binary.NativeEndian.AppendUint32(s.b, uint32(addr))
		return
	}
	s.b = binary.NativeEndian.AppendUint64(s.b, addr)
}

// finish pads the structure to its alignment (the largest field's, which
// is a pointer or CK_ULONG in every structure built here).
func (s *cstruct) finish() []byte {
	s.align(max(ptrSize, hostLayout.ULONGSize))
	return s.b
}
