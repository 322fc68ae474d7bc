package front_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// These tests run the real thing: the hsmd binary ("hsmd serve", its
// workers re-executed from it) on loopback TLS 1.3, with partitions on
// SoftHSM tokens made for each test.

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	e2eProxy         = "svc"
	e2eProxyPassword = "e2e-Proxy-Password-7Q"
	e2eSOPIN         = "so-pin-4711"
	callTimeout      = 60 * time.Second
)

// e2ePINs are the tokens' user PINs, per HSM user.
var e2ePINs = map[string]string{"alice": "pin-alice-1111", "bob": "pin-bob-2222"}

type credential struct {
	id     string
	secret []byte
}

// e2e is a running hsmd with HSM users alice (token tok-a) and bob
// (tok-b), each holding a permanent secret fetched over the wire.
type e2e struct {
	t       *testing.T
	d       *testenv.Hsmd
	setup   map[string]string
	secrets map[string]credential
}

func newE2E(t *testing.T, opts testenv.HsmdOptions) *e2e {
	hsm := testenv.NewSoftHSM(t)
	hsm.InitToken(t, "tok-a", e2eSOPIN, e2ePINs["alice"])
	hsm.InitToken(t, "tok-b", e2eSOPIN, e2ePINs["bob"])
	opts.Backend = hsm
	e := &e2e{t: t, d: testenv.NewHsmd(t, opts), setup: map[string]string{}, secrets: map[string]credential{}}
	e.setup["alice"] = e.d.AddUser(t, "alice", "tok-a")
	e.setup["bob"] = e.d.AddUser(t, "bob", "tok-b")
	e.d.AddProxyUser(t, e2eProxy, e2eProxyPassword)
	e.d.Start(t)
	for _, user := range []string{"alice", "bob"} {
		resp, err := e.fetch(user, e.setup[user], e2ePINs[user])
		require.NoError(t, err, "FetchSecret for %s", user)
		e.secrets[user] = credential{id: resp.SecretID, secret: resp.Secret}
	}
	return e
}

func (e *e2e) hello(instance [16]byte) transport.Hello {
	return transport.Hello{ClientID: "e2e-client", InstanceID: instance, SoftwareVersion: "front e2e",
		Capabilities: transport.CapFused | transport.CapRetryMemory | transport.CapAuditLog}
}

func (e *e2e) fetch(user, setup, pin string) (*transport.FetchSecretResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, server, err := transport.FetchSecret(ctx, e.d.Dial(e.t), e.hello(newInstance(e.t)), e2eProxy,
		transport.Secret(e2eProxyPassword),
		transport.FetchSecretRequest{User: user, SetupPassword: transport.Secret(setup), PIN: transport.Secret(pin)})
	if server != nil {
		assert.Equal(e.t, "hsmd "+testenv.HsmdVersion, server.ServerVersion)
	}
	return resp, err
}

func (e *e2e) creds(user string) transport.Credentials {
	c := e.secrets[user]
	return transport.Credentials{ProxyUser: e2eProxy, ProxyPassword: transport.Secret(e2eProxyPassword),
		User: user, SecretID: c.id, Secret: c.secret}
}

func (e *e2e) connect(instance [16]byte, creds transport.Credentials, mode transport.Mode) (*transport.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return transport.Connect(ctx, e.d.Dial(e.t), e.hello(instance), creds, mode, transport.ClientConfig{})
}

func (e *e2e) login(instance [16]byte, user string) *transport.Client {
	c, err := e.connect(instance, e.creds(user), transport.ModePKCS11)
	require.NoError(e.t, err, "login as %s", user)
	e.t.Cleanup(func() { c.Close() })
	return c
}

func newInstance(t testing.TB) [16]byte {
	id, err := transport.NewInstanceID()
	require.NoError(t, err)
	return id
}

// call makes a PKCS#11 call that must get an answer, and returns it.
func call[R transport.Result](t testing.TB, c *transport.Client, req transport.Request) R {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, err := transport.Invoke[R](ctx, c, req)
	require.NoError(t, err, "%s", req.Type())
	return resp
}

// rvOf is the CK_RV of a call.
func rvOf(t testing.TB, c *transport.Client, req transport.Request) ck.RV {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, err := c.Call(ctx, req)
	require.NoError(t, err, "%s", req.Type())
	return resp.(transport.Result).ReturnValue()
}

func openSession(t testing.TB, c *transport.Client) ck.SessionHandle {
	t.Helper()
	resp := call[*transport.SessionResponse](t, c, &transport.OpenSessionRequest{Flags: ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION})
	require.Equal(t, ck.CKR_OK, resp.RV)
	return resp.Session
}

func userLogin(t testing.TB, c *transport.Client, s ck.SessionHandle, pin string) {
	t.Helper()
	require.Equal(t, ck.CKR_OK, rvOf(t, c, &transport.LoginRequest{Session: s, UserType: ck.CKU_USER, PIN: transport.Secret(pin)}))
}

func sessionState(t testing.TB, c *transport.Client, s ck.SessionHandle) ck.State {
	t.Helper()
	resp := call[*transport.SessionInfoResponse](t, c, &transport.GetSessionInfoRequest{Session: s})
	require.Equal(t, ck.CKR_OK, resp.RV)
	return resp.Info.State
}

func aesKey(t testing.TB, c *transport.Client, s ck.SessionHandle) ck.ObjectHandle {
	t.Helper()
	resp := call[*transport.ObjectResponse](t, c, &transport.GenerateKeyRequest{
		Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_AES_KEY_GEN},
		Template: []ck.Attribute{ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(32)), ck.BoolAttr(ck.CKA_TOKEN, false)},
	})
	require.Equal(t, ck.CKR_OK, resp.RV)
	return resp.Object
}

// workerOf returns the pid of the live worker of instance, 0 if none.
func (e *e2e) workerOf(instance [16]byte) int {
	prefix := hex.EncodeToString(instance[:4])
	for _, w := range e.d.Workers(e.t) {
		if w.Instance == prefix {
			return w.Pid
		}
	}
	return 0
}

func remoteCode(err error) transport.ErrorCode {
	var re *transport.RemoteError
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

func TestServeFetchSecretThenLogin(t *testing.T) {
	e := newE2E(t, testenv.HsmdOptions{})
	c := e.login(newInstance(t), "alice")
	login := c.Session().Login
	assert.Equal(t, "tok-a", login.Partition)
	assert.False(t, login.Resumed)
	assert.EqualValues(t, 60, login.Lease)
	assert.Equal(t, "hsmd "+testenv.HsmdVersion, c.Session().Server.ServerVersion)
	assert.Equal(t, transport.CapFused|transport.CapRetryMemory|transport.CapAuditLog, c.Session().Server.Capabilities)

	info := call[*transport.TokenInfoResponse](t, c, &transport.GetTokenInfoRequest{})
	require.Equal(t, ck.CKR_OK, info.RV)
	assert.Equal(t, "tok-a", strings.TrimRight(string(info.Info.Label[:]), " "))

	s := openSession(t, c)
	assert.Equal(t, ck.CKS_RW_PUBLIC_SESSION, sessionState(t, c, s))
	userLogin(t, c, s, e2ePINs["alice"])
	assert.Equal(t, ck.CKS_RW_USER_FUNCTIONS, sessionState(t, c, s))
	aesKey(t, c, s)
}

func TestServeRefusalsHaveTheirOwnCodes(t *testing.T) {
	e := newE2E(t, testenv.HsmdOptions{})
	id := newInstance(t)

	wrongProxy := e.creds("alice")
	wrongProxy.ProxyPassword = transport.Secret("not-the-proxy-password")
	_, err := e.connect(id, wrongProxy, transport.ModePKCS11)
	assert.Equal(t, transport.CodeWrongProxyPassword, remoteCode(err), "%v", err)
	assert.Equal(t, ck.CKR_TOKEN_NOT_RECOGNIZED, ck.RVOf(err))

	_, err = e.fetch("alice", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", e2ePINs["alice"])
	assert.Equal(t, transport.CodeWrongSetupPassword, remoteCode(err), "%v", err)
	assert.Equal(t, ck.CKR_PIN_INCORRECT, ck.RVOf(err))

	_, err = e.fetch("alice", e.setup["alice"], "wrong-pin")
	assert.Equal(t, transport.CodeWrongPIN, remoteCode(err), "%v", err)

	wrongSecret := e.creds("alice")
	wrongSecret.Secret = transport.Secret(make([]byte, 32))
	_, err = e.connect(id, wrongSecret, transport.ModePKCS11)
	assert.Equal(t, transport.CodeWrongSecret, remoteCode(err), "%v", err)

	unknown := e.creds("alice")
	unknown.User = "carol"
	_, err = e.connect(id, unknown, transport.ModePKCS11)
	assert.Equal(t, transport.CodeUnknownUser, remoteCode(err), "%v", err)

	// A revoked secret is refused as such; the user's other secret works.
	second, err := e.fetch("alice", e.setup["alice"], e2ePINs["alice"])
	require.NoError(t, err)
	e.d.Admin(t, "", "secrets", "revoke", "alice", e.secrets["alice"].id)
	_, err = e.connect(id, e.creds("alice"), transport.ModePKCS11)
	assert.Equal(t, transport.CodeRevokedSecret, remoteCode(err), "%v", err)
	e.secrets["alice"] = credential{id: second.SecretID, secret: second.Secret}
	e.login(id, "alice")

	// Nothing secret reaches the service log or the audit log.
	logs := e.d.Logs()
	assert.Contains(t, logs, "handshake refused", "the refusals are logged")
	audits, err := os.ReadFile(filepath.Join(e.d.StateDir, "audit", "alice.log"))
	require.NoError(t, err)
	for _, text := range []string{string(audits), logs} {
		for _, secret := range []string{e2eProxyPassword, e2ePINs["alice"], e2ePINs["bob"], e.setup["alice"], e.setup["bob"], "wrong-pin", "not-the-proxy-password"} {
			assert.NotContains(t, text, secret)
		}
		for _, c := range e.secrets {
			assert.NotContains(t, text, hex.EncodeToString(c.secret))
			assert.NotContains(t, text, base64.StdEncoding.EncodeToString(c.secret))
			assert.NotContains(t, text, base64.RawURLEncoding.EncodeToString(c.secret))
		}
	}
	assert.Contains(t, string(audits), `"event":"login_failed"`)
	assert.Contains(t, string(audits), `"reason":"secret_revoked"`)
}

func TestServeLockout(t *testing.T) {
	e := newE2E(t, testenv.HsmdOptions{MaxFailedTries: 3})
	id := newInstance(t)
	wrong := e.creds("bob")
	wrong.Secret = transport.Secret("guess")
	for range 2 {
		_, err := e.connect(id, wrong, transport.ModePKCS11)
		assert.Equal(t, transport.CodeWrongSecret, remoteCode(err), "%v", err)
	}
	_, err := e.connect(id, wrong, transport.ModePKCS11)
	var re *transport.RemoteError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, transport.CodeLockedOut, re.Code)
	assert.True(t, re.LockedUntil.After(time.Now().Add(50*time.Minute)), "locked until %s", re.LockedUntil)
	assert.Equal(t, ck.CKR_PIN_LOCKED, ck.RVOf(err))
	_, err = e.connect(id, e.creds("bob"), transport.ModePKCS11)
	assert.Equal(t, transport.CodeLockedOut, remoteCode(err), "the right secret waits for the lockout too")
	e.login(newInstance(t), "alice") // other users carry on
	e.d.Admin(t, "", "user", "unlock", "bob")
	e.login(id, "bob")
}

func TestServeTenantIsolation(t *testing.T) {
	e := newE2E(t, testenv.HsmdOptions{})
	alice := e.login(newInstance(t), "alice")
	bob := e.login(newInstance(t), "bob")

	sa := openSession(t, alice)
	userLogin(t, alice, sa, e2ePINs["alice"])
	key := aesKey(t, alice, sa)

	// Bob has opened nothing: alice's session handle is not his.
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rvOf(t, bob, &transport.GetSessionInfoRequest{Session: sa}))
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rvOf(t, bob, &transport.CloseSessionRequest{Session: sa}))
	sb := openSession(t, bob)
	userLogin(t, bob, sb, e2ePINs["bob"])
	// Alice's key handle is not bob's, whatever number it has.
	assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rvOf(t, bob, &transport.GetAttributeValueRequest{
		Session: sb, Object: key, Queries: []transport.AttributeQuery{{Type: ck.CKA_CLASS}}}))
	assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rvOf(t, bob, &transport.DestroyObjectRequest{Session: sb, Object: key}))
	// Forged handles.
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rvOf(t, alice, &transport.GetSessionInfoRequest{Session: 0xdead_beef}))
	assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rvOf(t, alice, &transport.DestroyObjectRequest{Session: sa, Object: key + 1000}))
	// Partitions are initialised by the operator, never over the wire.
	assert.Equal(t, ck.CKR_FUNCTION_NOT_SUPPORTED, rvOf(t, alice, &transport.InitTokenRequest{SOPIN: transport.Secret(e2eSOPIN)}))
	// Alice's key is intact.
	attrs := call[*transport.GetAttributeValueResponse](t, alice, &transport.GetAttributeValueRequest{
		Session: sa, Object: key, Queries: []transport.AttributeQuery{{Type: ck.CKA_CLASS}}})
	require.Equal(t, ck.CKR_OK, attrs.RV)
	class, err := attrs.Results[0].Attribute.ULONG()
	require.NoError(t, err)
	assert.EqualValues(t, ck.CKO_SECRET_KEY, class)

	// A PKCS#11 call before the handshake is refused, unanswered by any
	// worker.
	conn := e.d.Dial(t)
	defer conn.Close()
	frame, err := transport.AppendFrame(nil, transport.MsgGetSessionInfo, 0, 7, &transport.GetSessionInfoRequest{Session: sa}, transport.HandshakeMaxFrame)
	require.NoError(t, err)
	_, err = conn.Write(frame)
	require.NoError(t, err)
	h, body, err := transport.ReadFrame(conn, transport.HandshakeMaxFrame)
	require.NoError(t, err)
	require.NotZero(t, h.Flags()&transport.FlagError)
	refused, err := transport.DecodeRemoteError(body)
	require.NoError(t, err)
	assert.Equal(t, transport.CodeNotAllowed, refused.Code)
}

func TestServeInstancesOfOneUserHaveSeparateWorkers(t *testing.T) {
	e := newE2E(t, testenv.HsmdOptions{})
	first, second := newInstance(t), newInstance(t)
	c1, c2 := e.login(first, "alice"), e.login(second, "alice")
	s1, s2 := openSession(t, c1), openSession(t, c2)
	userLogin(t, c1, s1, e2ePINs["alice"])
	userLogin(t, c2, s2, e2ePINs["alice"])

	p1, p2 := e.workerOf(first), e.workerOf(second)
	require.NotZero(t, p1)
	require.NotZero(t, p2)
	assert.NotEqual(t, p1, p2)

	require.Equal(t, ck.CKR_OK, rvOf(t, c1, &transport.LogoutRequest{Session: s1}))
	assert.Equal(t, ck.CKS_RW_PUBLIC_SESSION, sessionState(t, c1, s1))
	assert.Equal(t, ck.CKS_RW_USER_FUNCTIONS, sessionState(t, c2, s2), "C_Logout of one application does not touch another")

	// A second connection of the first instance shares its worker and
	// its sessions.
	again := e.login(first, "alice")
	assert.True(t, again.Session().Login.Resumed)
	assert.Equal(t, ck.CKS_RW_PUBLIC_SESSION, sessionState(t, again, s1))
	assert.Equal(t, p1, e.workerOf(first))
}

func TestServeLease(t *testing.T) {
	e := newE2E(t, testenv.HsmdOptions{Lease: 2 * time.Second})
	id := newInstance(t)
	c := e.login(id, "alice")
	assert.EqualValues(t, 2, c.Session().Login.Lease)
	s := openSession(t, c)
	userLogin(t, c, s, e2ePINs["alice"])
	pid := e.workerOf(id)
	require.NotZero(t, pid)
	c.Close()

	// Within the lease the instance finds its session, logged in.
	c = e.login(id, "alice")
	assert.True(t, c.Session().Login.Resumed)
	assert.Equal(t, ck.CKS_RW_USER_FUNCTIONS, sessionState(t, c, s))
	assert.Equal(t, pid, e.workerOf(id))
	c.Close()

	// After the lease the worker closes the sessions and exits.
	require.Eventually(t, func() bool { return e.workerOf(id) == 0 }, 30*time.Second, 20*time.Millisecond,
		"the worker outlived its lease")
	require.Eventually(t, func() bool { return !processAlive(pid) }, 30*time.Second, 20*time.Millisecond)
	c = e.login(id, "alice")
	assert.False(t, c.Session().Login.Resumed)
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rvOf(t, c, &transport.GetSessionInfoRequest{Session: s}))
	assert.NotEqual(t, pid, e.workerOf(id))
}

func TestServeWorkerKilledMidCall(t *testing.T) {
	e := newE2E(t, testenv.HsmdOptions{})
	victim, bystander := newInstance(t), newInstance(t)
	c := e.login(victim, "alice")
	other := e.login(bystander, "alice")
	s := openSession(t, c)
	userLogin(t, c, s, e2ePINs["alice"])
	pid := e.workerOf(victim)
	require.NotZero(t, pid)
	before := cpuTicks(t, pid)

	// An 8192-bit RSA key pair takes SoftHSM long enough to be killed in
	// the middle of it: the call is in the worker once its CPU time grows.
	callErr := make(chan error, 1)
	go func() {
		_, err := c.Call(context.Background(), &transport.GenerateKeyPairRequest{
			Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN},
			PublicTemplate:  []ck.Attribute{ck.ULONGAttr(ck.CKA_MODULUS_BITS, ck.ULONG(8192)), ck.BoolAttr(ck.CKA_TOKEN, false)},
			PrivateTemplate: []ck.Attribute{ck.BoolAttr(ck.CKA_TOKEN, false)},
		})
		callErr <- err
	}()
	require.Eventually(t, func() bool { return cpuTicks(t, pid) >= before+20 }, 60*time.Second, 5*time.Millisecond,
		"the key generation never started in the worker")
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))

	var err error
	select {
	case err = <-callErr:
	case <-time.After(callTimeout):
		t.Fatal("the call in flight never failed")
	}
	require.Error(t, err, "the call must not succeed")
	assert.Equal(t, ck.CKR_DEVICE_ERROR, ck.RVOf(err), "%v", err)
	// The worker died between frames, so the front says why.
	var te *transport.Error
	require.ErrorAs(t, err, &te)
	require.NotNil(t, te.Goodbye, "%v", err)
	assert.Equal(t, transport.GoodbyeWorkerLost, te.Goodbye.Reason)

	// The service and the other instance carry on; the victim gets a new
	// worker without its sessions.
	info := call[*transport.TokenInfoResponse](t, other, &transport.GetTokenInfoRequest{})
	assert.Equal(t, ck.CKR_OK, info.RV)
	again := e.login(victim, "alice")
	assert.False(t, again.Session().Login.Resumed)
	assert.NotEqual(t, pid, e.workerOf(victim))
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rvOf(t, again, &transport.GetSessionInfoRequest{Session: s}))
	assert.Contains(t, e.d.Logs(), "worker lost")
}

func TestServeShutdown(t *testing.T) {
	e := newE2E(t, testenv.HsmdOptions{})
	c := e.login(newInstance(t), "alice")
	openSession(t, c)
	logs, err := e.connect(newInstance(t), e.creds("bob"), transport.ModeAuditLog)
	require.NoError(t, err)
	defer logs.Close()
	workers := e.d.Workers(t)
	require.Len(t, workers, 1)

	e.d.Signal(t, syscall.SIGTERM)
	require.NoError(t, e.d.Wait(t, 45*time.Second), "hsmd serve exits 0 on SIGTERM")
	for _, client := range []*transport.Client{c, logs} {
		<-client.Done()
		err := client.Ping(context.Background())
		var te *transport.Error
		require.ErrorAs(t, err, &te)
		require.NotNil(t, te.Goodbye, "%v", err)
		assert.Equal(t, transport.GoodbyeShutdown, te.Goodbye.Reason)
	}
	assert.False(t, processAlive(workers[0].Pid), "workers are stopped with the service")
	_, err = os.Stat(filepath.Join(e.d.StateDir, "hsmd.addr"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, e.d.Logs(), "shutting down")
}

func TestServeAuditLogMode(t *testing.T) {
	e := newE2E(t, testenv.HsmdOptions{})
	for range 3 {
		e.login(newInstance(t), "alice").Close()
	}
	c, err := e.connect(newInstance(t), e.creds("alice"), transport.ModeAuditLog)
	require.NoError(t, err)
	defer c.Close()
	want, err := audit.Read(e.d.StateDir, "alice", audit.Query{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(want.Records), 5)

	for _, reverse := range []bool{false, true} {
		var got []string
		var cursor []byte
		for page := 0; ; page++ {
			require.Less(t, page, 100, "paging never ends")
			resp := auditPage(t, c, &transport.AuditLogRequest{Reverse: reverse, Cursor: cursor, MaxEntries: 2})
			assert.LessOrEqual(t, len(resp.Entries), 2)
			got = append(got, resp.Entries...)
			if resp.Done {
				break
			}
			cursor = resp.Cursor
		}
		require.GreaterOrEqual(t, len(got), len(want.Records))
		first, last := got[0], got[len(got)-1]
		if reverse {
			first, last = last, first
		}
		assert.Equal(t, string(want.Records[0].Line), first)
		assert.Contains(t, last, `"event":"login"`, "this connection's own login is the newest entry")
	}
	// PKCS#11 messages are not served in this mode.
	_, err = c.Call(context.Background(), &transport.GetTokenInfoRequest{})
	assert.Equal(t, transport.CodeUnknownMessage, remoteCode(err), "%v", err)
	_, err = c.Call(context.Background(), &transport.AuditLogRequest{Cursor: []byte("forged")})
	assert.Equal(t, transport.CodeMalformed, remoteCode(err), "%v", err)
}

func auditPage(t testing.TB, c *transport.Client, req *transport.AuditLogRequest) *transport.AuditLogResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	resp, err := transport.Invoke[*transport.AuditLogResponse](ctx, c, req)
	require.NoError(t, err)
	return resp
}

// cpuTicks is the CPU time pid has used, in clock ticks.
func cpuTicks(t testing.TB, pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, err1 := strconv.Atoi(f[11])
	stime, err2 := strconv.Atoi(f[12])
	require.NoError(t, err1)
	require.NoError(t, err2)
	return utime + stime
}

// processAlive reports whether pid runs (a zombie does not count).
func processAlive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// BenchmarkServeCall measures a PKCS#11 call's round trip through hsmd on
// loopback: TLS, the front's splice, the worker, SoftHSM (C_GetSessionInfo
// does no cryptography), sequential and with calls in parallel on one
// connection.
func BenchmarkServeCall(b *testing.B) {
	hsm := testenv.NewSoftHSM(b)
	hsm.InitToken(b, "tok-a", e2eSOPIN, e2ePINs["alice"])
	d := testenv.NewHsmd(b, testenv.HsmdOptions{Backend: hsm})
	setup := d.AddUser(b, "alice", "tok-a")
	d.AddProxyUser(b, e2eProxy, e2eProxyPassword)
	d.Start(b)
	ctx := context.Background()
	secret, _, err := transport.FetchSecret(ctx, d.Dial(b), transport.Hello{InstanceID: newInstance(b)}, e2eProxy,
		transport.Secret(e2eProxyPassword), transport.FetchSecretRequest{User: "alice",
			SetupPassword: transport.Secret(setup), PIN: transport.Secret(e2ePINs["alice"])})
	require.NoError(b, err)
	c, err := transport.Connect(ctx, d.Dial(b), transport.Hello{InstanceID: newInstance(b)}, transport.Credentials{
		ProxyUser: e2eProxy, ProxyPassword: transport.Secret(e2eProxyPassword),
		User: "alice", SecretID: secret.SecretID, Secret: secret.Secret}, transport.ModePKCS11, transport.ClientConfig{})
	require.NoError(b, err)
	defer c.Close()
	s := openSession(b, c)
	req := &transport.GetSessionInfoRequest{Session: s}
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Call(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Call(ctx, req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
