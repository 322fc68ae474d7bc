package worker

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#include <stdlib.h>
#include <string.h>
#include "pkcs11.h"

typedef CK_RV (*cp11_final_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*cp11_single_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*cp11_verify_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG);
typedef CK_RV (*cp11_verify_final_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG);

// The empty input: a valid pointer with length 0, since some modules
// refuse NULL even with no data.
static CK_BYTE cp11_empty[1];

// The output may be plaintext of the application's (a decryption's last
// part): wiped before the memory goes back. The empty asm, which may read
// p's memory, keeps the compiler from dropping the memset of memory that
// is never read again.
static void cp11_wipe(CK_BYTE_PTR p, CK_ULONG n) {
	memset(p, 0, n);
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

// cp11_output calls final, or single with empty input when final is NULL.
static CK_RV cp11_output(cp11_final_fn final, cp11_single_fn single, CK_SESSION_HANDLE s, CK_BYTE_PTR out, CK_ULONG_PTR n) {
	return final != NULL ? final(s, out, n) : single(s, cp11_empty, 0, out, n);
}

// cp11_discard_output makes a call with output as a caller wanting the
// whole output does, so that it ends the operation: into a buffer on the
// stack, big enough for any signature, digest or last block; when the
// module answers CKR_BUFFER_TOO_SMALL (the operation then goes on), once
// more into a buffer of the length it asked for. A length query (NULL
// output) would not end the operation. The output is dropped.
static CK_RV cp11_discard_output(cp11_final_fn final, cp11_single_fn single, CK_SESSION_HANDLE s) {
	if (final == NULL && single == NULL) return CKR_FUNCTION_NOT_SUPPORTED;
	CK_BYTE local[4096];
	CK_ULONG n = sizeof local;
	CK_RV rv = cp11_output(final, single, s, local, &n);
	cp11_wipe(local, sizeof local);
	if (rv != CKR_BUFFER_TOO_SMALL) return rv;
	CK_ULONG size = n > 0 ? n : 1;
	CK_BYTE_PTR big = malloc(size);
	if (big == NULL) return CKR_HOST_MEMORY;
	n = size;
	rv = cp11_output(final, single, s, big, &n);
	cp11_wipe(big, size);
	free(big);
	return rv;
}

static CK_RV cp11_end_by_final(cp11_final_fn f, CK_SESSION_HANDLE s) { return cp11_discard_output(f, NULL, s); }
static CK_RV cp11_end_by_single(cp11_single_fn f, CK_SESSION_HANDLE s) { return cp11_discard_output(NULL, f, s); }

static CK_RV cp11_end_by_verify_final(cp11_verify_final_fn f, CK_SESSION_HANDLE s) {
	return f != NULL ? f(s, cp11_empty, 0) : CKR_FUNCTION_NOT_SUPPORTED;
}

static CK_RV cp11_end_by_verify(cp11_verify_fn f, CK_SESSION_HANDLE s) {
	return f != NULL ? f(s, cp11_empty, 0, cp11_empty, 0) : CKR_FUNCTION_NOT_SUPPORTED;
}
*/
import "C"

import (
	"unsafe"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// endingCall is a call that ends an active operation whatever it answers
// (PKCS#11 v2.40 §5.2: a final or a single-part call ends the operation
// unless it answers CKR_BUFFER_TOO_SMALL or a length), made directly on
// the module: miekg's calls begin with a length query and leak their
// output buffer when the second call fails.
type endingCall struct {
	name string
	run  func(C.CK_SESSION_HANDLE) C.CK_RV
}

func finalCall(name string, f C.cp11_final_fn) endingCall {
	return endingCall{name, func(s C.CK_SESSION_HANDLE) C.CK_RV { return C.cp11_end_by_final(f, s) }}
}

func singleCall(name string, f C.cp11_single_fn) endingCall {
	return endingCall{name, func(s C.CK_SESSION_HANDLE) C.CK_RV { return C.cp11_end_by_single(f, s) }}
}

// endingCalls are the calls that end an operation of kind, in the order
// to try them: the final first (the cheapest: no new computation over
// input), then the single-part call with empty input, which ends what a
// module keeps after a final it answers CKR_FUNCTION_NOT_SUPPORTED or
// CKR_OPERATION_NOT_INITIALIZED (SoftHSMv2 for RSA encryption and for
// ECDSA or raw RSA signatures, which it serves in one part only). A
// verification's final takes an empty signature.
func (r *rawModule) endingCalls(kind opKind) []endingCall {
	f := (*C.CK_FUNCTION_LIST)(unsafe.Pointer(r.list))
	switch kind {
	case opEncrypt:
		return []endingCall{finalCall("C_EncryptFinal", C.cp11_final_fn(f.C_EncryptFinal)), singleCall("C_Encrypt", C.cp11_single_fn(f.C_Encrypt))}
	case opDecrypt:
		return []endingCall{finalCall("C_DecryptFinal", C.cp11_final_fn(f.C_DecryptFinal)), singleCall("C_Decrypt", C.cp11_single_fn(f.C_Decrypt))}
	case opDigest:
		return []endingCall{finalCall("C_DigestFinal", C.cp11_final_fn(f.C_DigestFinal)), singleCall("C_Digest", C.cp11_single_fn(f.C_Digest))}
	case opSign:
		return []endingCall{finalCall("C_SignFinal", C.cp11_final_fn(f.C_SignFinal)), singleCall("C_Sign", C.cp11_single_fn(f.C_Sign))}
	case opSignRecover:
		return []endingCall{singleCall("C_SignRecover", C.cp11_single_fn(f.C_SignRecover))}
	case opVerifyRecover:
		return []endingCall{singleCall("C_VerifyRecover", C.cp11_single_fn(f.C_VerifyRecover))}
	case opVerify:
		verifyFinal, verify := C.cp11_verify_final_fn(f.C_VerifyFinal), C.cp11_verify_fn(f.C_Verify)
		return []endingCall{
			{"C_VerifyFinal", func(s C.CK_SESSION_HANDLE) C.CK_RV { return C.cp11_end_by_verify_final(verifyFinal, s) }},
			{"C_Verify", func(s C.CK_SESSION_HANDLE) C.CK_RV { return C.cp11_end_by_verify(verify, s) }},
		}
	}
	return nil
}

// endingAnswer is what one ending call answered, for the log.
type endingAnswer struct {
	call string
	rv   ck.RV
}

// endOperation ends the module's operation of kind in session: the ending
// calls in turn, until one succeeds. A module that keeps an operation
// after an error may keep it after the final's error too: SoftHSMv2 2.6
// answers CKR_FUNCTION_NOT_SUPPORTED (RSA encryption),
// CKR_OPERATION_NOT_INITIALIZED (ECDSA or raw RSA signatures) and
// CKR_HOST_MEMORY (AES-CBC-PAD decryption with nothing decrypted) while it
// keeps the operation, and the single-part call on empty input ends all of
// them. On a module that ended the operation itself every call answers
// CKR_OPERATION_NOT_INITIALIZED and changes nothing.
func (r *rawModule) endOperation(session ck.SessionHandle, kind opKind) []endingAnswer {
	calls := r.endingCalls(kind)
	answers := make([]endingAnswer, 0, len(calls))
	for _, c := range calls {
		rv := ck.RV(c.run(C.CK_SESSION_HANDLE(session)))
		answers = append(answers, endingAnswer{c.name, rv})
		if rv == ck.CKR_OK {
			break
		}
	}
	return answers
}
