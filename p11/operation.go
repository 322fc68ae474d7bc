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
		m, err := mechanismFor(lib, op, hSession, pMechanism)
		if err != nil {
			return err
		}
		return fn(lib, ck.SessionHandle(hSession), m, ck.ObjectHandle(hKey))
	}))
}

// operationCall runs a call of a function that runs under an active
// operation: every function of v2.40 5.8-5.13 but the C_xxxInit ones.
// args converts the caller's arguments; run calls core. An argument the
// boundary refuses never reaches core, yet the specification ends the
// operation on any error of such a call but CKR_BUFFER_TOO_SMALL (a
// NULL length pointer is no size query), so core is told to end it
// before the error is answered. Errors from run are core's, which ends
// what they end itself.
func operationCall(op string, hSession C.CK_SESSION_HANDLE, args func() error, run func(*core.Library, ck.SessionHandle) error) C.CK_RV {
	return rvFor(module.call(func(lib *core.Library) error {
		h := ck.SessionHandle(hSession)
		if err := args(); err != nil {
			lib.AbortOperation(h, op)
			return err
		}
		return run(lib, h)
	}))
}

// transform copies the input (tooLong is the function's code for an input
// out of range) and hands core's output to the caller by the size-query
// convention.
func transform(op string, tooLong ck.RV, hSession C.CK_SESSION_HANDLE, pIn *C.CK_BYTE, ulIn C.CK_ULONG, pOut *C.CK_BYTE, pulOut *C.CK_ULONG, fn transformFunc) C.CK_RV {
	var (
		in  []byte
		buf outBuf
		out core.Output
	)
	return operationCall(op, hSession, func() (err error) {
		if in, err = inBytes(op, pIn, ulIn, tooLong); err != nil {
			return err
		}
		buf, out, err = newOutBuf(op, pOut, pulOut)
		return err
	}, func(lib *core.Library, h ck.SessionHandle) error {
		return buf.deliver(fn(lib, h, in, out))
	})
}

func final(op string, hSession C.CK_SESSION_HANDLE, pOut *C.CK_BYTE, pulOut *C.CK_ULONG, fn finalFunc) C.CK_RV {
	var (
		buf outBuf
		out core.Output
	)
	return operationCall(op, hSession, func() (err error) {
		buf, out, err = newOutBuf(op, pOut, pulOut)
		return err
	}, func(lib *core.Library, h ck.SessionHandle) error {
		return buf.deliver(fn(lib, h, out))
	})
}

func consume(op string, tooLong ck.RV, hSession C.CK_SESSION_HANDLE, pIn *C.CK_BYTE, ulIn C.CK_ULONG, fn consumeFunc) C.CK_RV {
	var in []byte
	return operationCall(op, hSession, func() (err error) {
		in, err = inBytes(op, pIn, ulIn, tooLong)
		return err
	}, func(lib *core.Library, h ck.SessionHandle) error {
		return fn(lib, h, in)
	})
}
