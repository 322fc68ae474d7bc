package worker

import (
	"fmt"
	"runtime"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// backendMechanism converts a wire mechanism to miekg's form. Every
// parameter is built as the raw bytes of its C structure (cstruct), not with
// miekg's helpers: miekg v1.1.2 has NewPSSParams, NewOAEPParams,
// NewGCMParams and NewECDH1DeriveParams, but none for CCM, CTR, EdDSA or the
// derivation parameters, and its GCM parameters keep C memory alive until an
// explicit Free that the operation's end would have to find. One builder for
// all kinds keeps the layouts in one place:
//
//	ulong              CK_ULONG
//	iv                 the IV bytes
//	rsa_pss            CK_RSA_PKCS_PSS_PARAMS    {hashAlg, mgf, sLen}
//	rsa_oaep           CK_RSA_PKCS_OAEP_PARAMS   {hashAlg, mgf, source, pSourceData, ulSourceDataLen}
//	gcm                CK_GCM_PARAMS (v2.40)     {pIv, ulIvLen, ulIvBits, pAAD, ulAADLen, ulTagBits}
//	ccm                CK_CCM_PARAMS             {ulDataLen, pNonce, ulNonceLen, pAAD, ulAADLen, ulMACLen}
//	ctr                CK_AES_CTR_PARAMS         {ulCounterBits, cb[16]}
//	ecdh1_derive       CK_ECDH1_DERIVE_PARAMS    {kdf, ulSharedDataLen, pSharedData, ulPublicDataLen, pPublicData}
//	eddsa              CK_EDDSA_PARAMS           {phFlag, ulContextDataLen, pContextData}
//	derivation_string  CK_KEY_DERIVATION_STRING_DATA {pData, ulLen}
//	aes_cbc_encrypt_data CK_AES_CBC_ENCRYPT_DATA_PARAMS {iv[16], pData, length}
//
// Pointers point into pinned Go memory; the caller unpins pin after the call.
func backendMechanism(m ck.Mechanism, pin *runtime.Pinner) ([]*pkcs11.Mechanism, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	s := &cstruct{pin: pin}
	switch p := m.Param.(type) {
	case nil:
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(uint(m.Type), nil)}, nil
	case ck.ULONGParam:
		s.ulong(uint64(p))
	case ck.IVParam:
		if len(p) == 0 {
			return []*pkcs11.Mechanism{pkcs11.NewMechanism(uint(m.Type), nil)}, nil
		}
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(uint(m.Type), []byte(p))}, nil
	case ck.RSAPSSParams:
		s.ulong(uint64(p.Hash))
		s.ulong(uint64(p.MGF))
		s.ulong(uint64(p.SaltLen))
	case ck.RSAOAEPParams:
		s.ulong(uint64(p.Hash))
		s.ulong(uint64(p.MGF))
		s.ulong(uint64(p.Source))
		s.ptr(p.SourceData)
		s.ulong(uint64(len(p.SourceData)))
	case ck.GCMParams:
		s.ptr(p.IV)
		s.ulong(uint64(len(p.IV)))
		s.ulong(uint64(p.IVBits))
		s.ptr(p.AAD)
		s.ulong(uint64(len(p.AAD)))
		s.ulong(uint64(p.TagBits))
	case ck.CCMParams:
		s.ulong(uint64(p.DataLen))
		s.ptr(p.Nonce)
		s.ulong(uint64(len(p.Nonce)))
		s.ptr(p.AAD)
		s.ulong(uint64(len(p.AAD)))
		s.ulong(uint64(p.MACLen))
	case ck.CTRParams:
		s.ulong(uint64(p.CounterBits))
		s.raw(p.CB[:])
	case ck.ECDH1DeriveParams:
		s.ulong(uint64(p.KDF))
		s.ulong(uint64(len(p.SharedData)))
		s.ptr(p.SharedData)
		s.ulong(uint64(len(p.PublicData)))
		s.ptr(p.PublicData)
	case ck.EdDSAParams:
		s.bbool(p.PreHash)
		s.ulong(uint64(len(p.Context)))
		s.ptr(p.Context)
	case ck.DerivationStringParams:
		s.ptr(p)
		s.ulong(uint64(len(p)))
	case ck.AESCBCEncryptDataParams:
		s.raw(p.IV[:])
		s.ptr(p.Data)
		s.ulong(uint64(len(p.Data)))
	default:
		return nil, ck.Errorf(ck.CKR_MECHANISM_PARAM_INVALID, "convert mechanism", "parameter %T has no backend form", p)
	}
	if hostLayout.ULONGSize == 4 {
		if err := checkFits32(m.Param); err != nil {
			return nil, err
		}
	}
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(uint(m.Type), s.finish())}, nil
}

// checkFits32 refuses CK_ULONG parameter fields that a 32-bit backend
// cannot hold, instead of truncating them silently.
func checkFits32(p ck.MechanismParam) error {
	var vs []ck.ULONG
	switch p := p.(type) {
	case ck.ULONGParam:
		vs = []ck.ULONG{ck.ULONG(p)}
	case ck.RSAPSSParams:
		vs = []ck.ULONG{ck.ULONG(p.Hash), ck.ULONG(p.MGF), p.SaltLen}
	case ck.RSAOAEPParams:
		vs = []ck.ULONG{ck.ULONG(p.Hash), ck.ULONG(p.MGF), p.Source}
	case ck.GCMParams:
		vs = []ck.ULONG{p.IVBits, p.TagBits}
	case ck.CCMParams:
		vs = []ck.ULONG{p.DataLen, p.MACLen}
	case ck.CTRParams:
		vs = []ck.ULONG{p.CounterBits}
	case ck.ECDH1DeriveParams:
		vs = []ck.ULONG{ck.ULONG(p.KDF)}
	}
	for _, v := range vs {
		if v > 0xFFFFFFFF {
			return ck.Errorf(ck.CKR_MECHANISM_PARAM_INVALID, "convert mechanism", "value %s does not fit the backend's 32-bit CK_ULONG", fmt.Sprint(v))
		}
	}
	return nil
}
