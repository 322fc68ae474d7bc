package worker

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

func (k *kit) ecPublicKey(s ck.SessionHandle, pub ck.ObjectHandle) *ecdsa.PublicKey {
	k.t.Helper()
	var point []byte
	_, err := asn1.Unmarshal(k.attr(s, pub, ck.CKA_EC_POINT), &point)
	require.NoError(k.t, err)
	require.Len(k.t, point, 65)
	require.Equal(k.t, byte(4), point[0])
	return &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(point[1:33]), Y: new(big.Int).SetBytes(point[33:])}
}

func (k *kit) rsaPublicKey(s ck.SessionHandle, pub ck.ObjectHandle) *rsa.PublicKey {
	k.t.Helper()
	n := new(big.Int).SetBytes(k.attr(s, pub, ck.CKA_MODULUS))
	e := new(big.Int).SetBytes(k.attr(s, pub, ck.CKA_PUBLIC_EXPONENT))
	return &rsa.PublicKey{N: n, E: int(e.Int64())}
}

func verifyECDSA(t *testing.T, pub *ecdsa.PublicKey, digest, sig []byte) bool {
	require.Len(t, sig, 64)
	return ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}

func (k *kit) sign(s ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle, data []byte) []byte {
	k.t.Helper()
	ok[*transport.StatusResponse](k, &transport.SignInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: m, Key: key}})
	return ok[*transport.OutputResponse](k, &transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: data}}).Out.Data
}

func TestSignECDSAAndRSA(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	msg := []byte("the message to sign")
	digest := sha256.Sum256(msg)

	ecPub, ecPriv := k.generateEC(s)
	goEC := k.ecPublicKey(s, ecPub)
	sig := k.sign(s, ck.Mechanism{Type: ck.CKM_ECDSA}, ecPriv, digest[:])
	assert.True(t, verifyECDSA(t, goEC, digest[:], sig))
	assert.False(t, verifyECDSA(t, goEC, make([]byte, 32), sig), "the check can fail")

	rsaPub, rsaPriv := k.generateRSA(s)
	goRSA := k.rsaPublicKey(s, rsaPub)
	sig = k.sign(s, ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS}, rsaPriv, msg)
	assert.NoError(t, rsa.VerifyPKCS1v15(goRSA, crypto.SHA256, digest[:], sig))

	pss := ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS_PSS, Param: ck.RSAPSSParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256, SaltLen: 32}}
	sig = k.sign(s, pss, rsaPriv, msg)
	assert.NoError(t, rsa.VerifyPSS(goRSA, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: 32}))

	// Verification on the token, plain and fused.
	ok[*transport.StatusResponse](k, &transport.VerifyInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: pss, Key: rsaPub}})
	ok[*transport.StatusResponse](k, &transport.VerifyRequest{Session: s, Data: msg, Signature: sig})
	v := call[*transport.FusedStatusResponse](k, &transport.VerifyOnceRequest{Session: s, Mechanism: pss, Key: rsaPub, Data: []byte("other"), Signature: sig})
	assert.Equal(t, ck.CKR_SIGNATURE_INVALID, v.RV)
	assert.Equal(t, transport.StageOperation, v.Stage)

	// Multi-part signing.
	ok[*transport.StatusResponse](k, &transport.SignInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS}, Key: rsaPriv}})
	ok[*transport.StatusResponse](k, &transport.SignUpdateRequest{DataInput: transport.DataInput{Session: s, Data: msg[:5]}})
	ok[*transport.StatusResponse](k, &transport.SignUpdateRequest{DataInput: transport.DataInput{Session: s, Data: msg[5:]}})
	sig = ok[*transport.OutputResponse](k, &transport.SignFinalRequest{FinalPart: transport.FinalPart{Session: s}}).Out.Data
	assert.NoError(t, rsa.VerifyPKCS1v15(goRSA, crypto.SHA256, digest[:], sig))
}

func TestRSAOAEPDecrypt(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	pub, priv := k.generateRSA(s)
	plain := []byte("secret for the token")
	// SoftHSMv2 2.6 decrypts OAEP with SHA-1 only.
	enc, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, k.rsaPublicKey(s, pub), plain, nil)
	require.NoError(t, err)
	oaep := ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: ck.RSAOAEPParams{Hash: ck.CKM_SHA_1, MGF: ck.CKG_MGF1_SHA1, Source: ck.CKZ_DATA_SPECIFIED}}
	resp := ok[*transport.FusedOutputResponse](k, &transport.DecryptOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: oaep, Key: priv, Data: enc}})
	assert.Equal(t, plain, resp.Out.Data)
	assert.Equal(t, transport.StageOperation, resp.Stage)
}

// aesKey creates an AES key with a known value, so Go can check the
// token's work.
func (k *kit) aesKey(s ck.SessionHandle, value []byte) ck.ObjectHandle {
	k.t.Helper()
	return ok[*transport.ObjectResponse](k, &transport.CreateObjectRequest{Session: s, Template: []ck.Attribute{
		ck.ULONGAttr(ck.CKA_CLASS, ck.ULONG(ck.CKO_SECRET_KEY)),
		ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.ULONG(ck.CKK_AES)),
		ck.BytesAttr(ck.CKA_VALUE, value),
		ck.BoolAttr(ck.CKA_ENCRYPT, true), ck.BoolAttr(ck.CKA_DECRYPT, true),
		ck.BoolAttr(ck.CKA_WRAP, true), ck.BoolAttr(ck.CKA_UNWRAP, true),
		ck.BoolAttr(ck.CKA_EXTRACTABLE, true), ck.BoolAttr(ck.CKA_SENSITIVE, false),
		ck.StringAttr(ck.CKA_LABEL, "known"),
	}}).Object
}

func TestAESGCMAndCBC(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	value := make([]byte, 32)
	_, _ = rand.Read(value)
	key := k.aesKey(s, value)
	block, err := aes.NewCipher(value)
	require.NoError(t, err)
	plain := []byte("plaintext that is not a multiple of the block size")

	iv := make([]byte, 12)
	_, _ = rand.Read(iv)
	aad := []byte("header")
	gcm := ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: iv, IVBits: 96, AAD: aad, TagBits: 128}}
	enc := ok[*transport.FusedOutputResponse](k, &transport.EncryptOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: gcm, Key: key, Data: plain}}).Out.Data
	aead, err := cipher.NewGCM(block)
	require.NoError(t, err)
	got, err := aead.Open(nil, iv, enc, aad)
	require.NoError(t, err)
	assert.Equal(t, plain, got)
	_, err = aead.Open(nil, iv, enc, []byte("other header"))
	assert.Error(t, err, "the check can fail")

	// And back on the token.
	dec := ok[*transport.FusedOutputResponse](k, &transport.DecryptOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: gcm, Key: key, Data: enc}}).Out.Data
	assert.Equal(t, plain, dec)

	cbcIV := make([]byte, 16)
	_, _ = rand.Read(cbcIV)
	cbc := ck.Mechanism{Type: ck.CKM_AES_CBC_PAD, Param: ck.IVParam(cbcIV)}
	// Multi-part, with length queries on the way.
	ok[*transport.StatusResponse](k, &transport.EncryptInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: cbc, Key: key}})
	part1 := ok[*transport.OutputResponse](k, &transport.EncryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: plain[:20]}}).Out.Data
	lenOnly := ok[*transport.OutputResponse](k, &transport.EncryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: plain[20:], LengthOnly: true}}).Out
	assert.Nil(t, lenOnly.Data)
	part2 := ok[*transport.OutputResponse](k, &transport.EncryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: plain[20:]}}).Out.Data
	assert.Len(t, part2, int(lenOnly.Len))
	finalLen := ok[*transport.OutputResponse](k, &transport.EncryptFinalRequest{FinalPart: transport.FinalPart{Session: s, LengthOnly: true}}).Out.Len
	final := ok[*transport.OutputResponse](k, &transport.EncryptFinalRequest{FinalPart: transport.FinalPart{Session: s}}).Out.Data
	assert.Len(t, final, int(finalLen))
	enc = append(append(append([]byte{}, part1...), part2...), final...)
	require.Zero(t, len(enc)%16)
	out := make([]byte, len(enc))
	cipher.NewCBCDecrypter(block, cbcIV).CryptBlocks(out, enc)
	pad := int(out[len(out)-1])
	require.True(t, pad >= 1 && pad <= 16)
	assert.Equal(t, plain, out[:len(out)-pad])
}

func TestDigest(t *testing.T) {
	k := newKit(t)
	s := k.openSession()
	data := []byte("digest me")
	want := sha256.Sum256(data)
	resp := ok[*transport.FusedOutputResponse](k, &transport.DigestOnceRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_SHA256}, Data: data, LengthOnly: true})
	assert.Equal(t, ck.ULONG(32), resp.Out.Len)
	got := ok[*transport.OutputResponse](k, &transport.DigestRequest{DataPart: transport.DataPart{Session: s, Data: data}}).Out.Data
	assert.Equal(t, want[:], got)

	ok[*transport.StatusResponse](k, &transport.DigestInitRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_SHA256}})
	ok[*transport.StatusResponse](k, &transport.DigestUpdateRequest{DataInput: transport.DataInput{Session: s, Data: data[:3]}})
	ok[*transport.StatusResponse](k, &transport.DigestUpdateRequest{DataInput: transport.DataInput{Session: s, Data: data[3:]}})
	got = ok[*transport.OutputResponse](k, &transport.DigestFinalRequest{FinalPart: transport.FinalPart{Session: s}}).Out.Data
	assert.Equal(t, want[:], got)
}

// A key without CKA_SIGN fails SignOnce at stage 1, and leaves no
// operation active: a SignInit with a good key then works.
func TestSignOnceInitFailure(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	_, noSign := k.generatePair(s, ck.CKM_EC_KEY_PAIR_GEN,
		[]ck.Attribute{ck.BytesAttr(ck.CKA_EC_PARAMS, oidP256)},
		[]ck.Attribute{ck.BoolAttr(ck.CKA_SIGN, false), ck.BoolAttr(ck.CKA_PRIVATE, true)})
	digest := sha256.Sum256([]byte("x"))
	resp := call[*transport.FusedOutputResponse](k, &transport.SignOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_ECDSA}, Key: noSign, Data: digest[:]}})
	assert.Equal(t, ck.CKR_KEY_FUNCTION_NOT_PERMITTED, resp.RV)
	assert.Equal(t, transport.StageInit, resp.Stage)
	assert.Zero(t, resp.Out.Len)

	_, good := k.generateEC(s)
	resp = ok[*transport.FusedOutputResponse](k, &transport.SignOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_ECDSA}, Key: good, Data: digest[:]}})
	assert.Equal(t, transport.StageOperation, resp.Stage)
	assert.Len(t, resp.Out.Data, 64)

	// A failure of the operation itself is stage 2: raw PKCS#1 v1.5 over
	// more data than the modulus holds.
	_, rsaPriv := k.generateRSA(s)
	resp = call[*transport.FusedOutputResponse](k, &transport.SignOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_RSA_PKCS}, Key: rsaPriv, Data: make([]byte, 300)}})
	assert.NotEqual(t, ck.CKR_OK, resp.RV, "SoftHSMv2 answers CKR_GENERAL_ERROR here")
	assert.Equal(t, transport.StageOperation, resp.Stage)
}

// The output of a length query is the output of the call that follows:
// an ECDSA signature (random each time) does not change in between.
func TestSizeQueryCacheKeepsECDSASignature(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	pub, priv := k.generateEC(s)
	goEC := k.ecPublicKey(s, pub)
	digest := sha256.Sum256([]byte("sign me once"))
	ecdsaMech := ck.Mechanism{Type: ck.CKM_ECDSA}

	// Two plain signatures differ: the cache is what keeps them equal.
	first := k.sign(s, ecdsaMech, priv, digest[:])
	second := k.sign(s, ecdsaMech, priv, digest[:])
	require.NotEqual(t, first, second, "ECDSA signatures are randomised")

	ok[*transport.StatusResponse](k, &transport.SignInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: ecdsaMech, Key: priv}})
	lo := ok[*transport.OutputResponse](k, &transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: digest[:], LengthOnly: true}})
	assert.Equal(t, ck.ULONG(64), lo.Out.Len)
	assert.Empty(t, lo.Out.Data)
	cached := k.pendingOutput(s, opSign)
	require.Len(t, cached, 64)
	// While the output waits, the operation is active.
	assert.Equal(t, ck.CKR_OPERATION_ACTIVE, rvOfCall(k, &transport.SignInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: ecdsaMech, Key: priv}}))
	// A second length query answers the same length without signing again.
	ok[*transport.OutputResponse](k, &transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: digest[:], LengthOnly: true}})
	assert.Equal(t, cached, k.pendingOutput(s, opSign))
	sig := ok[*transport.OutputResponse](k, &transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: digest[:]}}).Out.Data
	assert.Equal(t, cached, sig)
	assert.True(t, verifyECDSA(t, goEC, digest[:], sig))
	assert.Nil(t, k.pendingOutput(s, opSign), "collected")

	// The fused form: SignOnce with lo, then the plain C_Sign.
	resp := ok[*transport.FusedOutputResponse](k, &transport.SignOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: ecdsaMech, Key: priv, Data: digest[:], LengthOnly: true}})
	assert.Equal(t, ck.ULONG(64), resp.Out.Len)
	cached = k.pendingOutput(s, opSign)
	sig = ok[*transport.OutputResponse](k, &transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: digest[:]}}).Out.Data
	assert.Equal(t, cached, sig)

	// A real call with other data than the length query's is refused.
	ok[*transport.StatusResponse](k, &transport.SignInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: ecdsaMech, Key: priv}})
	ok[*transport.OutputResponse](k, &transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: digest[:], LengthOnly: true}})
	other := sha256.Sum256([]byte("other"))
	assert.Equal(t, ck.CKR_ARGUMENTS_BAD, rvOfCall(k, &transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: other[:]}}))
	assert.Nil(t, k.pendingOutput(s, opSign))
	// The operation is over: a new one starts cleanly.
	assert.Len(t, k.sign(s, ecdsaMech, priv, digest[:]), 64)
}

// pendingOutput is the output a length query left in session s.
func (k *kit) pendingOutput(s ck.SessionHandle, kind opKind) []byte {
	k.t.Helper()
	sess, err := k.srv.lockSession(s)
	require.NoError(k.t, err)
	defer sess.mu.Unlock()
	if c := sess.pending[kind]; c != nil {
		return append([]byte{}, c.data...)
	}
	return nil
}

// needMechanism skips when the token lacks m.
func (k *kit) needMechanism(m ck.MechanismType) {
	k.t.Helper()
	mechs := ok[*transport.MechanismListResponse](k, &transport.GetMechanismListRequest{}).Mechanisms
	for _, have := range mechs {
		if have == m {
			return
		}
	}
	k.t.Skipf("the backend token has no %s", m)
}

// The C layouts of CK_AES_CTR_PARAMS and CK_EDDSA_PARAMS, checked by
// results Go can verify.
func TestAESCTRAndEdDSA(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	t.Run("ctr", func(t *testing.T) {
		k.needMechanism(ck.CKM_AES_CTR)
		value := bytes.Repeat([]byte{3}, 16)
		key := k.aesKey(s, value)
		var cb [16]byte
		_, _ = rand.Read(cb[:12])
		plain := []byte("counter mode keeps the length of the text")
		m := ck.Mechanism{Type: ck.CKM_AES_CTR, Param: ck.CTRParams{CounterBits: 32, CB: cb}}
		enc := ok[*transport.FusedOutputResponse](k, &transport.EncryptOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: m, Key: key, Data: plain}}).Out.Data
		block, err := aes.NewCipher(value)
		require.NoError(t, err)
		want := make([]byte, len(plain))
		cipher.NewCTR(block, cb[:]).XORKeyStream(want, plain)
		assert.Equal(t, want, enc)
	})
	t.Run("eddsa", func(t *testing.T) {
		k.needMechanism(ck.CKM_EDDSA)
		// CKA_EC_PARAMS of Ed25519: the printable string "edwards25519".
		params, err := asn1.MarshalWithParams("edwards25519", "printable")
		require.NoError(t, err)
		pub, priv := k.generatePair(s, ck.CKM_EC_EDWARDS_KEY_PAIR_GEN,
			[]ck.Attribute{ck.BytesAttr(ck.CKA_EC_PARAMS, params), ck.BoolAttr(ck.CKA_VERIFY, true)},
			[]ck.Attribute{ck.BoolAttr(ck.CKA_SIGN, true)})
		var point []byte
		_, err = asn1.Unmarshal(k.attr(s, pub, ck.CKA_EC_POINT), &point)
		require.NoError(t, err)
		require.Len(t, point, ed25519.PublicKeySize)
		msg := []byte("an Ed25519 message")
		for _, m := range []ck.Mechanism{{Type: ck.CKM_EDDSA}, {Type: ck.CKM_EDDSA, Param: ck.EdDSAParams{}}} {
			sig := k.sign(s, m, priv, msg)
			assert.True(t, ed25519.Verify(ed25519.PublicKey(point), msg, sig), "%+v", m)
		}
	})
}
