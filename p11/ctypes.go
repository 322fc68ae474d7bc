package main

/*
#include "p11.h"
*/
import "C"

import "unsafe"

// Names for the C types the conversions use. The tests, which cannot use cgo
// themselves, build C structures in Go memory through these aliases.
type (
	ckULONG     = C.CK_ULONG
	ckByte      = C.CK_BYTE
	ckVoidPtr   = C.CK_VOID_PTR
	ckAttribute = C.CK_ATTRIBUTE
	ckMechanism = C.CK_MECHANISM
	ckInitArgs  = C.CK_C_INITIALIZE_ARGS
	ckInfo      = C.CK_INFO
	ckSlotInfo  = C.CK_SLOT_INFO
	ckTokenInfo = C.CK_TOKEN_INFO
	ckMechInfo  = C.CK_MECHANISM_INFO
	ckSessInfo  = C.CK_SESSION_INFO
	ckVersion   = C.CK_VERSION
	ckRV        = C.CK_RV

	ckRSAPSSParams        = C.CK_RSA_PKCS_PSS_PARAMS
	ckRSAOAEPParams       = C.CK_RSA_PKCS_OAEP_PARAMS
	ckGCMParams           = C.CK_GCM_PARAMS
	ckGCMParamsNoIVBits   = C.p11_gcm_params_without_iv_bits
	ckCCMParams           = C.CK_CCM_PARAMS
	ckCTRParams           = C.CK_AES_CTR_PARAMS
	ckECDH1DeriveParams   = C.CK_ECDH1_DERIVE_PARAMS
	ckEdDSAParams         = C.CK_EDDSA_PARAMS
	ckDerivationString    = C.CK_KEY_DERIVATION_STRING_DATA
	ckAESCBCEncryptParams = C.CK_AES_CBC_ENCRYPT_DATA_PARAMS
)

// Sizes of the host's C types, which the conversions check lengths against.
const (
	sizeofULONG     = ckULONG(unsafe.Sizeof(ckULONG(0)))
	sizeofAttribute = ckULONG(unsafe.Sizeof(ckAttribute{}))
)

// unavailableInformation is CK_UNAVAILABLE_INFORMATION in the host's CK_ULONG.
const unavailableInformation = ^ckULONG(0)

// convertSlice converts a slice of one integer type to another, element by
// element (ck's 64-bit handles and types to the host's CK_ULONG types).
func convertSlice[To, From ~uint64 | ~uint32](in []From) []To {
	out := make([]To, len(in))
	for i, v := range in {
		out[i] = To(v)
	}
	return out
}
