/*
 * functionlist.c: the function lists and the three entry points that hand them out
 * (C_GetFunctionList, v2.40 section 5.4; C_GetInterfaceList and C_GetInterface, v3.0 section 5.4).
 *
 * These three are pure C: they work before C_Initialize, after C_Finalize and in a forked child,
 * and never enter Go. The lists are filled by expanding pkcs11f.h, so their order is the header's,
 * which include/internal/check proves is the specification's.
 */
#include <string.h>

#include "p11.h"

static CK_FUNCTION_LIST function_list_2_40 = {
	{2, 40},
#define CK_PKCS11_2_0_ONLY 1
#define CK_PKCS11_FUNCTION(name, args) name,
#include "pkcs11f.h"
#undef CK_PKCS11_FUNCTION
#undef CK_PKCS11_2_0_ONLY
};

static CK_FUNCTION_LIST_3_0 function_list_3_0 = {
	{3, 0},
#define CK_PKCS11_FUNCTION(name, args) name,
#include "pkcs11f.h"
#undef CK_PKCS11_FUNCTION
};

/* The name every PKCS#11 interface has (v3.0 section 5.4). */
static CK_UTF8CHAR interface_name[] = "PKCS 11";

/* Newest first: C_GetInterface without a version returns the first match. Neither claims
 * CKF_INTERFACE_FORK_SAFE: a forked child cannot use the module (fork.c). */
static CK_INTERFACE interfaces[] = {
	{interface_name, &function_list_3_0, 0},
	{interface_name, &function_list_2_40, 0},
};

#define INTERFACE_COUNT (sizeof interfaces / sizeof interfaces[0])

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (ppFunctionList == NULL_PTR)
		return CKR_ARGUMENTS_BAD;
	*ppFunctionList = &function_list_2_40;
	return CKR_OK;
}

/* The size-query convention of v2.40 section 5.2, as C_GetSlotList has it. */
CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount)
{
	CK_ULONG i;

	if (pulCount == NULL_PTR)
		return CKR_ARGUMENTS_BAD;
	if (pInterfacesList == NULL_PTR) {
		*pulCount = INTERFACE_COUNT;
		return CKR_OK;
	}
	if (*pulCount < INTERFACE_COUNT) {
		*pulCount = INTERFACE_COUNT;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (i = 0; i < INTERFACE_COUNT; i++)
		pInterfacesList[i] = interfaces[i];
	*pulCount = INTERFACE_COUNT;
	return CKR_OK;
}

static CK_VERSION interface_version(const CK_INTERFACE *iface)
{
	/* Both lists begin with their CK_VERSION. */
	return *(const CK_VERSION *)iface->pFunctionList;
}

/* No interface matching the name, version and flags asked for is CKR_ARGUMENTS_BAD, as in
 * SoftHSMv2 and kryoptic: v3.0 lists no better code. */
CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
	CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	CK_ULONG i;

	if (ppInterface == NULL_PTR)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < INTERFACE_COUNT; i++) {
		CK_VERSION v = interface_version(&interfaces[i]);

		if (pInterfaceName != NULL_PTR &&
			strcmp((const char *)pInterfaceName, (const char *)interfaces[i].pInterfaceName) != 0)
			continue;
		if (pVersion != NULL_PTR && (pVersion->major != v.major || pVersion->minor != v.minor))
			continue;
		if ((interfaces[i].flags & flags) != flags)
			continue;
		*ppInterface = &interfaces[i];
		return CKR_OK;
	}
	return CKR_ARGUMENTS_BAD;
}
