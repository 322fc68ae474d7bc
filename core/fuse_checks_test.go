package core

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

func TestMechanismParamFits(t *testing.T) {
	iv := func(n int) ck.IVParam { return ck.IVParam(make([]byte, n)) }
	gcm := func(ivLen int, ivBits, tagBits ck.ULONG) ck.GCMParams {
		return ck.GCMParams{IV: make([]byte, ivLen), IVBits: ivBits, TagBits: tagBits}
	}
	for _, c := range []struct {
		m    ck.Mechanism
		want bool
	}{
		{ck.Mechanism{Type: ck.CKM_ECDSA}, true},
		{ck.Mechanism{Type: ck.CKM_ECDSA, Param: iv(16)}, false},
		{ck.Mechanism{Type: ck.CKM_AES_ECB}, true},
		{ck.Mechanism{Type: ck.CKM_AES_ECB, Param: iv(16)}, false},
		{ck.Mechanism{Type: ck.CKM_AES_CBC, Param: iv(16)}, true},
		{ck.Mechanism{Type: ck.CKM_AES_CBC_PAD, Param: iv(16)}, true},
		{ck.Mechanism{Type: ck.CKM_AES_CBC, Param: iv(15)}, false},
		{ck.Mechanism{Type: ck.CKM_AES_CBC}, false}, // SoftHSM: CKR_ARGUMENTS_BAD at init
		{ck.Mechanism{Type: ck.CKM_AES_GCM, Param: gcm(12, 96, 128)}, true},
		{ck.Mechanism{Type: ck.CKM_AES_GCM, Param: gcm(12, 0, 96)}, true},
		{ck.Mechanism{Type: ck.CKM_AES_GCM, Param: gcm(12, 64, 128)}, false},
		{ck.Mechanism{Type: ck.CKM_AES_GCM, Param: gcm(16, 0, 128)}, false},
		{ck.Mechanism{Type: ck.CKM_AES_GCM, Param: gcm(0, 0, 128)}, false},
		{ck.Mechanism{Type: ck.CKM_AES_GCM, Param: gcm(12, 0, 136)}, false}, // SoftHSM: CKR_ARGUMENTS_BAD
		{ck.Mechanism{Type: ck.CKM_AES_GCM, Param: gcm(12, 0, 130)}, false},
		{ck.Mechanism{Type: ck.CKM_AES_GCM, Param: gcm(12, 0, 64)}, false},
		{ck.Mechanism{Type: ck.CKM_AES_GCM}, false},
		{ck.Mechanism{Type: ck.CKM_AES_CTR, Param: ck.CTRParams{CounterBits: 128}}, true},
		{ck.Mechanism{Type: ck.CKM_AES_CTR, Param: ck.CTRParams{CounterBits: 0}}, false},
		{ck.Mechanism{Type: ck.CKM_AES_CTR, Param: ck.CTRParams{CounterBits: 129}}, false},
		{ck.Mechanism{Type: ck.CKM_AES_CTR, Param: iv(16)}, false},
		{ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: ck.RSAOAEPParams{Hash: ck.CKM_SHA_1}}, false},
		{ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP}, false},
		{ck.Mechanism{Type: ck.CKM_RSA_PKCS_PSS, Param: ck.RSAPSSParams{Hash: ck.CKM_SHA256}}, false},
		{ck.Mechanism{Type: ck.CKM_EDDSA}, true},
		{ck.Mechanism{Type: ck.CKM_EDDSA, Param: ck.EdDSAParams{}}, false},
		{ck.Mechanism{Type: ck.CKM_SHA256_HMAC}, true},
		{ck.Mechanism{Type: ck.CKM_SHA256_HMAC_GENERAL}, false}, // needs its output length
		{ck.Mechanism{Type: ck.CKM_AES_CCM}, false},
		{ck.Mechanism{Type: ck.MechanismType(0x80001234)}, false},
	} {
		assert.Equal(t, c.want, mechanismParamFits(c.m), "%s %#v", c.m.Type, c.m.Param)
	}
	for m := range fusableParams {
		assert.Contains(t, keyTypesOf, m, "%s is fusable but core does not know its key types", m)
	}
}

func TestCurveOf(t *testing.T) {
	p256 := []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	c := curveOf(p256)
	require.NotNil(t, c)
	assert.Equal(t, "P-256", c.name)
	assert.False(t, c.edwards)

	c = curveOf(append([]byte{0x13, 12}, "edwards25519"...))
	require.NotNil(t, c)
	assert.Equal(t, "Ed25519", c.name)
	assert.True(t, c.edwards)
	c = curveOf([]byte{0x06, 0x03, 0x2b, 0x65, 0x71})
	require.NotNil(t, c)
	assert.Equal(t, "Ed448", c.name)

	brainpoolP256r1 := []byte{0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07}
	for _, unknown := range [][]byte{nil, {}, brainpoolP256r1, p256[:9], append(append([]byte{}, p256...), 0),
		{0x05, 0x00} /* implicitlyCA */, {0x30, 0x00} /* explicit parameters */} {
		assert.Nil(t, curveOf(unknown), "%x", unknown)
	}
}

func TestKeySizeFits(t *testing.T) {
	modulus := func(bits int) []byte {
		n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
		return n.Or(n, big.NewInt(1)).Bytes()
	}
	rangeOf := func(lo, hi ck.ULONG) ck.MechanismInfo { return ck.MechanismInfo{MinKeySize: lo, MaxKeySize: hi} }
	softRSA := rangeOf(512, 16384)
	p256, ed25519, ed448 := curveOf([]byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}),
		curveOf([]byte{0x06, 0x03, 0x2b, 0x65, 0x70}), curveOf([]byte{0x06, 0x03, 0x2b, 0x65, 0x71})
	for name, c := range map[string]struct {
		key  keyAttrs
		info ck.MechanismInfo
		want bool
	}{
		"RSA 2048 in SoftHSM's range":        {keyAttrs{keyType: ck.CKK_RSA, modulus: modulus(2048)}, softRSA, true},
		"RSA 512 at the minimum":             {keyAttrs{keyType: ck.CKK_RSA, modulus: modulus(512)}, softRSA, true},
		"RSA 256 below the minimum":          {keyAttrs{keyType: ck.CKK_RSA, modulus: modulus(256)}, softRSA, false},
		"RSA 4096 above a 2048 maximum":      {keyAttrs{keyType: ck.CKK_RSA, modulus: modulus(4096)}, rangeOf(1024, 2048), false},
		"RSA 2047 bits under a 2048 minimum": {keyAttrs{keyType: ck.CKK_RSA, modulus: modulus(2047)}, rangeOf(2048, 4096), false},
		"RSA 2047 bits, 256 bytes, max 2047": {keyAttrs{keyType: ck.CKK_RSA, modulus: modulus(2047)}, rangeOf(1024, 2047), false},
		"RSA 2049 bits over a 2048 maximum":  {keyAttrs{keyType: ck.CKK_RSA, modulus: modulus(2049)}, rangeOf(1024, 2048), false},
		"RSA with leading zero bytes":        {keyAttrs{keyType: ck.CKK_RSA, modulus: append([]byte{0, 0}, modulus(2048)...)}, rangeOf(2048, 2048), true},
		"RSA without a modulus":              {keyAttrs{keyType: ck.CKK_RSA}, softRSA, false},
		"RSA with a zero modulus":            {keyAttrs{keyType: ck.CKK_RSA, modulus: []byte{0}}, softRSA, false},
		"range not used":                     {keyAttrs{keyType: ck.CKK_RSA, modulus: modulus(256)}, rangeOf(0, 0), true},
		"max below min":                      {keyAttrs{keyType: ck.CKK_RSA, modulus: modulus(2048)}, rangeOf(512, 0), false},

		"P-256 for ECDSA 112..521":      {keyAttrs{keyType: ck.CKK_EC, curve: p256}, rangeOf(112, 521), true},
		"P-256 for ECDSA 384..521":      {keyAttrs{keyType: ck.CKK_EC, curve: p256}, rangeOf(384, 521), false},
		"unknown curve":                 {keyAttrs{keyType: ck.CKK_EC}, rangeOf(112, 521), false},
		"Edwards curve on a CKK_EC key": {keyAttrs{keyType: ck.CKK_EC, curve: ed25519}, rangeOf(112, 521), false},
		"P-256 on a CKK_EC_EDWARDS key": {keyAttrs{keyType: ck.CKK_EC_EDWARDS, curve: p256}, rangeOf(255, 456), false},
		"Ed25519 for SoftHSM 256..456":  {keyAttrs{keyType: ck.CKK_EC_EDWARDS, curve: ed25519}, rangeOf(256, 456), true},
		"Ed25519 for 255..448":          {keyAttrs{keyType: ck.CKK_EC_EDWARDS, curve: ed25519}, rangeOf(255, 448), true},
		"Ed25519 for an Ed448 token":    {keyAttrs{keyType: ck.CKK_EC_EDWARDS, curve: ed25519}, rangeOf(448, 456), false},
		"Ed448 for 256..456":            {keyAttrs{keyType: ck.CKK_EC_EDWARDS, curve: ed448}, rangeOf(256, 456), true},

		"AES-256 for 16..32 bytes":        {keyAttrs{keyType: ck.CKK_AES, valueLen: 32}, rangeOf(16, 32), true},
		"AES-128 for a 32..32 GCM":        {keyAttrs{keyType: ck.CKK_AES, valueLen: 16}, rangeOf(32, 32), false},
		"AES counted in bits by a token":  {keyAttrs{keyType: ck.CKK_AES, valueLen: 16}, rangeOf(128, 256), false},
		"AES of 20 bytes":                 {keyAttrs{keyType: ck.CKK_AES, valueLen: 20}, rangeOf(16, 32), false},
		"AES without CKA_VALUE_LEN":       {keyAttrs{keyType: ck.CKK_AES}, rangeOf(16, 32), false},
		"HMAC key of 32 for SoftHSM's 32": {keyAttrs{keyType: ck.CKK_GENERIC_SECRET, valueLen: 32}, rangeOf(32, 512), true},
		"HMAC key of 16 below 32":         {keyAttrs{keyType: ck.CKK_GENERIC_SECRET, valueLen: 16}, rangeOf(32, 512), false},
		"HMAC key fits bytes, not bits":   {keyAttrs{keyType: ck.CKK_SHA256_HMAC, valueLen: 100}, rangeOf(32, 512), false},
		"HMAC key without a length":       {keyAttrs{keyType: ck.CKK_GENERIC_SECRET}, rangeOf(32, 512), false},
		"vendor key type":                 {keyAttrs{keyType: ck.CKK_VENDOR_DEFINED + 1, valueLen: 32}, rangeOf(0, 0), false},
		"DES3 (not fused)":                {keyAttrs{keyType: ck.CKK_DES3, valueLen: 24}, rangeOf(24, 24), false},
	} {
		assert.Equal(t, c.want, keySizeFits(&c.key, c.info), name)
	}
}

func TestClassAndAllowedMechanisms(t *testing.T) {
	assert.True(t, classFits(ck.CKO_SECRET_KEY, ck.CKK_AES))
	assert.False(t, classFits(ck.CKO_PRIVATE_KEY, ck.CKK_AES))
	assert.True(t, classFits(ck.CKO_PRIVATE_KEY, ck.CKK_EC))
	assert.True(t, classFits(ck.CKO_PUBLIC_KEY, ck.CKK_RSA))
	assert.False(t, classFits(ck.CKO_SECRET_KEY, ck.CKK_RSA))
	assert.False(t, classFits(ck.CKO_DATA, ck.CKK_RSA))

	assert.True(t, allowedFits(&keyAttrs{}, ck.CKM_ECDSA), "no list restricts nothing")
	assert.True(t, allowedFits(&keyAttrs{allowed: []ck.MechanismType{ck.CKM_ECDSA_SHA256, ck.CKM_ECDSA}}, ck.CKM_ECDSA))
	assert.False(t, allowedFits(&keyAttrs{allowed: []ck.MechanismType{ck.CKM_ECDSA_SHA256}}, ck.CKM_ECDSA))
	assert.False(t, allowedFits(&keyAttrs{allowedUnreadable: true}, ck.CKM_ECDSA))
}

func TestParseKeyAttrs(t *testing.T) {
	ok := func(a ck.Attribute) transport.AttributeResult {
		return transport.AttributeResult{Status: ck.CKR_OK, Attribute: a}
	}
	missing := func(at ck.AttributeType) transport.AttributeResult {
		return transport.AttributeResult{Status: ck.CKR_ATTRIBUTE_TYPE_INVALID, Attribute: ck.Attribute{Type: at}}
	}
	answer := func(set map[ck.AttributeType]transport.AttributeResult) []transport.AttributeResult {
		out := make([]transport.AttributeResult, len(keyAttrTypes))
		for i, at := range keyAttrTypes {
			if r, ok := set[at]; ok {
				out[i] = r
			} else {
				out[i] = missing(at)
			}
		}
		return out
	}

	ecParams := []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}
	a := parseKeyAttrs(answer(map[ck.AttributeType]transport.AttributeResult{
		ck.CKA_CLASS:               ok(ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY)),
		ck.CKA_KEY_TYPE:            ok(ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.CKK_EC)),
		ck.CKA_PRIVATE:             ok(ck.BoolAttr(ck.CKA_PRIVATE, false)),
		ck.CKA_ALWAYS_AUTHENTICATE: ok(ck.BoolAttr(ck.CKA_ALWAYS_AUTHENTICATE, false)),
		ck.CKA_SIGN:                ok(ck.BoolAttr(ck.CKA_SIGN, true)),
		ck.CKA_ALLOWED_MECHANISMS:  ok(ck.ULONGsAttr(ck.CKA_ALLOWED_MECHANISMS, ck.CKM_ECDSA, ck.CKM_ECDSA_SHA384)),
		ck.CKA_EC_PARAMS:           ok(ck.BytesAttr(ck.CKA_EC_PARAMS, ecParams)),
	}))
	require.NotNil(t, a)
	assert.Equal(t, ck.CKO_PRIVATE_KEY, a.class)
	assert.Equal(t, ck.CKK_EC, a.keyType)
	assert.False(t, a.private)
	assert.False(t, a.alwaysAuthenticate)
	assert.True(t, a.usage[ck.CKA_SIGN])
	assert.False(t, a.usage[ck.CKA_DECRYPT])
	assert.Equal(t, []ck.MechanismType{ck.CKM_ECDSA, ck.CKM_ECDSA_SHA384}, a.allowed)
	require.NotNil(t, a.curve)
	assert.Equal(t, "P-384", a.curve.name)

	// What the token would not say keeps the init alone.
	a = parseKeyAttrs(answer(map[ck.AttributeType]transport.AttributeResult{
		ck.CKA_CLASS:              ok(ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY)),
		ck.CKA_KEY_TYPE:           ok(ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.CKK_RSA)),
		ck.CKA_ALLOWED_MECHANISMS: ok(ck.BytesAttr(ck.CKA_ALLOWED_MECHANISMS, []byte{1, 2, 3})),
		ck.CKA_MODULUS:            ok(ck.BytesAttr(ck.CKA_MODULUS, []byte{0xc1, 0x01})),
	}))
	require.NotNil(t, a)
	assert.True(t, a.private, "unreadable CKA_PRIVATE")
	assert.True(t, a.alwaysAuthenticate, "unreadable CKA_ALWAYS_AUTHENTICATE of a private key")
	assert.True(t, a.allowedUnreadable)
	assert.Equal(t, []byte{0xc1, 0x01}, a.modulus)

	a = parseKeyAttrs(answer(map[ck.AttributeType]transport.AttributeResult{
		ck.CKA_CLASS:     ok(ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_SECRET_KEY)),
		ck.CKA_KEY_TYPE:  ok(ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.CKK_AES)),
		ck.CKA_VALUE_LEN: ok(ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(24))),
		ck.CKA_ENCRYPT:   ok(ck.BoolAttr(ck.CKA_ENCRYPT, true)),
	}))
	require.NotNil(t, a)
	assert.False(t, a.alwaysAuthenticate, "secret keys have no CKA_ALWAYS_AUTHENTICATE")
	assert.EqualValues(t, 24, a.valueLen)
	assert.True(t, a.usage[ck.CKA_ENCRYPT])

	assert.Nil(t, parseKeyAttrs(answer(map[ck.AttributeType]transport.AttributeResult{
		ck.CKA_CLASS: ok(ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_SECRET_KEY)),
	})), "no key type")
	assert.Nil(t, parseKeyAttrs(answer(map[ck.AttributeType]transport.AttributeResult{
		ck.CKA_CLASS:    ok(ck.BytesAttr(ck.CKA_CLASS, []byte{1})),
		ck.CKA_KEY_TYPE: ok(ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.CKK_AES)),
	})), "a class of the wrong shape")
	assert.Nil(t, parseKeyAttrs(nil))
}

func TestSearchFits(t *testing.T) {
	assert.True(t, searchFits(nil))
	assert.True(t, searchFits([]ck.Attribute{ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY), ck.StringAttr(ck.CKA_LABEL, "k"),
		ck.BytesAttr(ck.CKA_ID, []byte{1}), ck.BoolAttr(ck.CKA_TOKEN, true)}))
	assert.False(t, searchFits([]ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "k"), ck.BytesAttr(ck.CKA_VENDOR_DEFINED+7, []byte{1})}))
	assert.False(t, searchFits([]ck.Attribute{ck.BytesAttr(ck.CKA_UNIQUE_ID, []byte("1"))}), "a 3.0 attribute")
	assert.False(t, searchFits([]ck.Attribute{ck.TemplateAttr(ck.CKA_WRAP_TEMPLATE)}))
}

// FuzzParseKeyAttrs feeds parseKeyAttrs and the checks that read its
// result with values a hostile server could answer: nothing may panic,
// and a key whose attributes core cannot read never fits.
func FuzzParseKeyAttrs(f *testing.F) {
	ulong := func(v uint64) []byte { return ck.ULONGAttr(ck.CKA_CLASS, ck.ULONG(v)).Value }
	f.Add(ulong(uint64(ck.CKO_PRIVATE_KEY)), ulong(uint64(ck.CKK_RSA)), []byte{1}, []byte{0xc1, 0x01}, []byte(nil), []byte(nil), []byte(nil), uint64(512), uint64(16384))
	f.Add(ulong(uint64(ck.CKO_PRIVATE_KEY)), ulong(uint64(ck.CKK_EC)), []byte{0}, []byte(nil),
		[]byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, ulong(uint64(ck.CKM_ECDSA)), []byte(nil), uint64(112), uint64(521))
	f.Add(ulong(uint64(ck.CKO_SECRET_KEY)), ulong(uint64(ck.CKK_AES)), []byte{2}, []byte(nil), []byte(nil), []byte{1, 2, 3}, ulong(32), uint64(16), uint64(32))
	f.Fuzz(func(t *testing.T, class, keyType, private, modulus, ecParams, allowed, valueLen []byte, lo, hi uint64) {
		values := map[ck.AttributeType][]byte{
			ck.CKA_CLASS: class, ck.CKA_KEY_TYPE: keyType, ck.CKA_PRIVATE: private, ck.CKA_ALWAYS_AUTHENTICATE: private,
			ck.CKA_SIGN: private, ck.CKA_MODULUS: modulus, ck.CKA_EC_PARAMS: ecParams, ck.CKA_ALLOWED_MECHANISMS: allowed,
			ck.CKA_VALUE_LEN: valueLen,
		}
		results := make([]transport.AttributeResult, len(keyAttrTypes))
		for i, at := range keyAttrTypes {
			if v, ok := values[at]; ok {
				results[i] = transport.AttributeResult{Status: ck.CKR_OK, Attribute: ck.Attribute{Type: at, Value: v}}
			} else {
				results[i] = transport.AttributeResult{Status: ck.CKR_ATTRIBUTE_SENSITIVE, Attribute: ck.Attribute{Type: at}}
			}
		}
		a := parseKeyAttrs(results)
		if len(class) != 8 || len(keyType) != 8 {
			require.Nil(t, a, "a class and a key type are 8-byte CK_ULONGs")
			return
		}
		require.NotNil(t, a)
		if len(private) != 1 || private[0] > 1 {
			assert.True(t, a.private, "an unreadable CKA_PRIVATE counts as private")
		}
		if len(allowed)%8 != 0 {
			assert.False(t, allowedFits(a, ck.CKM_ECDSA), "an unreadable CKA_ALLOWED_MECHANISMS restricts")
		}
		fits := keySizeFits(a, ck.MechanismInfo{MinKeySize: ck.ULONG(lo), MaxKeySize: ck.ULONG(hi)})
		if fits && (lo != 0 || hi != 0) {
			switch a.keyType {
			case ck.CKK_RSA:
				assert.NotEmpty(t, bytes.TrimLeft(modulus, "\x00"))
			case ck.CKK_EC, ck.CKK_EC_EDWARDS:
				assert.NotNil(t, curveOf(ecParams))
			default:
				assert.NotZero(t, a.valueLen)
			}
		}
		_ = classFits(a.class, a.keyType)
	})
}
