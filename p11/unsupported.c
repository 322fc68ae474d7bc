/*
 * unsupported.c: the functions this module does not implement (README.md, "PKCS#11 functions not
 * supported"). Each still answers CKR_CRYPTOKI_NOT_INITIALIZED before C_Initialize, which only Go
 * knows, so each goes through goUnsupported or goNotParallel.
 */
#include "p11.h"

#define UNUSED(x) (void)(x)

/* v2.40 5.5: tokens are initialised on hsmd's side (hsmd init), never by an application. */
CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel)
{
	UNUSED(slotID), UNUSED(pPin), UNUSED(ulPinLen), UNUSED(pLabel);
	P11_FORK_GUARD();
	return goUnsupported();
}

/* v2.40 5.5: slots are fixed by primus.cfg and read at C_Initialize, so there are no slot events
 * to wait for; the specification allows CKR_FUNCTION_NOT_SUPPORTED. */
CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved)
{
	UNUSED(flags), UNUSED(pSlot), UNUSED(pReserved);
	P11_FORK_GUARD();
	return goUnsupported();
}

/* v2.40 5.16: legacy functions, which "should always return CKR_FUNCTION_NOT_PARALLEL". */
CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	P11_FORK_GUARD();
	return goNotParallel();
}

CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	P11_FORK_GUARD();
	return goNotParallel();
}

/* v3.0 5.6 */
CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
	CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
	UNUSED(hSession), UNUSED(userType), UNUSED(pPin), UNUSED(ulPinLen), UNUSED(pUsername);
	UNUSED(ulUsernameLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
	UNUSED(hSession), UNUSED(flags);
	P11_FORK_GUARD();
	return goUnsupported();
}

/* v3.0 5.9, 5.11, 5.14 and 5.16: message-based encryption, decryption, signing and verification.
 * The wire protocol has no messages for them yet. */

CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_OBJECT_HANDLE hKey)
{
	UNUSED(hSession), UNUSED(pMechanism), UNUSED(hKey);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_EncryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pPlaintext,
	CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext, CK_ULONG_PTR pulCiphertextLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pAssociatedData);
	UNUSED(ulAssociatedDataLen), UNUSED(pPlaintext), UNUSED(ulPlaintextLen), UNUSED(pCiphertext);
	UNUSED(pulCiphertextLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
	CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pAssociatedData);
	UNUSED(ulAssociatedDataLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
	CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart, CK_ULONG ulPlaintextPartLen,
	CK_BYTE_PTR pCiphertextPart, CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pPlaintextPart);
	UNUSED(ulPlaintextPartLen), UNUSED(pCiphertextPart), UNUSED(pulCiphertextPartLen);
	UNUSED(flags);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_OBJECT_HANDLE hKey)
{
	UNUSED(hSession), UNUSED(pMechanism), UNUSED(hKey);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_DecryptMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pCiphertext,
	CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext, CK_ULONG_PTR pulPlaintextLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pAssociatedData);
	UNUSED(ulAssociatedDataLen), UNUSED(pCiphertext), UNUSED(ulCiphertextLen), UNUSED(pPlaintext);
	UNUSED(pulPlaintextLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
	CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pAssociatedData);
	UNUSED(ulAssociatedDataLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
	CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart, CK_ULONG ulCiphertextPartLen,
	CK_BYTE_PTR pPlaintextPart, CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pCiphertextPart);
	UNUSED(ulCiphertextPartLen), UNUSED(pPlaintextPart), UNUSED(pulPlaintextPartLen);
	UNUSED(flags);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_MessageSignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_OBJECT_HANDLE hKey)
{
	UNUSED(hSession), UNUSED(pMechanism), UNUSED(hKey);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_SignMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pData), UNUSED(ulDataLen);
	UNUSED(pSignature), UNUSED(pulSignatureLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_SignMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_SignMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pData), UNUSED(ulDataLen);
	UNUSED(pSignature), UNUSED(pulSignatureLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_MessageSignFinal(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	CK_OBJECT_HANDLE hKey)
{
	UNUSED(hSession), UNUSED(pMechanism), UNUSED(hKey);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_VerifyMessage(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pData), UNUSED(ulDataLen);
	UNUSED(pSignature), UNUSED(ulSignatureLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
	CK_ULONG ulParameterLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter,
	CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
	CK_ULONG ulSignatureLen)
{
	UNUSED(hSession), UNUSED(pParameter), UNUSED(ulParameterLen), UNUSED(pData), UNUSED(ulDataLen);
	UNUSED(pSignature), UNUSED(ulSignatureLen);
	P11_FORK_GUARD();
	return goUnsupported();
}

CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE hSession)
{
	UNUSED(hSession);
	P11_FORK_GUARD();
	return goUnsupported();
}
