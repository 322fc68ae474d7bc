package ck

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMechanismValidate(t *testing.T) {
	good := []Mechanism{
		{Type: CKM_ECDSA},
		{Type: CKM_SHA256_HMAC_GENERAL, Param: ULONGParam(16)},
		{Type: CKM_AES_CBC_PAD, Param: IVParam(make([]byte, 16))},
		{Type: CKM_AES_KEY_WRAP},
		{Type: CKM_AES_KEY_WRAP_PAD, Param: IVParam(make([]byte, 4))},
		{Type: CKM_SHA256_RSA_PKCS_PSS, Param: RSAPSSParams{Hash: CKM_SHA256, MGF: CKG_MGF1_SHA256, SaltLen: 32}},
		{Type: CKM_RSA_PKCS_OAEP, Param: RSAOAEPParams{Hash: CKM_SHA256, MGF: CKG_MGF1_SHA256, Source: CKZ_DATA_SPECIFIED, SourceData: []byte("label")}},
		{Type: CKM_AES_GCM, Param: GCMParams{IV: make([]byte, 12), IVBits: 96, TagBits: 128}},
		{Type: CKM_AES_CCM, Param: CCMParams{DataLen: 10, Nonce: make([]byte, 13), MACLen: 16}},
		{Type: CKM_AES_CTR, Param: CTRParams{CounterBits: 32}},
		{Type: CKM_ECDH1_DERIVE, Param: ECDH1DeriveParams{KDF: CKD_NULL, PublicData: []byte{4, 1, 2}}},
		{Type: CKM_EDDSA},
		{Type: CKM_EDDSA, Param: EdDSAParams{PreHash: true, Context: []byte("ctx")}},
		{Type: CKM_AES_ECB_ENCRYPT_DATA, Param: DerivationStringParams(make([]byte, 16))},
		{Type: CKM_AES_CBC_ENCRYPT_DATA, Param: AESCBCEncryptDataParams{Data: make([]byte, 32)}},
		{Type: MechanismType(0x80000010)},
	}
	for _, m := range good {
		assert.NoError(t, m.Validate(), m.Type.String())
	}

	bad := []struct {
		m    Mechanism
		want string
	}{
		{Mechanism{Type: CKM_RSA_PKCS_PSS}, "needs a rsa_pss parameter"},
		{Mechanism{Type: CKM_AES_GCM, Param: IVParam(make([]byte, 12))}, "takes a gcm parameter, got iv"},
		{Mechanism{Type: CKM_ECDSA, Param: ULONGParam(1)}, "takes no parameter"},
		{Mechanism{Type: MechanismType(0x80000010), Param: IVParam{1}}, "takes no parameter"},
		{Mechanism{Type: CKM_AES_CBC, Param: IVParam(make([]byte, MaxIVLen+1))}, "IV of 257 bytes"},
		{Mechanism{Type: CKM_AES_GCM, Param: GCMParams{IV: make([]byte, MaxIVLen+1)}}, "GCM IV"},
		{Mechanism{Type: CKM_AES_CCM, Param: CCMParams{Nonce: make([]byte, MaxIVLen+1)}}, "CCM nonce"},
		{Mechanism{Type: CKM_EDDSA, Param: EdDSAParams{Context: make([]byte, 256)}}, "EdDSA context"},
		{Mechanism{Type: CKM_AES_GCM, Param: &GCMParams{}}, "not a pointer"},
		{Mechanism{Type: CKM_AES_GCM, Param: (*GCMParams)(nil)}, "not a pointer"},
	}
	for _, tt := range bad {
		err := tt.m.Validate()
		require.Error(t, err, tt.m.Type.String())
		assert.Equal(t, CKR_MECHANISM_PARAM_INVALID, RVOf(err))
		assert.Contains(t, err.Error(), tt.want)
		assert.Contains(t, err.Error(), tt.m.Type.String(), "the error names the mechanism")
	}
}

func TestEveryParamKindHasAMechanism(t *testing.T) {
	used := map[ParamKind]bool{}
	for _, rule := range paramRules {
		used[rule.Kind] = true
	}
	for k := ParamKind(1); k < paramKindCount; k++ {
		assert.True(t, used[k], "no mechanism takes %s", k)
		assert.True(t, k.Known())
	}
	assert.False(t, ParamKind(paramKindCount).Known())
	assert.Equal(t, "param_kind(12)", ParamKind(12).String())
	assert.Equal(t, ParamRule{Kind: ParamNone}, ParamRuleOf(CKM_SHA256))
}
