/*
 * pkcs11f.h: every PKCS#11 function, once, as an X-macro list. Written for cloudp11 from the OASIS
 * PKCS#11 base specifications v2.40 and v3.0 (section numbers below are v2.40's unless marked).
 *
 * This file has no include guard on purpose: pkcs11.h includes it several times, each time with a
 * different expansion. Each entry is
 *
 *     CK_PKCS11_FUNCTION(name, (parameter list))
 *
 * To use it, define CK_PKCS11_FUNCTION(name, args) and include this file. For code written against
 * the specification's own headers, the other convention works too: define
 * CK_PKCS11_FUNCTION_INFO(name), and CK_NEED_ARG_LIST when the parameter list should follow it,
 * then include this file; each entry becomes CK_PKCS11_FUNCTION_INFO(name) followed, with
 * CK_NEED_ARG_LIST, by "(parameter list);".
 *
 * The order is the order of CK_FUNCTION_LIST and CK_FUNCTION_LIST_3_0 and must never change.
 * Defining CK_PKCS11_2_0_ONLY leaves out the v3.0 functions at the end.
 */

#ifndef CK_PTR
#error "pkcs11f.h needs the platform macros and types: include pkcs11.h instead"
#endif

#if defined(CK_PKCS11_FUNCTION)
#define CLOUDP11_PKCS11F_LOCAL 0
#elif defined(CK_PKCS11_FUNCTION_INFO) && defined(CK_NEED_ARG_LIST)
#define CLOUDP11_PKCS11F_LOCAL 1
#define CK_PKCS11_FUNCTION(name, args) CK_PKCS11_FUNCTION_INFO(name) args;
#elif defined(CK_PKCS11_FUNCTION_INFO)
#define CLOUDP11_PKCS11F_LOCAL 1
#define CK_PKCS11_FUNCTION(name, args) CK_PKCS11_FUNCTION_INFO(name)
#else
#error "pkcs11f.h: define CK_PKCS11_FUNCTION(name, args) or CK_PKCS11_FUNCTION_INFO(name) first"
#endif

/* 5.4 General-purpose functions */
CK_PKCS11_FUNCTION(C_Initialize, (CK_VOID_PTR pInitArgs))
CK_PKCS11_FUNCTION(C_Finalize, (CK_VOID_PTR pReserved))
CK_PKCS11_FUNCTION(C_GetInfo, (CK_INFO_PTR pInfo))
CK_PKCS11_FUNCTION(C_GetFunctionList, (CK_FUNCTION_LIST_PTR_PTR ppFunctionList))

/* 5.5 Slot and token management functions */
CK_PKCS11_FUNCTION(C_GetSlotList,
	(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount))
CK_PKCS11_FUNCTION(C_GetSlotInfo, (CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo))
CK_PKCS11_FUNCTION(C_GetTokenInfo, (CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo))
CK_PKCS11_FUNCTION(C_GetMechanismList,
	(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount))
CK_PKCS11_FUNCTION(C_GetMechanismInfo,
	(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo))
CK_PKCS11_FUNCTION(C_InitToken,
	(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel))
CK_PKCS11_FUNCTION(C_InitPIN,
	(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen))
CK_PKCS11_FUNCTION(C_SetPIN,
	(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
	 CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen))

/* 5.6 Session management functions */
CK_PKCS11_FUNCTION(C_OpenSession,
	(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
	 CK_SESSION_HANDLE_PTR phSession))
CK_PKCS11_FUNCTION(C_CloseSession, (CK_SESSION_HANDLE hSession))
CK_PKCS11_FUNCTION(C_CloseAllSessions, (CK_SLOT_ID slotID))
CK_PKCS11_FUNCTION(C_GetSessionInfo, (CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo))
CK_PKCS11_FUNCTION(C_GetOperationState,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
	 CK_ULONG_PTR pulOperationStateLen))
CK_PKCS11_FUNCTION(C_SetOperationState,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState, CK_ULONG ulOperationStateLen,
	 CK_OBJECT_HANDLE hEncryptionKey, CK_OBJECT_HANDLE hAuthenticationKey))
CK_PKCS11_FUNCTION(C_Login,
	(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
	 CK_ULONG ulPinLen))
CK_PKCS11_FUNCTION(C_Logout, (CK_SESSION_HANDLE hSession))

/* 5.7 Object management functions */
CK_PKCS11_FUNCTION(C_CreateObject,
	(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
	 CK_OBJECT_HANDLE_PTR phObject))
CK_PKCS11_FUNCTION(C_CopyObject,
	(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
	 CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phNewObject))
CK_PKCS11_FUNCTION(C_DestroyObject, (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject))
CK_PKCS11_FUNCTION(C_GetObjectSize,
	(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize))
CK_PKCS11_FUNCTION(C_GetAttributeValue,
	(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
	 CK_ULONG ulCount))
CK_PKCS11_FUNCTION(C_SetAttributeValue,
	(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate,
	 CK_ULONG ulCount))
CK_PKCS11_FUNCTION(C_FindObjectsInit,
	(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount))
CK_PKCS11_FUNCTION(C_FindObjects,
	(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
	 CK_ULONG_PTR pulObjectCount))
CK_PKCS11_FUNCTION(C_FindObjectsFinal, (CK_SESSION_HANDLE hSession))

/* 5.8 Encryption functions */
CK_PKCS11_FUNCTION(C_EncryptInit,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_Encrypt,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	 CK_BYTE_PTR pEncryptedData, CK_ULONG_PTR pulEncryptedDataLen))
CK_PKCS11_FUNCTION(C_EncryptUpdate,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
	 CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen))
CK_PKCS11_FUNCTION(C_EncryptFinal,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart,
	 CK_ULONG_PTR pulLastEncryptedPartLen))

/* 5.9 Decryption functions */
CK_PKCS11_FUNCTION(C_DecryptInit,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_Decrypt,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen,
	 CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen))
CK_PKCS11_FUNCTION(C_DecryptUpdate,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen,
	 CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen))
CK_PKCS11_FUNCTION(C_DecryptFinal,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen))

/* 5.10 Message digesting functions */
CK_PKCS11_FUNCTION(C_DigestInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism))
CK_PKCS11_FUNCTION(C_Digest,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pDigest,
	 CK_ULONG_PTR pulDigestLen))
CK_PKCS11_FUNCTION(C_DigestUpdate,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen))
CK_PKCS11_FUNCTION(C_DigestKey, (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_DigestFinal,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen))

/* 5.11 Signing and MACing functions */
CK_PKCS11_FUNCTION(C_SignInit,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_Sign,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	 CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen))
CK_PKCS11_FUNCTION(C_SignUpdate,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen))
CK_PKCS11_FUNCTION(C_SignFinal,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen))
CK_PKCS11_FUNCTION(C_SignRecoverInit,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_SignRecover,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	 CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen))

/* 5.12 Functions for verifying signatures and MACs */
CK_PKCS11_FUNCTION(C_VerifyInit,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_Verify,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
	 CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen))
CK_PKCS11_FUNCTION(C_VerifyUpdate,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen))
CK_PKCS11_FUNCTION(C_VerifyFinal,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen))
CK_PKCS11_FUNCTION(C_VerifyRecoverInit,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_VerifyRecover,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen,
	 CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen))

/* 5.13 Dual-function cryptographic functions */
CK_PKCS11_FUNCTION(C_DigestEncryptUpdate,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
	 CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen))
CK_PKCS11_FUNCTION(C_DecryptDigestUpdate,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen,
	 CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen))
CK_PKCS11_FUNCTION(C_SignEncryptUpdate,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen,
	 CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen))
CK_PKCS11_FUNCTION(C_DecryptVerifyUpdate,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen,
	 CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen))

/* 5.14 Key management functions */
CK_PKCS11_FUNCTION(C_GenerateKey,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate,
	 CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey))
CK_PKCS11_FUNCTION(C_GenerateKeyPair,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	 CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount,
	 CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount,
	 CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey))
CK_PKCS11_FUNCTION(C_WrapKey,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey,
	 CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen))
CK_PKCS11_FUNCTION(C_UnwrapKey,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
	 CK_OBJECT_HANDLE hUnwrappingKey, CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen,
	 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey))
CK_PKCS11_FUNCTION(C_DeriveKey,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey,
	 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey))

/* 5.15 Random number generation functions */
CK_PKCS11_FUNCTION(C_SeedRandom,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen))
CK_PKCS11_FUNCTION(C_GenerateRandom,
	(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen))

/* 5.16 Parallel function management functions (legacy) */
CK_PKCS11_FUNCTION(C_GetFunctionStatus, (CK_SESSION_HANDLE hSession))
CK_PKCS11_FUNCTION(C_CancelFunction, (CK_SESSION_HANDLE hSession))

/* 5.5 again: C_WaitForSlotEvent joined the specification after the list was fixed, so it
 * comes last rather than with the slot functions. */
CK_PKCS11_FUNCTION(C_WaitForSlotEvent,
	(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved))

#ifndef CK_PKCS11_2_0_ONLY

/* v3.0 section 5.4: interfaces */
CK_PKCS11_FUNCTION(C_GetInterfaceList,
	(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount))
CK_PKCS11_FUNCTION(C_GetInterface,
	(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
	 CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags))

/* v3.0 section 5.6: sessions */
CK_PKCS11_FUNCTION(C_LoginUser,
	(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
	 CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen))
CK_PKCS11_FUNCTION(C_SessionCancel, (CK_SESSION_HANDLE hSession, CK_FLAGS flags))

/* v3.0 section 5.9: message-based encryption */
CK_PKCS11_FUNCTION(C_MessageEncryptInit,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_EncryptMessage,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	 CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pPlaintext,
	 CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext, CK_ULONG_PTR pulCiphertextLen))
CK_PKCS11_FUNCTION(C_EncryptMessageBegin,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	 CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen))
CK_PKCS11_FUNCTION(C_EncryptMessageNext,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	 CK_BYTE_PTR pPlaintextPart, CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart,
	 CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags))
CK_PKCS11_FUNCTION(C_MessageEncryptFinal, (CK_SESSION_HANDLE hSession))

/* v3.0 section 5.11: message-based decryption */
CK_PKCS11_FUNCTION(C_MessageDecryptInit,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_DecryptMessage,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	 CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pCiphertext,
	 CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext, CK_ULONG_PTR pulPlaintextLen))
CK_PKCS11_FUNCTION(C_DecryptMessageBegin,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	 CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen))
CK_PKCS11_FUNCTION(C_DecryptMessageNext,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	 CK_BYTE_PTR pCiphertextPart, CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart,
	 CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags))
CK_PKCS11_FUNCTION(C_MessageDecryptFinal, (CK_SESSION_HANDLE hSession))

/* v3.0 section 5.14: message-based signing and MACing */
CK_PKCS11_FUNCTION(C_MessageSignInit,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_SignMessage,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	 CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
	 CK_ULONG_PTR pulSignatureLen))
CK_PKCS11_FUNCTION(C_SignMessageBegin,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen))
CK_PKCS11_FUNCTION(C_SignMessageNext,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	 CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature,
	 CK_ULONG_PTR pulSignatureLen))
CK_PKCS11_FUNCTION(C_MessageSignFinal, (CK_SESSION_HANDLE hSession))

/* v3.0 section 5.16: message-based verification of signatures and MACs */
CK_PKCS11_FUNCTION(C_MessageVerifyInit,
	(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey))
CK_PKCS11_FUNCTION(C_VerifyMessage,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	 CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen))
CK_PKCS11_FUNCTION(C_VerifyMessageBegin,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen))
CK_PKCS11_FUNCTION(C_VerifyMessageNext,
	(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen,
	 CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen))
CK_PKCS11_FUNCTION(C_MessageVerifyFinal, (CK_SESSION_HANDLE hSession))

#endif /* CK_PKCS11_2_0_ONLY */

#if CLOUDP11_PKCS11F_LOCAL
#undef CK_PKCS11_FUNCTION
#endif
#undef CLOUDP11_PKCS11F_LOCAL
