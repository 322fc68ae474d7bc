package front

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/admin"
	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/hsmdconfig"
	"github.com/cloudp11/cloudp11/server/registry"
	"github.com/cloudp11/cloudp11/server/state"
	"github.com/cloudp11/cloudp11/transport"
)

// Credentials of the test state.
const (
	testProxy         = "svc"
	testProxyPassword = "proxy-password"
	testPIN           = "1234"
)

// testUser is an HSM user of the test state with a permanent secret.
type testUser struct {
	name, token string
	setup       string
	secretID    string
	secret      []byte
}

// testState is a state folder with a proxy user and HSM users alice and
// bob, each holding a permanent secret.
type testState struct {
	dir       string
	cfg       *hsmdconfig.Config
	authority *auth.Authority
	users     map[string]*testUser
}

// cheapArgon2 keeps the tests fast; production parameters are auth's.
var cheapArgon2 = auth.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

func newTestState(t testing.TB, dir string) *testState { return newTestStateRand(t, dir, nil) }

// newTestStateRand makes the test state with rand as the source of setup
// passwords and secrets (nil: crypto/rand), so that a fixed source makes
// the same credentials every time (the fuzz seeds hold them).
func newTestStateRand(t testing.TB, dir string, rand io.Reader) *testState {
	ctx := context.Background()
	_, err := state.Init(ctx, state.InitOptions{Dir: dir, Names: []string{"localhost", "127.0.0.1"}})
	require.NoError(t, err)
	cfg := hsmdconfig.Default()
	cfg.StateDir = dir
	cfg.Auth.Argon2 = cheapArgon2
	cfg.Auth.MaxFailedTries = 3
	cfg.Auth.LockoutDuration = time.Hour

	adm, err := admin.New(cfg, admin.Options{Rand: rand})
	require.NoError(t, err)
	defer adm.Close()
	require.NoError(t, adm.AddProxyUser(ctx, testProxy, testProxyPassword))
	ts := &testState{dir: dir, cfg: cfg, users: map[string]*testUser{}}
	for _, u := range []*testUser{{name: "alice", token: "tok-a"}, {name: "bob", token: "tok-b"}} {
		u.setup, err = adm.AddUser(ctx, u.name, u.token)
		require.NoError(t, err)
		ts.users[u.name] = u
	}
	auditLog, err := audit.Open(dir, nil)
	require.NoError(t, err)
	t.Cleanup(func() { auditLog.Close() })
	ts.authority, err = auth.New(auth.Options{Store: registry.NewStore(dir), Audit: auditLog, Policy: cfg.AuthPolicy(), Rand: rand})
	require.NoError(t, err)
	for _, name := range []string{"alice", "bob"} { // in order: a fixed rand gives each the same secret
		u := ts.users[name]
		u.secret, u.secretID, err = ts.authority.IssueSecret(ctx, u.name, u.setup, testPIN, func(_, pin string) error {
			if pin != testPIN {
				return auth.ErrBadPIN
			}
			return nil
		})
		require.NoError(t, err)
	}
	return ts
}

func (ts *testState) serverTLS(t testing.TB) *tls.Config {
	cert, err := tls.LoadX509KeyPair(ts.cfg.CertFile(), ts.cfg.KeyFile())
	require.NoError(t, err)
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

func (ts *testState) clientTLS(t testing.TB) *tls.Config {
	pem, err := os.ReadFile(filepath.Join(ts.dir, state.CACertFile))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

// harness is a front on loopback TLS with fake workers.
type harness struct {
	t       *testing.T
	st      *testState
	srv     *Server
	backend *fakeBackend
	addr    string
	served  chan error
}

func newHarness(t *testing.T, adjust func(*Config)) *harness {
	st := newTestState(t, t.TempDir())
	cfg := Config{
		TLS: st.serverTLS(t), StateDir: st.dir, ServerVersion: "hsmd test",
		Authority: st.authority, Logger: zerolog.New(zerolog.NewTestWriter(t)),
		Lease: time.Minute, HandshakeTimeout: 5 * time.Second,
	}
	if adjust != nil {
		adjust(&cfg)
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	backend := &fakeBackend{}
	srv.spawn, srv.checkPINOnce = backend.spawn, backend.checkPINOnce
	ln, err := srv.Listen("127.0.0.1:0")
	require.NoError(t, err)
	h := &harness{t: t, st: st, srv: srv, backend: backend, addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() { h.served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.ErrorIs(t, <-h.served, ErrServerClosed)
	})
	return h
}

func (h *harness) dial() (*tls.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return transport.Dial(ctx, "tcp", h.addr, h.st.clientTLS(h.t))
}

// creds are the right credentials of user.
func (h *harness) creds(user string) transport.Credentials {
	u := h.st.users[user]
	return transport.Credentials{ProxyUser: testProxy, ProxyPassword: transport.Secret(testProxyPassword),
		User: u.name, SecretID: u.secretID, Secret: u.secret}
}

// connect logs in as creds for instance in mode.
func (h *harness) connect(instance [16]byte, creds transport.Credentials, mode transport.Mode) (*transport.Client, error) {
	conn, err := h.dial()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hello := transport.Hello{ClientID: "test-client", InstanceID: instance, SoftwareVersion: "front test",
		Capabilities: transport.CapFused | transport.CapAuditLog}
	return transport.Connect(ctx, conn, hello, creds, mode, transport.ClientConfig{})
}

func (h *harness) mustConnect(instance [16]byte, user string) *transport.Client {
	c, err := h.connect(instance, h.creds(user), transport.ModePKCS11)
	require.NoError(h.t, err)
	h.t.Cleanup(func() { c.Close() })
	return c
}

func newInstance(t testing.TB) [16]byte {
	id, err := transport.NewInstanceID()
	require.NoError(t, err)
	return id
}

// openSession calls C_OpenSession and returns the handle.
func openSession(t testing.TB, c *transport.Client) uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := transport.Invoke[*transport.SessionResponse](ctx, c, &transport.OpenSessionRequest{Flags: 4})
	require.NoError(t, err)
	require.Zero(t, resp.RV)
	return uint64(resp.Session)
}

// remoteCode is the error code of a refused handshake or call, 0 if none.
func remoteCode(err error) transport.ErrorCode {
	var re *transport.RemoteError
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

// readGoodbye reads frames from conn until a Goodbye and returns it.
func readGoodbye(t testing.TB, conn net.Conn) *transport.Goodbye {
	for {
		h, body, err := transport.ReadFrame(conn, transport.MaxMaxFrame)
		require.NoError(t, err, "the connection ended without Goodbye")
		if h.Type() == transport.MsgGoodbye && h.RequestID() == 0 {
			g, err := transport.DecodeGoodbye(body)
			require.NoError(t, err)
			return g
		}
	}
}
