/* general.c: general-purpose functions (v2.40 section 5.4); C_GetFunctionList is in
 * functionlist.c. */
#include "p11.h"

/* In a forked child C_Initialize cannot succeed: the Go runtime is not there (fork.c). It answers
 * CKR_GENERAL_ERROR, the code for "the module is unusable in this process", rather than
 * CKR_CRYPTOKI_NOT_INITIALIZED, which would tell the caller to do what it just tried. */
CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	if (p11_forked()) {
		p11_report_forked_initialize();
		return CKR_GENERAL_ERROR;
	}
	return goInitialize(pInitArgs);
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	P11_FORK_GUARD();
	return goFinalize(pReserved);
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	P11_FORK_GUARD();
	return goGetInfo(pInfo);
}
