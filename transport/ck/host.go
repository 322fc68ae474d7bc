package ck

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"unsafe"
)

// HostLayout is how a host stores CK_ULONG and CK_ATTRIBUTE in memory. The
// C layer of the client and the server's backend speak it; the wire does not.
type HostLayout struct {
	ULONGSize     int              // sizeof(CK_ULONG): 8 on LP64 Unix, 4 on Windows and 32-bit Unix
	AttributeSize int              // sizeof(CK_ATTRIBUTE)
	Order         binary.ByteOrder // the host's byte order
}

// NativeLayout is the layout of the running process: CK_ULONG is C's
// unsigned long, which is the word size on Unix and 32 bits on Windows,
// where PKCS#11 structures are packed to one byte.
func NativeLayout() HostLayout {
	ptr := int(unsafe.Sizeof(uintptr(0)))
	if runtime.GOOS == "windows" {
		return HostLayout{ULONGSize: 4, AttributeSize: 4 + ptr + 4, Order: binary.NativeEndian}
	}
	ulong := strconv.IntSize / 8
	return HostLayout{ULONGSize: ulong, AttributeSize: 2*ulong + ptr, Order: binary.NativeEndian}
}

func (l HostLayout) valid() error {
	if l.ULONGSize != 4 && l.ULONGSize != 8 {
		return fmt.Errorf("host CK_ULONG size %d: want 4 or 8", l.ULONGSize)
	}
	if l.Order == nil {
		return fmt.Errorf("host byte order not set")
	}
	return nil
}

// ToWire converts the host value of an attribute of type t to its wire
// representation. It fails with CKR_ATTRIBUTE_VALUE_INVALID when the value
// has the wrong length for its kind, and for templates, whose CK_ATTRIBUTE
// arrays the C layer walks itself.
func (l HostLayout) ToWire(t AttributeType, native []byte) ([]byte, error) {
	op := "convert " + t.String() + " to the wire"
	if err := l.valid(); err != nil {
		return nil, &Error{RV: CKR_GENERAL_ERROR, Op: op, Err: err}
	}
	switch kind := AttributeKind(t); kind {
	case KindULONG, KindULONGs:
		if len(native)%l.ULONGSize != 0 || (kind == KindULONG && len(native) != l.ULONGSize) {
			return nil, Errorf(CKR_ATTRIBUTE_VALUE_INVALID, op, "value of %d bytes is not a CK_ULONG%s of %d bytes", len(native), plural(kind), l.ULONGSize)
		}
		out := make([]byte, 0, len(native)/l.ULONGSize*8)
		for i := 0; i < len(native); i += l.ULONGSize {
			out = binary.BigEndian.AppendUint64(out, l.readULONG(native[i:]))
		}
		return out, nil
	case KindBool:
		if len(native) != 1 {
			return nil, Errorf(CKR_ATTRIBUTE_VALUE_INVALID, op, "a CK_BBOOL is one byte, not %d", len(native))
		}
		if native[0] != CK_FALSE {
			return []byte{CK_TRUE}, nil
		}
		return []byte{CK_FALSE}, nil
	case KindTemplate:
		return nil, Errorf(CKR_ATTRIBUTE_VALUE_INVALID, op, "a template is converted attribute by attribute")
	default:
		if err := kind.CheckValue(native); err != nil {
			return nil, &Error{RV: CKR_ATTRIBUTE_VALUE_INVALID, Op: op, Err: err}
		}
		return native, nil
	}
}

// FromWire converts a wire value of an attribute of type t to the host's
// representation. A CK_ULONG that does not fit a 4-byte host CK_ULONG is
// CKR_ATTRIBUTE_VALUE_INVALID.
func (l HostLayout) FromWire(t AttributeType, wire []byte) ([]byte, error) {
	op := "convert " + t.String() + " from the wire"
	if err := l.valid(); err != nil {
		return nil, &Error{RV: CKR_GENERAL_ERROR, Op: op, Err: err}
	}
	kind := AttributeKind(t)
	if err := kind.CheckValue(wire); err != nil {
		return nil, &Error{RV: CKR_ATTRIBUTE_VALUE_INVALID, Op: op, Err: err}
	}
	switch kind {
	case KindULONG, KindULONGs:
		out := make([]byte, len(wire)/8*l.ULONGSize)
		for i := 0; i < len(wire); i += 8 {
			v := binary.BigEndian.Uint64(wire[i:])
			if l.ULONGSize == 4 && v > 0xFFFFFFFF {
				return nil, Errorf(CKR_ATTRIBUTE_VALUE_INVALID, op, "value 0x%X does not fit a 32-bit CK_ULONG", v)
			}
			l.writeULONG(out[i/8*l.ULONGSize:], v)
		}
		return out, nil
	}
	return wire, nil
}

// HostLen converts a length from the wire (docs/protocol.md 2.2) to the
// ulValueLen the host application sees: 8 becomes sizeof(CK_ULONG) for
// CK_ULONG kinds, a count of attributes becomes count × sizeof(CK_ATTRIBUTE)
// for templates, CK_UNAVAILABLE_INFORMATION stays itself.
func (l HostLayout) HostLen(t AttributeType, wireLen ULONG) ULONG {
	if wireLen == CK_UNAVAILABLE_INFORMATION {
		return wireLen
	}
	switch AttributeKind(t) {
	case KindULONG, KindULONGs:
		return wireLen / 8 * ULONG(l.ULONGSize)
	case KindTemplate:
		return wireLen * ULONG(l.AttributeSize)
	}
	return wireLen
}

func (l HostLayout) readULONG(b []byte) uint64 {
	if l.ULONGSize == 4 {
		return uint64(l.Order.Uint32(b))
	}
	return l.Order.Uint64(b)
}

func (l HostLayout) writeULONG(b []byte, v uint64) {
	if l.ULONGSize == 4 {
		l.Order.PutUint32(b, uint32(v))
		return
	}
	l.Order.PutUint64(b, v)
}

func plural(k Kind) string {
	if k == KindULONGs {
		return " array"
	}
	return ""
}
