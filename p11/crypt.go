package main

/*
#include "p11.h"
*/
import "C"

import (
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Encryption (v2.40 5.8) and decryption (v2.40 5.9).

// C_EncryptInit (v2.40 5.8).
//
//export goEncryptInit
func goEncryptInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (rv C.CK_RV) {
	const op = "C_EncryptInit"
	defer recoverPanic(op, &rv)
	return initOperation(op, hSession, pMechanism, hKey, (*core.Library).EncryptInit)
}

// C_Encrypt (v2.40 5.8).
//
//export goEncrypt
func goEncrypt(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pEncryptedData C.CK_BYTE_PTR, pulEncryptedDataLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_Encrypt"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_DATA_LEN_RANGE, hSession, pData, ulDataLen, pEncryptedData, pulEncryptedDataLen, (*core.Library).Encrypt)
}

// C_EncryptUpdate (v2.40 5.8).
//
//export goEncryptUpdate
func goEncryptUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG, pEncryptedPart C.CK_BYTE_PTR, pulEncryptedPartLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_EncryptUpdate"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_DATA_LEN_RANGE, hSession, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen, (*core.Library).EncryptUpdate)
}

// C_EncryptFinal (v2.40 5.8).
//
//export goEncryptFinal
func goEncryptFinal(hSession C.CK_SESSION_HANDLE, pLastEncryptedPart C.CK_BYTE_PTR, pulLastEncryptedPartLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_EncryptFinal"
	defer recoverPanic(op, &rv)
	return final(op, hSession, pLastEncryptedPart, pulLastEncryptedPartLen, (*core.Library).EncryptFinal)
}

// C_DecryptInit (v2.40 5.9).
//
//export goDecryptInit
func goDecryptInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (rv C.CK_RV) {
	const op = "C_DecryptInit"
	defer recoverPanic(op, &rv)
	return initOperation(op, hSession, pMechanism, hKey, (*core.Library).DecryptInit)
}

// C_Decrypt (v2.40 5.9).
//
//export goDecrypt
func goDecrypt(hSession C.CK_SESSION_HANDLE, pEncryptedData C.CK_BYTE_PTR, ulEncryptedDataLen C.CK_ULONG, pData C.CK_BYTE_PTR, pulDataLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_Decrypt"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_ENCRYPTED_DATA_LEN_RANGE, hSession, pEncryptedData, ulEncryptedDataLen, pData, pulDataLen, (*core.Library).Decrypt)
}

// C_DecryptUpdate (v2.40 5.9).
//
//export goDecryptUpdate
func goDecryptUpdate(hSession C.CK_SESSION_HANDLE, pEncryptedPart C.CK_BYTE_PTR, ulEncryptedPartLen C.CK_ULONG, pPart C.CK_BYTE_PTR, pulPartLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_DecryptUpdate"
	defer recoverPanic(op, &rv)
	return transform(op, ck.CKR_ENCRYPTED_DATA_LEN_RANGE, hSession, pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen, (*core.Library).DecryptUpdate)
}

// C_DecryptFinal (v2.40 5.9).
//
//export goDecryptFinal
func goDecryptFinal(hSession C.CK_SESSION_HANDLE, pLastPart C.CK_BYTE_PTR, pulLastPartLen C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_DecryptFinal"
	defer recoverPanic(op, &rv)
	return final(op, hSession, pLastPart, pulLastPartLen, (*core.Library).DecryptFinal)
}
