/*
 * keepop.c: a PKCS#11 module for the worker's tests (lifetime_test.go). It forwards every call to
 * the module named by the KEEPOP_MODULE environment variable (SoftHSMv2), except the single-part
 * calls whose input begins with "keep-op": those it answers with an error without forwarding them,
 * so the operation stays active, as modules that break the operation lifetime rule of PKCS#11
 * v2.40 section 5.2 do. SoftHSMv2 itself ends the operation after the single-part errors the
 * tests can provoke, so without this module those paths could not fail.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11.h"

static CK_FUNCTION_LIST_PTR real;
static CK_FUNCTION_LIST list;

static int marked(CK_BYTE_PTR data, CK_ULONG len)
{
	static const char mark[] = "keep-op";
	return data != NULL_PTR && len >= sizeof mark - 1 && memcmp(data, mark, sizeof mark - 1) == 0;
}

static CK_RV keep_Encrypt(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	return marked(in, n) ? CKR_DATA_LEN_RANGE : real->C_Encrypt(s, in, n, out, outLen);
}

static CK_RV keep_Decrypt(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	return marked(in, n) ? CKR_ENCRYPTED_DATA_INVALID : real->C_Decrypt(s, in, n, out, outLen);
}

static CK_RV keep_Digest(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	return marked(in, n) ? CKR_DATA_LEN_RANGE : real->C_Digest(s, in, n, out, outLen);
}

static CK_RV keep_Sign(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	return marked(in, n) ? CKR_DATA_LEN_RANGE : real->C_Sign(s, in, n, out, outLen);
}

static CK_RV keep_Verify(CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR sig, CK_ULONG sigLen)
{
	return marked(in, n) ? CKR_SIGNATURE_INVALID : real->C_Verify(s, in, n, sig, sigLen);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (ppFunctionList == NULL_PTR) return CKR_ARGUMENTS_BAD;
	if (real == NULL_PTR) {
		const char *path = getenv("KEEPOP_MODULE");
		void *h = path != NULL ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
		CK_C_GetFunctionList get = h != NULL ? (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList") : NULL;
		if (get == NULL || get(&real) != CKR_OK || real == NULL_PTR) {
			real = NULL_PTR;
			return CKR_GENERAL_ERROR;
		}
		list = *real;
		list.C_Encrypt = keep_Encrypt;
		list.C_Decrypt = keep_Decrypt;
		list.C_Digest = keep_Digest;
		list.C_Sign = keep_Sign;
		list.C_Verify = keep_Verify;
	}
	*ppFunctionList = &list;
	return CKR_OK;
}
