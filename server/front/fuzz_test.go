package front

import (
	"bytes"
	"context"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/registry"
	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport"
)

// FuzzFrontHandshake feeds arbitrary bytes to a front connection as the
// client's whole stream: the front must neither panic nor hang, whatever
// they hold. The state's credentials come from a fixed random source, so
// the seeds that log in (as alice, over a stand-in worker) stay valid.
func FuzzFrontHandshake(f *testing.F) {
	st := newTestStateRand(f, f.TempDir(), mrand.NewChaCha8([32]byte{'c', 'l', 'o', 'u', 'd', 'p', '1', '1'}))
	// Lockouts would close the deep paths for the rest of the run, and
	// an audit log growing by a line per run would slow AuditLog down:
	// the fuzzed Authority has neither.
	policy := st.cfg.AuthPolicy()
	policy.MaxFailures, policy.LockoutDuration = 1000, time.Second
	authority, err := auth.New(auth.Options{Store: registry.NewStore(st.dir), Policy: policy})
	require.NoError(f, err)
	srv, err := New(Config{
		StateDir: st.dir, ServerVersion: "hsmd fuzz", Authority: authority, Logger: zerolog.Nop(),
		HandshakeTimeout: 200 * time.Millisecond, Lease: time.Second,
	})
	require.NoError(f, err)
	backend := &fakeBackend{exitWhenIdle: true}
	srv.spawn, srv.checkPINOnce = backend.spawn, backend.checkPINOnce
	for _, seed := range handshakeSeeds(f, st) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		conn := &scriptedConn{in: bytes.NewReader(stream)}
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.serveConn(conn)
		}()
		timer := time.NewTimer(10 * time.Second)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
			t.Fatalf("the front hangs on a stream of %d bytes", len(stream))
		}
	})
}

// handshakeSeeds are client streams: complete logins in every mode, each
// followed by a request, and broken ones.
func handshakeSeeds(t testing.TB, st *testState) [][]byte {
	alice := st.users["alice"]
	id := [16]byte{1, 2, 3, 4}
	hello := &transport.HelloRequest{Magic: transport.Magic, MinVersion: 1, MaxVersion: 1,
		Capabilities: transport.CapFused | transport.CapAuditLog, ClientID: "fuzz", InstanceID: id, SoftwareVersion: "seed"}
	proxy := &transport.ProxyLoginRequest{User: testProxy, Password: transport.Secret(testProxyPassword)}
	login := func(mode transport.Mode) *transport.UserLoginRequest {
		return &transport.UserLoginRequest{User: "alice", SecretID: alice.secretID, Secret: alice.secret, Mode: mode}
	}
	stream := func(msgs ...transport.Request) []byte {
		var out []byte
		for i, m := range msgs {
			var err error
			out, err = transport.AppendFrame(out, m.Type(), 0, uint64(i+1), m, transport.MaxMaxFrame)
			require.NoError(t, err)
		}
		return out
	}
	badMagic := *hello
	badMagic.Magic = [4]byte{'H', 'T', 'T', 'P'}
	oldVersion := *hello
	oldVersion.MinVersion, oldVersion.MaxVersion = 7, 9
	oversized := transport.MakeHeader(1<<30, transport.MsgHello, 0, 1)
	return [][]byte{
		{},
		stream(hello),
		stream(hello, proxy),
		stream(hello, proxy, login(transport.ModePKCS11), &transport.OpenSessionRequest{Flags: 6}, &transport.PingRequest{Nonce: 9}),
		stream(hello, proxy, login(transport.ModeAuditLog), &transport.AuditLogRequest{MaxEntries: 2}),
		stream(hello, proxy, &transport.FetchSecretRequest{User: "alice", SetupPassword: transport.Secret(alice.setup), PIN: transport.Secret(testPIN)}),
		stream(hello, &transport.ProxyLoginRequest{User: testProxy, Password: transport.Secret("wrong")}),
		stream(hello, proxy, &transport.UserLoginRequest{User: "alice", Secret: transport.Secret("wrong"), Mode: transport.ModePKCS11}),
		stream(&badMagic),
		stream(&oldVersion),
		stream(&transport.OpenSessionRequest{Flags: 6}),
		stream(hello, hello),
		oversized[:],
		append(stream(hello)[:20], 0xff),
	}
}

// scriptedConn is a client connection whose whole stream is known: reads
// return it, then end of file; what the server writes is dropped. Unlike
// a pipe it never blocks, so every run is deterministic.
type scriptedConn struct{ in *bytes.Reader }

func (c *scriptedConn) Read(p []byte) (int, error) {
	n, err := c.in.Read(p)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}
func (c *scriptedConn) Write(p []byte) (int, error) { return len(p), nil }
func (c *scriptedConn) Close() error                { return nil }
func (c *scriptedConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2310}
}
func (c *scriptedConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (c *scriptedConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptedConn) SetWriteDeadline(time.Time) error { return nil }

// TestHandshakeSeedsReachTheirStage checks that the fuzz seeds do what
// they are for: the logins log in (a worker is started, a secret issued),
// so the fuzzer starts from the deep states.
func TestHandshakeSeedsReachTheirStage(t *testing.T) {
	st := newTestStateRand(t, t.TempDir(), mrand.NewChaCha8([32]byte{'c', 'l', 'o', 'u', 'd', 'p', '1', '1'}))
	var logs testenv.SyncBuffer
	srv, err := New(Config{StateDir: st.dir, Authority: st.authority, Logger: zerolog.New(&logs), HandshakeTimeout: time.Second})
	require.NoError(t, err)
	backend := &fakeBackend{exitWhenIdle: true}
	srv.spawn, srv.checkPINOnce = backend.spawn, backend.checkPINOnce
	seeds := handshakeSeeds(t, st)
	for _, seed := range seeds {
		srv.serveConn(&scriptedConn{in: bytes.NewReader(seed)})
	}
	assert.Len(t, backend.all(), 1, "the pkcs11 seed starts a worker")
	assert.Contains(t, logs.String(), "permanent secret issued")
	assert.Contains(t, logs.String(), `"mode":"audit_log"`)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	if os.Getenv("CLOUDP11_WRITE_FUZZ_SEEDS") != "" {
		writeSeedCorpus(t, "FuzzFrontHandshake", seeds)
	}
	// The committed seeds are these, so they log in too.
	assert.Equal(t, seeds, readSeedCorpus(t, "FuzzFrontHandshake", len(seeds)),
		"testdata/fuzz/FuzzFrontHandshake is stale: run with CLOUDP11_WRITE_FUZZ_SEEDS=1")
}
