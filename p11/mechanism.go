package main

/*
#include "p11.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// mechanismFromC converts the caller's CK_MECHANISM to a ck.Mechanism with a
// typed parameter. The parameter structure is read only when ulParameterLen
// is exactly its size (GCM also accepts the v2.40 document's layout, see
// p11.h), and every pointer inside it is checked against its length. Errors
// are CKR_MECHANISM_PARAM_INVALID, naming the mechanism and the field, for
// everything about the parameter, including a parameter given to a mechanism
// whose parameter the wire cannot carry; a NULL pMechanism is
// CKR_ARGUMENTS_BAD.
func mechanismFromC(op string, p *C.CK_MECHANISM) (ck.Mechanism, error) {
	if p == nil {
		return ck.Mechanism{}, argumentsBad(op, "pMechanism is NULL")
	}
	m := ck.Mechanism{Type: ck.MechanismType(p.mechanism)}
	mop := op + " " + m.Type.String()
	param, n := unsafe.Pointer(p.pParameter), p.ulParameterLen
	if n != 0 && param == nil {
		return ck.Mechanism{}, paramInvalid(mop, "pParameter is NULL with ulParameterLen %d", uint64(n))
	}
	if n != 0 {
		var err error
		if m.Param, err = paramFromC(mop, ck.ParamRuleOf(m.Type).Kind, param, n); err != nil {
			return ck.Mechanism{}, err
		}
	}
	if err := m.Validate(); err != nil {
		return ck.Mechanism{}, fmt.Errorf("%s: %w", op, err)
	}
	return m, nil
}

// mechanismFor converts the mechanism of a function that starts something
// with it (an init, a key generation, a wrap...). A parameter the boundary
// refuses is blamed only when the token offers the mechanism for the
// function at all: otherwise the answer is CKR_MECHANISM_INVALID, as a
// backend gives (C_DigestInit of CKM_AES_CBC without an IV is the wrong
// mechanism, not a bad IV).
func mechanismFor(lib *core.Library, op string, hSession C.CK_SESSION_HANDLE, p *C.CK_MECHANISM) (ck.Mechanism, error) {
	m, err := mechanismFromC(op, p)
	if err != nil && p != nil && ck.RVOf(err) == ck.CKR_MECHANISM_PARAM_INVALID {
		t := ck.MechanismType(p.mechanism)
		if !lib.MechanismOffered(ck.SessionHandle(hSession), op, t) {
			return ck.Mechanism{}, ck.Errorf(ck.CKR_MECHANISM_INVALID, op, "the token does not offer %s for this function", t)
		}
	}
	return m, err
}

func paramInvalid(op, format string, args ...any) error {
	return ck.Errorf(ck.CKR_MECHANISM_PARAM_INVALID, op, format, args...)
}

// paramFromC reads the n bytes at param as the structure of kind.
func paramFromC(op string, kind ck.ParamKind, param unsafe.Pointer, n C.CK_ULONG) (ck.MechanismParam, error) {
	size := func(want uintptr, name string) error {
		if uintptr(n) != want {
			return paramInvalid(op, "ulParameterLen %d is not sizeof(%s) = %d", uint64(n), name, want)
		}
		return nil
	}
	switch kind {
	case ck.ParamNone:
		return nil, paramInvalid(op, "takes no parameter that can cross the wire, got %d bytes", uint64(n))

	case ck.ParamULONG:
		if err := size(unsafe.Sizeof(C.CK_ULONG(0)), "CK_ULONG"); err != nil {
			return nil, err
		}
		return ck.ULONGParam(*(*C.CK_ULONG)(param)), nil

	case ck.ParamIV:
		iv, err := paramBytes(op, "IV", param, n)
		return ck.IVParam(iv), err

	case ck.ParamRSAPSS:
		if err := size(unsafe.Sizeof(ckRSAPSSParams{}), "CK_RSA_PKCS_PSS_PARAMS"); err != nil {
			return nil, err
		}
		c := (*ckRSAPSSParams)(param)
		return ck.RSAPSSParams{Hash: ck.MechanismType(c.hashAlg), MGF: ck.MGFType(c.mgf), SaltLen: ck.ULONG(c.sLen)}, nil

	case ck.ParamRSAOAEP:
		if err := size(unsafe.Sizeof(ckRSAOAEPParams{}), "CK_RSA_PKCS_OAEP_PARAMS"); err != nil {
			return nil, err
		}
		c := (*ckRSAOAEPParams)(param)
		label, err := paramBytes(op, "pSourceData", unsafe.Pointer(c.pSourceData), c.ulSourceDataLen)
		if err != nil {
			return nil, err
		}
		return ck.RSAOAEPParams{Hash: ck.MechanismType(c.hashAlg), MGF: ck.MGFType(c.mgf), Source: ck.ULONG(c.source), SourceData: label}, nil

	case ck.ParamGCM:
		return gcmFromC(op, param, n)

	case ck.ParamCCM:
		if err := size(unsafe.Sizeof(ckCCMParams{}), "CK_CCM_PARAMS"); err != nil {
			return nil, err
		}
		c := (*ckCCMParams)(param)
		nonce, err := paramBytes(op, "pNonce", unsafe.Pointer(c.pNonce), c.ulNonceLen)
		if err != nil {
			return nil, err
		}
		aad, err := paramBytes(op, "pAAD", unsafe.Pointer(c.pAAD), c.ulAADLen)
		if err != nil {
			return nil, err
		}
		return ck.CCMParams{DataLen: ck.ULONG(c.ulDataLen), Nonce: nonce, AAD: aad, MACLen: ck.ULONG(c.ulMACLen)}, nil

	case ck.ParamCTR:
		if err := size(unsafe.Sizeof(ckCTRParams{}), "CK_AES_CTR_PARAMS"); err != nil {
			return nil, err
		}
		c := (*ckCTRParams)(param)
		out := ck.CTRParams{CounterBits: ck.ULONG(c.ulCounterBits)}
		for i := range out.CB {
			out.CB[i] = byte(c.cb[i])
		}
		return out, nil

	case ck.ParamECDH1Derive:
		if err := size(unsafe.Sizeof(ckECDH1DeriveParams{}), "CK_ECDH1_DERIVE_PARAMS"); err != nil {
			return nil, err
		}
		c := (*ckECDH1DeriveParams)(param)
		shared, err := paramBytes(op, "pSharedData", unsafe.Pointer(c.pSharedData), c.ulSharedDataLen)
		if err != nil {
			return nil, err
		}
		public, err := paramBytes(op, "pPublicData", unsafe.Pointer(c.pPublicData), c.ulPublicDataLen)
		if err != nil {
			return nil, err
		}
		return ck.ECDH1DeriveParams{KDF: ck.KDFType(c.kdf), SharedData: shared, PublicData: public}, nil

	case ck.ParamEdDSA:
		if err := size(unsafe.Sizeof(ckEdDSAParams{}), "CK_EDDSA_PARAMS"); err != nil {
			return nil, err
		}
		c := (*ckEdDSAParams)(param)
		context, err := paramBytes(op, "pContextData", unsafe.Pointer(c.pContextData), c.ulContextDataLen)
		if err != nil {
			return nil, err
		}
		return ck.EdDSAParams{PreHash: c.phFlag != 0, Context: context}, nil

	case ck.ParamDerivationString:
		if err := size(unsafe.Sizeof(ckDerivationString{}), "CK_KEY_DERIVATION_STRING_DATA"); err != nil {
			return nil, err
		}
		c := (*ckDerivationString)(param)
		data, err := paramBytes(op, "pData", unsafe.Pointer(c.pData), c.ulLen)
		return ck.DerivationStringParams(data), err

	case ck.ParamAESCBCEncryptData:
		if err := size(unsafe.Sizeof(ckAESCBCEncryptParams{}), "CK_AES_CBC_ENCRYPT_DATA_PARAMS"); err != nil {
			return nil, err
		}
		c := (*ckAESCBCEncryptParams)(param)
		data, err := paramBytes(op, "pData", unsafe.Pointer(c.pData), c.length)
		if err != nil {
			return nil, err
		}
		out := ck.AESCBCEncryptDataParams{Data: data}
		for i := range out.IV {
			out.IV[i] = byte(c.iv[i])
		}
		return out, nil
	}
	return nil, paramInvalid(op, "parameter kind %s is not known to this module", kind)
}

// gcmFromC reads CK_GCM_PARAMS in either layout (p11.h). Without ulIvBits
// the IV's bit length is its byte length times 8, what the field says in
// every caller that sets it.
func gcmFromC(op string, param unsafe.Pointer, n C.CK_ULONG) (ck.MechanismParam, error) {
	var (
		ivPtr, aadPtr         unsafe.Pointer
		ivLen, ivBits, aadLen C.CK_ULONG
		tagBits               C.CK_ULONG
		withBits, withoutBits = unsafe.Sizeof(ckGCMParams{}), unsafe.Sizeof(ckGCMParamsNoIVBits{})
	)
	switch uintptr(n) {
	case withBits:
		c := (*ckGCMParams)(param)
		ivPtr, ivLen, ivBits, aadPtr, aadLen, tagBits = unsafe.Pointer(c.pIv), c.ulIvLen, c.ulIvBits, unsafe.Pointer(c.pAAD), c.ulAADLen, c.ulTagBits
	case withoutBits:
		c := (*ckGCMParamsNoIVBits)(param)
		ivPtr, ivLen, aadPtr, aadLen, tagBits = unsafe.Pointer(c.pIv), c.ulIvLen, unsafe.Pointer(c.pAAD), c.ulAADLen, c.ulTagBits
		ivBits = ivLen * 8
	default:
		return nil, paramInvalid(op, "ulParameterLen %d is neither sizeof(CK_GCM_PARAMS) = %d nor the %d of its layout without ulIvBits", uint64(n), withBits, withoutBits)
	}
	iv, err := paramBytes(op, "pIv", ivPtr, ivLen)
	if err != nil {
		return nil, err
	}
	aad, err := paramBytes(op, "pAAD", aadPtr, aadLen)
	if err != nil {
		return nil, err
	}
	return ck.GCMParams{IV: iv, IVBits: ck.ULONG(ivBits), AAD: aad, TagBits: ck.ULONG(tagBits)}, nil
}

// paramBytes copies a byte string a parameter structure points to.
func paramBytes(op, field string, p unsafe.Pointer, n C.CK_ULONG) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if p == nil {
		return nil, paramInvalid(op, "%s is NULL with a length of %d", field, uint64(n))
	}
	if uint64(n) > maxInputLen {
		return nil, paramInvalid(op, "%s of %d bytes, at most %d can cross the wire", field, uint64(n), maxInputLen)
	}
	out := make([]byte, int(n))
	copy(out, unsafe.Slice((*byte)(p), int(n)))
	return out, nil
}
