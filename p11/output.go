package main

/*
#include "p11.h"
*/
import "C"

import (
	"unsafe"

	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// The size-query convention (v2.40 section 5.2) for every function with a
// variable-length output, lists of slots and mechanisms included:
//
//   - output pointer NULL: *pulLen is set to the length needed, CKR_OK;
//   - *pulLen smaller than needed: *pulLen is set to the length needed,
//     CKR_BUFFER_TOO_SMALL;
//   - otherwise the output is copied and *pulLen is set to its length.
//
// putOutput is its one implementation; outBuf wraps it for the outputs that
// core computes, where core keeps the operation alive (and the result
// cached) across the first two cases.

// putOutput writes src to the caller's array dst of *pulLen elements.
// needed is the length to report when dst is NULL (core answers a size query
// without the data); otherwise it is len(src).
func putOutput[T any](op string, dst *T, pulLen *C.CK_ULONG, src []T, needed uint64) error {
	if pulLen == nil {
		return argumentsBad(op, "the output length pointer is NULL")
	}
	if dst != nil {
		needed = uint64(len(src))
	}
	if needed > uint64(^C.CK_ULONG(0)) {
		return ck.Errorf(ck.CKR_GENERAL_ERROR, op, "an output of %d elements does not fit a CK_ULONG", needed)
	}
	if dst == nil {
		*pulLen = C.CK_ULONG(needed)
		return nil
	}
	if uint64(*pulLen) < needed {
		*pulLen = C.CK_ULONG(needed)
		return ck.CKR_BUFFER_TOO_SMALL.Err(op)
	}
	copy(unsafe.Slice(dst, len(src)), src)
	*pulLen = C.CK_ULONG(len(src))
	return nil
}

// outBuf is a byte output of the caller (pOut, pulLen) for core.
type outBuf struct {
	op     string
	p      *C.CK_BYTE
	pulLen *C.CK_ULONG
}

// newOutBuf checks pulLen and describes the buffer to core.
func newOutBuf(op string, p *C.CK_BYTE, pulLen *C.CK_ULONG) (outBuf, core.Output, error) {
	o := outBuf{op: op, p: p, pulLen: pulLen}
	if pulLen == nil {
		return o, core.Output{}, argumentsBad(op, "the output length pointer is NULL")
	}
	if p == nil {
		return o, core.Output{Query: true}, nil
	}
	return o, core.Output{Cap: uint64(*pulLen)}, nil
}

// deliver hands core's answer (data, needed, err) to the caller. A
// CKR_BUFFER_TOO_SMALL from core still tells the caller the length needed.
// Data longer than the caller's buffer is never written, whatever core says.
func (o outBuf) deliver(data []byte, needed uint64, err error) error {
	if err != nil {
		if ck.RVOf(err) == ck.CKR_BUFFER_TOO_SMALL && needed <= uint64(^C.CK_ULONG(0)) {
			*o.pulLen = C.CK_ULONG(needed)
		}
		return err
	}
	return putOutput(o.op, o.p, o.pulLen, bytesAsC(data), needed)
}

// bytesAsC views b as CK_BYTEs (the same memory: CK_BYTE is unsigned char).
func bytesAsC(b []byte) []C.CK_BYTE {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*C.CK_BYTE)(unsafe.Pointer(&b[0])), len(b))
}
