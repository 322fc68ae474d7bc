package main

/*
#include "p11.h"
*/
import "C"

import (
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Dual-function cryptographic functions (v2.40 5.13).

// C_DigestEncryptUpdate (v2.40 5.13).
//
//export goDigestEncryptUpdate
func goDigestEncryptUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG, pEncryptedPart C.CK_BYTE_PTR, pulEncryptedPartLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_DigestEncryptUpdate"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_DATA_LEN_RANGE, hSession, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen, (*core.Library).DigestEncryptUpdate)
}

// C_DecryptDigestUpdate (v2.40 5.13).
//
//export goDecryptDigestUpdate
func goDecryptDigestUpdate(hSession C.CK_SESSION_HANDLE, pEncryptedPart C.CK_BYTE_PTR, ulEncryptedPartLen C.CK_ULONG, pPart C.CK_BYTE_PTR, pulPartLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_DecryptDigestUpdate"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_ENCRYPTED_DATA_LEN_RANGE, hSession, pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen, (*core.Library).DecryptDigestUpdate)
}

// C_SignEncryptUpdate (v2.40 5.13).
//
//export goSignEncryptUpdate
func goSignEncryptUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG, pEncryptedPart C.CK_BYTE_PTR, pulEncryptedPartLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_SignEncryptUpdate"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_DATA_LEN_RANGE, hSession, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen, (*core.Library).SignEncryptUpdate)
}

// C_DecryptVerifyUpdate (v2.40 5.13).
//
//export goDecryptVerifyUpdate
func goDecryptVerifyUpdate(hSession C.CK_SESSION_HANDLE, pEncryptedPart C.CK_BYTE_PTR, ulEncryptedPartLen C.CK_ULONG, pPart C.CK_BYTE_PTR, pulPartLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_DecryptVerifyUpdate"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_ENCRYPTED_DATA_LEN_RANGE, hSession, pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen, (*core.Library).DecryptVerifyUpdate)
}
