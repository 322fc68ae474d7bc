package main

/*
#include "p11.h"
*/
import "C"

import (
	"unsafe"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// maxInputLen bounds every byte string copied from the caller. Nothing larger
// fits in one frame of the wire protocol, so refusing it before copying costs
// the caller nothing and keeps a wrong length from making the module copy
// gigabytes.
const maxInputLen = transport.MaxMaxFrame

// inBytes copies the caller's n bytes at p into Go memory. NULL with n > 0 is
// CKR_ARGUMENTS_BAD; more than maxInputLen is tooLong, the code the function
// has for an input out of range (CKR_DATA_LEN_RANGE for data,
// CKR_PIN_LEN_RANGE for a PIN...). n == 0 gives nil, whatever p is.
func inBytes(op string, p *C.CK_BYTE, n C.CK_ULONG, tooLong ck.RV) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if p == nil {
		return nil, argumentsBad(op, "NULL pointer with a length of %d", uint64(n))
	}
	if uint64(n) > maxInputLen {
		return nil, ck.Errorf(tooLong, op, "%d bytes, at most %d can cross the wire", uint64(n), maxInputLen)
	}
	out := make([]byte, int(n))
	copy(out, unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)))
	return out, nil
}

// inData is inBytes for the data of a cryptographic operation.
func inData(op string, p *C.CK_BYTE, n C.CK_ULONG) ([]byte, error) {
	return inBytes(op, p, n, ck.CKR_DATA_LEN_RANGE)
}

// inPIN is inBytes for a PIN. NULL with length 0 is allowed: it asks for the
// protected authentication path (v2.40 5.6, C_Login).
func inPIN(op string, p *C.CK_UTF8CHAR, n C.CK_ULONG) ([]byte, error) {
	return inBytes(op, (*C.CK_BYTE)(p), n, ck.CKR_PIN_LEN_RANGE)
}
