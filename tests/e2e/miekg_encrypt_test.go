package e2e

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// TestEncryptDecrypt encrypts and decrypts with RSA (OAEP, PKCS#1 v1.5)
// and AES (CBC, CBC_PAD, GCM, CTR), in both directions between the module
// and Go: what the module encrypts Go decrypts, and the other way round.
func TestEncryptDecrypt(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)

		t.Run("RSA-OAEP", func(t *testing.T) {
			// SoftHSM 2.6 does OAEP with SHA-1 and no label only.
			oaep := func() []*pkcs11.Mechanism {
				return mech(pkcs11.CKM_RSA_PKCS_OAEP, pkcs11.NewOAEPParams(pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1, pkcs11.CKZ_DATA_SPECIFIED, nil))
			}
			_, priv, pub := tok.rsaPair(t, 2048, "oaep")
			for _, size := range []int{0, 1, 100, 2048/8 - 2*sha1.Size - 2} {
				plain := randomBytes(t, size)
				ct, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, plain, nil)
				require.NoError(t, err)
				require.Equal(t, plain, tok.decrypt(t, priv, oaep(), ct), "%d bytes", size)
			}
			importedPub, _, key := tok.importRSA(t, "oaep-imported")
			plain := randomBytes(t, 64)
			ct := tok.encrypt(t, importedPub, oaep(), plain)
			got, err := rsa.DecryptOAEP(sha1.New(), nil, key, ct, nil)
			require.NoError(t, err)
			require.Equal(t, plain, got)
		})

		t.Run("RSA-PKCS1v15", func(t *testing.T) {
			_, priv, pub := tok.rsaPair(t, 2048, "pkcs1")
			plain := randomBytes(t, 100)
			ct, err := rsa.EncryptPKCS1v15(rand.Reader, pub, plain)
			require.NoError(t, err)
			require.Equal(t, plain, tok.decrypt(t, priv, mech(pkcs11.CKM_RSA_PKCS, nil), ct))
			importedPub, _, key := tok.importRSA(t, "pkcs1-imported")
			ct = tok.encrypt(t, importedPub, mech(pkcs11.CKM_RSA_PKCS, nil), plain)
			got, err := rsa.DecryptPKCS1v15(nil, key, ct)
			require.NoError(t, err)
			require.Equal(t, plain, got)
		})

		for _, size := range []int{16, 32} {
			key, value := tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, size, fmt.Sprintf("aes%d", size*8))
			block, err := aes.NewCipher(value)
			require.NoError(t, err)

			t.Run(fmt.Sprintf("AES-%d-CBC", size*8), func(t *testing.T) {
				iv := randomBytes(t, aes.BlockSize)
				plain := randomBytes(t, 5*aes.BlockSize)
				want := make([]byte, len(plain))
				cipher.NewCBCEncrypter(block, iv).CryptBlocks(want, plain)
				require.Equal(t, want, tok.encrypt(t, key, mech(pkcs11.CKM_AES_CBC, iv), plain))
				require.Equal(t, plain, tok.decrypt(t, key, mech(pkcs11.CKM_AES_CBC, iv), want))
			})

			t.Run(fmt.Sprintf("AES-%d-CBC_PAD", size*8), func(t *testing.T) {
				for _, n := range []int{0, 1, 15, 16, 17, 1000} {
					iv := randomBytes(t, aes.BlockSize)
					plain := randomBytes(t, n)
					pad := aes.BlockSize - n%aes.BlockSize
					padded := append(append([]byte(nil), plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
					want := make([]byte, len(padded))
					cipher.NewCBCEncrypter(block, iv).CryptBlocks(want, padded)
					require.Equal(t, want, tok.encrypt(t, key, mech(pkcs11.CKM_AES_CBC_PAD, iv), plain), "%d bytes", n)
					require.Equal(t, nilIfEmpty(plain), nilIfEmpty(tok.decrypt(t, key, mech(pkcs11.CKM_AES_CBC_PAD, iv), want)), "%d bytes", n)
					// Multi-part, in pieces that straddle the blocks.
					require.Equal(t, want, tok.encryptParts(t, key, mech(pkcs11.CKM_AES_CBC_PAD, iv), plain, 7), "%d bytes in parts", n)
					require.Equal(t, nilIfEmpty(plain), nilIfEmpty(tok.decryptParts(t, key, mech(pkcs11.CKM_AES_CBC_PAD, iv), want, 13)), "%d bytes in parts", n)
				}
			})

			t.Run(fmt.Sprintf("AES-%d-GCM", size*8), func(t *testing.T) {
				gcm, err := cipher.NewGCM(block)
				require.NoError(t, err)
				for _, n := range []int{0, 1, 16, 1000} {
					iv := randomBytes(t, gcm.NonceSize())
					aad := randomBytes(t, 20)
					plain := randomBytes(t, n)
					params := pkcs11.NewGCMParams(iv, aad, 128)
					ct := tok.encrypt(t, key, mech(pkcs11.CKM_AES_GCM, params), plain)
					params.Free()
					got, err := gcm.Open(nil, iv, ct, aad)
					require.NoError(t, err, "Go opens what the module sealed (%d bytes)", n)
					require.Equal(t, nilIfEmpty(plain), got)

					sealed := gcm.Seal(nil, iv, plain, aad)
					params = pkcs11.NewGCMParams(iv, aad, 128)
					require.Equal(t, nilIfEmpty(plain), nilIfEmpty(tok.decrypt(t, key, mech(pkcs11.CKM_AES_GCM, params), sealed)))
					params.Free()

					// A changed tag is refused.
					sealed[len(sealed)-1] ^= 1
					params = pkcs11.NewGCMParams(iv, aad, 128)
					require.NoError(t, tok.ctx.DecryptInit(tok.sh, mech(pkcs11.CKM_AES_GCM, params), key))
					_, err = tok.ctx.Decrypt(tok.sh, sealed)
					params.Free()
					// The specification says CKR_ENCRYPTED_DATA_INVALID; SoftHSM 2.6
					// answers CKR_GENERAL_ERROR, and the library carries what the
					// backend answers.
					require.Error(t, err, "altered GCM tag")
				}
			})

			t.Run(fmt.Sprintf("AES-%d-CTR", size*8), func(t *testing.T) {
				tok.needMechanism(t, pkcs11.CKM_AES_CTR, "CKM_AES_CTR")
				counter := randomBytes(t, aes.BlockSize)
				counter[15] = 0xfe // the counter wraps within the message
				plain := randomBytes(t, 1000)
				want := make([]byte, len(plain))
				cipher.NewCTR(block, counter).XORKeyStream(want, plain)
				require.Equal(t, want, tok.encrypt(t, key, mech(pkcs11.CKM_AES_CTR, ctrParams(128, counter)), plain))
				require.Equal(t, plain, tok.decrypt(t, key, mech(pkcs11.CKM_AES_CTR, ctrParams(128, counter)), want))
			})
		}
	})
}

// ctrParams is CK_AES_CTR_PARAMS: ulCounterBits then the 16-byte block.
func ctrParams(bits uint64, counter []byte) []byte {
	p := binary.NativeEndian.AppendUint64(nil, bits)
	return append(p, counter...)
}

// nilIfEmpty maps an empty result to nil, as Go's crypto returns it.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func (tok *token) encrypt(t testing.TB, key pkcs11.ObjectHandle, m []*pkcs11.Mechanism, plain []byte) []byte {
	t.Helper()
	require.NoError(t, tok.ctx.EncryptInit(tok.sh, m, key), "C_EncryptInit")
	out, err := tok.ctx.Encrypt(tok.sh, plain)
	require.NoError(t, err, "C_Encrypt")
	return out
}

func (tok *token) decrypt(t testing.TB, key pkcs11.ObjectHandle, m []*pkcs11.Mechanism, ct []byte) []byte {
	t.Helper()
	require.NoError(t, tok.ctx.DecryptInit(tok.sh, m, key), "C_DecryptInit")
	out, err := tok.ctx.Decrypt(tok.sh, ct)
	require.NoError(t, err, "C_Decrypt")
	return out
}

// encryptParts encrypts with C_EncryptUpdate on pieces of step bytes.
func (tok *token) encryptParts(t testing.TB, key pkcs11.ObjectHandle, m []*pkcs11.Mechanism, plain []byte, step int) []byte {
	t.Helper()
	require.NoError(t, tok.ctx.EncryptInit(tok.sh, m, key), "C_EncryptInit")
	var out []byte
	for i := 0; i < len(plain); i += step {
		part, err := tok.ctx.EncryptUpdate(tok.sh, plain[i:min(i+step, len(plain))])
		require.NoError(t, err, "C_EncryptUpdate")
		out = append(out, part...)
	}
	last, err := tok.ctx.EncryptFinal(tok.sh)
	require.NoError(t, err, "C_EncryptFinal")
	return append(out, last...)
}

// decryptParts decrypts with C_DecryptUpdate on pieces of step bytes.
func (tok *token) decryptParts(t testing.TB, key pkcs11.ObjectHandle, m []*pkcs11.Mechanism, ct []byte, step int) []byte {
	t.Helper()
	require.NoError(t, tok.ctx.DecryptInit(tok.sh, m, key), "C_DecryptInit")
	var out []byte
	for i := 0; i < len(ct); i += step {
		part, err := tok.ctx.DecryptUpdate(tok.sh, ct[i:min(i+step, len(ct))])
		require.NoError(t, err, "C_DecryptUpdate")
		out = append(out, part...)
	}
	last, err := tok.ctx.DecryptFinal(tok.sh)
	require.NoError(t, err, "C_DecryptFinal")
	return append(out, last...)
}
