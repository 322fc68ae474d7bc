package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// TestKeyGeneration generates every key type users of the service expect
// and checks what the module says of each with Go: the RSA modulus has the
// size asked and signs a digest Go verifies; EC points lie on their
// curve and sign; secret keys have the length asked and the attributes the
// template set.
func TestKeyGeneration(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		for _, bits := range []int{2048, 3072, 4096} {
			t.Run(fmt.Sprintf("RSA-%d", bits), func(t *testing.T) {
				if bits == 4096 && testing.Short() {
					t.Skip("RSA-4096 generation is slow (-short)")
				}
				pub, priv, key := tok.rsaPair(t, bits, fmt.Sprintf("rsa%d", bits))
				assert.Equal(t, bits, key.N.BitLen())
				assert.Equal(t, 65537, key.E)
				assert.EqualValues(t, bits, ulong(t, tok.attr(t, pub, pkcs11.CKA_MODULUS_BITS)))
				assert.EqualValues(t, pkcs11.CKO_PRIVATE_KEY, ulong(t, tok.attr(t, priv, pkcs11.CKA_CLASS)))
				assert.EqualValues(t, pkcs11.CKK_RSA, ulong(t, tok.attr(t, priv, pkcs11.CKA_KEY_TYPE)))
				assert.True(t, boolAttr(t, tok.attr(t, priv, pkcs11.CKA_LOCAL)), "CKA_LOCAL of a generated key")
				assert.True(t, boolAttr(t, tok.attr(t, priv, pkcs11.CKA_SENSITIVE)))
				// The private half's modulus is the public half's.
				assert.Equal(t, key.N.Bytes(), tok.attr(t, priv, pkcs11.CKA_MODULUS))

				digest := sha256.Sum256([]byte("key generation " + m.Name))
				sig := tok.sign(t, priv, mech(pkcs11.CKM_RSA_PKCS, nil), append(digestInfoSHA256(), digest[:]...))
				require.NoError(t, rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig))
			})
		}
		for _, c := range curves {
			t.Run("EC-"+c.name, func(t *testing.T) {
				pub, priv, key := tok.ecPair(t, c, "ec-"+c.name, false)
				assert.EqualValues(t, pkcs11.CKK_EC, ulong(t, tok.attr(t, priv, pkcs11.CKA_KEY_TYPE)))
				assert.Equal(t, tok.attr(t, pub, pkcs11.CKA_EC_PARAMS), tok.attr(t, priv, pkcs11.CKA_EC_PARAMS))
				d := digest(c.hash, []byte("key generation "+c.name))
				sig := tok.sign(t, priv, mech(pkcs11.CKM_ECDSA, nil), d)
				require.True(t, verifyRawECDSA(key, d, sig, c.bytes), "ECDSA %s signature", c.name)
			})
		}
		t.Run("Ed25519", func(t *testing.T) {
			tok.needMechanism(t, ckmECEdwardsKeyPairGen, "CKM_EC_EDWARDS_KEY_PAIR_GEN")
			_, priv, key := tok.ed25519Pair(t, "ed25519")
			assert.EqualValues(t, ckkECEdwards, ulong(t, tok.attr(t, priv, pkcs11.CKA_KEY_TYPE)))
			msg := []byte("key generation Ed25519")
			sig := tok.sign(t, priv, mech(ckmEdDSA, nil), msg)
			require.True(t, ed25519.Verify(key, msg, sig))
		})
		for _, size := range []int{16, 32} {
			t.Run(fmt.Sprintf("AES-%d", size*8), func(t *testing.T) {
				key, value := tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, size, "aes")
				assert.EqualValues(t, pkcs11.CKK_AES, ulong(t, tok.attr(t, key, pkcs11.CKA_KEY_TYPE)))
				assert.EqualValues(t, size, ulong(t, tok.attr(t, key, pkcs11.CKA_VALUE_LEN)))
				assert.NotEqual(t, make([]byte, size), value)
				// A sensitive one, whose value no one reads.
				sensitive, err := tok.ctx.GenerateKey(tok.sh, mech(pkcs11.CKM_AES_KEY_GEN, nil),
					attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_VALUE_LEN, size), attr(pkcs11.CKA_SENSITIVE, true)))
				require.NoError(t, err)
				_, err = tok.ctx.GetAttributeValue(tok.sh, sensitive, attrs(attr(pkcs11.CKA_VALUE, nil)))
				requireRV(t, pkcs11.CKR_ATTRIBUTE_SENSITIVE, err)
			})
		}
		t.Run("generic-secret", func(t *testing.T) {
			key, value := tok.secretKey(t, pkcs11.CKM_GENERIC_SECRET_KEY_GEN, 48, "generic")
			assert.EqualValues(t, pkcs11.CKK_GENERIC_SECRET, ulong(t, tok.attr(t, key, pkcs11.CKA_KEY_TYPE)))
			assert.Len(t, value, 48)
		})
	})
}

// sign runs C_SignInit and C_Sign.
func (tok *token) sign(t testing.TB, key pkcs11.ObjectHandle, m []*pkcs11.Mechanism, data []byte) []byte {
	t.Helper()
	require.NoError(t, tok.ctx.SignInit(tok.sh, m, key), "C_SignInit")
	sig, err := tok.ctx.Sign(tok.sh, data)
	require.NoError(t, err, "C_Sign")
	return sig
}

// verifyRawECDSA checks a PKCS#11 ECDSA signature (r and s, each size
// bytes, big-endian) with Go.
func verifyRawECDSA(key *ecdsa.PublicKey, digest, sig []byte, size int) bool {
	if len(sig) != 2*size {
		return false
	}
	der, err := ecdsaDER(sig)
	if err != nil {
		return false
	}
	return ecdsa.VerifyASN1(key, digest, der)
}

// digestInfoSHA256 is the DER prefix of a SHA-256 DigestInfo (RFC 8017,
// section 9.2, note 1), what CKM_RSA_PKCS signs for a caller that hashed.
func digestInfoSHA256() []byte {
	return []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}
}

// randomBytes is n bytes from Go's generator.
func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}
