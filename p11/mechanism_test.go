package main

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// mech is a CK_MECHANISM whose parameter is *param, of its size.
func mech[P any](m ck.MechanismType, param *P) *ckMechanism {
	c := &ckMechanism{mechanism: ckULONG(m)}
	if param != nil {
		c.pParameter = ckVoidPtr(param)
		c.ulParameterLen = ckULONG(unsafe.Sizeof(*param))
	}
	return c
}

// mechBytes is a CK_MECHANISM whose parameter is the bytes b.
func mechBytes(m ck.MechanismType, b []byte) *ckMechanism {
	return &ckMechanism{mechanism: ckULONG(m), pParameter: ckVoidPtr(bytePtr(b)), ulParameterLen: ckULONG(len(b))}
}

func TestMechanismFromCEachParameterKind(t *testing.T) {
	iv := []byte("0123456789abcdef")
	aad := []byte("header")
	label := []byte("label")
	point := []byte{4, 1, 2, 3, 4}
	context := []byte("ctx")
	data := []byte("derivation data!")
	macLen := ckULONG(12)

	pss := ckRSAPSSParams{hashAlg: ckULONG(ck.CKM_SHA256), mgf: ckULONG(ck.CKG_MGF1_SHA256), sLen: 32}
	oaep := ckRSAOAEPParams{hashAlg: ckULONG(ck.CKM_SHA384), mgf: ckULONG(ck.CKG_MGF1_SHA384), source: ckULONG(ck.CKZ_DATA_SPECIFIED), pSourceData: ckVoidPtr(bytePtr(label)), ulSourceDataLen: ckULONG(len(label))}
	gcm := ckGCMParams{pIv: bytePtr(iv[:12]), ulIvLen: 12, ulIvBits: 96, pAAD: bytePtr(aad), ulAADLen: ckULONG(len(aad)), ulTagBits: 128}
	gcmNSS := ckGCMParamsNoIVBits{pIv: bytePtr(iv[:12]), ulIvLen: 12, pAAD: bytePtr(aad), ulAADLen: ckULONG(len(aad)), ulTagBits: 96}
	ccm := ckCCMParams{ulDataLen: 100, pNonce: bytePtr(iv[:7]), ulNonceLen: 7, pAAD: bytePtr(aad), ulAADLen: ckULONG(len(aad)), ulMACLen: 16}
	ctr := ckCTRParams{ulCounterBits: 32}
	for i := range ctr.cb {
		ctr.cb[i] = ckByte(i)
	}
	ecdh := ckECDH1DeriveParams{kdf: ckULONG(ck.CKD_NULL), pPublicData: bytePtr(point), ulPublicDataLen: ckULONG(len(point))}
	eddsa := ckEdDSAParams{phFlag: 1, pContextData: bytePtr(context), ulContextDataLen: ckULONG(len(context))}
	derive := ckDerivationString{pData: bytePtr(data), ulLen: ckULONG(len(data))}
	cbcData := ckAESCBCEncryptParams{pData: bytePtr(data[:16]), length: 16}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&cbcData.iv[0])), 16), iv)
	var cb [16]byte
	for i := range cb {
		cb[i] = byte(i)
	}
	var iv16 [16]byte
	copy(iv16[:], iv)

	tests := []struct {
		name string
		in   *ckMechanism
		want ck.Mechanism
	}{
		{"no parameter", mech[int](ck.CKM_SHA256_RSA_PKCS, nil), ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS}},
		{"MAC length", mech(ck.CKM_SHA256_HMAC_GENERAL, &macLen), ck.Mechanism{Type: ck.CKM_SHA256_HMAC_GENERAL, Param: ck.ULONGParam(12)}},
		{"IV", mechBytes(ck.CKM_AES_CBC_PAD, iv), ck.Mechanism{Type: ck.CKM_AES_CBC_PAD, Param: ck.IVParam(iv)}},
		{"optional IV left out", mech[int](ck.CKM_AES_KEY_WRAP, nil), ck.Mechanism{Type: ck.CKM_AES_KEY_WRAP}},
		{"PSS", mech(ck.CKM_RSA_PKCS_PSS, &pss), ck.Mechanism{Type: ck.CKM_RSA_PKCS_PSS, Param: ck.RSAPSSParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256, SaltLen: 32}}},
		{"OAEP", mech(ck.CKM_RSA_PKCS_OAEP, &oaep), ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: ck.RSAOAEPParams{Hash: ck.CKM_SHA384, MGF: ck.CKG_MGF1_SHA384, Source: ck.CKZ_DATA_SPECIFIED, SourceData: label}}},
		{"GCM", mech(ck.CKM_AES_GCM, &gcm), ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: iv[:12], IVBits: 96, AAD: aad, TagBits: 128}}},
		{"GCM without ulIvBits", mech(ck.CKM_AES_GCM, &gcmNSS), ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: iv[:12], IVBits: 96, AAD: aad, TagBits: 96}}},
		{"CCM", mech(ck.CKM_AES_CCM, &ccm), ck.Mechanism{Type: ck.CKM_AES_CCM, Param: ck.CCMParams{DataLen: 100, Nonce: iv[:7], AAD: aad, MACLen: 16}}},
		{"CTR", mech(ck.CKM_AES_CTR, &ctr), ck.Mechanism{Type: ck.CKM_AES_CTR, Param: ck.CTRParams{CounterBits: 32, CB: cb}}},
		{"ECDH1", mech(ck.CKM_ECDH1_DERIVE, &ecdh), ck.Mechanism{Type: ck.CKM_ECDH1_DERIVE, Param: ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: point}}},
		{"EdDSA", mech(ck.CKM_EDDSA, &eddsa), ck.Mechanism{Type: ck.CKM_EDDSA, Param: ck.EdDSAParams{PreHash: true, Context: context}}},
		{"EdDSA without parameter", mech[int](ck.CKM_EDDSA, nil), ck.Mechanism{Type: ck.CKM_EDDSA}},
		{"derivation string", mech(ck.CKM_CONCATENATE_BASE_AND_DATA, &derive), ck.Mechanism{Type: ck.CKM_CONCATENATE_BASE_AND_DATA, Param: ck.DerivationStringParams(data)}},
		{"AES CBC encrypt data", mech(ck.CKM_AES_CBC_ENCRYPT_DATA, &cbcData), ck.Mechanism{Type: ck.CKM_AES_CBC_ENCRYPT_DATA, Param: ck.AESCBCEncryptDataParams{IV: iv16, Data: data[:16]}}},
		// An unknown (vendor) mechanism crosses without parameter; the server judges it.
		{"vendor mechanism", mech[int](ck.CKM_VENDOR_DEFINED|1, nil), ck.Mechanism{Type: ck.CKM_VENDOR_DEFINED | 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mechanismFromC("test", tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMechanismFromCRefuses(t *testing.T) {
	iv := make([]byte, 16)
	short := make([]byte, 4)
	pssShort := ckRSAOAEPParams{} // OAEP's layout handed to PSS: wrong size
	gcmNoIV := ckGCMParams{ulIvLen: 12, ulTagBits: 128}
	oaepNoLabel := ckRSAOAEPParams{hashAlg: ckULONG(ck.CKM_SHA256), source: ckULONG(ck.CKZ_DATA_SPECIFIED), ulSourceDataLen: 5}
	eddsaHuge := ckEdDSAParams{pContextData: bytePtr(short), ulContextDataLen: ckULONG(maxInputLen + 1)}
	longIV := make([]byte, ck.MaxIVLen+1)
	tests := []struct {
		name string
		in   *ckMechanism
		want ck.RV
	}{
		{"NULL mechanism", nil, ck.CKR_ARGUMENTS_BAD},
		{"parameter NULL with a length", &ckMechanism{mechanism: ckULONG(ck.CKM_AES_CBC), ulParameterLen: 16}, ck.CKR_MECHANISM_PARAM_INVALID},
		{"required parameter missing", mech[int](ck.CKM_AES_GCM, nil), ck.CKR_MECHANISM_PARAM_INVALID},
		{"required IV missing", mech[int](ck.CKM_AES_CBC, nil), ck.CKR_MECHANISM_PARAM_INVALID},
		{"parameter for a mechanism without one", mechBytes(ck.CKM_SHA256_RSA_PKCS, iv), ck.CKR_MECHANISM_PARAM_INVALID},
		{"parameter the wire cannot carry", mechBytes(ck.CKM_RC2_CBC, iv), ck.CKR_MECHANISM_PARAM_INVALID},
		{"wrong size", mech(ck.CKM_RSA_PKCS_PSS, &pssShort), ck.CKR_MECHANISM_PARAM_INVALID},
		{"MAC length of 4 bytes", mechBytes(ck.CKM_SHA256_HMAC_GENERAL, short), ck.CKR_MECHANISM_PARAM_INVALID},
		{"GCM of another size", mechBytes(ck.CKM_AES_GCM, iv), ck.CKR_MECHANISM_PARAM_INVALID},
		{"GCM IV NULL with a length", mech(ck.CKM_AES_GCM, &gcmNoIV), ck.CKR_MECHANISM_PARAM_INVALID},
		{"OAEP label NULL with a length", mech(ck.CKM_RSA_PKCS_OAEP, &oaepNoLabel), ck.CKR_MECHANISM_PARAM_INVALID},
		{"EdDSA context beyond a frame", mech(ck.CKM_EDDSA, &eddsaHuge), ck.CKR_MECHANISM_PARAM_INVALID},
		{"IV beyond the wire's limit", mechBytes(ck.CKM_AES_CBC, longIV), ck.CKR_MECHANISM_PARAM_INVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mechanismFromC("test", tt.in)
			requireRV(t, tt.want, err)
			assert.Contains(t, err.Error(), "test")
		})
	}
}
