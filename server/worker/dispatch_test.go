package worker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

func TestTokenInfoAndMechanisms(t *testing.T) {
	k := newKit(t, func(p *Params) { p.MaxSessions = 7 })
	info := ok[*transport.TokenInfoResponse](k, &transport.GetTokenInfoRequest{}).Info
	assert.Equal(t, ck.Padded(testLabel, 32), info.Label[:])
	assert.NotZero(t, info.Flags&ck.CKF_TOKEN_INITIALIZED)
	assert.Equal(t, ck.ULONG(7), info.MaxSessionCount, "the application sees the worker's limit")

	mechs := ok[*transport.MechanismListResponse](k, &transport.GetMechanismListRequest{}).Mechanisms
	assert.Contains(t, mechs, ck.MechanismType(ck.CKM_ECDSA))
	mi := ok[*transport.MechanismInfoResponse](k, &transport.GetMechanismInfoRequest{Mechanism: ck.CKM_AES_KEY_GEN}).Info
	assert.Equal(t, ck.ULONG(32), mi.MaxKeySize)
	assert.Equal(t, ck.CKR_MECHANISM_INVALID, rvOfCall(k, &transport.GetMechanismInfoRequest{Mechanism: 0x7fff0000}))
}

func TestInitTokenRefused(t *testing.T) {
	k := newKit(t)
	var label [32]byte
	copy(label[:], ck.Padded("evil", 32))
	assert.Equal(t, ck.CKR_FUNCTION_NOT_SUPPORTED, rvOfCall(k, &transport.InitTokenRequest{SOPIN: transport.Secret(testSOPIN), Label: label}))
}

func TestSessionsAndLogin(t *testing.T) {
	k := newKit(t)
	s := k.openSession()
	si := ok[*transport.SessionInfoResponse](k, &transport.GetSessionInfoRequest{Session: s}).Info
	assert.Equal(t, ck.CKS_RW_PUBLIC_SESSION, si.State)

	assert.Equal(t, ck.CKR_PIN_INCORRECT, rvOfCall(k, &transport.LoginRequest{Session: s, UserType: ck.CKU_USER, PIN: transport.Secret("wrong")}))
	k.login(s)
	assert.Equal(t, ck.CKR_USER_ALREADY_LOGGED_IN, rvOfCall(k, &transport.LoginRequest{Session: s, UserType: ck.CKU_USER, PIN: transport.Secret(testUserPIN)}))

	// Login state is the application's: a second session is logged in too.
	s2 := k.openSession()
	si = ok[*transport.SessionInfoResponse](k, &transport.GetSessionInfoRequest{Session: s2}).Info
	assert.Equal(t, ck.CKS_RW_USER_FUNCTIONS, si.State)

	ok[*transport.StatusResponse](k, &transport.LogoutRequest{Session: s})
	si = ok[*transport.SessionInfoResponse](k, &transport.GetSessionInfoRequest{Session: s2}).Info
	assert.Equal(t, ck.CKS_RW_PUBLIC_SESSION, si.State, "C_Logout on one session logs the application out")

	ok[*transport.StatusResponse](k, &transport.CloseSessionRequest{Session: s})
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rvOfCall(k, &transport.GetSessionInfoRequest{Session: s}))
	assert.Equal(t, 1, k.srv.Sessions())
	ok[*transport.StatusResponse](k, &transport.CloseAllSessionsRequest{})
	assert.Equal(t, 0, k.srv.Sessions())
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rvOfCall(k, &transport.GetSessionInfoRequest{Session: s2}))
}

func TestSessionLimit(t *testing.T) {
	k := newKit(t, func(p *Params) { p.MaxSessions = 3 })
	var opened []ck.SessionHandle
	for range 3 {
		opened = append(opened, k.openSession())
	}
	resp := call[*transport.SessionResponse](k, &transport.OpenSessionRequest{Flags: ck.CKF_SERIAL_SESSION})
	assert.Equal(t, ck.CKR_SESSION_COUNT, resp.RV)
	assert.Zero(t, resp.Session)
	ok[*transport.StatusResponse](k, &transport.CloseSessionRequest{Session: opened[0]})
	k.openSession()
}

func TestOpenSessionWithoutSerialFlag(t *testing.T) {
	k := newKit(t)
	assert.Equal(t, ck.CKR_SESSION_PARALLEL_NOT_SUPPORTED, rvOfCall(k, &transport.OpenSessionRequest{Flags: ck.CKF_RW_SESSION}))
	assert.Equal(t, 0, k.srv.Sessions(), "a refused open leaves no session behind")
}

func TestForgedHandlesRefused(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	key := k.generateAES(s)

	// A session handle this application never opened.
	forgedSession := s + 1000
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rvOfCall(k, &transport.GetSessionInfoRequest{Session: forgedSession}))
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rvOfCall(k, &transport.CloseSessionRequest{Session: forgedSession}))
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rvOfCall(k, &transport.LoginRequest{Session: forgedSession, UserType: ck.CKU_USER, PIN: transport.Secret(testUserPIN)}))

	// An object that exists on the token but was never returned to this
	// application: make it with another session of the backend, outside
	// the dispatch table, as another tenant's key would be.
	other := k.backendObject()
	forged := []ck.ObjectHandle{other, key + 1000}
	for _, h := range forged {
		assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rvOfCall(k, &transport.GetAttributeValueRequest{Session: s, Object: h, Queries: []transport.AttributeQuery{{Type: ck.CKA_LABEL}}}))
		assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rvOfCall(k, &transport.DestroyObjectRequest{Session: s, Object: h}))
		assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rvOfCall(k, &transport.CopyObjectRequest{Session: s, Object: h}))
		assert.Equal(t, ck.CKR_KEY_HANDLE_INVALID, rvOfCall(k, &transport.EncryptInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_AES_ECB}, Key: h}}))
		assert.Equal(t, ck.CKR_WRAPPING_KEY_HANDLE_INVALID, rvOfCall(k, &transport.WrapKeyRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_AES_KEY_WRAP}, WrappingKey: h, Key: key}))
		assert.Equal(t, ck.CKR_KEY_HANDLE_INVALID, rvOfCall(k, &transport.DeriveKeyRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_CONCATENATE_BASE_AND_KEY, Param: ck.ULONGParam(h)}, BaseKey: key}))
		fused := call[*transport.FusedOutputResponse](k, &transport.SignOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_SHA256_HMAC}, Key: h, Data: []byte("x")}})
		assert.Equal(t, ck.CKR_KEY_HANDLE_INVALID, fused.RV)
		assert.Equal(t, transport.StageInit, fused.Stage)
	}
	// The same object becomes usable once a search returns it.
	found := ok[*transport.FindObjectsOnceResponse](k, &transport.FindObjectsOnceRequest{Session: s, Template: []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "outside")}, Max: 10})
	require.Equal(t, []ck.ObjectHandle{other}, found.Objects)
	assert.Equal(t, []byte("outside"), k.attr(s, other, ck.CKA_LABEL))
}

// Empty buffers that miekg/pkcs11 cannot pass (it takes &buf[0]) are
// answered, never a panic (found by FuzzWorkerRequest).
func TestEmptyBuffers(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	key := k.generateAES(s)
	assert.Equal(t, ck.CKR_ARGUMENTS_BAD, rvOfCall(k, &transport.SeedRandomRequest{Session: s}))
	assert.Equal(t, ck.CKR_WRAPPED_KEY_LEN_RANGE, rvOfCall(k, &transport.UnwrapKeyRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_AES_KEY_WRAP}, UnwrappingKey: key}))
	assert.Equal(t, ck.CKR_SAVED_STATE_INVALID, rvOfCall(k, &transport.SetOperationStateRequest{Session: s}))
	assert.Empty(t, ok[*transport.RandomResponse](k, &transport.GenerateRandomRequest{Session: s}).Data)
	ok[*transport.StatusResponse](k, &transport.FindObjectsInitRequest{Session: s})
	assert.Empty(t, ok[*transport.FindObjectsResponse](k, &transport.FindObjectsRequest{Session: s}).Objects)
	ok[*transport.StatusResponse](k, &transport.FindObjectsFinalRequest{Session: s})
	assert.Empty(t, ok[*transport.GetAttributeValueResponse](k, &transport.GetAttributeValueRequest{Session: s, Object: key}).Results)
}

// Calls after Close are answered, not run against a finalized module.
func TestCallsAfterClose(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	require.NoError(t, k.srv.Close())
	assert.Equal(t, ck.CKR_DEVICE_REMOVED, rvOfCall(k, &transport.GetTokenInfoRequest{}))
	assert.Equal(t, ck.CKR_DEVICE_REMOVED, rvOfCall(k, &transport.GetSessionInfoRequest{Session: s}))
	fused := call[*transport.FusedOutputResponse](k, &transport.DigestOnceRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_SHA256}})
	assert.Equal(t, ck.CKR_DEVICE_REMOVED, fused.RV)
	assert.Equal(t, transport.StageInit, fused.Stage)
	assert.Equal(t, ck.CKR_DEVICE_REMOVED, k.srv.CheckPIN([]byte(testUserPIN)))
	assert.Equal(t, 0, k.srv.Sessions())
}
