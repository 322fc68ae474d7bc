// Package ck holds the PKCS#11 types and constants that cross the cloudp11
// wire: CK_ULONG-valued types, the CKR/CKA/CKM/CKO/CKK/... constants of
// PKCS#11 v2.40 plus the 3.0 EdDSA family, attributes and templates,
// mechanisms with typed parameters, and the one mapping from Go errors to
// CK_RV (RVOf).
//
// It is pure Go on purpose: the client library must not link
// github.com/miekg/pkcs11, and the server must not depend on the client's C
// headers. The cgo layer (p11/) and the server convert between these types
// and the native ones.
//
// # Platform independence
//
// ULONG is 64 bits everywhere. Attribute values are kept in their wire
// representation (see AttributeKind): CK_ULONG values as 8 bytes big-endian,
// CK_BBOOL as one byte 0 or 1. HostLayout converts to and from the native
// layout of a host (CK_ULONG of 4 or 8 bytes, either byte order).
//
// # Errors
//
// Error carries a CK_RV with the operation and the cause. RVOf is the only
// place that turns an error into a CK_RV: a *Error gives its RV; an error
// that knows its CK_RV (transport errors, through the table in
// transport/errors.go) gives that; a deadline gives CKR_DEVICE_ERROR (PKCS#11
// has no timeout code); a cancelled context CKR_FUNCTION_CANCELED; anything
// else CKR_FUNCTION_FAILED.
//
// # Concurrency
//
// Everything here is a value or read-only after package initialisation; all
// functions are safe for concurrent use.
//
// # Limits
//
// Only the parameter kinds of ParamKind cross the wire; Mechanism.Validate
// refuses others (CKR_MECHANISM_PARAM_INVALID). Vendor-defined attributes are
// treated as byte strings: a vendor attribute whose value holds CK_ULONGs or
// pointers cannot be carried faithfully between hosts of different layouts.
package ck
