package transport

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

const (
	proxyPassword = "proxy-pw-SECRET"
	aliceSecret   = "alice-permanent-SECRET"
	revokedSecret = "old-revoked-SECRET"
	setupPassword = "FXAJX-XWVQ3-DC0O5-3SLQF-LJ9L3"
	partitionPIN  = "1234-PIN-SECRET"
)

var lockedUntil = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeAuth is a small Authenticator with fixed users.
type fakeAuth struct {
	mu    sync.Mutex
	peers []Peer // what each call saw
}

func (a *fakeAuth) saw(p *Peer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.peers = append(a.peers, *p)
}

func same(a Secret, b string) bool { return subtle.ConstantTimeCompare(a.Reveal(), []byte(b)) == 1 }

func (a *fakeAuth) ProxyLogin(_ context.Context, p *Peer, req *ProxyLoginRequest) error {
	a.saw(p)
	switch {
	case req.User == "locked-svc":
		return &RemoteError{Code: CodeLockedOut, LockedUntil: lockedUntil}
	case req.User != "svc":
		return &RemoteError{Code: CodeUnknownProxyUser}
	case !same(req.Password, proxyPassword):
		return &RemoteError{Code: CodeWrongProxyPassword}
	}
	return nil
}

func (a *fakeAuth) UserLogin(_ context.Context, p *Peer, req *UserLoginRequest) (*UserLoginResponse, error) {
	a.saw(p)
	switch {
	case req.User == "broken":
		return nil, errors.New("state folder unreadable: /var/lib/hsmd")
	case req.User == "nopart":
		return nil, &RemoteError{Code: CodePartitionUnavailable, Detail: "token PART2 not found"}
	case req.User != "alice":
		return nil, &RemoteError{Code: CodeUnknownUser}
	case same(req.Secret, revokedSecret):
		return nil, &RemoteError{Code: CodeRevokedSecret}
	case !same(req.Secret, aliceSecret):
		return nil, &RemoteError{Code: CodeWrongSecret}
	}
	return &UserLoginResponse{Partition: "ALICE-PART", Lease: 300, Resumed: req.SecretID == "resume"}, nil
}

func (a *fakeAuth) FetchSecret(_ context.Context, p *Peer, req *FetchSecretRequest) (*FetchSecretResponse, error) {
	a.saw(p)
	switch {
	case req.User != "alice":
		return nil, &RemoteError{Code: CodeUnknownUser}
	case same(req.SetupPassword, "EXPIR-EDEXP-IREDE-XPIRE-DEXPI"):
		return nil, &RemoteError{Code: CodeSetupPasswordExpired}
	case !same(req.SetupPassword, setupPassword):
		return nil, &RemoteError{Code: CodeWrongSetupPassword}
	case !same(req.PIN, partitionPIN):
		return nil, &RemoteError{Code: CodeWrongPIN}
	}
	return &FetchSecretResponse{SecretID: "id-2", Secret: Secret(aliceSecret)}, nil
}

var goodCreds = Credentials{ProxyUser: "svc", ProxyPassword: Secret(proxyPassword), User: "alice", SecretID: "id-1", Secret: Secret(aliceSecret)}

func testHello() Hello {
	return Hello{ClientID: "CLIENT_ID1", InstanceID: [16]byte{1, 2, 3}, SoftwareVersion: "libcloudp11 test", Capabilities: CapFused | CapAuditLog}
}

var testHandshakeConfig = HandshakeConfig{ServerVersion: "hsmd 0.1 test", Capabilities: CapFused | CapRetryMemory | CapAuditLog, MaxFrame: 256 << 10, MaxInFlight: 32}

type serverResult struct {
	hs  *Handshake
	err error
}

// startHandshakeServer runs ServerHandshake on the server end of a pair and,
// when it succeeds in mode pkcs11, serves d on the connection.
func startHandshakeServer(t *testing.T, sConn net.Conn, cfg HandshakeConfig, d *Dispatcher) <-chan serverResult {
	results := make(chan serverResult, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		hs, err := ServerHandshake(context.Background(), sConn, cfg, &fakeAuth{})
		results <- serverResult{hs, err}
		if err != nil || hs.SecretIssued || d == nil {
			sConn.Close()
			return
		}
		_ = NewServerConn(sConn, d, hs.Conn).Serve(context.Background())
	}()
	t.Cleanup(func() {
		sConn.Close()
		wg.Wait()
	})
	return results
}

func TestHandshakeThenCalls(t *testing.T) {
	for _, ct := range testConnTypes {
		t.Run(ct.name, func(t *testing.T) {
			cConn, sConn := ct.pair(t)
			results := startHandshakeServer(t, sConn, testHandshakeConfig, echoDispatcher())
			client, err := Connect(t.Context(), cConn, testHello(), goodCreds, ModePKCS11, ClientConfig{})
			require.NoError(t, err)
			defer client.Close()

			res := <-results
			require.NoError(t, res.err)
			peer := res.hs.Peer
			assert.Equal(t, "CLIENT_ID1", peer.Hello.ClientID)
			assert.Equal(t, [16]byte{1, 2, 3}, peer.Hello.InstanceID)
			assert.Equal(t, "svc", peer.ProxyUser)
			assert.Equal(t, "alice", peer.User)
			assert.Equal(t, ModePKCS11, peer.Mode)
			assert.Equal(t, CapFused|CapAuditLog, peer.Capabilities)

			s := client.Session()
			assert.Equal(t, uint16(1), s.Server.Version)
			assert.Equal(t, "hsmd 0.1 test", s.Server.ServerVersion)
			assert.Equal(t, CapFused|CapAuditLog, s.Server.Capabilities, "the intersection")
			assert.Equal(t, uint32(256<<10), s.Server.MaxFrame, "the smaller wish")
			assert.Equal(t, uint32(32), s.Server.MaxInFlight)
			assert.Equal(t, UserLoginResponse{Partition: "ALICE-PART", Lease: 300}, s.Login)

			got, err := sign(t.Context(), client, "after the handshake")
			require.NoError(t, err)
			assert.Equal(t, reverse("after the handshake"), got)
		})
	}
}

// refusal checks an error from the client side of the handshake.
func refusal(t *testing.T, err error, code ErrorCode, rv ck.RV) {
	t.Helper()
	require.Error(t, err)
	var remote *RemoteError
	require.ErrorAs(t, err, &remote, err.Error())
	assert.Equal(t, code, remote.Code)
	assert.ErrorIs(t, err, &RemoteError{Code: code}, "ppin tells failures apart with errors.Is")
	assert.Equal(t, rv, ck.RVOf(err))
	for _, secret := range []string{proxyPassword, aliceSecret, revokedSecret, setupPassword, partitionPIN} {
		assert.NotContains(t, err.Error(), secret)
	}
}

func TestHandshakeRefusals(t *testing.T) {
	tests := []struct {
		name  string
		creds Credentials
		mode  Mode
		code  ErrorCode
		rv    ck.RV
		step  HandshakeStep
	}{
		{"wrong proxy password", Credentials{ProxyUser: "svc", ProxyPassword: Secret("nope"), User: "alice", Secret: Secret(aliceSecret)}, ModePKCS11, CodeWrongProxyPassword, ck.CKR_TOKEN_NOT_RECOGNIZED, StepProxyLogin},
		{"unknown proxy user", Credentials{ProxyUser: "who", ProxyPassword: Secret(proxyPassword)}, ModePKCS11, CodeUnknownProxyUser, ck.CKR_TOKEN_NOT_RECOGNIZED, StepProxyLogin},
		{"proxy user locked out", Credentials{ProxyUser: "locked-svc"}, ModePKCS11, CodeLockedOut, ck.CKR_PIN_LOCKED, StepProxyLogin},
		{"unknown user", Credentials{ProxyUser: "svc", ProxyPassword: Secret(proxyPassword), User: "mallory", Secret: Secret(aliceSecret)}, ModePKCS11, CodeUnknownUser, ck.CKR_TOKEN_NOT_RECOGNIZED, StepUserLogin},
		{"wrong secret", Credentials{ProxyUser: "svc", ProxyPassword: Secret(proxyPassword), User: "alice", Secret: Secret(proxyPassword)}, ModePKCS11, CodeWrongSecret, ck.CKR_TOKEN_NOT_RECOGNIZED, StepUserLogin},
		{"revoked secret", Credentials{ProxyUser: "svc", ProxyPassword: Secret(proxyPassword), User: "alice", Secret: Secret(revokedSecret)}, ModeAuditLog, CodeRevokedSecret, ck.CKR_TOKEN_NOT_RECOGNIZED, StepUserLogin},
		{"partition unavailable", Credentials{ProxyUser: "svc", ProxyPassword: Secret(proxyPassword), User: "nopart"}, ModePKCS11, CodePartitionUnavailable, ck.CKR_TOKEN_NOT_PRESENT, StepUserLogin},
		{"server failure", Credentials{ProxyUser: "svc", ProxyPassword: Secret(proxyPassword), User: "broken"}, ModePKCS11, CodeInternal, ck.CKR_DEVICE_ERROR, StepUserLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cConn, sConn := tcpPair(t)
			results := startHandshakeServer(t, sConn, testHandshakeConfig, echoDispatcher())
			client, err := Connect(t.Context(), cConn, testHello(), tt.creds, tt.mode, ClientConfig{})
			assert.Nil(t, client)
			refusal(t, err, tt.code, tt.rv)
			var refused *RefusedError
			require.ErrorAs(t, err, &refused)
			assert.Equal(t, tt.step, refused.Step)
			require.NotNil(t, refused.Server, "refused after Hello")
			assert.Equal(t, testHandshakeConfig.ServerVersion, refused.Server.ServerVersion)
			res := <-results
			require.Error(t, res.err)
			var remote *RemoteError
			if tt.code == CodeInternal {
				assert.Contains(t, res.err.Error(), "state folder unreadable", "the server keeps the cause")
				require.ErrorAs(t, err, &remote)
				assert.NotContains(t, remote.Detail, "state folder", "the client does not get it")
			} else {
				require.ErrorAs(t, res.err, &remote)
				assert.Equal(t, tt.code, remote.Code)
			}
			if tt.code == CodeLockedOut {
				require.ErrorAs(t, err, &remote)
				assert.True(t, lockedUntil.Equal(remote.LockedUntil), "locked until %v", remote.LockedUntil)
			}
			_, err = cConn.Write([]byte{0})
			assert.Error(t, err, "the client's conn is closed after a refusal")
		})
	}
}

func TestFetchSecret(t *testing.T) {
	tests := []struct {
		name  string
		setup string
		pin   string
		code  ErrorCode
		rv    ck.RV
	}{
		{"issued", setupPassword, partitionPIN, 0, ck.CKR_OK},
		{"wrong setup password", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", partitionPIN, CodeWrongSetupPassword, ck.CKR_PIN_INCORRECT},
		{"expired setup password", "EXPIR-EDEXP-IREDE-XPIRE-DEXPI", partitionPIN, CodeSetupPasswordExpired, ck.CKR_PIN_EXPIRED},
		{"wrong PIN", setupPassword, "0000", CodeWrongPIN, ck.CKR_PIN_INCORRECT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cConn, sConn := tlsPair(t)
			results := startHandshakeServer(t, sConn, testHandshakeConfig, nil)
			resp, server, err := FetchSecret(t.Context(), cConn, testHello(), "svc", Secret(proxyPassword),
				FetchSecretRequest{User: "alice", SetupPassword: Secret(tt.setup), PIN: Secret(tt.pin), Replaces: "id-1"})
			res := <-results
			if tt.code == 0 {
				require.NoError(t, err)
				assert.Equal(t, "id-2", resp.SecretID)
				assert.Equal(t, aliceSecret, string(resp.Secret.Reveal()))
				assert.Equal(t, "hsmd 0.1 test", server.ServerVersion)
				require.NoError(t, res.err)
				assert.True(t, res.hs.SecretIssued)
				assert.Equal(t, "alice", res.hs.Peer.User)
				return
			}
			refusal(t, err, tt.code, tt.rv)
			assert.Error(t, res.err)
		})
	}
}

func TestUnsupportedVersion(t *testing.T) {
	cConn, sConn := pipePair(t)
	results := startHandshakeServer(t, sConn, testHandshakeConfig, nil)
	hello := testHello()
	hello.MinVersion, hello.MaxVersion = 2, 3
	_, err := Connect(t.Context(), cConn, hello, goodCreds, ModePKCS11, ClientConfig{})
	refusal(t, err, CodeUnsupportedVersion, ck.CKR_DEVICE_ERROR)
	assert.Contains(t, err.Error(), "the server speaks versions 1 to 1, the client 2 to 3")
	assert.Error(t, (<-results).err)
}

func TestAuditLogModeNeedsTheCapability(t *testing.T) {
	cConn, sConn := pipePair(t)
	cfg := testHandshakeConfig
	cfg.Capabilities = CapFused
	startHandshakeServer(t, sConn, cfg, nil)
	_, err := Connect(t.Context(), cConn, testHello(), goodCreds, ModeAuditLog, ClientConfig{})
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Contains(t, err.Error(), "does not serve the audit log")
}

// rawHandshake sends hand-made frames to a server handshake.
func rawHandshake(t *testing.T, cfg HandshakeConfig) (net.Conn, <-chan serverResult) {
	cConn, sConn := pipePair(t)
	return cConn, startHandshakeServer(t, sConn, cfg, echoDispatcher())
}

func TestHandshakeAcceptsNothingOutOfOrder(t *testing.T) {
	sample := map[MsgType]Request{
		MsgSign:       &SignRequest{DataPart{Session: 1}},
		MsgProxyLogin: &ProxyLoginRequest{User: "svc", Password: Secret(proxyPassword)},
		MsgUserLogin:  &UserLoginRequest{User: "alice", Secret: Secret(aliceSecret), Mode: ModePKCS11},
		MsgPing:       &PingRequest{},
	}
	for typ, req := range sample {
		t.Run("first "+typ.String(), func(t *testing.T) {
			c, results := rawHandshake(t, testHandshakeConfig)
			require.NoError(t, writeMessage(c, typ, 0, 1, req, HandshakeMaxFrame))
			h, body := readRaw(t, c)
			assert.Equal(t, FlagResponse|FlagError, h.Flags())
			remote, err := DecodeRemoteError(body)
			require.NoError(t, err)
			assert.Equal(t, CodeNotAllowed, remote.Code)
			assert.Contains(t, remote.Detail, "the handshake expects Hello")
			assert.Error(t, (<-results).err)
		})
	}
	t.Run("UserLogin before ProxyLogin", func(t *testing.T) {
		c, results := rawHandshake(t, testHandshakeConfig)
		hello := &HelloRequest{Magic: Magic, MinVersion: 1, MaxVersion: 1}
		require.NoError(t, writeMessage(c, MsgHello, 0, 1, hello, HandshakeMaxFrame))
		readRaw(t, c)
		require.NoError(t, writeMessage(c, MsgUserLogin, 0, 2, sample[MsgUserLogin], HandshakeMaxFrame))
		_, body := readRaw(t, c)
		remote, err := DecodeRemoteError(body)
		require.NoError(t, err)
		assert.Equal(t, CodeNotAllowed, remote.Code)
		assert.Error(t, (<-results).err)
	})
}

func TestHandshakeOfAnotherProtocolGetsNoAnswer(t *testing.T) {
	c, results := rawHandshake(t, testHandshakeConfig)
	go func() { _, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")) }()
	res := <-results
	require.Error(t, res.err)
	_, _, err := ReadFrame(c, HandshakeMaxFrame)
	assert.Error(t, err, "closed without an answer")
}

func TestHandshakeTimesOut(t *testing.T) {
	cfg := testHandshakeConfig
	cfg.Timeout = 100 * time.Millisecond
	c, results := rawHandshake(t, cfg)
	// Say nothing: the server gives up and says why.
	h, body := readRaw(t, c)
	require.Equal(t, MsgGoodbye, h.Type())
	g, err := DecodeGoodbye(body)
	require.NoError(t, err)
	assert.Equal(t, GoodbyeHandshakeTimeout, g.Reason)
	res := <-results
	var te *Error
	require.ErrorAs(t, res.err, &te)
	assert.Equal(t, KindTimeout, te.Kind)
}

func TestClientHandshakeDeadline(t *testing.T) {
	cConn, sConn := pipePair(t)
	go func() { // a server that reads and never answers
		buf := make([]byte, 1024)
		for {
			if _, err := sConn.Read(buf); err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := Connect(ctx, cConn, testHello(), goodCreds, ModePKCS11, ClientConfig{})
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, KindTimeout, te.Kind)
	assert.Equal(t, ck.CKR_DEVICE_ERROR, ck.RVOf(err))
}

func TestClientRejectsAServerHelloBeyondTheOffer(t *testing.T) {
	tests := []struct {
		name string
		resp HelloResponse
		want string
	}{
		{"version", HelloResponse{Version: 9, MaxFrame: MinMaxFrame, MaxInFlight: 1}, "version 9 outside"},
		{"capabilities", HelloResponse{Version: 1, Capabilities: CapRetryMemory, MaxFrame: MinMaxFrame, MaxInFlight: 1}, "capabilities 0x2 beyond"},
		{"frame", HelloResponse{Version: 1, MaxFrame: MaxMaxFrame + 1, MaxInFlight: 1}, "frame limit"},
		{"in flight", HelloResponse{Version: 1, MaxFrame: MinMaxFrame}, "no request may be in flight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cConn, sConn := pipePair(t)
			go func() {
				h, _, err := ReadFrame(sConn, HandshakeMaxFrame)
				if err == nil {
					_ = writeMessage(sConn, MsgHello, FlagResponse, h.RequestID(), &tt.resp, HandshakeMaxFrame)
				}
			}()
			_, err := Connect(t.Context(), cConn, testHello(), goodCreds, ModePKCS11, ClientConfig{})
			var te *Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, KindProtocol, te.Kind)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestTLSOlderThan13IsRefused(t *testing.T) {
	p := testCerts(t)
	ln, err := Listen("tcp", "127.0.0.1:0", p.serverConfig())
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	old := p.clientConfig()
	old.MaxVersion = tls.VersionTLS12
	_, err = tls.Dial("tcp", ln.Addr().String(), old)
	require.Error(t, err, "our server refuses a TLS 1.2 client")

	// And our client refuses a server that offers no more than TLS 1.2.
	oldServer := p.serverConfig()
	oldServer.MaxVersion = tls.VersionTLS12
	ln12, err := tls.Listen("tcp", "127.0.0.1:0", oldServer)
	require.NoError(t, err)
	defer ln12.Close()
	go func() {
		for {
			c, err := ln12.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	_, err = Dial(t.Context(), "tcp", ln12.Addr().String(), p.clientConfig())
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, KindUnreachable, te.Kind)
	assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, ck.RVOf(err))
	assert.True(t, strings.Contains(err.Error(), "protocol version"), err.Error())

	cfg := ClientTLSConfig(old)
	assert.Equal(t, uint16(tls.VersionTLS13), cfg.MinVersion)
	assert.Equal(t, uint16(tls.VersionTLS13), cfg.MaxVersion)
	assert.Equal(t, []string{ALPN}, cfg.NextProtos)
	assert.Equal(t, uint16(tls.VersionTLS12), old.MaxVersion, "the caller's config is not changed")
}

func TestDialUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(t.Context(), "tcp", addr, testCerts(t).clientConfig())
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, KindUnreachable, te.Kind)
	assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, ck.RVOf(err))
}

func TestDialRefusesAnUntrustedServer(t *testing.T) {
	p := testCerts(t)
	ln, err := Listen("tcp", "127.0.0.1:0", p.serverConfig())
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	_, err = Dial(t.Context(), "tcp", ln.Addr().String(), &tls.Config{ServerName: "localhost"}) // system roots
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, KindUnreachable, te.Kind)
	var unknownAuthority x509UnknownAuthority
	assert.ErrorAs(t, err, &unknownAuthority)
}

type x509UnknownAuthority = x509.UnknownAuthorityError

func TestAuditLogIsFetchedInPages(t *testing.T) {
	entries := []string{"login alice", "generate key 1", "sign", "destroy key 1", "logout"}
	d := NewDispatcher()
	Handle(d, func(_ context.Context, _ *Inbound, req *AuditLogRequest) (*AuditLogResponse, error) {
		start := 0
		if len(req.Cursor) == 1 {
			start = int(req.Cursor[0])
		}
		end := min(start+int(req.MaxEntries), len(entries))
		resp := &AuditLogResponse{Entries: entries[start:end], Done: end == len(entries)}
		if !resp.Done {
			resp.Cursor = []byte{byte(end)}
		}
		return resp, nil
	})
	cConn, sConn := tlsPair(t)
	results := startHandshakeServer(t, sConn, testHandshakeConfig, d)
	client, err := Connect(t.Context(), cConn, testHello(), goodCreds, ModeAuditLog, ClientConfig{})
	require.NoError(t, err)
	defer client.Close()
	res := <-results
	require.NoError(t, res.err)
	assert.Equal(t, ModeAuditLog, res.hs.Peer.Mode)

	var got []string
	var cursor []byte
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		page, err := Invoke[*AuditLogResponse](t.Context(), client, &AuditLogRequest{Cursor: cursor, MaxEntries: 2})
		require.NoError(t, err)
		got = append(got, page.Entries...)
		if page.Done {
			break
		}
		cursor = page.Cursor
	}
	assert.Equal(t, entries, got)

	_, err = sign(t.Context(), client, "not in this mode")
	var remote *RemoteError
	require.ErrorAs(t, err, &remote)
	assert.Equal(t, CodeUnknownMessage, remote.Code)
}
