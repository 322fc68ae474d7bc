/*
 * pkcs11.h: the entry header of cloudp11's PKCS#11 interface.
 *
 * Written for cloudp11 from the OASIS specifications (PKCS#11 Cryptographic Token Interface Base
 * Specification v2.40 and Current Mechanisms v2.40, with the interface, function list and
 * mechanism additions of v3.0 listed in README.md). The C names and values are the interface those
 * specifications define; the organisation and the comments are ours.
 *
 * Include only this file. It sets the platform macros the specification asks a consumer to define
 * before including the type and function headers (base specification section 2, "Platform- and
 * compiler-dependent directives for C or C++"), then includes pkcs11t.h (types and constants) and
 * expands pkcs11f.h (the function list) three times: into prototypes, into the CK_C_xxx pointer
 * types, and into the members of CK_FUNCTION_LIST and CK_FUNCTION_LIST_3_0.
 *
 * Every platform macro may be defined by the consumer first; ours are used only when it did not.
 */
#ifndef CLOUDP11_PKCS11_H
#define CLOUDP11_PKCS11_H 1

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Platform-dependent directives (base spec section 2) ----------------------------------- */

#if defined(_WIN32)

/* The specification packs Cryptoki structures to one byte on Windows; every Windows module and
 * application relies on it, so the packing is set here and restored at the end of this file. */
#pragma pack(push, 1)

/* A module being built defines CRYPTOKI_EXPORTS to export its entry points instead of importing. */
#if defined(CRYPTOKI_EXPORTS)
#define CLOUDP11_CK_DLL __declspec(dllexport)
#else
#define CLOUDP11_CK_DLL __declspec(dllimport)
#endif

#ifndef CK_PTR
#define CK_PTR *
#endif
#ifndef CK_DECLARE_FUNCTION
#define CK_DECLARE_FUNCTION(returnType, name) returnType CLOUDP11_CK_DLL name
#endif
#ifndef CK_DECLARE_FUNCTION_POINTER
#define CK_DECLARE_FUNCTION_POINTER(returnType, name) returnType CLOUDP11_CK_DLL(*name)
#endif
#ifndef CK_CALLBACK_FUNCTION
#define CK_CALLBACK_FUNCTION(returnType, name) returnType(*name)
#endif

#else /* Linux and other Unix: natural alignment, default symbol visibility. */

#ifndef CK_PTR
#define CK_PTR *
#endif
#ifndef CK_DECLARE_FUNCTION
#define CK_DECLARE_FUNCTION(returnType, name) returnType name
#endif
#ifndef CK_DECLARE_FUNCTION_POINTER
#define CK_DECLARE_FUNCTION_POINTER(returnType, name) returnType(*name)
#endif
#ifndef CK_CALLBACK_FUNCTION
#define CK_CALLBACK_FUNCTION(returnType, name) returnType(*name)
#endif

#endif /* _WIN32 */

/* The specification's own definition: a plain 0 is a null pointer constant in both C and C++,
 * where ((void *)0) would not convert implicitly in C++. */
#ifndef NULL_PTR
#define NULL_PTR 0
#endif

/* ---- Types and constants --------------------------------------------------------------------- */

#include "pkcs11t.h"

/* ---- Functions (base spec section 5) --------------------------------------------------------- */

/* Prototypes of every entry point, v2.40 and v3.0. A module defines the ones it exports; an
 * application normally reaches them through the function list instead. */
#define CK_PKCS11_FUNCTION(name, args) extern CK_DECLARE_FUNCTION(CK_RV, name) args;
#include "pkcs11f.h"
#undef CK_PKCS11_FUNCTION

/* CK_C_Initialize ... CK_C_MessageVerifyFinal: the pointer type of each entry point. */
#define CK_PKCS11_FUNCTION(name, args) typedef CK_DECLARE_FUNCTION_POINTER(CK_RV, CK_##name) args;
#include "pkcs11f.h"
#undef CK_PKCS11_FUNCTION

/* The function lists (base spec section 3.6, Function types): a version, then one pointer per
 * function in the order of pkcs11f.h. The order is the ABI. */
#define CK_PKCS11_FUNCTION(name, args) CK_##name name;

/* v3.0: the 68 functions of v2.40 followed by the 24 of v3.0, returned by C_GetInterface for the
 * interface "PKCS 11" version 3.0. */
struct CK_FUNCTION_LIST_3_0 {
	CK_VERSION version;
#include "pkcs11f.h"
};

/* v2.40: the 68 functions returned by C_GetFunctionList. */
#define CK_PKCS11_2_0_ONLY 1
struct CK_FUNCTION_LIST {
	CK_VERSION version;
#include "pkcs11f.h"
};
#undef CK_PKCS11_2_0_ONLY

#undef CK_PKCS11_FUNCTION

#if defined(_WIN32)
#pragma pack(pop)
#endif

#ifdef __cplusplus
}
#endif

#endif /* CLOUDP11_PKCS11_H */
