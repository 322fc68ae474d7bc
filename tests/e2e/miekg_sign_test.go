package e2e

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// hashMechs are the PKCS#11 names of Go's hashes.
var hashMechs = []struct {
	hash    crypto.Hash
	digest  uint // CKM_SHAx
	mgf     uint // CKG_MGF1_SHAx
	rsaPKCS uint // CKM_SHAx_RSA_PKCS
	rsaPSS  uint // CKM_SHAx_RSA_PKCS_PSS
	hmac    uint // CKM_SHAx_HMAC
}{
	{crypto.SHA1, pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1, pkcs11.CKM_SHA1_RSA_PKCS, pkcs11.CKM_SHA1_RSA_PKCS_PSS, pkcs11.CKM_SHA_1_HMAC},
	{crypto.SHA224, pkcs11.CKM_SHA224, pkcs11.CKG_MGF1_SHA224, pkcs11.CKM_SHA224_RSA_PKCS, pkcs11.CKM_SHA224_RSA_PKCS_PSS, pkcs11.CKM_SHA224_HMAC},
	{crypto.SHA256, pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, pkcs11.CKM_SHA256_RSA_PKCS, pkcs11.CKM_SHA256_RSA_PKCS_PSS, pkcs11.CKM_SHA256_HMAC},
	{crypto.SHA384, pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384, pkcs11.CKM_SHA384_RSA_PKCS, pkcs11.CKM_SHA384_RSA_PKCS_PSS, pkcs11.CKM_SHA384_HMAC},
	{crypto.SHA512, pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512, pkcs11.CKM_SHA512_RSA_PKCS, pkcs11.CKM_SHA512_RSA_PKCS_PSS, pkcs11.CKM_SHA512_HMAC},
}

// TestSignVerify signs with every signature mechanism and checks each
// signature with Go; it also has the module verify signatures Go made,
// and refuse altered ones.
func TestSignVerify(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		msg := []byte("signed through " + m.Name)

		t.Run("RSA-PKCS1v15", func(t *testing.T) {
			_, priv, pub := tok.rsaPair(t, 2048, "rsa-sign")
			for _, h := range hashMechs {
				sig := tok.sign(t, priv, mech(h.rsaPKCS, nil), msg)
				require.NoError(t, rsa.VerifyPKCS1v15(pub, h.hash, digest(h.hash, msg), sig), "%v", h.hash)
			}
			// Raw CKM_RSA_PKCS over a DigestInfo, as OpenSSL's engine signs.
			d := digest(crypto.SHA256, msg)
			sig := tok.sign(t, priv, mech(pkcs11.CKM_RSA_PKCS, nil), append(digestInfoSHA256(), d...))
			require.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, d, sig))
			// Multi-part.
			require.NoError(t, tok.ctx.SignInit(tok.sh, mech(pkcs11.CKM_SHA256_RSA_PKCS, nil), priv))
			for _, part := range [][]byte{msg[:3], msg[3:10], msg[10:]} {
				require.NoError(t, tok.ctx.SignUpdate(tok.sh, part))
			}
			sig, err := tok.ctx.SignFinal(tok.sh)
			require.NoError(t, err)
			require.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, d, sig))
		})

		t.Run("RSA-PSS", func(t *testing.T) {
			_, priv, pub := tok.rsaPair(t, 2048, "rsa-pss")
			for _, h := range hashMechs {
				for _, salt := range []int{0, h.hash.Size()} {
					params := pkcs11.NewPSSParams(h.digest, h.mgf, uint(salt))
					sig := tok.sign(t, priv, mech(h.rsaPSS, params), msg)
					require.NoError(t, rsa.VerifyPSS(pub, h.hash, digest(h.hash, msg), sig, &rsa.PSSOptions{SaltLength: salt}),
						"%v salt %d", h.hash, salt)
					// The same on a digest the caller made.
					sig = tok.sign(t, priv, mech(pkcs11.CKM_RSA_PKCS_PSS, params), digest(h.hash, msg))
					require.NoError(t, rsa.VerifyPSS(pub, h.hash, digest(h.hash, msg), sig, &rsa.PSSOptions{SaltLength: salt}),
						"CKM_RSA_PKCS_PSS %v salt %d", h.hash, salt)
				}
			}
		})

		t.Run("RSA-verify", func(t *testing.T) {
			pub, _, key := tok.importRSA(t, "rsa-verify")
			d := digest(crypto.SHA256, msg)
			sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d)
			require.NoError(t, err)
			require.NoError(t, tok.verify(t, pub, mech(pkcs11.CKM_SHA256_RSA_PKCS, nil), msg, sig))
			sig[len(sig)-1] ^= 1
			requireRV(t, pkcs11.CKR_SIGNATURE_INVALID, tok.verify(t, pub, mech(pkcs11.CKM_SHA256_RSA_PKCS, nil), msg, sig))
			pss, err := rsa.SignPSS(rand.Reader, key, crypto.SHA384, digest(crypto.SHA384, msg), &rsa.PSSOptions{SaltLength: 48})
			require.NoError(t, err)
			params := pkcs11.NewPSSParams(pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384, 48)
			require.NoError(t, tok.verify(t, pub, mech(pkcs11.CKM_SHA384_RSA_PKCS_PSS, params), msg, pss))
		})

		for _, c := range curves {
			t.Run("ECDSA-"+c.name, func(t *testing.T) {
				pub, priv, key := tok.ecPair(t, c, "ecdsa", false)
				d := digest(c.hash, msg)
				sig := tok.sign(t, priv, mech(pkcs11.CKM_ECDSA, nil), d)
				require.True(t, verifyRawECDSA(key, d, sig, c.bytes), "CKM_ECDSA")
				// ECDSA is randomised: a second signature differs, and verifies.
				again := tok.sign(t, priv, mech(pkcs11.CKM_ECDSA, nil), d)
				require.NotEqual(t, sig, again)
				require.True(t, verifyRawECDSA(key, d, again, c.bytes))
				require.NoError(t, tok.verify(t, pub, mech(pkcs11.CKM_ECDSA, nil), d, sig))
				sig[0] ^= 0x80
				requireRV(t, pkcs11.CKR_SIGNATURE_INVALID, tok.verify(t, pub, mech(pkcs11.CKM_ECDSA, nil), d, sig))
			})
		}
		t.Run("ECDSA-SHA256", func(t *testing.T) {
			tok.needMechanism(t, pkcs11.CKM_ECDSA_SHA256, "CKM_ECDSA_SHA256")
			_, priv, key := tok.ecPair(t, curves[0], "ecdsa-sha256", false)
			sig := tok.sign(t, priv, mech(pkcs11.CKM_ECDSA_SHA256, nil), msg)
			require.True(t, verifyRawECDSA(key, digest(crypto.SHA256, msg), sig, 32))
		})

		t.Run("EdDSA", func(t *testing.T) {
			tok.needMechanism(t, ckmEdDSA, "CKM_EDDSA")
			pub, priv, key := tok.ed25519Pair(t, "eddsa")
			sig := tok.sign(t, priv, mech(ckmEdDSA, nil), msg)
			require.True(t, ed25519.Verify(key, msg, sig))
			// Ed25519 is deterministic.
			require.Equal(t, sig, tok.sign(t, priv, mech(ckmEdDSA, nil), msg))
			require.NoError(t, tok.verify(t, pub, mech(ckmEdDSA, nil), msg, sig))
			sig[5] ^= 1
			requireRV(t, pkcs11.CKR_SIGNATURE_INVALID, tok.verify(t, pub, mech(ckmEdDSA, nil), msg, sig))
		})

		t.Run("HMAC", func(t *testing.T) {
			// 64 bytes: SoftHSM refuses HMAC keys shorter than the hash output.
			key, value := tok.secretKey(t, pkcs11.CKM_GENERIC_SECRET_KEY_GEN, 64, "hmac")
			for _, h := range hashMechs {
				mac := hmac.New(h.hash.New, value)
				mac.Write(msg)
				want := mac.Sum(nil)
				require.Equal(t, want, tok.sign(t, key, mech(h.hmac, nil), msg), "%v", h.hash)
				require.NoError(t, tok.verify(t, key, mech(h.hmac, nil), msg, want))
				want[0] ^= 1
				requireRV(t, pkcs11.CKR_SIGNATURE_INVALID, tok.verify(t, key, mech(h.hmac, nil), msg, want), "%v", h.hash)
			}
			// Multi-part over a message longer than one block.
			long := randomBytes(t, 5000)
			require.NoError(t, tok.ctx.SignInit(tok.sh, mech(pkcs11.CKM_SHA256_HMAC, nil), key))
			for i := 0; i < len(long); i += 999 {
				require.NoError(t, tok.ctx.SignUpdate(tok.sh, long[i:min(i+999, len(long))]))
			}
			got, err := tok.ctx.SignFinal(tok.sh)
			require.NoError(t, err)
			mac := hmac.New(crypto.SHA256.New, value)
			mac.Write(long)
			require.Equal(t, mac.Sum(nil), got)
		})

		t.Run("HMAC-imported", func(t *testing.T) {
			value := randomBytes(t, 64)
			key, err := tok.ctx.CreateObject(tok.sh, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
				attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET), attr(pkcs11.CKA_TOKEN, false),
				attr(pkcs11.CKA_VALUE, value), attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_VERIFY, true)))
			require.NoError(t, err)
			for _, size := range []int{0, 1, 64, 65, 1000} {
				data := randomBytes(t, size)
				mac := hmac.New(crypto.SHA512.New, value)
				mac.Write(data)
				require.Equal(t, mac.Sum(nil), tok.sign(t, key, mech(pkcs11.CKM_SHA512_HMAC, nil), data), fmt.Sprint(size))
			}
		})
	})
}

// verify runs C_VerifyInit and C_Verify and returns C_Verify's error.
func (tok *token) verify(t testing.TB, key pkcs11.ObjectHandle, m []*pkcs11.Mechanism, data, sig []byte) error {
	t.Helper()
	require.NoError(t, tok.ctx.VerifyInit(tok.sh, m, key), "C_VerifyInit")
	return tok.ctx.Verify(tok.sh, data, sig)
}
