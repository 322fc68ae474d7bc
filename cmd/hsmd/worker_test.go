package main

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/worker"
	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// The built hsmd serves as a worker through its hidden subcommand.
func TestWorkerSubcommand(t *testing.T) {
	hsm := testenv.NewSoftHSM(t)
	hsm.InitToken(t, "sub-token", "so-pin-1", "user-pin-1")
	logs := &testenv.SyncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := worker.Spawn(ctx, worker.HsmdCommand(hsmdBinary, logs), worker.Params{
		User: "alice", Token: "sub-token", Module: hsm.ModulePath, Environment: hsm.Env, StateDir: t.TempDir(), Lease: time.Minute,
	})
	require.NoError(t, err, "logs: %s", logs)
	defer p.Kill()

	conn, resumed, err := p.Attach(ctx, worker.ConnInfo{MaxFrame: transport.DefaultMaxFrame, MaxInFlight: 4})
	require.NoError(t, err)
	assert.False(t, resumed)
	client := transport.NewClient(conn, transport.Session{Server: transport.HelloResponse{MaxFrame: transport.DefaultMaxFrame, MaxInFlight: 4}}, transport.ClientConfig{})
	defer client.Close()
	resp, err := transport.Invoke[*transport.TokenInfoResponse](ctx, client, &transport.GetTokenInfoRequest{})
	require.NoError(t, err)
	assert.Equal(t, ck.Padded("sub-token", 32), resp.Info.Label[:])

	require.NoError(t, p.Stop(ctx))
	assert.NoError(t, p.Err(), "logs: %s", logs)
	assert.Contains(t, logs.String(), `"component":"worker"`)
}

// Run by hand, the worker has no control socket and says so.
func TestWorkerSubcommandByHand(t *testing.T) {
	out, err := exec.Command(hsmdBinary, "worker").CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, exitFailure, exit.ExitCode())
	assert.Contains(t, string(out), "hsmd serve starts workers")
}
