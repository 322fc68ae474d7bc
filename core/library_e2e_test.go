package core

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

func TestE2EInitializeSlotsAndToken(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{slots: []uint64{7, 3}})

	info := l.Info()
	assert.Equal(t, ck.Version{Major: 2, Minor: 40}, info.CryptokiVersion)
	assert.Equal(t, "cloudp11", info.ManufacturerID)

	slots, err := l.SlotList(true)
	require.NoError(t, err)
	assert.Equal(t, []ck.SlotID{3, 7}, slots, "slot ids as configured, ascending")

	si, err := l.SlotInfo(3)
	require.NoError(t, err)
	assert.Equal(t, ck.ULONG(ck.CKF_TOKEN_PRESENT|ck.CKF_REMOVABLE_DEVICE|ck.CKF_HW_SLOT), si.Flags)
	assert.Contains(t, si.SlotDescription, e2eUser)
	_, err = l.SlotInfo(4)
	assert.Equal(t, ck.CKR_SLOT_ID_INVALID, rv(err))

	ti, err := l.TokenInfo(3)
	require.NoError(t, err)
	assert.Equal(t, string(ck.Padded(e2eToken, 32)), string(ti.Label[:]), "the partition's backend token")
	assert.Zero(t, ti.SessionCount)

	h, err := l.OpenSession(3, ck.CKF_SERIAL_SESSION)
	require.NoError(t, err)
	ti2, err := l.TokenInfo(3)
	require.NoError(t, err)
	assert.Equal(t, ti.SerialNumber, ti2.SerialNumber)
	assert.EqualValues(t, 1, ti2.SessionCount)
	assert.Zero(t, ti2.RwSessionCount)
	slot, err := l.SessionSlot(h)
	require.NoError(t, err)
	assert.Equal(t, ck.SlotID(3), slot)

	mechs, err := l.MechanismList(3)
	require.NoError(t, err)
	assert.Contains(t, mechs, ck.CKM_ECDSA)
	assert.Contains(t, mechs, ck.CKM_AES_GCM)
	assert.NotContains(t, mechs, ck.CKM_DH_PKCS_DERIVE, "its parameter cannot cross the wire")
	mi, err := l.MechanismInfo(3, ck.CKM_ECDSA)
	require.NoError(t, err)
	assert.NotZero(t, mi.Flags&ck.CKF_SIGN)
	_, err = l.MechanismInfo(3, ck.CKM_DH_PKCS_DERIVE)
	assert.Equal(t, ck.CKR_MECHANISM_INVALID, rv(err))

	require.NoError(t, l.Finalize())
	_, err = l.SlotList(false)
	assert.Equal(t, ck.CKR_CRYPTOKI_NOT_INITIALIZED, rv(err))
	assert.Equal(t, ck.CKR_CRYPTOKI_NOT_INITIALIZED, rv(l.Finalize()))

	log := c.log()
	assert.Contains(t, log, "C_Initialize() - rv: 0x0")
	assert.Contains(t, log, "C_Finalize() - rv: 0x0")
	assert.Contains(t, log, "client_id=core-e2e")
	assert.NotContains(t, log, e2eUserPIN)
	assert.NotContains(t, log, e2eProxyPassword)
	secrets, err := os.ReadFile(c.secretsPath)
	require.NoError(t, err)
	for _, line := range strings.Split(string(secrets), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "secret = "); ok {
			assert.NotContains(t, log, strings.Trim(v, `";`), "no permanent secret in the log")
		}
	}
}

func TestE2ESignSizeQueryGivesTheSameSignature(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{})
	h := rwSession(t, l)
	pub, priv := ecKeyPair(t, l, h, "sig", false)
	goKey := ecPublicKey(t, l, h, pub)
	digest := sha256.Sum256([]byte("message"))

	for _, fused := range []bool{true, false} {
		t.Run(map[bool]string{true: "fused", false: "plain"}[fused], func(t *testing.T) {
			if !fused {
				// As against a server without fused messages: the init
				// goes to the server alone.
				withoutFusing(t, l, h)
				require.NoError(t, l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, priv))
				sig, n, err := l.Sign(h, digest[:], Output{Query: true})
				require.NoError(t, err)
				assert.Nil(t, sig)
				require.EqualValues(t, 64, n)
				got, n2, err := l.Sign(h, digest[:], Output{Cap: 64})
				require.NoError(t, err)
				assert.EqualValues(t, 64, n2)
				verifyECDSA(t, goKey, digest[:], got)
				return
			}
			require.NoError(t, l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, priv))
			_, n, err := l.Sign(h, digest[:], Output{Query: true})
			require.NoError(t, err)
			require.EqualValues(t, 64, n)
			_, n, err = l.Sign(h, digest[:], Output{Cap: 10})
			assert.Equal(t, ck.CKR_BUFFER_TOO_SMALL, rv(err))
			assert.EqualValues(t, 64, n, "a short buffer learns the length")
			sig1, _, err := l.Sign(h, digest[:], Output{Cap: 64})
			require.NoError(t, err)
			verifyECDSA(t, goKey, digest[:], sig1)
			// The operation has ended: a new one signs anew.
			_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
			assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(err))

			// The query's signature is the one collected: compute one
			// with a query, then collect it twice over two operations
			// to see that they differ (ECDSA is randomised) while each
			// query matches its collection.
			require.NoError(t, l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, priv))
			_, _, err = l.Sign(h, digest[:], Output{Query: true})
			require.NoError(t, err)
			_, _, err = l.Sign(h, digest[:], Output{Query: true})
			require.NoError(t, err, "a second query keeps the first result")
			sig2, _, err := l.Sign(h, digest[:], Output{Cap: 100})
			require.NoError(t, err)
			verifyECDSA(t, goKey, digest[:], sig2)
			assert.NotEqual(t, sig1, sig2)
		})
	}
}

func TestE2EOperationLifetime(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{})
	h := rwSession(t, l)
	pub, priv := ecKeyPair(t, l, h, "life", false)
	digest := sha256.Sum256([]byte("x"))

	// Out of order.
	_, _, err := l.Sign(h, digest[:], Output{Cap: 64})
	assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(err))
	assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(l.SignUpdate(h, digest[:])))
	_, _, err = l.SignFinal(h, Output{Cap: 64})
	assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(err))

	// A second init while one is active, deferred or sent.
	for _, m := range []ck.MechanismType{ck.CKM_ECDSA, ck.CKM_ECDSA_SHA256} {
		require.NoError(t, l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, priv))
		assert.Equal(t, ck.CKR_OPERATION_ACTIVE, rv(l.SignInit(h, ck.Mechanism{Type: m}, priv)))
		_, _, err = l.Sign(h, digest[:], Output{Cap: 64})
		require.NoError(t, err)
		withoutFusing(t, l, h)
	}
	restoreFusing(l, h)

	// An error ends the operation: AES-ECB over 15 bytes fails on the
	// server, after which the operation is gone, fused or not.
	aes, err := l.GenerateKey(h, ck.Mechanism{Type: ck.CKM_AES_KEY_GEN},
		[]ck.Attribute{ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(32)), ck.BoolAttr(ck.CKA_ENCRYPT, true), ck.BoolAttr(ck.CKA_DECRYPT, true)})
	require.NoError(t, err)
	for range 2 {
		require.NoError(t, l.EncryptInit(h, ck.Mechanism{Type: ck.CKM_AES_ECB}, aes))
		_, _, err = l.Encrypt(h, make([]byte, 15), Output{Cap: 64})
		assert.Equal(t, ck.CKR_DATA_LEN_RANGE, rv(err))
		_, _, err = l.Encrypt(h, make([]byte, 16), Output{Cap: 64})
		assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(err), "the failed C_Encrypt ended the operation")
		require.NoError(t, l.EncryptInit(h, ck.Mechanism{Type: ck.CKM_AES_ECB}, aes), "a new init works")
		ct, _, err := l.Encrypt(h, make([]byte, 16), Output{Cap: 64})
		require.NoError(t, err)
		assert.Len(t, ct, 16)
		withoutFusing(t, l, h)
	}
	restoreFusing(l, h)

	// Init errors stay at init: a public key cannot sign, an unknown
	// handle is not a key, a mechanism's parameter must fit.
	assert.Equal(t, ck.CKR_KEY_FUNCTION_NOT_PERMITTED, rv(l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, pub)))
	assert.Equal(t, ck.CKR_KEY_HANDLE_INVALID, rv(l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, 999999)))
	assert.Equal(t, ck.CKR_MECHANISM_PARAM_INVALID,
		rv(l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA, Param: ck.IVParam(make([]byte, 16))}, priv)))
	assert.Equal(t, ck.CKR_KEY_TYPE_INCONSISTENT, rv(l.SignInit(h, ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS}, priv)))

	// Verify through the library, fused and multi-part.
	require.NoError(t, l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, priv))
	sig, _, err := l.Sign(h, digest[:], Output{Cap: 64})
	require.NoError(t, err)
	require.NoError(t, l.VerifyInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, pub))
	require.NoError(t, l.Verify(h, digest[:], sig))
	require.NoError(t, l.VerifyInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, pub))
	bad := append([]byte(nil), sig...)
	bad[5] ^= 1
	assert.Equal(t, ck.CKR_SIGNATURE_INVALID, rv(l.Verify(h, digest[:], bad)))
	assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(l.Verify(h, digest[:], sig)), "C_Verify ends the operation")

	// Digests: size query, multi-part, and one larger than a frame.
	require.NoError(t, l.DigestInit(h, ck.Mechanism{Type: ck.CKM_SHA256}))
	_, n, err := l.Digest(h, []byte("x"), Output{Query: true})
	require.NoError(t, err)
	assert.EqualValues(t, 32, n)
	d, _, err := l.Digest(h, []byte("x"), Output{Cap: 32})
	require.NoError(t, err)
	assert.Equal(t, digest[:], d)
	big := make([]byte, 3<<20)
	big[12345] = 7
	want := sha256.Sum256(big)
	require.NoError(t, l.DigestInit(h, ck.Mechanism{Type: ck.CKM_SHA256}))
	d, _, err = l.Digest(h, big, Output{Cap: 32})
	require.NoError(t, err, "3 MiB is split into updates")
	assert.Equal(t, want[:], d)
	require.NoError(t, l.DigestInit(h, ck.Mechanism{Type: ck.CKM_SHA256}))
	require.NoError(t, l.DigestUpdate(h, big[:100]))
	require.NoError(t, l.DigestUpdate(h, big[100:]))
	d, _, err = l.DigestFinal(h, Output{Cap: 32})
	require.NoError(t, err)
	assert.Equal(t, want[:], d)

	// A query whose collection differs ends the operation.
	require.NoError(t, l.DigestInit(h, ck.Mechanism{Type: ck.CKM_SHA256}))
	_, _, err = l.Digest(h, []byte("a"), Output{Query: true})
	require.NoError(t, err)
	_, _, err = l.Digest(h, []byte("b"), Output{Cap: 32})
	assert.Equal(t, ck.CKR_ARGUMENTS_BAD, rv(err))
	_, _, err = l.Digest(h, []byte("a"), Output{Cap: 32})
	assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(err))
}

func TestE2EFindObjectsAndHandles(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{})
	h := rwSession(t, l)
	pub, priv := ecKeyPair(t, l, h, "kept", true)
	_, _ = ecKeyPair(t, l, h, "other", true)

	find := func(s ck.SessionHandle, max int, t0 ...ck.Attribute) []ck.ObjectHandle {
		t.Helper()
		require.NoError(t, l.FindObjectsInit(s, t0))
		var all []ck.ObjectHandle
		for {
			got, err := l.FindObjects(s, max)
			require.NoError(t, err)
			if len(got) == 0 {
				break
			}
			assert.LessOrEqual(t, len(got), max)
			all = append(all, got...)
		}
		require.NoError(t, l.FindObjectsFinal(s))
		return all
	}
	got := find(h, 1, ck.StringAttr(ck.CKA_LABEL, "kept"))
	assert.ElementsMatch(t, []ck.ObjectHandle{pub, priv}, got, "a found object has the handle it was created with")
	assert.Len(t, find(h, 10), 4)

	assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(l.FindObjectsFinal(h)))
	require.NoError(t, l.FindObjectsInit(h, nil))
	assert.Equal(t, ck.CKR_OPERATION_ACTIVE, rv(l.FindObjectsInit(h, nil)))
	require.NoError(t, l.FindObjectsFinal(h))

	// Searching again and again does not grow the handle table.
	before := l.objects.len()
	for range 20 {
		find(h, 3)
	}
	assert.Equal(t, before, l.objects.len())

	// A session object dies with its session; handles are never reused.
	h2 := rwSession(t, l)
	spub, _ := ecKeyPair(t, l, h2, "ephemeral", false)
	require.NoError(t, l.CloseSession(h2))
	_, err := l.GetAttributeValue(h, spub, []transport.AttributeQuery{{Type: ck.CKA_LABEL}})
	assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rv(err))
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rv(l.CloseSession(h2)))
	h3 := rwSession(t, l)
	assert.Greater(t, h3, h2, "session handles count up")
	p3, _ := ecKeyPair(t, l, h3, "later", false)
	assert.Greater(t, p3, spub, "object handles count up")

	// Attributes: one round trip, sensitive values refused per attribute.
	res, err := l.GetAttributeValue(h, priv, []transport.AttributeQuery{
		{Type: ck.CKA_LABEL}, {Type: ck.CKA_VALUE}, {Type: ck.CKA_ID, LengthOnly: true}, {Type: ck.AttributeType(0x7fff0001)}})
	assert.Equal(t, ck.CKR_ATTRIBUTE_SENSITIVE, rv(err))
	require.Len(t, res, 4)
	assert.Equal(t, "kept", string(res[0].Attribute.Value))
	assert.Equal(t, ck.CKR_ATTRIBUTE_SENSITIVE, res[1].Status)
	assert.EqualValues(t, 4, res[2].Attribute.Len)
	assert.Equal(t, ck.CKR_ATTRIBUTE_TYPE_INVALID, res[3].Status)

	many := make([]transport.AttributeQuery, 2500)
	for i := range many {
		many[i] = transport.AttributeQuery{Type: ck.CKA_LABEL}
	}
	many[2100].Type = ck.CKA_VALUE
	res, err = l.GetAttributeValue(h, priv, many)
	assert.Equal(t, ck.CKR_ATTRIBUTE_SENSITIVE, rv(err), "more than one message's worth of queries")
	require.Len(t, res, 2500)
	assert.Equal(t, "kept", string(res[2499].Attribute.Value))
	assert.Equal(t, ck.CKR_ATTRIBUTE_SENSITIVE, res[2100].Status)

	require.NoError(t, l.SetAttributeValue(h, priv, []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "renamed")}))
	assert.Len(t, find(h, 10, ck.StringAttr(ck.CKA_LABEL, "renamed")), 1)
	require.NoError(t, l.DestroyObject(h, priv))
	assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rv(l.DestroyObject(h, priv)))

	// Logging out keeps the session but private objects are not found.
	require.NoError(t, l.Logout(h))
	assert.Equal(t, ck.CKR_USER_NOT_LOGGED_IN, rv(l.Logout(h)))
	assert.Empty(t, find(h, 10, ck.StringAttr(ck.CKA_LABEL, "other"), ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY)))
}

func TestE2ELoginBelongsToTheApplication(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{})
	a, err := l.OpenSession(0, ck.CKF_SERIAL_SESSION)
	require.NoError(t, err)
	b, err := l.OpenSession(0, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	require.NoError(t, err)
	_, err = l.OpenSession(0, ck.CKF_RW_SESSION)
	assert.Equal(t, ck.CKR_SESSION_PARALLEL_NOT_SUPPORTED, rv(err))

	assert.Equal(t, ck.CKR_PIN_INCORRECT, rv(l.Login(a, uint64(ck.CKU_USER), []byte("wrong"))))
	require.NoError(t, l.Login(a, uint64(ck.CKU_USER), []byte(e2eUserPIN)))
	info, err := l.SessionInfo(b)
	require.NoError(t, err)
	assert.Equal(t, ck.CKS_RW_USER_FUNCTIONS, info.State, "a login on one session logs in every session")
	assert.Equal(t, ck.CKR_USER_ALREADY_LOGGED_IN, rv(l.Login(b, uint64(ck.CKU_USER), []byte(e2eUserPIN))))

	// Closing the last session logs the application out.
	require.NoError(t, l.CloseAllSessions(0))
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rv(l.CloseSession(a)))
	d, err := l.OpenSession(0, ck.CKF_SERIAL_SESSION)
	require.NoError(t, err)
	info, err = l.SessionInfo(d)
	require.NoError(t, err)
	assert.Equal(t, ck.CKS_RO_PUBLIC_SESSION, info.State)
	in, _ := l.sessions.get(d).epoch.login()
	assert.False(t, in)

	// Read-only sessions cannot make token objects.
	_, err = l.CreateObject(d, []ck.Attribute{ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_DATA), ck.BoolAttr(ck.CKA_TOKEN, true)})
	assert.Equal(t, ck.CKR_SESSION_READ_ONLY, rv(err))
}

// withoutFusing makes the session's binding behave as one to a server
// without fused messages.
func withoutFusing(t *testing.T, l *Library, h ck.SessionHandle) {
	l.sessions.get(h).epoch.caps &^= transport.CapFused
	t.Cleanup(func() { restoreFusing(l, h) })
}

func restoreFusing(l *Library, h ck.SessionHandle) {
	if s := l.sessions.get(h); s != nil {
		s.epoch.caps |= transport.CapFused
	}
}

func TestE2EInitializeErrors(t *testing.T) {
	dir := t.TempDir()
	var stderr strings.Builder
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

	_, err := Initialize(InitOptions{Getenv: env(map[string]string{"CLOUDP11_CONF": filepath.Join(dir, "none.cfg")}), Stderr: &stderr})
	assert.Equal(t, ck.CKR_GENERAL_ERROR, rv(err))
	assert.Contains(t, stderr.String(), "CLOUDP11_CONF=")
	assert.Contains(t, stderr.String(), "C_Initialize() - rv: 0x5")

	bad := filepath.Join(dir, "primus.cfg")
	require.NoError(t, os.WriteFile(bad, []byte("primus: { hsms: { hsm0: { host = \"h\"; port = \"70000\"; slots: { s: { id = 0; user_name = \"u\"; }; }; }; }; };\n"), 0o600))
	stderr.Reset()
	_, err = Initialize(InitOptions{Getenv: env(map[string]string{"SECUROSYS_PKCS11_CONF": bad}), Stderr: &stderr})
	assert.Equal(t, ck.CKR_GENERAL_ERROR, rv(err))
	assert.Contains(t, stderr.String(), bad+":1:")
	assert.Contains(t, stderr.String(), "port")
}
