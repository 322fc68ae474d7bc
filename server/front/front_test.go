package front

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

func TestLoginRoutesInstancesToTheirWorkers(t *testing.T) {
	h := newHarness(t, nil)
	a1, a2 := newInstance(t), newInstance(t)

	first := h.mustConnect(a1, "alice")
	assert.False(t, first.Session().Login.Resumed, "a new instance has no sessions")
	assert.Equal(t, "tok-a", first.Session().Login.Partition)
	assert.EqualValues(t, 60, first.Session().Login.Lease)
	assert.True(t, first.Session().Server.Capabilities.Has(transport.CapAuditLog|transport.CapFused))
	assert.Equal(t, uint64(1), openSession(t, first))

	// A second connection of the same instance reaches the same worker,
	// which has a session now.
	second := h.mustConnect(a1, "alice")
	assert.True(t, second.Session().Login.Resumed)
	assert.Equal(t, uint64(2), openSession(t, second))

	// Another instance of the same user gets a worker of its own.
	other := h.mustConnect(a2, "alice")
	assert.False(t, other.Session().Login.Resumed)
	assert.Equal(t, uint64(1), openSession(t, other))

	workers := h.backend.all()
	require.Len(t, workers, 2)
	assert.Equal(t, a1, workers[0].params.InstanceID)
	assert.Equal(t, "tok-a", workers[0].params.Token)
	assert.Equal(t, "test-client", workers[0].params.ClientID)
	assert.Equal(t, time.Minute, workers[0].params.Lease)
	listed := h.srv.Workers()
	require.Len(t, listed, 2)
	assert.Equal(t, "alice", listed[0].User)
	assert.Len(t, listed[0].Instance, 2*instancePrefixLen)
}

func TestInstanceBoundToOneUser(t *testing.T) {
	h := newHarness(t, nil)
	id := newInstance(t)
	h.mustConnect(id, "alice")
	_, err := h.connect(id, h.creds("bob"), transport.ModePKCS11)
	require.Error(t, err)
	assert.Equal(t, transport.CodeNotAllowed, remoteCode(err))
	assert.Len(t, h.backend.all(), 1, "bob must not get a worker on alice's instance")
}

func TestHandshakeRefusalsHaveTheirCodes(t *testing.T) {
	h := newHarness(t, nil)
	id := newInstance(t)
	good := h.creds("alice")

	wrongProxy := good
	wrongProxy.ProxyPassword = transport.Secret("nope")
	unknownProxy := good
	unknownProxy.ProxyUser = "nobody"
	unknownUser := good
	unknownUser.User = "carol"
	wrongSecret := good
	wrongSecret.Secret = transport.Secret(make([]byte, 32))

	for name, tc := range map[string]struct {
		creds transport.Credentials
		code  transport.ErrorCode
	}{
		"wrong proxy password": {wrongProxy, transport.CodeWrongProxyPassword},
		// One answer for an unknown proxy user and a wrong password.
		"unknown proxy user": {unknownProxy, transport.CodeWrongProxyPassword},
		"unknown user":       {unknownUser, transport.CodeUnknownUser},
		"wrong secret":       {wrongSecret, transport.CodeWrongSecret},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := h.connect(id, tc.creds, transport.ModePKCS11)
			require.Error(t, err)
			assert.Equal(t, tc.code, remoteCode(err), "%v", err)
			assert.NotContains(t, err.Error(), "proxy-password")
		})
	}
	assert.Empty(t, h.backend.all(), "no refused login may start a worker")
}

func TestLockoutAfterFailures(t *testing.T) {
	h := newHarness(t, nil)
	id := newInstance(t)
	wrong := h.creds("bob")
	wrong.Secret = transport.Secret("not the secret")
	for range h.st.cfg.Auth.MaxFailedTries - 1 {
		_, err := h.connect(id, wrong, transport.ModePKCS11)
		assert.Equal(t, transport.CodeWrongSecret, remoteCode(err))
	}
	// The try that starts the lockout says so, with the time it ends.
	_, err := h.connect(id, wrong, transport.ModePKCS11)
	var re *transport.RemoteError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, transport.CodeLockedOut, re.Code)
	assert.WithinDuration(t, time.Now().Add(time.Hour), re.LockedUntil, time.Minute)
	assert.Equal(t, ck.CKR_PIN_LOCKED, ck.RVOf(err))
	// The right secret is refused too until the lockout ends.
	_, err = h.connect(id, h.creds("bob"), transport.ModePKCS11)
	assert.Equal(t, transport.CodeLockedOut, remoteCode(err))
	// Other users carry on.
	h.mustConnect(newInstance(t), "alice")
}

func TestPartitionUnavailable(t *testing.T) {
	h := newHarness(t, nil)
	h.backend.setMissingToken(true)
	_, err := h.connect(newInstance(t), h.creds("alice"), transport.ModePKCS11)
	assert.Equal(t, transport.CodePartitionUnavailable, remoteCode(err), "%v", err)
	assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, ck.RVOf(err))
	// The failed spawn is forgotten: the token's return is noticed.
	h.backend.setMissingToken(false)
	h.mustConnect(newInstance(t), "alice")
}

func TestTooManyWorkers(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxWorkers = 1 })
	h.mustConnect(newInstance(t), "alice")
	_, err := h.connect(newInstance(t), h.creds("alice"), transport.ModePKCS11)
	assert.Equal(t, transport.CodeBusy, remoteCode(err), "%v", err)
}

func TestFetchSecret(t *testing.T) {
	h := newHarness(t, nil)
	fetch := func(user, setup, pin string) (*transport.FetchSecretResponse, error) {
		conn, err := h.dial()
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, _, err := transport.FetchSecret(ctx, conn, transport.Hello{ClientID: "ppin", InstanceID: newInstance(t)},
			testProxy, transport.Secret(testProxyPassword),
			transport.FetchSecretRequest{User: user, SetupPassword: transport.Secret(setup), PIN: transport.Secret(pin)})
		return resp, err
	}
	alice := h.st.users["alice"]

	resp, err := fetch("alice", alice.setup, testPIN)
	require.NoError(t, err)
	assert.Len(t, resp.Secret, 32)
	assert.NotEqual(t, alice.secretID, resp.SecretID)
	// The new secret logs in.
	creds := h.creds("alice")
	creds.SecretID, creds.Secret = resp.SecretID, resp.Secret
	c, err := h.connect(newInstance(t), creds, transport.ModePKCS11)
	require.NoError(t, err)
	c.Close()

	_, err = fetch("alice", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", testPIN)
	assert.Equal(t, transport.CodeWrongSetupPassword, remoteCode(err))
	_, err = fetch("alice", alice.setup, "9999")
	assert.Equal(t, transport.CodeWrongPIN, remoteCode(err))
	_, err = fetch("alice", alice.setup, "locked")
	assert.Equal(t, transport.CodeLockedOut, remoteCode(err), "a PIN locked on the token")
	_, err = fetch("carol", alice.setup, testPIN)
	assert.Equal(t, transport.CodeUnknownUser, remoteCode(err))
	// ppin -u: the new secret replaces the old one, which stops working.
	conn, err := h.dial()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	replacement, _, err := transport.FetchSecret(ctx, conn, transport.Hello{ClientID: "ppin", InstanceID: newInstance(t)},
		testProxy, transport.Secret(testProxyPassword), transport.FetchSecretRequest{User: "alice",
			SetupPassword: transport.Secret(alice.setup), PIN: transport.Secret(testPIN), Replaces: alice.secretID})
	require.NoError(t, err)
	_, err = h.connect(newInstance(t), h.creds("alice"), transport.ModePKCS11)
	assert.Equal(t, transport.CodeRevokedSecret, remoteCode(err), "%v", err)
	creds.SecretID, creds.Secret = replacement.SecretID, replacement.Secret
	c, err = h.connect(newInstance(t), creds, transport.ModePKCS11)
	require.NoError(t, err)
	c.Close()
	conn, err = h.dial()
	require.NoError(t, err)
	_, _, err = transport.FetchSecret(ctx, conn, transport.Hello{ClientID: "ppin", InstanceID: newInstance(t)},
		testProxy, transport.Secret(testProxyPassword), transport.FetchSecretRequest{User: "alice",
			SetupPassword: transport.Secret(alice.setup), PIN: transport.Secret(testPIN), Replaces: "../not-an-id"})
	assert.Equal(t, transport.CodeMalformed, remoteCode(err), "%v", err)

	h.backend.setMissingToken(true)
	_, err = fetch("bob", h.st.users["bob"].setup, testPIN)
	assert.Equal(t, transport.CodePartitionUnavailable, remoteCode(err), "%v", err)
}

func TestWorkerCrashEndsItsConnectionsOnly(t *testing.T) {
	h := newHarness(t, nil)
	victim, bystander := newInstance(t), newInstance(t)
	c := h.mustConnect(victim, "alice")
	other := h.mustConnect(bystander, "alice")
	openSession(t, c)
	workers := h.backend.all()
	require.Len(t, workers, 2)

	// A call in flight when the worker dies fails with CKR_DEVICE_ERROR.
	callErr := make(chan error, 1)
	go func() {
		_, err := c.Call(context.Background(), &transport.GenerateRandomRequest{Session: 1, Length: 16})
		callErr <- err
	}()
	<-workers[0].inCall
	workers[0].kill()
	err := <-callErr
	require.Error(t, err)
	assert.Equal(t, ck.CKR_DEVICE_ERROR, ck.RVOf(err))
	var te *transport.Error
	require.ErrorAs(t, err, &te)
	require.NotNil(t, te.Goodbye, "the front says why: %v", err)
	assert.Equal(t, transport.GoodbyeWorkerLost, te.Goodbye.Reason)

	// The other instance carries on; the victim's next connection gets a
	// fresh worker without its sessions.
	assert.NoError(t, other.Ping(context.Background()))
	again := h.mustConnect(victim, "alice")
	assert.False(t, again.Session().Login.Resumed)
	assert.Len(t, h.backend.all(), 3)
}

func TestLeaseExpiryGivesAFreshWorker(t *testing.T) {
	h := newHarness(t, nil)
	id := newInstance(t)
	c := h.mustConnect(id, "alice")
	openSession(t, c)
	c.Close()
	// The worker's lease runs out (the worker owns the timer): it exits
	// cleanly, and the instance's next connection finds no sessions.
	w := h.backend.all()[0]
	w.exit(nil)
	again := h.mustConnect(id, "alice")
	assert.False(t, again.Session().Login.Resumed)
	require.Len(t, h.backend.all(), 2)
}

func TestAttachRetriesAWorkerThatIsExiting(t *testing.T) {
	h := newHarness(t, nil)
	id := newInstance(t)
	h.mustConnect(id, "alice").Close()
	w := h.backend.all()[0]
	// The worker refuses new connections (its lease ran out) but its exit
	// has not been noticed yet.
	w.mu.Lock()
	w.exiting = true
	w.mu.Unlock()
	again := h.mustConnect(id, "alice")
	assert.False(t, again.Session().Login.Resumed)
	assert.Len(t, h.backend.all(), 2)
}

func TestBusyBeyondMaxConnections(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxConnections = 1 })
	h.mustConnect(newInstance(t), "alice")
	_, err := h.connect(newInstance(t), h.creds("alice"), transport.ModePKCS11)
	require.Error(t, err)
	assert.Equal(t, transport.CodeBusy, remoteCode(err), "%v", err)
}

func TestHandshakeTimeoutSaysGoodbye(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.HandshakeTimeout = 200 * time.Millisecond })
	conn, err := h.dial()
	require.NoError(t, err)
	defer conn.Close()
	// Say nothing: the server gives up and tells why.
	g := readGoodbye(t, conn)
	assert.Equal(t, transport.GoodbyeHandshakeTimeout, g.Reason)
}

func TestPKCS11CallBeforeHandshakeIsNotAllowed(t *testing.T) {
	h := newHarness(t, nil)
	conn, err := h.dial()
	require.NoError(t, err)
	defer conn.Close()
	frame, err := transport.AppendFrame(nil, transport.MsgOpenSession, 0, 1, &transport.OpenSessionRequest{Flags: 4}, transport.HandshakeMaxFrame)
	require.NoError(t, err)
	_, err = conn.Write(frame)
	require.NoError(t, err)
	hdr, body, err := transport.ReadFrame(conn, transport.HandshakeMaxFrame)
	require.NoError(t, err)
	require.NotZero(t, hdr.Flags()&transport.FlagError)
	re, err := transport.DecodeRemoteError(body)
	require.NoError(t, err)
	assert.Equal(t, transport.CodeNotAllowed, re.Code)
	assert.Empty(t, h.backend.all())
}

func TestShutdownSaysGoodbye(t *testing.T) {
	for _, workerSaysGoodbye := range []bool{false, true} {
		t.Run(map[bool]string{false: "front says it", true: "worker says it"}[workerSaysGoodbye], func(t *testing.T) {
			h := newHarness(t, nil)
			h.backend.stopGoodbye = workerSaysGoodbye
			c := h.mustConnect(newInstance(t), "alice")
			logs, err := h.connect(newInstance(t), h.creds("bob"), transport.ModeAuditLog)
			require.NoError(t, err)
			defer logs.Close()

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, h.srv.Shutdown(ctx))
			require.ErrorIs(t, <-h.served, ErrServerClosed)
			h.served <- ErrServerClosed // for the harness's cleanup

			for _, client := range []*transport.Client{c, logs} {
				<-client.Done()
				// A call on an ended client reports the Goodbye.
				err := client.Ping(context.Background())
				var te *transport.Error
				require.ErrorAs(t, err, &te)
				require.NotNil(t, te.Goodbye, "%v", err)
				assert.Equal(t, transport.GoodbyeShutdown, te.Goodbye.Reason)
			}
			for _, w := range h.backend.all() {
				assert.NoError(t, w.Err(), "workers are stopped, not killed")
			}
			_, err = h.dial()
			assert.Error(t, err, "the listener is closed")
		})
	}
}

func TestConfigValidate(t *testing.T) {
	_, err := New(Config{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no Authority")
	err = Config{Authority: newTestState(t, t.TempDir()).authority, MaxConnections: -1, Lease: -time.Second}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MaxConnections")
	assert.Contains(t, err.Error(), "negative")
}

func TestHandshakeFailureLogLevels(t *testing.T) {
	for _, tc := range []struct {
		err   error
		level string
	}{
		{&transport.RemoteError{Code: transport.CodeWrongSecret}, "warn"},
		{&transport.Error{Kind: transport.KindTimeout, Op: "handshake"}, "info"},
		{&transport.Error{Kind: transport.KindProtocol, Op: "read frame"}, "info"},
		{&transport.Error{Kind: transport.KindConnectionLost, Op: "handshake: read Hello"}, "debug"},
		{context.Canceled, "debug"},
		{errors.New("registry: disk full"), "error"},
	} {
		var out bytes.Buffer
		logHandshakeFailure(zerolog.New(&out), tc.err)
		assert.Contains(t, out.String(), `"level":"`+tc.level+`"`, "%v", tc.err)
	}
}
