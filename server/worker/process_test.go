package worker

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// processKit starts real worker processes (this test binary re-executed)
// on a fresh token.
type processKit struct {
	t      *testing.T
	hsm    *testenv.SoftHSM
	params Params
	logs   *testenv.SyncBuffer
}

func newProcessKit(t *testing.T) *processKit {
	hsm := testenv.NewSoftHSM(t)
	hsm.InitToken(t, testLabel, testSOPIN, testUserPIN)
	return &processKit{t: t, hsm: hsm, logs: &testenv.SyncBuffer{},
		params: Params{User: "alice", Token: testLabel, Module: hsm.ModulePath, Environment: hsm.Env, StateDir: t.TempDir(), Lease: time.Minute, LogLevel: "debug"}}
}

func (pk *processKit) command() Command {
	return Command{Path: os.Args[0], Env: []string{childEnv + "=1"}, Stderr: pk.logs}
}

func (pk *processKit) spawn() *Process {
	pk.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := Spawn(ctx, pk.command(), pk.params)
	require.NoError(pk.t, err, "logs: %s", pk.logs)
	pk.t.Cleanup(func() {
		p.Kill()
		<-p.Done()
	})
	return p
}

func (pk *processKit) attach(p *Process) (*transport.Client, bool) {
	pk.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, resumed, err := p.Attach(ctx, ConnInfo{MaxFrame: transport.DefaultMaxFrame, MaxInFlight: 16, Remote: "test"})
	require.NoError(pk.t, err)
	client := transport.NewClient(conn, transport.Session{Server: transport.HelloResponse{MaxFrame: transport.DefaultMaxFrame, MaxInFlight: 16}}, transport.ClientConfig{})
	pk.t.Cleanup(func() { client.Close() })
	return client, resumed
}

func invoke[R transport.Result](t *testing.T, c *transport.Client, req transport.Request) R {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := transport.Invoke[R](ctx, c, req)
	require.NoError(t, err)
	require.Equal(t, ck.CKR_OK, resp.ReturnValue(), "%s", req.Type())
	return resp
}

// cpuTicks is the CPU time (user + system, in clock ticks) process pid has used.
func cpuTicks(t *testing.T, pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	require.NoError(t, err)
	// The command name may hold spaces: fields count from after ')'.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	utime, err := strconv.Atoi(fields[11])
	require.NoError(t, err)
	stime, err := strconv.Atoi(fields[12])
	require.NoError(t, err)
	return utime + stime
}

// A worker killed while it runs a call: the client's call fails with an
// error that maps to CKR_DEVICE_ERROR, the parent sees the death.
func TestProcessKilledMidCall(t *testing.T) {
	pk := newProcessKit(t)
	p := pk.spawn()
	client, resumed := pk.attach(p)
	assert.False(t, resumed)

	s := invoke[*transport.SessionResponse](t, client, &transport.OpenSessionRequest{Flags: ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION}).Session
	invoke[*transport.StatusResponse](t, client, &transport.LoginRequest{Session: s, UserType: ck.CKU_USER, PIN: transport.Secret(testUserPIN)})

	// An RSA-4096 key generation keeps the worker busy for a while.
	before := cpuTicks(t, p.Pid())
	result := make(chan error, 1)
	go func() {
		_, err := client.Call(context.Background(), &transport.GenerateKeyPairRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN},
			PublicTemplate:  []ck.Attribute{ck.ULONGAttr(ck.CKA_MODULUS_BITS, ck.ULONG(4096))},
			PrivateTemplate: []ck.Attribute{ck.BoolAttr(ck.CKA_SIGN, true)}})
		result <- err
	}()
	// Wait until the worker is computing: its CPU time grows.
	require.Eventually(t, func() bool { return cpuTicks(t, p.Pid()) >= before+5 }, 30*time.Second, 5*time.Millisecond)
	select {
	case err := <-result:
		t.Fatalf("the key generation ended before the kill: %v", err)
	default:
	}
	require.NoError(t, p.Kill())

	select {
	case err := <-result:
		require.Error(t, err)
		assert.Equal(t, ck.CKR_DEVICE_ERROR, ck.RVOf(err), "%v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the call did not fail after the worker died")
	}
	select {
	case <-p.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("Done not closed after the worker died")
	}
	assert.ErrorContains(t, p.Err(), "killed")
	_, _, err := p.Attach(context.Background(), ConnInfo{})
	assert.ErrorIs(t, err, ErrGone)
}

// Sessions outlive a connection for the lease: a second connection finds
// them (resumed), and when the last connection ends the lease runs out and
// the worker exits cleanly.
func TestProcessLeaseAndResume(t *testing.T) {
	pk := newProcessKit(t)
	p := pk.spawn()
	client, resumed := pk.attach(p)
	assert.False(t, resumed)
	s := invoke[*transport.SessionResponse](t, client, &transport.OpenSessionRequest{Flags: ck.CKF_SERIAL_SESSION}).Session
	require.NoError(t, client.Close())

	client2, resumed := pk.attach(p)
	assert.True(t, resumed, "the session of the first connection is still there")
	info := invoke[*transport.SessionInfoResponse](t, client2, &transport.GetSessionInfoRequest{Session: s})
	assert.Equal(t, ck.CKS_RO_PUBLIC_SESSION, info.Info.State)
	n, err := p.Sessions(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	require.NoError(t, p.Stop(context.Background()))
	assert.NoError(t, p.Err(), "a stopped worker exits cleanly; logs: %s", pk.logs)
	// The connected client was told why.
	<-client2.Done()
	_, err = client2.Call(context.Background(), &transport.GetTokenInfoRequest{})
	var terr *transport.Error
	require.ErrorAs(t, err, &terr)
	require.Equal(t, transport.KindGoodbye, terr.Kind, "%v", err)
	assert.Equal(t, transport.GoodbyeShutdown, terr.Goodbye.Reason)
	assert.Contains(t, pk.logs.String(), "asked by the front")
}

func TestProcessLeaseExpiry(t *testing.T) {
	pk := newProcessKit(t)
	pk.params.Lease = 50 * time.Millisecond
	p := pk.spawn()
	client, _ := pk.attach(p)
	invoke[*transport.SessionResponse](t, client, &transport.OpenSessionRequest{Flags: ck.CKF_SERIAL_SESSION})
	require.NoError(t, client.Close())
	select {
	case <-p.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the worker outlived its lease")
	}
	assert.NoError(t, p.Err(), "logs: %s", pk.logs)
	assert.Contains(t, pk.logs.String(), "lease expired")
	_, _, err := p.Attach(context.Background(), ConnInfo{})
	assert.ErrorIs(t, err, ErrGone)
}

func TestProcessCheckPIN(t *testing.T) {
	pk := newProcessKit(t)
	ctx := context.Background()
	require.NoError(t, CheckPINOnce(ctx, pk.command(), pk.params, []byte(testUserPIN)))
	err := CheckPINOnce(ctx, pk.command(), pk.params, []byte("wrong-pin-123"))
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrBadPIN)
	assert.Equal(t, ck.CKR_PIN_INCORRECT, ck.RVOf(err))
	assert.NotContains(t, pk.logs.String(), testUserPIN)
	assert.NotContains(t, pk.logs.String(), "wrong-pin-123")

	// A worker whose application has sessions refuses, rather than lend
	// them the check's login.
	p := pk.spawn()
	client, _ := pk.attach(p)
	invoke[*transport.SessionResponse](t, client, &transport.OpenSessionRequest{Flags: ck.CKF_SERIAL_SESSION})
	err = p.CheckPIN(ctx, []byte(testUserPIN))
	assert.Equal(t, ck.CKR_SESSION_EXISTS, ck.RVOf(err))
	assert.False(t, errors.Is(err, auth.ErrBadPIN))
}

func TestProcessTokenNotFound(t *testing.T) {
	pk := newProcessKit(t)
	pk.params.Token = "no-such-token"
	_, err := Spawn(context.Background(), pk.command(), pk.params)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrTokenNotFound)
	assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, ck.RVOf(err))

	pk.params.Token = testLabel
	pk.params.Module = "/nonexistent/module.so"
	_, err = Spawn(context.Background(), pk.command(), pk.params)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrTokenNotFound)
}
