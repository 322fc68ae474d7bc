package main

/*
#include "p11.h"
*/
import "C"

import (
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Signing and MACing (v2.40 5.11) and verification (v2.40 5.12).

// C_SignInit (v2.40 5.11).
//
//export goSignInit
func goSignInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (rv C.CK_RV) {
	const op = "C_SignInit"
	defer recoverPanic(op, &rv)
	return initOperation(op, hSession, pMechanism, hKey, (*core.Library).SignInit)
}

// C_Sign (v2.40 5.11).
//
//export goSign
func goSign(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, pulSignatureLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_Sign"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_DATA_LEN_RANGE, hSession, pData, ulDataLen, pSignature, pulSignatureLen, (*core.Library).Sign)
}

// C_SignUpdate (v2.40 5.11).
//
//export goSignUpdate
func goSignUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_SignUpdate"
	defer recoverPanic(op, &rv)
	return consume(op, ck.CKR_DATA_LEN_RANGE, hSession, pPart, ulPartLen, (*core.Library).SignUpdate)
}

// C_SignFinal (v2.40 5.11).
//
//export goSignFinal
func goSignFinal(hSession C.CK_SESSION_HANDLE, pSignature C.CK_BYTE_PTR, pulSignatureLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_SignFinal"
	defer recoverPanic(op, &rv)
	return final(op, hSession, pSignature, pulSignatureLen, (*core.Library).SignFinal)
}

// C_SignRecoverInit (v2.40 5.11).
//
//export goSignRecoverInit
func goSignRecoverInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (rv C.CK_RV) {
	const op = "C_SignRecoverInit"
	defer recoverPanic(op, &rv)
	return initOperation(op, hSession, pMechanism, hKey, (*core.Library).SignRecoverInit)
}

// C_SignRecover (v2.40 5.11).
//
//export goSignRecover
func goSignRecover(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, pulSignatureLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_SignRecover"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_DATA_LEN_RANGE, hSession, pData, ulDataLen, pSignature, pulSignatureLen, (*core.Library).SignRecover)
}

// C_VerifyInit (v2.40 5.12).
//
//export goVerifyInit
func goVerifyInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (rv C.CK_RV) {
	const op = "C_VerifyInit"
	defer recoverPanic(op, &rv)
	return initOperation(op, hSession, pMechanism, hKey, (*core.Library).VerifyInit)
}

// C_Verify (v2.40 5.12).
//
//export goVerify
func goVerify(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, ulSignatureLen C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_Verify"
	defer recoverPanic(op, &rv)
	var data, sig []byte
	return operationCall(op, hSession, func() (err error) {
		if data, err = inData(op, pData, ulDataLen); err != nil {
			return err
		}
		sig, err = inBytes(op, pSignature, ulSignatureLen, ck.CKR_SIGNATURE_LEN_RANGE)
		return err
	}, func(lib *core.Library, h ck.SessionHandle) error {
		return lib.Verify(h, data, sig)
	})
}

// C_VerifyUpdate (v2.40 5.12).
//
//export goVerifyUpdate
func goVerifyUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_VerifyUpdate"
	defer recoverPanic(op, &rv)
	return consume(op, ck.CKR_DATA_LEN_RANGE, hSession, pPart, ulPartLen, (*core.Library).VerifyUpdate)
}

// C_VerifyFinal (v2.40 5.12).
//
//export goVerifyFinal
func goVerifyFinal(hSession C.CK_SESSION_HANDLE, pSignature C.CK_BYTE_PTR, ulSignatureLen C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_VerifyFinal"
	defer recoverPanic(op, &rv)
	return consume(op, ck.CKR_SIGNATURE_LEN_RANGE, hSession, pSignature, ulSignatureLen, (*core.Library).VerifyFinal)
}

// C_VerifyRecoverInit (v2.40 5.12).
//
//export goVerifyRecoverInit
func goVerifyRecoverInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (rv C.CK_RV) {
	const op = "C_VerifyRecoverInit"
	defer recoverPanic(op, &rv)
	return initOperation(op, hSession, pMechanism, hKey, (*core.Library).VerifyRecoverInit)
}

// C_VerifyRecover (v2.40 5.12).
//
//export goVerifyRecover
func goVerifyRecover(hSession C.CK_SESSION_HANDLE, pSignature C.CK_BYTE_PTR, ulSignatureLen C.CK_ULONG, pData C.CK_BYTE_PTR, pulDataLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_VerifyRecover"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_SIGNATURE_LEN_RANGE, hSession, pSignature, ulSignatureLen, pData, pulDataLen, (*core.Library).VerifyRecover)
}
