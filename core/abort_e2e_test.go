package core

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// These tests end operations with AbortOperation, as the boundary does
// when it refuses a call's arguments, and prove the server's operation
// ended too: with fused messages off, a C_xxxInit goes to the server,
// which would answer CKR_OPERATION_ACTIVE had it kept the old one.

func TestE2EAbortOperation(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{connections: 1})
	h := rwSession(t, l)
	ecPub, ecPriv := ecKeyPair(t, l, h, "abort", false)
	aes, err := l.GenerateKey(h, ck.Mechanism{Type: ck.CKM_AES_KEY_GEN},
		[]ck.Attribute{ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(32)), ck.BoolAttr(ck.CKA_ENCRYPT, true), ck.BoolAttr(ck.CKA_DECRYPT, true)})
	require.NoError(t, err)
	rsaPub, rsaPriv, err := l.GenerateKeyPair(h, ck.Mechanism{Type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN},
		[]ck.Attribute{ck.ULONGAttr(ck.CKA_MODULUS_BITS, ck.ULONG(2048)), ck.BoolAttr(ck.CKA_ENCRYPT, true)},
		[]ck.Attribute{ck.BoolAttr(ck.CKA_DECRYPT, true), ck.BoolAttr(ck.CKA_PRIVATE, true)})
	require.NoError(t, err)
	// SoftHSM wants at least 32 bytes of key for SHA256-HMAC.
	mac, err := l.CreateObject(h, []ck.Attribute{ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_SECRET_KEY),
		ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET), ck.BytesAttr(ck.CKA_VALUE, make([]byte, 32)),
		ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_VERIFY, true)})
	require.NoError(t, err)
	ecdsa := ck.Mechanism{Type: ck.CKM_ECDSA}
	hmac := ck.Mechanism{Type: ck.CKM_SHA256_HMAC}
	ecb := ck.Mechanism{Type: ck.CKM_AES_ECB}
	sha := ck.Mechanism{Type: ck.CKM_SHA256}
	oaep := ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: ck.RSAOAEPParams{Hash: ck.CKM_SHA_1, MGF: ck.CKG_MGF1_SHA1, Source: ck.CKZ_DATA_SPECIFIED}}
	digest := sha256.Sum256([]byte("abort"))

	t.Run("a deferred operation ends in core alone", func(t *testing.T) {
		require.NoError(t, l.SignInit(h, ecdsa, ecPriv))
		assert.Empty(t, roundTrips(t, c, func() { l.AbortOperation(h, "C_Sign") }))
		_, _, err := l.Sign(h, digest[:], Output{Cap: 64})
		assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(err))
		require.NoError(t, l.SignInit(h, ecdsa, ecPriv))
		_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
		require.NoError(t, err, "the fused init of the next operation is accepted by the server")
	})

	// Each case starts an operation the server holds, aborts it on
	// behalf of fn, and checks the messages sent and that a new init is
	// accepted by the server. SoftHSM answers the final of a mechanism
	// without a multi-part form CKR_OPERATION_NOT_INITIALIZED or
	// CKR_FUNCTION_NOT_SUPPORTED and keeps the operation: the
	// single-part call follows.
	cases := []struct {
		name  string
		start func(t *testing.T)
		fn    string
		sent  []string
		again func() error
	}{
		{"sign, multi-part", func(t *testing.T) {
			require.NoError(t, l.SignInit(h, hmac, mac))
			require.NoError(t, l.SignUpdate(h, []byte("part")))
		}, "C_SignFinal", []string{"C_SignFinal"}, func() error { return l.SignInit(h, hmac, mac) }},
		{"sign, single-part only", func(t *testing.T) {
			require.NoError(t, l.SignInit(h, ecdsa, ecPriv))
		}, "C_Sign", []string{"C_SignFinal", "C_Sign"}, func() error { return l.SignInit(h, ecdsa, ecPriv) }},
		{"verify, multi-part", func(t *testing.T) {
			require.NoError(t, l.VerifyInit(h, hmac, mac))
			require.NoError(t, l.VerifyUpdate(h, []byte("part")))
		}, "C_VerifyUpdate", []string{"C_VerifyFinal"}, func() error { return l.VerifyInit(h, hmac, mac) }},
		{"verify, single-part only", func(t *testing.T) {
			require.NoError(t, l.VerifyInit(h, ecdsa, ecPub))
		}, "C_Verify", []string{"C_VerifyFinal", "C_Verify"}, func() error { return l.VerifyInit(h, ecdsa, ecPub) }},
		{"encrypt", func(t *testing.T) {
			require.NoError(t, l.EncryptInit(h, ecb, aes))
			_, _, err := l.EncryptUpdate(h, make([]byte, 16), Output{Cap: 16})
			require.NoError(t, err)
		}, "C_EncryptFinal", []string{"C_EncryptFinal"}, func() error { return l.EncryptInit(h, ecb, aes) }},
		{"decrypt", func(t *testing.T) {
			require.NoError(t, l.DecryptInit(h, ecb, aes))
			_, _, err := l.DecryptUpdate(h, make([]byte, 16), Output{Cap: 16})
			require.NoError(t, err)
		}, "C_Decrypt", []string{"C_DecryptFinal"}, func() error { return l.DecryptInit(h, ecb, aes) }},
		{"RSA encryption, whose final SoftHSM does not support", func(t *testing.T) {
			require.NoError(t, l.EncryptInit(h, oaep, rsaPub))
		}, "C_Encrypt", []string{"C_EncryptFinal", "C_Encrypt"}, func() error { return l.EncryptInit(h, oaep, rsaPub) }},
		{"RSA decryption, whose final SoftHSM does not support", func(t *testing.T) {
			require.NoError(t, l.DecryptInit(h, oaep, rsaPriv))
		}, "C_Decrypt", []string{"C_DecryptFinal", "C_Decrypt"}, func() error { return l.DecryptInit(h, oaep, rsaPriv) }},
		{"digest", func(t *testing.T) {
			require.NoError(t, l.DigestInit(h, sha))
			require.NoError(t, l.DigestUpdate(h, []byte("part")))
		}, "C_DigestFinal", []string{"C_DigestFinal"}, func() error { return l.DigestInit(h, sha) }},
		{"a signature computed for a size query ended the server's already", func(t *testing.T) {
			require.NoError(t, l.SignInit(h, ecdsa, ecPriv))
			_, n, err := l.Sign(h, digest[:], Output{Query: true})
			require.NoError(t, err)
			require.EqualValues(t, 64, n)
		}, "C_Sign", []string{}, func() error { return l.SignInit(h, ecdsa, ecPriv) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			withoutFusing(t, l, h)
			tc.start(t)
			sent := roundTrips(t, c, func() { l.AbortOperation(h, tc.fn) })
			if len(tc.sent) == 0 {
				assert.Empty(t, sent)
			} else {
				assert.Equal(t, tc.sent, sent)
			}
			require.NoError(t, tc.again(), "the server's operation ended")
			l.AbortOperation(h, tc.fn)
		})
	}

	t.Run("a dual-function update ends both operations", func(t *testing.T) {
		// A SoftHSM session runs one operation at a time: the
		// encryption's init is left deferred, the digest's is sent.
		require.NoError(t, l.DigestInit(h, sha))
		require.NoError(t, l.DigestUpdate(h, []byte("part")))
		require.NoError(t, l.EncryptInit(h, ecb, aes))
		sent := roundTrips(t, c, func() { l.AbortOperation(h, "C_DigestEncryptUpdate") })
		assert.Equal(t, []string{"C_DigestFinal"}, sent)
		withoutFusing(t, l, h)
		require.NoError(t, l.DigestInit(h, sha))
		l.AbortOperation(h, "C_Digest")
		require.NoError(t, l.EncryptInit(h, ecb, aes))
		l.AbortOperation(h, "C_Encrypt")
	})

	t.Run("functions of no operation, other kinds and other sessions end nothing", func(t *testing.T) {
		require.NoError(t, l.SignInit(h, ecdsa, ecPriv))
		for _, fn := range []string{"C_SignInit", "C_GetAttributeValue", "C_Encrypt", "C_Digest", "C_Verify", "C_SignRecover", ""} {
			l.AbortOperation(h, fn)
		}
		l.AbortOperation(h+1000, "C_Sign")
		l.AbortOperation(ck.CK_INVALID_HANDLE, "C_Sign")
		assert.Equal(t, ck.CKR_OPERATION_ACTIVE, rv(l.SignInit(h, ecdsa, ecPriv)))
		_, _, err := l.Sign(h, digest[:], Output{Cap: 64})
		require.NoError(t, err)
		l.AbortOperation(h, "C_Sign") // no operation left: nothing to do
		_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
		assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(err))
	})
}

// Core refuses some calls itself; those end the server's operation too.
func TestE2ECoreRefusalsEndTheServersOperation(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{connections: 1})
	h := rwSession(t, l)
	_, ecPriv := ecKeyPair(t, l, h, "refusal", false)
	aes, err := l.GenerateKey(h, ck.Mechanism{Type: ck.CKM_AES_KEY_GEN},
		[]ck.Attribute{ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(32)), ck.BoolAttr(ck.CKA_ENCRYPT, true)})
	require.NoError(t, err)
	ecb := ck.Mechanism{Type: ck.CKM_AES_ECB}
	sha := ck.Mechanism{Type: ck.CKM_SHA256}
	digest := sha256.Sum256([]byte("refusal"))

	t.Run("an update's size query collected with other input", func(t *testing.T) {
		withoutFusing(t, l, h)
		require.NoError(t, l.EncryptInit(h, ecb, aes))
		_, n, err := l.EncryptUpdate(h, make([]byte, 16), Output{Query: true})
		require.NoError(t, err)
		require.EqualValues(t, 16, n)
		sent := roundTrips(t, c, func() {
			_, _, err = l.EncryptUpdate(h, make([]byte, 32), Output{Cap: 32})
		})
		assert.Equal(t, ck.CKR_ARGUMENTS_BAD, rv(err))
		assert.Equal(t, []string{"C_EncryptFinal"}, sent)
		require.NoError(t, l.EncryptInit(h, ecb, aes))
		l.AbortOperation(h, "C_Encrypt")
	})

	t.Run("an update while a final's output waits", func(t *testing.T) {
		withoutFusing(t, l, h)
		require.NoError(t, l.DigestInit(h, sha))
		require.NoError(t, l.DigestUpdate(h, []byte("x")))
		_, _, err := l.DigestFinal(h, Output{Query: true})
		require.NoError(t, err)
		sent := roundTrips(t, c, func() { err = l.DigestUpdate(h, []byte("y")) })
		assert.Equal(t, ck.CKR_ARGUMENTS_BAD, rv(err))
		assert.Empty(t, sent, "computing the final's output ended the server's operation")
		require.NoError(t, l.DigestInit(h, sha))
		l.AbortOperation(h, "C_Digest")
	})

	t.Run("C_DigestKey with a handle that is no key", func(t *testing.T) {
		withoutFusing(t, l, h)
		require.NoError(t, l.DigestInit(h, sha))
		require.NoError(t, l.DigestUpdate(h, []byte("x")))
		assert.Equal(t, ck.CKR_KEY_HANDLE_INVALID, rv(l.DigestKey(h, 999999)))
		require.NoError(t, l.DigestInit(h, sha))
		l.AbortOperation(h, "C_Digest")
	})

	t.Run("C_GetOperationState after a fused size query starts nothing", func(t *testing.T) {
		require.NoError(t, l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, ecPriv))
		_, _, err := l.Sign(h, digest[:], Output{Query: true})
		require.NoError(t, err)
		sent := roundTrips(t, c, func() { _, _, _ = l.OperationState(h, Output{Query: true}) })
		assert.Equal(t, []string{"C_GetOperationState"}, sent, "the signature is computed: no init to send")
		_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
		require.NoError(t, err)
		require.NoError(t, l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, ecPriv))
		_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
		require.NoError(t, err, "the server holds no signature of the session")
	})
}
