package main

/*
#include "p11.h"
*/
import "C"

import (
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// The shapes the cryptographic functions of v2.40 5.8-5.13 share. Each takes
// a method expression of core.Library, so an export is one line naming the
// function, its input's range code and the core method it calls.

// initFunc is XxxInit(session, mechanism, key).
type initFunc = func(*core.Library, ck.SessionHandle, ck.Mechanism, ck.ObjectHandle) error

// transformFunc is a function with an input and an output (C_Encrypt,
// C_DecryptUpdate, C_Sign...).
type transformFunc = func(*core.Library, ck.SessionHandle, []byte, core.Output) ([]byte, uint64, error)

// finalFunc is a function with an output only (C_EncryptFinal, C_SignFinal...).
type finalFunc = func(*core.Library, ck.SessionHandle, core.Output) ([]byte, uint64, error)

// consumeFunc is a function with an input only (C_DigestUpdate, C_SignUpdate...).
type consumeFunc = func(*core.Library, ck.SessionHandle, []byte) error

func initOperation(op string, hSession C.CK_SESSION_HANDLE, pMechanism *C.CK_MECHANISM, hKey C.CK_OBJECT_HANDLE, fn initFunc) C.CK_RV {
	return rvFor(module.call(func(lib *core.Library) error {
		m, err := mechanismFromC(op, pMechanism)
		if err != nil {
			return err
		}
		return fn(lib, ck.SessionHandle(hSession), m, ck.ObjectHandle(hKey))
	}))
}

// transform copies the input (tooLong is the function's code for an input
// out of range) and hands core's output to the caller by the size-query
// convention.
func transform(op string, tooLong ck.RV, hSession C.CK_SESSION_HANDLE, pIn *C.CK_BYTE, ulIn C.CK_ULONG, pOut *C.CK_BYTE, pulOut *C.CK_ULONG, fn transformFunc) C.CK_RV {
	return rvFor(module.call(func(lib *core.Library) error {
		in, err := inBytes(op, pIn, ulIn, tooLong)
		if err != nil {
			return err
		}
		buf, out, err := newOutBuf(op, pOut, pulOut)
		if err != nil {
			return err
		}
		return buf.deliver(fn(lib, ck.SessionHandle(hSession), in, out))
	}))
}

func final(op string, hSession C.CK_SESSION_HANDLE, pOut *C.CK_BYTE, pulOut *C.CK_ULONG, fn finalFunc) C.CK_RV {
	return rvFor(module.call(func(lib *core.Library) error {
		buf, out, err := newOutBuf(op, pOut, pulOut)
		if err != nil {
			return err
		}
		return buf.deliver(fn(lib, ck.SessionHandle(hSession), out))
	}))
}

func consume(op string, tooLong ck.RV, hSession C.CK_SESSION_HANDLE, pIn *C.CK_BYTE, ulIn C.CK_ULONG, fn consumeFunc) C.CK_RV {
	return rvFor(module.call(func(lib *core.Library) error {
		in, err := inBytes(op, pIn, ulIn, tooLong)
		if err != nil {
			return err
		}
		return fn(lib, ck.SessionHandle(hSession), in)
	}))
}
