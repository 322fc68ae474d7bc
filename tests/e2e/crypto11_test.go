package e2e

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"testing"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// configureCrypto11 opens a crypto11 context on the module's token, closed
// at cleanup. crypto11 initialises the module itself.
func configureCrypto11(t *testing.T, m *testenv.Module) *crypto11.Context {
	t.Helper()
	m.SetenvInProcess(t)
	ctx, err := crypto11.Configure(&crypto11.Config{Path: m.Path, TokenLabel: m.TokenLabel, Pin: m.UserPIN})
	require.NoError(t, err, "crypto11.Configure")
	t.Cleanup(func() { assert.NoError(t, ctx.Close(), "crypto11 Close") })
	return ctx
}

// TestCrypto11 uses the module through github.com/ThalesGroup/crypto11 as
// Go applications do: crypto.Signer and crypto.Decrypter keys, cipher.AEAD
// and cipher.BlockMode for AES, hash.Hash for HMAC, an io.Reader of random
// bytes, certificates; every result checked with Go's own crypto.
func TestCrypto11(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		ctx := configureCrypto11(t, m)
		msg := []byte("crypto11 through " + m.Name)

		t.Run("RSA", func(t *testing.T) {
			key, err := ctx.GenerateRSAKeyPairWithLabel([]byte("c11-rsa"), []byte("c11-rsa"), 2048)
			require.NoError(t, err)
			defer func() { assert.NoError(t, key.Delete()) }()
			pub, ok := key.Public().(*rsa.PublicKey)
			require.True(t, ok)
			d := digest(crypto.SHA256, msg)
			sig, err := key.Sign(rand.Reader, d, crypto.SHA256)
			require.NoError(t, err)
			require.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, d, sig))
			sig, err = key.Sign(rand.Reader, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
			require.NoError(t, err)
			require.NoError(t, rsa.VerifyPSS(pub, crypto.SHA256, d, sig, &rsa.PSSOptions{SaltLength: 32}))

			ct, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, msg, nil)
			require.NoError(t, err)
			plain, err := key.Decrypt(rand.Reader, ct, &rsa.OAEPOptions{Hash: crypto.SHA1})
			require.NoError(t, err)
			require.Equal(t, msg, plain)

			found, err := ctx.FindKeyPair([]byte("c11-rsa"), nil)
			require.NoError(t, err)
			require.NotNil(t, found)
			require.True(t, pub.Equal(found.Public()))
		})

		for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
			t.Run("ECDSA-"+c.Params().Name, func(t *testing.T) {
				key, err := ctx.GenerateECDSAKeyPair([]byte("c11-ec-"+c.Params().Name), c)
				require.NoError(t, err)
				defer func() { assert.NoError(t, key.Delete()) }()
				pub, ok := key.Public().(*ecdsa.PublicKey)
				require.True(t, ok)
				d := digest(crypto.SHA384, msg)
				sig, err := key.Sign(rand.Reader, d, crypto.SHA384)
				require.NoError(t, err)
				require.True(t, ecdsa.VerifyASN1(pub, d, sig))
			})
		}

		t.Run("certificate", func(t *testing.T) {
			key, err := ctx.GenerateECDSAKeyPair([]byte("c11-cert"), elliptic.P256())
			require.NoError(t, err)
			defer func() { assert.NoError(t, key.Delete()) }()
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "crypto11 " + m.Name},
				NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
				KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
			require.NoError(t, err, "x509.CreateCertificate with the token's key as crypto.Signer")
			cert, err := x509.ParseCertificate(der)
			require.NoError(t, err)
			require.NoError(t, cert.CheckSignatureFrom(cert))
			require.NoError(t, ctx.ImportCertificateWithLabel([]byte("c11-cert"), []byte("c11-cert"), cert))
			got, err := ctx.FindCertificate(nil, []byte("c11-cert"), nil)
			require.NoError(t, err)
			require.NotNil(t, got)
			require.Equal(t, der, got.Raw)
			require.NoError(t, ctx.DeleteCertificate(nil, []byte("c11-cert"), nil))
		})

		t.Run("AES", func(t *testing.T) {
			tmpl, err := crypto11.NewAttributeSetWithIDAndLabel([]byte("c11-aes"), []byte("c11-aes"))
			require.NoError(t, err)
			require.NoError(t, tmpl.Set(pkcs11.CKA_TOKEN, false))
			require.NoError(t, tmpl.Set(pkcs11.CKA_SENSITIVE, false))
			require.NoError(t, tmpl.Set(pkcs11.CKA_EXTRACTABLE, true))
			key, err := ctx.GenerateSecretKeyWithAttributes(tmpl, 256, crypto11.CipherAES)
			require.NoError(t, err)
			defer func() { assert.NoError(t, key.Delete()) }()
			value, err := ctx.GetAttribute(key, crypto11.CkaValue)
			require.NoError(t, err)
			require.Len(t, value.Value, 32)
			block, err := aes.NewCipher(value.Value)
			require.NoError(t, err)

			gcm, err := key.NewGCM()
			require.NoError(t, err)
			// crypto11's nonce size is its configuration's (16 by default).
			goGCM, err := cipher.NewGCMWithNonceSize(block, gcm.NonceSize())
			require.NoError(t, err)
			nonce := randomBytes(t, gcm.NonceSize())
			aad := []byte("aad")
			sealed := gcm.Seal(nil, nonce, msg, aad)
			opened, err := goGCM.Open(nil, nonce, sealed, aad)
			require.NoError(t, err, "Go opens what crypto11 sealed")
			require.Equal(t, msg, opened)
			opened, err = gcm.Open(nil, nonce, goGCM.Seal(nil, nonce, msg, aad), aad)
			require.NoError(t, err, "crypto11 opens what Go sealed")
			require.Equal(t, msg, opened)

			iv := randomBytes(t, aes.BlockSize)
			plain := randomBytes(t, 4*aes.BlockSize)
			enc, err := key.NewCBCEncrypterCloser(iv)
			require.NoError(t, err)
			got := make([]byte, len(plain))
			enc.CryptBlocks(got, plain)
			enc.Close()
			want := make([]byte, len(plain))
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(want, plain)
			require.Equal(t, want, got)
		})

		t.Run("HMAC", func(t *testing.T) {
			tmpl, err := crypto11.NewAttributeSetWithIDAndLabel([]byte("c11-hmac"), []byte("c11-hmac"))
			require.NoError(t, err)
			require.NoError(t, tmpl.Set(pkcs11.CKA_TOKEN, false))
			require.NoError(t, tmpl.Set(pkcs11.CKA_SENSITIVE, false))
			require.NoError(t, tmpl.Set(pkcs11.CKA_EXTRACTABLE, true))
			// A generic secret: SoftHSM has no CKK_SHA256_HMAC key generation.
			key, err := ctx.GenerateSecretKeyWithAttributes(tmpl, 256, crypto11.CipherGeneric)
			require.NoError(t, err)
			defer func() { assert.NoError(t, key.Delete()) }()
			value, err := ctx.GetAttribute(key, crypto11.CkaValue)
			require.NoError(t, err)
			mac, err := key.NewHMAC(pkcs11.CKM_SHA256_HMAC, 0)
			require.NoError(t, err)
			_, err = mac.Write(msg)
			require.NoError(t, err)
			want := hmac.New(crypto.SHA256.New, value.Value)
			want.Write(msg)
			require.Equal(t, want.Sum(nil), mac.Sum(nil))
		})

		t.Run("random", func(t *testing.T) {
			r, err := ctx.NewRandomReader()
			require.NoError(t, err)
			a, b := make([]byte, 64), make([]byte, 64)
			_, err = io.ReadFull(r, a)
			require.NoError(t, err)
			_, err = io.ReadFull(r, b)
			require.NoError(t, err)
			require.NotEqual(t, a, b)
		})
	})
}
