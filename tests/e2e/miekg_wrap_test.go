package e2e

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// TestWrapUnwrap wraps keys with AES key wrap (RFC 3394) and RSA, checks
// the wrapped bytes with Go, and unwraps what Go wrapped.
func TestWrapUnwrap(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		unwrapTemplate := func(size int) []*pkcs11.Attribute {
			return attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
				attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true),
				attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_LABEL, "unwrapped"))
		}

		t.Run("AES-KEY-WRAP", func(t *testing.T) {
			tok.needMechanism(t, pkcs11.CKM_AES_KEY_WRAP, "CKM_AES_KEY_WRAP")
			kek, kekValue := tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, 32, "kek")
			for _, size := range []int{16, 24, 32} {
				target, value := tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, size, "wrapped")
				wrapped, err := tok.ctx.WrapKey(tok.sh, mech(pkcs11.CKM_AES_KEY_WRAP, nil), kek, target)
				require.NoError(t, err, "C_WrapKey AES-%d", size*8)
				want, err := aesKeyWrap(kekValue, value)
				require.NoError(t, err)
				require.Equal(t, want, wrapped, "RFC 3394 wrapping of AES-%d", size*8)

				fresh := randomBytes(t, size)
				goWrapped, err := aesKeyWrap(kekValue, fresh)
				require.NoError(t, err)
				key, err := tok.ctx.UnwrapKey(tok.sh, mech(pkcs11.CKM_AES_KEY_WRAP, nil), kek, goWrapped, unwrapTemplate(size))
				require.NoError(t, err, "C_UnwrapKey AES-%d", size*8)
				require.Equal(t, fresh, tok.attr(t, key, pkcs11.CKA_VALUE))
				require.False(t, boolAttr(t, tok.attr(t, key, pkcs11.CKA_LOCAL)), "an unwrapped key is not CKA_LOCAL")

				goWrapped[3] ^= 1
				_, err = tok.ctx.UnwrapKey(tok.sh, mech(pkcs11.CKM_AES_KEY_WRAP, nil), kek, goWrapped, unwrapTemplate(size))
				require.Error(t, err, "altered wrapped key")
			}
			// Self-check of the reference: RFC 3394, section 4.6.
			kek256 := hexBytes(t, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
			data := hexBytes(t, "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
			ref, err := aesKeyWrap(kek256, data)
			require.NoError(t, err)
			require.Equal(t, hexBytes(t, "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"), ref)
			back, err := aesKeyUnwrap(kek256, ref)
			require.NoError(t, err)
			require.Equal(t, data, back)
		})

		t.Run("RSA-OAEP", func(t *testing.T) {
			pub, _, key := tok.importRSA(t, "wrap-rsa")
			target, value := tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, 32, "wrapped")
			oaep := mech(pkcs11.CKM_RSA_PKCS_OAEP, pkcs11.NewOAEPParams(pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1, pkcs11.CKZ_DATA_SPECIFIED, nil))
			wrapped, err := tok.ctx.WrapKey(tok.sh, oaep, pub, target)
			require.NoError(t, err)
			got, err := rsa.DecryptOAEP(sha1.New(), nil, key, wrapped, nil)
			require.NoError(t, err)
			require.Equal(t, value, got)

			_, priv, modulePub := tok.rsaPair(t, 2048, "unwrap-rsa")
			fresh := randomBytes(t, 32)
			goWrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, modulePub, fresh, nil)
			require.NoError(t, err)
			unwrapped, err := tok.ctx.UnwrapKey(tok.sh, oaep, priv, goWrapped, unwrapTemplate(32))
			require.NoError(t, err)
			require.Equal(t, fresh, tok.attr(t, unwrapped, pkcs11.CKA_VALUE))
		})

		t.Run("RSA-PKCS1v15", func(t *testing.T) {
			pub, _, key := tok.importRSA(t, "wrap-rsa-pkcs")
			target, value := tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, 16, "wrapped")
			wrapped, err := tok.ctx.WrapKey(tok.sh, mech(pkcs11.CKM_RSA_PKCS, nil), pub, target)
			require.NoError(t, err)
			got, err := rsa.DecryptPKCS1v15(nil, key, wrapped)
			require.NoError(t, err)
			require.Equal(t, value, got)
		})

		t.Run("unextractable", func(t *testing.T) {
			kek, _ := tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, 32, "kek")
			locked, err := tok.ctx.GenerateKey(tok.sh, mech(pkcs11.CKM_AES_KEY_GEN, nil),
				attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_VALUE_LEN, 16), attr(pkcs11.CKA_EXTRACTABLE, false)))
			require.NoError(t, err)
			_, err = tok.ctx.WrapKey(tok.sh, mech(pkcs11.CKM_AES_KEY_WRAP, nil), kek, locked)
			requireRV(t, pkcs11.CKR_KEY_UNEXTRACTABLE, err)
		})
	})
}

// TestDeriveECDH derives a shared secret between a key pair in the module
// and one Go made, and checks it is the secret Go computes.
func TestDeriveECDH(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		goCurves := map[string]ecdh.Curve{"P-256": ecdh.P256(), "P-384": ecdh.P384(), "P-521": ecdh.P521()}
		for _, c := range curves {
			t.Run(c.name, func(t *testing.T) {
				pub, priv, _ := tok.ecPair(t, c, "ecdh", true)
				goKey, err := goCurves[c.name].GenerateKey(rand.Reader)
				require.NoError(t, err)
				params := pkcs11.NewECDH1DeriveParams(pkcs11.CKD_NULL, nil, goKey.PublicKey().Bytes())
				secret, err := tok.ctx.DeriveKey(tok.sh, mech(pkcs11.CKM_ECDH1_DERIVE, params), priv,
					attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
						attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_VALUE_LEN, c.bytes),
						attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true)))
				require.NoError(t, err, "C_DeriveKey")

				modulePub, err := goCurves[c.name].NewPublicKey(tok.ecPoint(t, pub))
				require.NoError(t, err)
				want, err := goKey.ECDH(modulePub)
				require.NoError(t, err)
				require.Equal(t, want, tok.attr(t, secret, pkcs11.CKA_VALUE))
			})
		}
	})
}
