/* sessions.c: session management functions (v2.40 section 5.6). */
#include "p11.h"

/* pApplication and Notify are not passed on: the module makes no callbacks (the specification
 * lets a module never call Notify), so Go has no C pointer to keep. */
CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
	CK_SESSION_HANDLE_PTR phSession)
{
	(void)pApplication;
	(void)Notify;
	P11_FORK_GUARD();
	return goOpenSession(slotID, flags, phSession);
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	P11_FORK_GUARD();
	return goCloseSession(hSession);
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	P11_FORK_GUARD();
	return goCloseAllSessions(slotID);
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	P11_FORK_GUARD();
	return goGetSessionInfo(hSession, pInfo);
}

CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
	CK_ULONG_PTR pulOperationStateLen)
{
	P11_FORK_GUARD();
	return goGetOperationState(hSession, pOperationState, pulOperationStateLen);
}

CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
	CK_ULONG ulOperationStateLen, CK_OBJECT_HANDLE hEncryptionKey,
	CK_OBJECT_HANDLE hAuthenticationKey)
{
	P11_FORK_GUARD();
	return goSetOperationState(hSession, pOperationState, ulOperationStateLen, hEncryptionKey,
		hAuthenticationKey);
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
	CK_ULONG ulPinLen)
{
	P11_FORK_GUARD();
	return goLogin(hSession, userType, pPin, ulPinLen);
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	P11_FORK_GUARD();
	return goLogout(hSession);
}
