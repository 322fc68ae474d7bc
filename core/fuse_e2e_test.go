package core

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	gohmac "crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// These tests check against hsmd on SoftHSM that an init whose checks core
// cannot make goes to the server alone, so its error is answered by
// C_xxxInit, and that an init core checked travels fused with its
// single-part call (canDefer, fuse_checks.go).

// sent is what roundTrips saw, for assertions on the init's fate.
type sent []string

func (s sent) fused(once string) bool { return slices.Contains(s, once) }

func secretKey(t *testing.T, l *Library, h ck.SessionHandle, kt ck.KeyType, value []byte, usage ...ck.AttributeType) ck.ObjectHandle {
	t.Helper()
	tmpl := []ck.Attribute{ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), ck.ULONGAttr(ck.CKA_KEY_TYPE, kt), ck.BytesAttr(ck.CKA_VALUE, value)}
	for _, u := range usage {
		tmpl = append(tmpl, ck.BoolAttr(u, true))
	}
	o, err := l.CreateObject(h, tmpl)
	require.NoError(t, err)
	return o
}

// ecPair generates an EC key pair on the curve of params with extra
// attributes for the private key.
func ecPair(t *testing.T, l *Library, h ck.SessionHandle, params []byte, private ...ck.Attribute) (pub, priv ck.ObjectHandle) {
	t.Helper()
	pub, priv, err := l.GenerateKeyPair(h, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{ck.BytesAttr(ck.CKA_EC_PARAMS, params), ck.BoolAttr(ck.CKA_VERIFY, true)},
		append([]ck.Attribute{ck.BoolAttr(ck.CKA_PRIVATE, true)}, private...))
	require.NoError(t, err)
	return pub, priv
}

func mustDER(t *testing.T, oid asn1.ObjectIdentifier) []byte {
	t.Helper()
	b, err := asn1.Marshal(oid)
	require.NoError(t, err)
	return b
}

func TestE2EInitsCoreCannotCheckGoAlone(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{connections: 1})
	h := rwSession(t, l)
	digest := sha256.Sum256([]byte("fused checks"))
	ecdsa := ck.Mechanism{Type: ck.CKM_ECDSA}
	p256 := mustDER(t, p256OID)

	t.Run("a key without CKA_SIGN fails at C_SignInit", func(t *testing.T) {
		_, priv := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, false))
		var err error
		got := sent(roundTrips(t, c, func() { err = l.SignInit(h, ecdsa, priv) }))
		assert.Equal(t, ck.CKR_KEY_FUNCTION_NOT_PERMITTED, rv(err))
		assert.Equal(t, sent{"C_GetAttributeValue", "C_SignInit"}, got)
		_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
		assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(err))
	})

	t.Run("an HMAC key shorter than the mechanism's minimum fails at C_SignInit", func(t *testing.T) {
		// SoftHSM lists CKM_SHA256_HMAC with keys of 32..512 bytes and
		// answers CKR_KEY_SIZE_RANGE at C_SignInit for a shorter one.
		hmac := ck.Mechanism{Type: ck.CKM_SHA256_HMAC}
		short := secretKey(t, l, h, ck.CKK_GENERIC_SECRET, make([]byte, 16), ck.CKA_SIGN)
		var err error
		got := sent(roundTrips(t, c, func() { err = l.SignInit(h, hmac, short) }))
		assert.Equal(t, ck.CKR_KEY_SIZE_RANGE, rv(err))
		assert.Equal(t, sent{"C_GetAttributeValue", "C_GetMechanismInfo", "C_SignInit"}, got)
		got = sent(roundTrips(t, c, func() { err = l.SignInit(h, hmac, short) }))
		assert.Equal(t, ck.CKR_KEY_SIZE_RANGE, rv(err), "every time, not once")
		assert.Equal(t, sent{"C_SignInit"}, got)

		key := bytes.Repeat([]byte{9}, 32)
		long := secretKey(t, l, h, ck.CKK_GENERIC_SECRET, key, ck.CKA_SIGN)
		var mac []byte
		got = sent(roundTrips(t, c, func() {
			require.NoError(t, l.SignInit(h, hmac, long))
			mac, _, err = l.Sign(h, []byte("x"), Output{Cap: 32})
			require.NoError(t, err)
		}))
		assert.Equal(t, sent{"C_GetAttributeValue", "SignOnce"}, got)
		want := gohmac.New(sha256.New, key)
		want.Write([]byte("x"))
		assert.Equal(t, want.Sum(nil), mac)
	})

	t.Run("an RSA key below the mechanism's minimum goes alone", func(t *testing.T) {
		// SoftHSM lists RSA mechanisms from 512 bits and does not generate
		// smaller keys; a 256-bit key made in Go is imported. SoftHSM takes
		// its init (it does not check the size there): what matters is that
		// the init went alone, so whatever the backend answers is answered
		// by C_SignInit.
		n, e, d := smallRSAKey(t, 256)
		priv, err := l.CreateObject(h, []ck.Attribute{ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY),
			ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.CKK_RSA), ck.BytesAttr(ck.CKA_MODULUS, n.Bytes()),
			ck.BytesAttr(ck.CKA_PUBLIC_EXPONENT, big.NewInt(int64(e)).Bytes()), ck.BytesAttr(ck.CKA_PRIVATE_EXPONENT, d.Bytes()),
			ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_PRIVATE, true)})
		require.NoError(t, err)
		mech := ck.Mechanism{Type: ck.CKM_RSA_PKCS}
		data := []byte("tiny")
		var sig []byte
		got := sent(roundTrips(t, c, func() {
			err = l.SignInit(h, mech, priv)
			require.NoError(t, err, "SoftHSM's answer at C_SignInit")
			sig, _, err = l.Sign(h, data, Output{Cap: 64})
		}))
		assert.Equal(t, sent{"C_GetAttributeValue", "C_GetMechanismInfo", "C_SignInit", "C_Sign"}, got)
		require.NoError(t, err)
		assert.True(t, pkcs1v15Valid(n, e, data, sig), "the signature checks with Go's big integers")

		// At the minimum the init is fused.
		_, priv512, err := l.GenerateKeyPair(h, ck.Mechanism{Type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN},
			[]ck.Attribute{ck.ULONGAttr(ck.CKA_MODULUS_BITS, ck.ULONG(512)), ck.BoolAttr(ck.CKA_VERIFY, true)},
			[]ck.Attribute{ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_PRIVATE, true)})
		require.NoError(t, err)
		got = sent(roundTrips(t, c, func() {
			require.NoError(t, l.SignInit(h, mech, priv512))
			_, _, err = l.Sign(h, data, Output{Cap: 64})
			require.NoError(t, err)
		}))
		assert.Equal(t, sent{"C_GetAttributeValue", "SignOnce"}, got)
	})

	t.Run("an EC key on a curve core does not know goes alone", func(t *testing.T) {
		brainpoolP256r1 := mustDER(t, asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7})
		_, priv := ecPair(t, l, h, brainpoolP256r1, ck.BoolAttr(ck.CKA_SIGN, true))
		var sig []byte
		got := sent(roundTrips(t, c, func() {
			require.NoError(t, l.SignInit(h, ecdsa, priv))
			var err error
			sig, _, err = l.Sign(h, digest[:], Output{Cap: 64})
			require.NoError(t, err)
		}))
		assert.Len(t, sig, 64)
		assert.False(t, got.fused("SignOnce"))
		assert.Equal(t, []string{"C_SignInit", "C_Sign"}, []string(got[len(got)-2:]))
		assert.Equal(t, "C_GetAttributeValue", got[0])

		// The same init with a P-256 key travels fused.
		_, known := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, true))
		got = sent(roundTrips(t, c, func() {
			require.NoError(t, l.SignInit(h, ecdsa, known))
			_, _, err := l.Sign(h, digest[:], Output{Cap: 64})
			require.NoError(t, err)
		}))
		assert.Equal(t, sent{"C_GetAttributeValue", "SignOnce"}, got)
	})

	t.Run("CKA_ALLOWED_MECHANISMS without the mechanism fails at C_SignInit", func(t *testing.T) {
		_, only256 := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, true),
			ck.ULONGsAttr(ck.CKA_ALLOWED_MECHANISMS, ck.CKM_ECDSA_SHA256))
		var err error
		got := sent(roundTrips(t, c, func() { err = l.SignInit(h, ecdsa, only256) }))
		assert.Equal(t, ck.CKR_MECHANISM_INVALID, rv(err), "SoftHSM's answer")
		assert.Equal(t, sent{"C_GetAttributeValue", "C_SignInit"}, got)

		_, withECDSA := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, true),
			ck.ULONGsAttr(ck.CKA_ALLOWED_MECHANISMS, ck.CKM_ECDSA_SHA256, ck.CKM_ECDSA))
		got = sent(roundTrips(t, c, func() {
			require.NoError(t, l.SignInit(h, ecdsa, withECDSA))
			_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
			require.NoError(t, err)
		}))
		assert.Equal(t, sent{"C_GetAttributeValue", "SignOnce"}, got)
	})

	t.Run("a GCM parameter core does not judge goes alone", func(t *testing.T) {
		value := bytes.Repeat([]byte{5}, 24) // AES-192: within SoftHSM's 16..32 bytes
		key := secretKey(t, l, h, ck.CKK_AES, value, ck.CKA_ENCRYPT)
		block, err := aes.NewCipher(value)
		require.NoError(t, err)
		plain := []byte("attack at dawn")

		tooLong := ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: make([]byte, 12), TagBits: 136}}
		got := sent(roundTrips(t, c, func() { err = l.EncryptInit(h, tooLong, key) }))
		assert.Equal(t, ck.CKR_ARGUMENTS_BAD, rv(err), "SoftHSM's answer to a 136-bit tag")
		assert.Equal(t, "C_EncryptInit", got[len(got)-1])
		assert.False(t, got.fused("EncryptOnce"))

		// A 16-byte IV is valid GCM, but not one every token takes.
		iv16 := bytes.Repeat([]byte{3}, 16)
		var ct []byte
		got = sent(roundTrips(t, c, func() {
			require.NoError(t, l.EncryptInit(h, ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: iv16, TagBits: 128}}, key))
			ct, _, err = l.Encrypt(h, plain, Output{Cap: 64})
			require.NoError(t, err)
		}))
		assert.Equal(t, sent{"C_EncryptInit", "C_Encrypt"}, got)
		gcm16, err := cipher.NewGCMWithNonceSize(block, 16)
		require.NoError(t, err)
		assert.Equal(t, gcm16.Seal(nil, iv16, plain, nil), ct)

		iv12 := bytes.Repeat([]byte{4}, 12)
		got = sent(roundTrips(t, c, func() {
			require.NoError(t, l.EncryptInit(h, ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: iv12, TagBits: 128}}, key))
			ct, _, err = l.Encrypt(h, plain, Output{Cap: 64})
			require.NoError(t, err)
		}))
		assert.Equal(t, sent{"C_GetMechanismInfo", "EncryptOnce"}, got, "the first init core could check")
		gcm, err := cipher.NewGCM(block)
		require.NoError(t, err)
		assert.Equal(t, gcm.Seal(nil, iv12, plain, nil), ct)
	})

	t.Run("a key that needs a context-specific login is never fused", func(t *testing.T) {
		_, priv := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_ALWAYS_AUTHENTICATE, true))
		got := sent(roundTrips(t, c, func() { require.NoError(t, l.SignInit(h, ecdsa, priv)) }))
		assert.Equal(t, sent{"C_GetAttributeValue", "C_SignInit"}, got)
		require.NoError(t, l.Login(h, uint64(ck.CKU_CONTEXT_SPECIFIC), []byte(e2eUserPIN)))
		_, _, err := l.Sign(h, digest[:], Output{Cap: 64})
		require.NoError(t, err)
	})

	t.Run("a private key after C_Logout fails at C_SignInit", func(t *testing.T) {
		_, priv := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, true))
		require.NoError(t, l.SignInit(h, ecdsa, priv))
		_, _, err := l.Sign(h, digest[:], Output{Cap: 64})
		require.NoError(t, err)
		require.NoError(t, l.Logout(h))
		got := sent(roundTrips(t, c, func() { err = l.SignInit(h, ecdsa, priv) }))
		assert.Equal(t, ck.CKR_KEY_HANDLE_INVALID, rv(err), "SoftHSM hides private objects after C_Logout")
		assert.Equal(t, sent{"C_SignInit"}, got, "what core read is known, and it says private")
		require.NoError(t, l.Login(h, uint64(ck.CKU_USER), []byte(e2eUserPIN)))
	})
}

func TestE2EChangesSendDeferredInitsFirst(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{connections: 1})
	h := rwSession(t, l)
	other, err := l.OpenSession(0, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	require.NoError(t, err)
	digest := sha256.Sum256([]byte("deferred"))
	ecdsa := ck.Mechanism{Type: ck.CKM_ECDSA}
	p256 := mustDER(t, p256OID)

	// deferred starts a signature core defers, having read the key once.
	deferred := func(t *testing.T, priv ck.ObjectHandle) {
		t.Helper()
		require.NoError(t, l.SignInit(h, ecdsa, priv))
		_, _, err := l.Sign(h, digest[:], Output{Cap: 64})
		require.NoError(t, err)
		assert.Empty(t, roundTrips(t, c, func() { require.NoError(t, l.SignInit(h, ecdsa, priv)) }), "deferred")
	}

	t.Run("C_SetAttributeValue in another session", func(t *testing.T) {
		pub, priv := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, true))
		deferred(t, priv)
		got := roundTrips(t, c, func() {
			require.NoError(t, l.SetAttributeValue(other, priv, []ck.Attribute{ck.BoolAttr(ck.CKA_SIGN, false)}))
		})
		assert.Equal(t, []string{"C_SignInit", "C_SetAttributeValue"}, got)
		var sig []byte
		got = roundTrips(t, c, func() { sig, _, err = l.Sign(h, digest[:], Output{Cap: 64}) })
		require.NoError(t, err, "the operation started before the change, as without fusing")
		assert.Equal(t, []string{"C_Sign"}, got)
		verifyECDSA(t, ecPublicKey(t, l, h, pub), digest[:], sig)

		got = roundTrips(t, c, func() { err = l.SignInit(h, ecdsa, priv) })
		assert.Equal(t, ck.CKR_KEY_FUNCTION_NOT_PERMITTED, rv(err), "core read the key again")
		assert.Equal(t, []string{"C_GetAttributeValue", "C_SignInit"}, got)
	})

	t.Run("C_DestroyObject in another session", func(t *testing.T) {
		_, priv := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, true))
		deferred(t, priv)
		got := roundTrips(t, c, func() { require.NoError(t, l.DestroyObject(other, priv)) })
		assert.Equal(t, []string{"C_SignInit", "C_DestroyObject"}, got)
		got = roundTrips(t, c, func() { _, _, err = l.Sign(h, digest[:], Output{Cap: 64}) })
		assert.Equal(t, []string{"C_Sign"}, got, "the backend's operation answers, whatever it makes of a destroyed key")
		assert.Equal(t, ck.CKR_KEY_HANDLE_INVALID, rv(l.SignInit(h, ecdsa, priv)))
	})

	t.Run("C_Logout in another session", func(t *testing.T) {
		_, priv := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, true))
		deferred(t, priv)
		got := roundTrips(t, c, func() { require.NoError(t, l.Logout(other)) })
		assert.Equal(t, []string{"C_SignInit", "C_Logout"}, got)
		got = roundTrips(t, c, func() { _, _, _ = l.Sign(h, digest[:], Output{Cap: 64}) })
		assert.Equal(t, []string{"C_Sign"}, got, "whether the operation survives C_Logout is the backend's business (§5.6)")
		require.NoError(t, l.Login(h, uint64(ck.CKU_USER), []byte(e2eUserPIN)))
	})

	t.Run("a change to another key leaves the deferred init alone", func(t *testing.T) {
		_, priv := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, true))
		_, unrelated := ecPair(t, l, h, p256, ck.BoolAttr(ck.CKA_SIGN, true))
		deferred(t, priv)
		got := roundTrips(t, c, func() {
			require.NoError(t, l.SetAttributeValue(other, unrelated, []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "renamed")}))
		})
		assert.Equal(t, []string{"C_SetAttributeValue"}, got)
		got = roundTrips(t, c, func() {
			_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
			require.NoError(t, err)
		})
		assert.Equal(t, []string{"SignOnce"}, got)
	})
}

// TestE2EResidualAnotherApplication shows the residual case core cannot
// see: another application (here the library's second slot on the same
// partition, which hsmd serves from its own worker) changes a token key
// after core read it. The fused init fails at its first stage and C_Sign
// reports the init's error; core then reads the key again, so the next
// C_SignInit answers it.
func TestE2EResidualAnotherApplication(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{connections: 1, slots: []uint64{0, 1}})
	h := rwSession(t, l)
	h1, err := l.OpenSession(1, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	require.NoError(t, err)
	require.NoError(t, l.Login(h1, uint64(ck.CKU_USER), []byte(e2eUserPIN)))
	_, priv := ecKeyPair(t, l, h, "shared", true)
	digest := sha256.Sum256([]byte("residual"))
	ecdsa := ck.Mechanism{Type: ck.CKM_ECDSA}

	require.NoError(t, l.SignInit(h, ecdsa, priv))
	_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
	require.NoError(t, err)

	require.NoError(t, l.FindObjectsInit(h1, []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "shared"), ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY)}))
	found, err := l.FindObjects(h1, 2)
	require.NoError(t, err)
	require.NoError(t, l.FindObjectsFinal(h1))
	require.Len(t, found, 1)
	require.NoError(t, l.SetAttributeValue(h1, found[0], []ck.Attribute{ck.BoolAttr(ck.CKA_SIGN, false)}))

	require.NoError(t, l.SignInit(h, ecdsa, priv), "core's knowledge is stale; it cannot know")
	_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
	assert.Equal(t, ck.CKR_KEY_FUNCTION_NOT_PERMITTED, rv(err), "the residual case: the init's error from C_Sign")
	got := roundTrips(t, c, func() { err = l.SignInit(h, ecdsa, priv) })
	assert.Equal(t, ck.CKR_KEY_FUNCTION_NOT_PERMITTED, rv(err))
	assert.Equal(t, []string{"C_GetAttributeValue", "C_SignInit"}, got)
}

func TestE2EFindTemplatesCoreDoesNotKnowGoAlone(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{connections: 1})
	h := rwSession(t, l)
	_, err := l.CreateObject(h, []ck.Attribute{ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_DATA), ck.StringAttr(ck.CKA_LABEL, "find")})
	require.NoError(t, err)

	got := roundTrips(t, c, func() {
		require.NoError(t, l.FindObjectsInit(h, []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "find")}))
		found, err := l.FindObjects(h, 4)
		require.NoError(t, err)
		assert.Len(t, found, 1)
		require.NoError(t, l.FindObjectsFinal(h))
	})
	assert.Equal(t, []string{"FindObjectsOnce"}, got)

	got = roundTrips(t, c, func() {
		err = l.FindObjectsInit(h, []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "find"), ck.BytesAttr(ck.CKA_VENDOR_DEFINED+0x4242, []byte{1})})
		if err == nil {
			_, err = l.FindObjects(h, 4)
			require.NoError(t, err)
			require.NoError(t, l.FindObjectsFinal(h))
		}
	})
	require.NotEmpty(t, got)
	assert.Equal(t, "C_FindObjectsInit", got[0], "a vendor attribute: the backend judges the template at C_FindObjectsInit")
}

// smallRSAKey makes an RSA key of the given size from two primes; Go's
// crypto/rsa refuses keys this small.
func smallRSAKey(t *testing.T, bits int) (n *big.Int, e int, d *big.Int) {
	t.Helper()
	e = 65537
	for {
		p, err := rand.Prime(rand.Reader, bits/2)
		require.NoError(t, err)
		q, err := rand.Prime(rand.Reader, bits/2)
		require.NoError(t, err)
		n = new(big.Int).Mul(p, q)
		if p.Cmp(q) == 0 || n.BitLen() != bits {
			continue
		}
		one := big.NewInt(1)
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		if d = new(big.Int).ModInverse(big.NewInt(int64(e)), phi); d != nil {
			return n, e, d
		}
	}
}

// pkcs1v15Valid checks a CKM_RSA_PKCS signature of data (no hash) by
// raising it to e: EMSA-PKCS1-v1_5 is 00 01 FF..FF 00 data.
func pkcs1v15Valid(n *big.Int, e int, data, sig []byte) bool {
	k := (n.BitLen() + 7) / 8
	if len(sig) != k {
		return false
	}
	m := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(e)), n)
	em := m.FillBytes(make([]byte, k))
	want := append(append([]byte{0, 1}, bytes.Repeat([]byte{0xff}, k-3-len(data))...), 0)
	return bytes.Equal(em, append(want, data...))
}

// TestE2EChangesWhileSigning runs signatures on 8 sessions while another
// session keeps renaming their key: every change holds fusing and sends
// the deferred inits of the others first, which must neither deadlock nor
// lose a signature.
func TestE2EChangesWhileSigning(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{connections: 2})
	h := rwSession(t, l)
	pub, priv := ecKeyPair(t, l, h, "busy", false)
	goPub := ecPublicKey(t, l, h, pub)
	digest := sha256.Sum256([]byte("busy"))

	const signers, rounds = 8, 25
	var wg sync.WaitGroup
	failures := make(chan error, signers*rounds+rounds)
	for range signers {
		s, err := l.OpenSession(0, ck.CKF_SERIAL_SESSION)
		require.NoError(t, err)
		wg.Go(func() {
			for range rounds {
				if err := l.SignInit(s, ck.Mechanism{Type: ck.CKM_ECDSA}, priv); err != nil {
					failures <- err
					return
				}
				sig, _, err := l.Sign(s, digest[:], Output{Cap: 64})
				if err != nil {
					failures <- err
					return
				}
				if !ecdsaValid(goPub, digest[:], sig) {
					failures <- fmt.Errorf("a signature does not verify")
				}
			}
		})
	}
	wg.Go(func() {
		for i := range rounds {
			if err := l.SetAttributeValue(h, priv, []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, fmt.Sprint("busy-", i))}); err != nil {
				failures <- err
			}
		}
	})
	wg.Wait()
	close(failures)
	for err := range failures {
		assert.NoError(t, err)
	}
}
