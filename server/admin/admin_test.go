package admin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/hsmdconfig"
	"github.com/cloudp11/cloudp11/server/registry"
	"github.com/cloudp11/cloudp11/server/state"
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

type fixture struct {
	cfg   *hsmdconfig.Config
	clock *clock
	admin *Admin
	auth  *auth.Authority
}

const pin = "1234"

func checkPIN(_, p string) error {
	if p != pin {
		return auth.ErrBadPIN
	}
	return nil
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cfg := hsmdconfig.Default()
	cfg.StateDir = t.TempDir()
	cfg.Auth.Argon2 = auth.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}
	cfg.Auth.MaxFailedTries = 2
	cfg.Partitions = []hsmdconfig.Partition{{User: "static", Token: "static-token"}}
	_, err := state.Init(context.Background(), state.InitOptions{Dir: cfg.StateDir, Names: []string{"localhost"}})
	require.NoError(t, err)
	f := &fixture{cfg: cfg, clock: &clock{now: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)}}
	f.admin, err = New(cfg, Options{Clock: f.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.admin.Close() })
	f.auth, err = auth.New(auth.Options{Store: registry.NewStore(cfg.StateDir), Policy: cfg.AuthPolicy(), Partitions: cfg.PartitionMap(), Clock: f.clock.Now})
	require.NoError(t, err)
	return f
}

func TestNewNeedsAnInitialisedState(t *testing.T) {
	cfg := hsmdconfig.Default()
	cfg.StateDir = t.TempDir()
	_, err := New(cfg, Options{})
	assert.ErrorIs(t, err, registry.ErrNotInitialised)
}

func TestUserLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	setup, err := f.admin.AddUser(ctx, "alice", "tok-a")
	require.NoError(t, err)
	assert.True(t, auth.ValidSetupPasswordFormat(setup))
	_, err = f.admin.AddUser(ctx, "alice", "tok-a")
	assert.ErrorIs(t, err, registry.ErrUserExists)
	_, err = f.admin.AddUser(ctx, "nobody", "")
	assert.ErrorIs(t, err, ErrTokenNeeded)
	_, err = f.admin.AddUser(ctx, "static", "other")
	assert.ErrorIs(t, err, ErrTokenConflict)
	_, err = f.admin.AddUser(ctx, "static", "")
	require.NoError(t, err)
	_, err = f.admin.AddUser(ctx, "bad/name", "t")
	assert.Error(t, err)

	users, err := f.admin.Users()
	require.NoError(t, err)
	assert.Equal(t, []UserInfo{
		{Name: "alice", Token: "tok-a"},
		{Name: "static", Token: "static-token", FromConfig: true},
	}, users)

	// First use starts the validity period.
	secret, id, err := f.auth.IssueSecret(ctx, "alice", setup, pin, checkPIN)
	require.NoError(t, err)
	users, err = f.admin.Users()
	require.NoError(t, err)
	assert.Equal(t, SetupInUse, users[0].Setup)
	assert.Equal(t, f.clock.now.Add(7*24*time.Hour), users[0].SetupUntil)
	assert.Equal(t, 1, users[0].ActiveSecrets)
	f.clock.now = f.clock.now.Add(8 * 24 * time.Hour)
	users, err = f.admin.Users()
	require.NoError(t, err)
	assert.Equal(t, SetupExpired, users[0].Setup)

	// A new setup password replaces the old, unused.
	newSetup, err := f.admin.ResetSetup(ctx, "alice")
	require.NoError(t, err)
	assert.NotEqual(t, setup, newSetup)
	_, _, err = f.auth.IssueSecret(ctx, "alice", setup, pin, checkPIN)
	assert.ErrorIs(t, err, auth.ErrBadSetupPassword)
	_, _, err = f.auth.IssueSecret(ctx, "alice", newSetup, pin, checkPIN)
	require.NoError(t, err)
	_, err = f.admin.ResetSetup(ctx, "ghost")
	assert.ErrorIs(t, err, registry.ErrNoSuchUser)

	// Revoking one secret.
	secrets, err := f.admin.Secrets("alice")
	require.NoError(t, err)
	require.Len(t, secrets, 2)
	assert.Equal(t, id, secrets[0].ID)
	require.NoError(t, f.admin.RevokeSecret(ctx, "alice", id))
	_, _, err = f.auth.VerifySecret(ctx, "alice", secret)
	assert.ErrorIs(t, err, auth.ErrSecretRevoked)
	assert.ErrorIs(t, f.admin.RevokeSecret(ctx, "alice", id), registry.ErrAlreadyRevoked)
	assert.ErrorIs(t, f.admin.RevokeSecret(ctx, "alice", "0000000000000000"), registry.ErrNoSuchSecret)
	assert.Error(t, f.admin.RevokeSecret(ctx, "alice", "not-an-id"))
	all, err := f.admin.Secrets("")
	require.NoError(t, err)
	assert.Len(t, all, 2)
	_, err = f.admin.Secrets("ghost")
	assert.ErrorIs(t, err, registry.ErrNoSuchUser)

	// Lockout and unlock.
	for range 2 {
		_, _, err = f.auth.VerifySecret(ctx, "alice", []byte("guess"))
	}
	require.ErrorIs(t, err, auth.ErrLockedOut)
	users, err = f.admin.Users()
	require.NoError(t, err)
	assert.Equal(t, f.clock.now.Add(15*time.Minute), users[0].LockedUntil)
	require.NoError(t, f.admin.Unlock(ctx, "alice"))
	users, err = f.admin.Users()
	require.NoError(t, err)
	assert.True(t, users[0].LockedUntil.IsZero())
	assert.ErrorIs(t, f.admin.Unlock(ctx, "ghost"), registry.ErrNoSuchUser)

	require.NoError(t, f.admin.RemoveUser(ctx, "alice"))
	assert.ErrorIs(t, f.admin.RemoveUser(ctx, "alice"), registry.ErrNoSuchUser)
	_, _, err = f.auth.VerifySecret(ctx, "alice", secret)
	assert.ErrorIs(t, err, auth.ErrUnknownUser)

	res, err := audit.Read(f.cfg.StateDir, "alice", audit.Query{})
	require.NoError(t, err)
	var events []string
	for _, r := range res.Records {
		line := string(r.Line)
		if strings.Contains(line, `"actor":"admin"`) {
			ev := line[strings.Index(line, `"event":"`)+9:]
			events = append(events, ev[:strings.IndexByte(ev, '"')])
		}
	}
	assert.Equal(t, []string{"user_added", "setup_password_issued", "secret_revoked", "unlocked", "user_removed"}, events)
}

func TestConflictShownInList(t *testing.T) {
	f := newFixture(t)
	_, err := f.admin.AddUser(context.Background(), "x", "registry-token")
	require.NoError(t, err)
	f.cfg.Partitions = append(f.cfg.Partitions, hsmdconfig.Partition{User: "x", Token: "config-token"})
	a, err := New(f.cfg, Options{Clock: f.clock.Now})
	require.NoError(t, err)
	defer a.Close()
	users, err := a.Users()
	require.NoError(t, err)
	assert.True(t, users[0].Conflict)
	assert.Equal(t, "registry-token", users[0].Token)
}

func TestProxyUsers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.admin.AddProxyUser(ctx, "svc", "s3cret proxy"))
	assert.ErrorIs(t, f.admin.AddProxyUser(ctx, "svc", "x"), registry.ErrUserExists)
	assert.Error(t, f.admin.AddProxyUser(ctx, "svc2", ""))
	assert.Error(t, f.admin.AddProxyUser(ctx, "-svc", "x"))
	require.NoError(t, f.auth.VerifyProxy(ctx, "svc", "s3cret proxy"))

	for range 2 {
		err := f.auth.VerifyProxy(ctx, "svc", "wrong")
		require.ErrorIs(t, err, auth.ErrBadProxyPassword)
	}
	list, err := f.admin.ProxyUsers()
	require.NoError(t, err)
	assert.Equal(t, []ProxyInfo{{Name: "svc", Created: f.clock.now, LockedUntil: f.clock.now.Add(15 * time.Minute)}}, list)
	require.NoError(t, f.admin.UnlockProxyUser(ctx, "svc"))
	require.NoError(t, f.auth.VerifyProxy(ctx, "svc", "s3cret proxy"))
	assert.ErrorIs(t, f.admin.UnlockProxyUser(ctx, "ghost"), registry.ErrNoSuchUser)

	require.NoError(t, f.admin.RemoveProxyUser(ctx, "svc"))
	assert.ErrorIs(t, f.admin.RemoveProxyUser(ctx, "svc"), registry.ErrNoSuchUser)
	assert.ErrorIs(t, f.auth.VerifyProxy(ctx, "svc", "s3cret proxy"), auth.ErrBadProxyPassword)

	// The password never reaches the state folder in clear.
	err = filepath.WalkDir(f.cfg.StateDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), "s3cret proxy") {
			return errors.New(path + " holds the proxy password")
		}
		return nil
	})
	require.NoError(t, err)
}

func TestChangesWithoutAuditRecordAreReported(t *testing.T) {
	f := newFixture(t)
	// A folder where the user's audit file should be: every write fails.
	require.NoError(t, os.Mkdir(filepath.Join(f.cfg.StateDir, audit.Dir, "bob.log"), 0o700))
	setup, err := f.admin.AddUser(context.Background(), "bob", "t")
	assert.ErrorIs(t, err, ErrNotAudited)
	assert.True(t, auth.ValidSetupPasswordFormat(setup), "the password is still handed out: the user exists")
	users, err := f.admin.Users()
	require.NoError(t, err)
	assert.Equal(t, "bob", users[0].Name)
	assert.ErrorIs(t, f.admin.Unlock(context.Background(), "bob"), ErrNotAudited)
}
