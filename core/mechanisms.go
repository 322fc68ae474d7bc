package core

import "github.com/cloudp11/cloudp11/transport/ck"

// carried reports whether mechanism m can be used through the protocol:
// either its parameter kind is one of docs/protocol.md 2.3, or it takes no
// parameter. Mechanisms in uncarried take a parameter the protocol has no
// kind for; the boundary could not convert it, so they are not
// advertised. Vendor mechanisms cross with no parameter (2.3); whether
// they need one is the vendor's secret, so they are listed.
func carried(m ck.MechanismType) bool { return !uncarried[m] }

// uncarried lists the v2.40 and v3.0 mechanisms whose parameter has no
// kind on the wire.
var uncarried = func() map[ck.MechanismType]bool {
	out := map[ck.MechanismType]bool{}
	for _, m := range []ck.MechanismType{
		ck.CKM_RC2_ECB, ck.CKM_RC2_CBC, ck.CKM_RC2_MAC, ck.CKM_RC2_MAC_GENERAL, ck.CKM_RC2_CBC_PAD,
		ck.CKM_RC5_ECB, ck.CKM_RC5_CBC, ck.CKM_RC5_MAC, ck.CKM_RC5_MAC_GENERAL, ck.CKM_RC5_CBC_PAD,
		ck.CKM_DES_MAC_GENERAL, ck.CKM_DES_OFB64, ck.CKM_DES_OFB8, ck.CKM_DES_CFB64, ck.CKM_DES_CFB8,
		ck.CKM_CDMF_CBC, ck.CKM_CDMF_CBC_PAD, ck.CKM_CDMF_MAC_GENERAL,
		ck.CKM_MD2_HMAC_GENERAL, ck.CKM_RIPEMD128_HMAC_GENERAL, ck.CKM_RIPEMD160_HMAC_GENERAL,
		ck.CKM_SHA512_224_HMAC_GENERAL, ck.CKM_SHA512_256_HMAC_GENERAL,
		ck.CKM_SHA512_T, ck.CKM_SHA512_T_HMAC, ck.CKM_SHA512_T_HMAC_GENERAL, ck.CKM_SHA512_T_KEY_DERIVATION,
		ck.CKM_CAST_CBC, ck.CKM_CAST_CBC_PAD, ck.CKM_CAST_MAC_GENERAL,
		ck.CKM_CAST3_CBC, ck.CKM_CAST3_CBC_PAD, ck.CKM_CAST3_MAC_GENERAL,
		ck.CKM_CAST128_CBC, ck.CKM_CAST128_CBC_PAD, ck.CKM_CAST128_MAC_GENERAL,
		ck.CKM_IDEA_CBC, ck.CKM_IDEA_CBC_PAD, ck.CKM_IDEA_MAC_GENERAL,
		ck.CKM_SSL3_MASTER_KEY_DERIVE, ck.CKM_SSL3_KEY_AND_MAC_DERIVE, ck.CKM_SSL3_MASTER_KEY_DERIVE_DH,
		ck.CKM_SSL3_PRE_MASTER_KEY_GEN, ck.CKM_TLS_PRE_MASTER_KEY_GEN,
		ck.CKM_TLS_MASTER_KEY_DERIVE, ck.CKM_TLS_KEY_AND_MAC_DERIVE, ck.CKM_TLS_MASTER_KEY_DERIVE_DH, ck.CKM_TLS_PRF,
		ck.CKM_SSL3_MD5_MAC, ck.CKM_SSL3_SHA1_MAC,
		ck.CKM_PBE_MD2_DES_CBC, ck.CKM_PBE_MD5_DES_CBC, ck.CKM_PBE_MD5_CAST_CBC, ck.CKM_PBE_MD5_CAST3_CBC,
		ck.CKM_PBE_MD5_CAST128_CBC, ck.CKM_PBE_SHA1_CAST128_CBC, ck.CKM_PBE_SHA1_RC4_128, ck.CKM_PBE_SHA1_RC4_40,
		ck.CKM_PBE_SHA1_DES3_EDE_CBC, ck.CKM_PBE_SHA1_DES2_EDE_CBC, ck.CKM_PBE_SHA1_RC2_128_CBC, ck.CKM_PBE_SHA1_RC2_40_CBC,
		ck.CKM_PKCS5_PBKD2, ck.CKM_PBA_SHA1_WITH_SHA1_HMAC,
		ck.CKM_WTLS_PRE_MASTER_KEY_GEN, ck.CKM_WTLS_MASTER_KEY_DERIVE, ck.CKM_WTLS_MASTER_KEY_DERIVE_DH_ECC,
		ck.CKM_WTLS_PRF, ck.CKM_WTLS_SERVER_KEY_AND_MAC_DERIVE, ck.CKM_WTLS_CLIENT_KEY_AND_MAC_DERIVE,
		ck.CKM_TLS10_MAC_SERVER, ck.CKM_TLS10_MAC_CLIENT, ck.CKM_TLS12_MAC, ck.CKM_TLS12_KDF,
		ck.CKM_TLS12_MASTER_KEY_DERIVE, ck.CKM_TLS12_KEY_AND_MAC_DERIVE, ck.CKM_TLS12_MASTER_KEY_DERIVE_DH,
		ck.CKM_TLS12_KEY_SAFE_DERIVE, ck.CKM_TLS_MAC, ck.CKM_TLS_KDF,
		ck.CKM_KEY_WRAP_SET_OAEP, ck.CKM_CMS_SIG, ck.CKM_KIP_DERIVE, ck.CKM_KIP_WRAP, ck.CKM_KIP_MAC,
		ck.CKM_CAMELLIA_CBC, ck.CKM_CAMELLIA_CBC_PAD, ck.CKM_CAMELLIA_MAC_GENERAL, ck.CKM_CAMELLIA_ECB_ENCRYPT_DATA,
		ck.CKM_CAMELLIA_CBC_ENCRYPT_DATA, ck.CKM_CAMELLIA_CTR,
		ck.CKM_ARIA_CBC, ck.CKM_ARIA_CBC_PAD, ck.CKM_ARIA_MAC_GENERAL, ck.CKM_ARIA_ECB_ENCRYPT_DATA, ck.CKM_ARIA_CBC_ENCRYPT_DATA,
		ck.CKM_SEED_CBC, ck.CKM_SEED_CBC_PAD, ck.CKM_SEED_MAC_GENERAL, ck.CKM_SEED_ECB_ENCRYPT_DATA, ck.CKM_SEED_CBC_ENCRYPT_DATA,
		ck.CKM_SKIPJACK_CBC64, ck.CKM_SKIPJACK_OFB64, ck.CKM_SKIPJACK_CFB64, ck.CKM_SKIPJACK_CFB32,
		ck.CKM_SKIPJACK_CFB16, ck.CKM_SKIPJACK_CFB8, ck.CKM_SKIPJACK_PRIVATE_WRAP, ck.CKM_SKIPJACK_RELAYX,
		ck.CKM_KEA_KEY_DERIVE, ck.CKM_KEA_DERIVE,
		ck.CKM_BATON_ECB128, ck.CKM_BATON_ECB96, ck.CKM_BATON_CBC128, ck.CKM_BATON_COUNTER, ck.CKM_BATON_SHUFFLE,
		ck.CKM_JUNIPER_ECB128, ck.CKM_JUNIPER_CBC128, ck.CKM_JUNIPER_COUNTER, ck.CKM_JUNIPER_SHUFFLE,
		ck.CKM_ECMQV_DERIVE, ck.CKM_ECDH_AES_KEY_WRAP, ck.CKM_RSA_AES_KEY_WRAP,
		ck.CKM_AES_GMAC, ck.CKM_AES_CFB1,
		ck.CKM_BLOWFISH_CBC, ck.CKM_BLOWFISH_CBC_PAD, ck.CKM_TWOFISH_CBC, ck.CKM_TWOFISH_CBC_PAD,
		ck.CKM_DES_ECB_ENCRYPT_DATA, ck.CKM_DES_CBC_ENCRYPT_DATA, ck.CKM_DES3_CBC_ENCRYPT_DATA,
		ck.CKM_GOSTR3410_KEY_WRAP, ck.CKM_GOSTR3410_DERIVE, ck.CKM_GOST28147, ck.CKM_GOST28147_MAC, ck.CKM_GOST28147_KEY_WRAP,
		ck.CKM_DH_PKCS_DERIVE, ck.CKM_X9_42_DH_DERIVE, ck.CKM_X9_42_DH_HYBRID_DERIVE, ck.CKM_X9_42_MQV_DERIVE,
		ck.CKM_DSA_PROBABLISTIC_PARAMETER_GEN, ck.CKM_DSA_SHAWE_TAYLOR_PARAMETER_GEN,
		ck.CKM_SECURID, ck.CKM_HOTP, ck.CKM_ACTI,
		ck.CKM_XEDDSA, ck.CKM_HKDF_DERIVE, ck.CKM_HKDF_DATA,
	} {
		out[m] = true
	}
	return out
}()

// keyTypesOf lists the key types mechanisms accept: core answers
// CKR_KEY_TYPE_INCONSISTENT itself for another (canDefer). A mechanism
// absent here is never fused: its init goes to the server alone.
var keyTypesOf = func() map[ck.MechanismType][]ck.KeyType {
	out := map[ck.MechanismType][]ck.KeyType{}
	add := func(kt []ck.KeyType, ms ...ck.MechanismType) {
		for _, m := range ms {
			out[m] = kt
		}
	}
	rsa := []ck.KeyType{ck.CKK_RSA}
	add(rsa, ck.CKM_RSA_PKCS, ck.CKM_RSA_X_509, ck.CKM_RSA_PKCS_OAEP, ck.CKM_RSA_PKCS_PSS,
		ck.CKM_SHA1_RSA_PKCS, ck.CKM_SHA224_RSA_PKCS, ck.CKM_SHA256_RSA_PKCS, ck.CKM_SHA384_RSA_PKCS, ck.CKM_SHA512_RSA_PKCS,
		ck.CKM_SHA3_224_RSA_PKCS, ck.CKM_SHA3_256_RSA_PKCS, ck.CKM_SHA3_384_RSA_PKCS, ck.CKM_SHA3_512_RSA_PKCS,
		ck.CKM_SHA1_RSA_PKCS_PSS, ck.CKM_SHA224_RSA_PKCS_PSS, ck.CKM_SHA256_RSA_PKCS_PSS, ck.CKM_SHA384_RSA_PKCS_PSS,
		ck.CKM_SHA512_RSA_PKCS_PSS, ck.CKM_SHA3_224_RSA_PKCS_PSS, ck.CKM_SHA3_256_RSA_PKCS_PSS,
		ck.CKM_SHA3_384_RSA_PKCS_PSS, ck.CKM_SHA3_512_RSA_PKCS_PSS)
	add([]ck.KeyType{ck.CKK_EC}, ck.CKM_ECDSA, ck.CKM_ECDSA_SHA1, ck.CKM_ECDSA_SHA224, ck.CKM_ECDSA_SHA256,
		ck.CKM_ECDSA_SHA384, ck.CKM_ECDSA_SHA512, ck.CKM_ECDSA_SHA3_224, ck.CKM_ECDSA_SHA3_256,
		ck.CKM_ECDSA_SHA3_384, ck.CKM_ECDSA_SHA3_512)
	add([]ck.KeyType{ck.CKK_EC_EDWARDS}, ck.CKM_EDDSA)
	add([]ck.KeyType{ck.CKK_AES}, ck.CKM_AES_ECB, ck.CKM_AES_CBC, ck.CKM_AES_CBC_PAD, ck.CKM_AES_CTR, ck.CKM_AES_GCM,
		ck.CKM_AES_CCM, ck.CKM_AES_CTS, ck.CKM_AES_OFB, ck.CKM_AES_CFB8, ck.CKM_AES_CFB64, ck.CKM_AES_CFB128,
		ck.CKM_AES_CMAC, ck.CKM_AES_CMAC_GENERAL, ck.CKM_AES_MAC, ck.CKM_AES_MAC_GENERAL)
	hmac := func(own ck.KeyType) []ck.KeyType { return []ck.KeyType{ck.CKK_GENERIC_SECRET, own} }
	add(hmac(ck.CKK_SHA_1_HMAC), ck.CKM_SHA_1_HMAC, ck.CKM_SHA_1_HMAC_GENERAL)
	add(hmac(ck.CKK_SHA224_HMAC), ck.CKM_SHA224_HMAC, ck.CKM_SHA224_HMAC_GENERAL)
	add(hmac(ck.CKK_SHA256_HMAC), ck.CKM_SHA256_HMAC, ck.CKM_SHA256_HMAC_GENERAL)
	add(hmac(ck.CKK_SHA384_HMAC), ck.CKM_SHA384_HMAC, ck.CKM_SHA384_HMAC_GENERAL)
	add(hmac(ck.CKK_SHA512_HMAC), ck.CKM_SHA512_HMAC, ck.CKM_SHA512_HMAC_GENERAL)
	return out
}()

// fusableParams lists the mechanisms whose init core may check itself, and
// so defer to be fused with the single-part call, with the parameter each
// takes. Every one is also in keyTypesOf. A mechanism of keyTypesOf absent
// here (PSS and OAEP, whose hashes and salt lengths tokens judge
// differently; CCM; the _GENERAL MACs, whose output length tokens bound
// differently) always has its init sent alone.
var fusableParams = func() map[ck.MechanismType]paramRule {
	out := map[ck.MechanismType]paramRule{}
	add := func(r paramRule, ms ...ck.MechanismType) {
		for _, m := range ms {
			out[m] = r
		}
	}
	add(paramNone, ck.CKM_RSA_PKCS, ck.CKM_RSA_X_509,
		ck.CKM_SHA1_RSA_PKCS, ck.CKM_SHA224_RSA_PKCS, ck.CKM_SHA256_RSA_PKCS, ck.CKM_SHA384_RSA_PKCS, ck.CKM_SHA512_RSA_PKCS,
		ck.CKM_SHA3_224_RSA_PKCS, ck.CKM_SHA3_256_RSA_PKCS, ck.CKM_SHA3_384_RSA_PKCS, ck.CKM_SHA3_512_RSA_PKCS,
		ck.CKM_ECDSA, ck.CKM_ECDSA_SHA1, ck.CKM_ECDSA_SHA224, ck.CKM_ECDSA_SHA256, ck.CKM_ECDSA_SHA384,
		ck.CKM_ECDSA_SHA512, ck.CKM_ECDSA_SHA3_224, ck.CKM_ECDSA_SHA3_256, ck.CKM_ECDSA_SHA3_384, ck.CKM_ECDSA_SHA3_512,
		ck.CKM_EDDSA, // its parameter is optional: without one, pure Ed25519/Ed448
		ck.CKM_AES_ECB, ck.CKM_AES_CMAC, ck.CKM_AES_MAC,
		ck.CKM_SHA_1_HMAC, ck.CKM_SHA224_HMAC, ck.CKM_SHA256_HMAC, ck.CKM_SHA384_HMAC, ck.CKM_SHA512_HMAC)
	add(paramIV16, ck.CKM_AES_CBC, ck.CKM_AES_CBC_PAD, ck.CKM_AES_CTS, ck.CKM_AES_OFB,
		ck.CKM_AES_CFB8, ck.CKM_AES_CFB64, ck.CKM_AES_CFB128)
	add(paramGCM, ck.CKM_AES_GCM)
	add(paramCTR, ck.CKM_AES_CTR)
	return out
}()

// digestMechanisms are the digests whose init core may check itself: the
// only check is that the token lists the mechanism with CKF_DIGEST.
var digestMechanisms = map[ck.MechanismType]bool{
	ck.CKM_MD5: true, ck.CKM_SHA_1: true, ck.CKM_SHA224: true, ck.CKM_SHA256: true, ck.CKM_SHA384: true,
	ck.CKM_SHA512: true, ck.CKM_SHA512_224: true, ck.CKM_SHA512_256: true, ck.CKM_SHA3_224: true,
	ck.CKM_SHA3_256: true, ck.CKM_SHA3_384: true, ck.CKM_SHA3_512: true, ck.CKM_RIPEMD160: true,
}

// functionFlags are the C_GetMechanismInfo flags a mechanism needs for
// each function that takes one.
var functionFlags = map[string]ck.ULONG{
	"C_EncryptInit":       ck.CKF_ENCRYPT,
	"C_DecryptInit":       ck.CKF_DECRYPT,
	"C_DigestInit":        ck.CKF_DIGEST,
	"C_SignInit":          ck.CKF_SIGN,
	"C_SignRecoverInit":   ck.CKF_SIGN_RECOVER,
	"C_VerifyInit":        ck.CKF_VERIFY,
	"C_VerifyRecoverInit": ck.CKF_VERIFY_RECOVER,
	"C_GenerateKey":       ck.CKF_GENERATE,
	"C_GenerateKeyPair":   ck.CKF_GENERATE_KEY_PAIR,
	"C_WrapKey":           ck.CKF_WRAP,
	"C_UnwrapKey":         ck.CKF_UNWRAP,
	"C_DeriveKey":         ck.CKF_DERIVE,
}

// MechanismOffered reports whether the token behind session h offers
// mechanism m for function fn ("C_DigestInit", ...), from its cached
// C_GetMechanismInfo answer. The boundary asks before it blames a
// parameter it cannot accept: a mechanism the token does not offer for the
// function is CKR_MECHANISM_INVALID whatever its parameter, as a backend
// answers. When it cannot tell (an unknown function, a session that is
// gone, no answer from the server) it says true, so that the parameter's
// own error stands.
func (l *Library) MechanismOffered(h ck.SessionHandle, fn string, m ck.MechanismType) bool {
	flag, ok := functionFlags[fn]
	if !ok || l.closed.Load() {
		return true
	}
	s := l.sessions.get(h)
	if s == nil {
		return true
	}
	s.mu.Lock()
	e := s.epoch
	s.mu.Unlock()
	info, err := e.mechanismInfo(fn, m)
	switch {
	case err == nil:
		return info.Flags&flag != 0
	case ck.RVOf(err) == ck.CKR_MECHANISM_INVALID:
		return false
	default:
		return true
	}
}
