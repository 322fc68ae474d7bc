package main

/*
#include "p11.h"
*/
import "C"

import (
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Message digesting (v2.40 5.10).

// C_DigestInit (v2.40 5.10).
//
//export goDigestInit
func goDigestInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR) (rv C.CK_RV) {
	const op = "C_DigestInit"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		m, err := mechanismFor(lib, op, hSession, pMechanism)
		if err != nil {
			return err
		}
		return lib.DigestInit(ck.SessionHandle(hSession), m)
	}))
}

// C_Digest (v2.40 5.10).
//
//export goDigest
func goDigest(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pDigest C.CK_BYTE_PTR, pulDigestLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_Digest"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_DATA_LEN_RANGE, hSession, pData, ulDataLen, pDigest, pulDigestLen, (*core.Library).Digest)
}

// C_DigestUpdate (v2.40 5.10).
//
//export goDigestUpdate
func goDigestUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_DigestUpdate"
	defer recoverPanic(op, &rv)
	return consume(op, ck.CKR_DATA_LEN_RANGE, hSession, pPart, ulPartLen, (*core.Library).DigestUpdate)
}

// C_DigestKey (v2.40 5.10).
//
//export goDigestKey
func goDigestKey(hSession C.CK_SESSION_HANDLE, hKey C.CK_OBJECT_HANDLE) (rv C.CK_RV) {
	defer recoverPanic("C_DigestKey", &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		return lib.DigestKey(ck.SessionHandle(hSession), ck.ObjectHandle(hKey))
	}))
}

// C_DigestFinal (v2.40 5.10).
//
//export goDigestFinal
func goDigestFinal(hSession C.CK_SESSION_HANDLE, pDigest C.CK_BYTE_PTR, pulDigestLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_DigestFinal"
	defer recoverPanic(op, &rv)
	return final(op, hSession, pDigest, pulDigestLen, (*core.Library).DigestFinal)
}
