package main

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// The tests cannot use cgo, so they build the C structures in Go memory
// through the aliases of ctypes.go. Pointers in them point to Go memory,
// which is fine: no C code runs.

// nativeULONG is v in the host's CK_ULONG layout, as an application stores it.
func nativeULONG(v uint64) []byte {
	b := make([]byte, sizeofULONG)
	if sizeofULONG == 4 {
		binary.NativeEndian.PutUint32(b, uint32(v))
	} else {
		binary.NativeEndian.PutUint64(b, v)
	}
	return b
}

// wireULONG is v as the wire carries it.
func wireULONG(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// bytePtr points at b's first byte, nil for an empty slice.
func bytePtr(b []byte) *ckByte {
	if len(b) == 0 {
		return nil
	}
	return (*ckByte)(unsafe.Pointer(&b[0]))
}

// attr is a CK_ATTRIBUTE whose value is v (NULL when v is nil).
func attr(t ck.AttributeType, v []byte) ckAttribute {
	a := ckAttribute{_type: ckULONG(t), ulValueLen: ckULONG(len(v))}
	if v != nil {
		a.pValue = ckVoidPtr(unsafe.SliceData(v))
	}
	return a
}

// templateAttr is a CK_ATTRIBUTE whose value is the array nested.
func templateAttr(t ck.AttributeType, nested []ckAttribute) ckAttribute {
	a := ckAttribute{_type: ckULONG(t), ulValueLen: ckULONG(len(nested)) * sizeofAttribute}
	if len(nested) > 0 {
		a.pValue = ckVoidPtr(&nested[0])
	}
	return a
}

// first returns a pointer to s's first element, nil for an empty slice.
func first[T any](s []T) *T {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}

// requireRV checks that err maps to want.
func requireRV(t *testing.T, want ck.RV, err error) {
	t.Helper()
	require.Equalf(t, want.String(), ck.RVOf(err).String(), "error: %v", err)
}
