/*
 * p11.h: what the C half of libcloudp11.so (the function lists and the C_* trampolines in the .c
 * files of this folder) and its Go half (the goXxx exports) share.
 *
 * Every C_* function is a trampoline: it answers at once in a forked child (fork.c), and
 * otherwise calls the Go export of the same name without the "C_" (C_Sign calls goSign), which
 * checks the arguments, converts them and calls package core. Go never sees CK_NOTIFY callbacks
 * or other pointers it would have to keep past the call.
 */
#ifndef CLOUDP11_P11_H
#define CLOUDP11_P11_H 1

#include "pkcs11.h"

/* ---- fork.c ---------------------------------------------------------------------------------- */

/* Non-zero in a process forked from the one that loaded the module. The Go runtime does not
 * survive fork(): its threads stay in the parent, so a child that calls into Go can hang. */
int p11_forked(void);

/* C_Initialize in a forked child: says why on standard error, once per process. */
void p11_report_forked_initialize(void);

/* The first statement of every C_* function that would enter Go: a forked child gets
 * CKR_CRYPTOKI_NOT_INITIALIZED at once (it has not called C_Initialize successfully, and cannot). */
#define P11_FORK_GUARD()                               \
	do {                                               \
		if (p11_forked())                              \
			return CKR_CRYPTOKI_NOT_INITIALIZED;       \
	} while (0)

/* ---- Layouts the specification's headers do not have ---------------------------------------- */

/* CK_GCM_PARAMS as the v2.40 document drew it, without ulIvBits (40 bytes on LP64 instead of 48):
 * NSS (CK_NSS_GCM_PARAMS) and applications built on it pass this layout. p11/ tells the two apart
 * by ulParameterLen (include/README.md). */
typedef struct p11_gcm_params_without_iv_bits {
	CK_BYTE_PTR pIv;
	CK_ULONG ulIvLen;
	CK_BYTE_PTR pAAD;
	CK_ULONG ulAADLen;
	CK_ULONG ulTagBits;
} p11_gcm_params_without_iv_bits;

/* ---- The Go exports, by chapter of the base specification v2.40 ------------------------------ */

/* 5.4 general.go */
CK_RV goInitialize(CK_VOID_PTR pInitArgs);
CK_RV goFinalize(CK_VOID_PTR pReserved);
CK_RV goGetInfo(CK_INFO_PTR pInfo);

/* 5.5 slots.go */
CK_RV goGetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount);
CK_RV goGetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo);
CK_RV goGetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo);
CK_RV goGetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
	CK_ULONG_PTR pulCount);
CK_RV goGetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo);
CK_RV goInitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen);
CK_RV goSetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
	CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen);

/* 5.6 sessions.go */
CK_RV goOpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_SESSION_HANDLE_PTR phSession);
CK_RV goCloseSession(CK_SESSION_HANDLE hSession);
CK_RV goCloseAllSessions(CK_SLOT_ID slotID);
CK_RV goGetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo);
CK_RV goGetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
	CK_ULONG_PTR pulOperationStateLen);
CK_RV goSetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
	CK_ULONG ulOperationStateLen, CK_OBJECT_HANDLE hEncryptionKey,
	CK_OBJECT_HANDLE hAuthenticationKey);
CK_RV goLogin(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
	CK_ULONG ulPinLen);
CK_RV goLogout(CK_SESSION_HANDLE hSession);

/* 5.7 objects.go */
CK_RV goCreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
	CK_OBJECT_HANDLE_PTR phObject);
CK_RV goCopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phNewObject);
CK_RV goDestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject);
CK_RV goGetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize);
CK_RV goGetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount);
CK_RV goSetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount);
CK_RV goFindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount);
CK_RV goFindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
	CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount);
CK_RV goFindObjectsFinal(CK_SESSION_HANDLE hSession);

/* 5.8 and 5.9 crypt.go */
CK_RV goEncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
CK_RV goEncrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	CK_BYTE_PTR pEncryptedData, CK_ULONG_PTR pulEncryptedDataLen);
CK_RV goEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
	CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen);
CK_RV goEncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart,
	CK_ULONG_PTR pulLastEncryptedPartLen);
CK_RV goDecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
CK_RV goDecrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData,
	CK_ULONG ulEncryptedDataLen, CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen);
CK_RV goDecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
	CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen);
CK_RV goDecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen);

/* 5.10 digest.go */
CK_RV goDigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism);
CK_RV goDigest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen);
CK_RV goDigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen);
CK_RV goDigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey);
CK_RV goDigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen);

/* 5.11 and 5.12 sign.go */
CK_RV goSignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
CK_RV goSign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen);
CK_RV goSignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen);
CK_RV goSignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen);
CK_RV goSignRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_OBJECT_HANDLE hKey);
CK_RV goSignRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen);
CK_RV goVerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
CK_RV goVerify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen);
CK_RV goVerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen);
CK_RV goVerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen);
CK_RV goVerifyRecoverInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_OBJECT_HANDLE hKey);
CK_RV goVerifyRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen,
	CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen);

/* 5.13 dual.go */
CK_RV goDigestEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
	CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen);
CK_RV goDecryptDigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
	CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen);
CK_RV goSignEncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
	CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen);
CK_RV goDecryptVerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart,
	CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen);

/* 5.14 keys.go */
CK_RV goGenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey);
CK_RV goGenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount,
	CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount,
	CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey);
CK_RV goWrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_OBJECT_HANDLE hWrappingKey, CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey,
	CK_ULONG_PTR pulWrappedKeyLen);
CK_RV goUnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_OBJECT_HANDLE hUnwrappingKey, CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey);
CK_RV goDeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount,
	CK_OBJECT_HANDLE_PTR phKey);

/* 5.15 random.go */
CK_RV goSeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen);
CK_RV goGenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen);

/* unsupported.go: the functions this module does not implement (README.md lists them).
 * goUnsupported answers CKR_FUNCTION_NOT_SUPPORTED, goNotParallel CKR_FUNCTION_NOT_PARALLEL,
 * both CKR_CRYPTOKI_NOT_INITIALIZED before C_Initialize. */
CK_RV goUnsupported(void);
CK_RV goNotParallel(void);

#endif /* CLOUDP11_P11_H */
