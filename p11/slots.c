/* slots.c: slot and token management functions (v2.40 section 5.5); C_InitToken and
 * C_WaitForSlotEvent are in unsupported.c. */
#include "p11.h"

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
	P11_FORK_GUARD();
	return goGetSlotList(tokenPresent, pSlotList, pulCount);
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	P11_FORK_GUARD();
	return goGetSlotInfo(slotID, pInfo);
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	P11_FORK_GUARD();
	return goGetTokenInfo(slotID, pInfo);
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
	CK_ULONG_PTR pulCount)
{
	P11_FORK_GUARD();
	return goGetMechanismList(slotID, pMechanismList, pulCount);
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo)
{
	P11_FORK_GUARD();
	return goGetMechanismInfo(slotID, type, pInfo);
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	P11_FORK_GUARD();
	return goInitPIN(hSession, pPin, ulPinLen);
}

CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
	CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	P11_FORK_GUARD();
	return goSetPIN(hSession, pOldPin, ulOldLen, pNewPin, ulNewLen);
}
