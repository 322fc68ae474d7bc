package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/registry"
)

// testArgon2 keeps the tests fast; production uses RFC9106Params.
var testArgon2 = Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	t     *testing.T
	state string
	store *registry.Store
	clock *clock
	auth  *Authority
	log   *audit.Log
	// credentials used in the test, to grep the state folder for
	credentials []string
}

const (
	testPIN       = "PIN-1234-secret"
	proxyPassword = "proxy password with spaces"
	maxFailures   = 3
)

func newFixture(t *testing.T, partitions map[string]string) *fixture {
	t.Helper()
	f := &fixture{t: t, state: t.TempDir(), clock: &clock{now: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)}}
	f.store = registry.NewStore(f.state)
	require.NoError(t, f.store.Create(context.Background(), nil))
	var err error
	f.log, err = audit.Open(f.state, f.clock.Now)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.log.Close() })
	f.auth = f.newAuthority(partitions)
	f.credentials = append(f.credentials, testPIN, proxyPassword)
	return f
}

func (f *fixture) newAuthority(partitions map[string]string) *Authority {
	a, err := New(Options{
		Store: f.store, Audit: f.log, Clock: f.clock.Now, Partitions: partitions,
		Policy: Policy{SetupValidity: 7 * 24 * time.Hour, MaxFailures: maxFailures, LockoutDuration: 15 * time.Minute, Argon2: testArgon2},
	})
	require.NoError(f.t, err)
	return a
}

// addUser registers an HSM user and returns its setup password.
func (f *fixture) addUser(name, token string) string {
	f.t.Helper()
	setup, err := GenerateSetupPassword(rand.Reader)
	require.NoError(f.t, err)
	f.credentials = append(f.credentials, setup)
	require.NoError(f.t, f.store.Update(context.Background(), false, func(r *registry.Registry) error {
		return r.AddHSMUser(registry.HSMUser{Name: name, Token: token, Setup: registry.SetupPassword{Hash: HashSetupPassword(setup), Issued: f.clock.Now()}})
	}))
	return setup
}

func (f *fixture) addProxy(name, password string) {
	f.t.Helper()
	h, err := HashProxyPassword(rand.Reader, password, testArgon2)
	require.NoError(f.t, err)
	require.NoError(f.t, f.store.Update(context.Background(), false, func(r *registry.Registry) error {
		return r.AddProxyUser(registry.ProxyUser{Name: name, Password: h, Created: f.clock.Now()})
	}))
}

func (f *fixture) user(name string) *registry.HSMUser {
	f.t.Helper()
	r, err := f.store.Load()
	require.NoError(f.t, err)
	return r.HSMUser(name)
}

func (f *fixture) issue(user, setup, pin string) ([]byte, string, error) {
	return f.auth.IssueSecret(context.Background(), user, setup, pin, pinChecker)
}

func pinChecker(token, pin string) error {
	if pin != testPIN {
		return ErrBadPIN
	}
	return nil
}

// assertNoCredentialsInState greps every file of the state folder for the
// credentials the test used, in the encodings a careless log might use.
func (f *fixture) assertNoCredentialsInState(extra ...[]byte) {
	f.t.Helper()
	var needles [][]byte
	for _, c := range f.credentials {
		needles = append(needles, []byte(c))
	}
	for _, s := range extra {
		needles = append(needles, s, []byte(hex.EncodeToString(s)), []byte(base64.StdEncoding.EncodeToString(s)), []byte(base64.RawURLEncoding.EncodeToString(s)))
	}
	files := 0
	err := filepath.WalkDir(f.state, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, n := range needles {
			assert.False(f.t, bytes.Contains(data, n), "%s contains a credential", path)
		}
		return nil
	})
	require.NoError(f.t, err)
	assert.GreaterOrEqual(f.t, files, 2)
}

func (f *fixture) auditEvents(user string) []string {
	f.t.Helper()
	name := user
	if name == "" {
		name = audit.ServiceLog
	}
	data, err := os.ReadFile(filepath.Join(f.state, audit.Dir, name+".log"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(f.t, err)
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		ev := line[strings.Index(line, `"event":"`)+9:]
		out = append(out, ev[:strings.IndexByte(ev, '"')])
	}
	return out
}

func TestIssueAndVerifySecret(t *testing.T) {
	f := newFixture(t, nil)
	setup := f.addUser("alice", "tok-alice")
	ctx := WithPeer(context.Background(), audit.Peer{ClientID: "CLIENT1", Remote: "127.0.0.1:9"})

	secret, id, err := f.auth.IssueSecret(ctx, "alice", strings.ToLower(setup), testPIN, pinChecker)
	require.NoError(t, err)
	assert.Len(t, secret, SecretLen)
	assert.NoError(t, registry.ValidateSecretID(id))
	assert.Equal(t, f.clock.Now(), f.user("alice").Setup.FirstUse, "first use recorded")

	part, gotID, err := f.auth.VerifySecret(ctx, "alice", secret)
	require.NoError(t, err)
	assert.Equal(t, Partition{User: "alice", Token: "tok-alice"}, part)
	assert.Equal(t, id, gotID)
	assert.Equal(t, f.clock.Now(), f.user("alice").Secret(id).LastUsed)

	// A second client in the window gets its own secret; both work.
	f.clock.Advance(6 * 24 * time.Hour)
	secret2, id2, err := f.issue("alice", setup, testPIN)
	require.NoError(t, err)
	assert.NotEqual(t, id, id2)
	assert.NotEqual(t, secret, secret2)
	_, gotID, err = f.auth.VerifySecret(ctx, "alice", secret2)
	require.NoError(t, err)
	assert.Equal(t, id2, gotID)
	_, _, err = f.auth.VerifySecret(ctx, "alice", secret)
	require.NoError(t, err)

	// Validity counts from the first use, not from the last.
	f.clock.Advance(24 * time.Hour)
	_, _, err = f.issue("alice", setup, testPIN)
	assert.ErrorIs(t, err, ErrSetupExpired)
	assert.Zero(t, f.user("alice").Lockout.Failures, "a right but expired password is not a guess")

	assert.Equal(t, []string{"setup_password_first_use", "secret_issued", "login", "secret_issued", "login", "login", "setup_failed"}, f.auditEvents("alice"))
	f.assertNoCredentialsInState(secret, secret2)
}

func TestSetupValidityStartsAtFirstUseNotIssue(t *testing.T) {
	f := newFixture(t, nil)
	setup := f.addUser("bob", "t")
	f.clock.Advance(30 * 24 * time.Hour)
	_, _, err := f.issue("bob", setup, testPIN)
	require.NoError(t, err, "an unused setup password does not age")
}

func TestFirstUseIsRecordedEvenWhenThePINIsWrong(t *testing.T) {
	f := newFixture(t, nil)
	setup := f.addUser("bob", "t")
	_, _, err := f.issue("bob", setup, "wrong pin")
	require.ErrorIs(t, err, ErrBadPIN)
	assert.Equal(t, f.clock.Now(), f.user("bob").Setup.FirstUse)
	assert.Equal(t, 1, f.user("bob").Lockout.Failures)
	f.credentials = append(f.credentials, "wrong pin")
	f.assertNoCredentialsInState()
}

func TestWrongSetupPasswordsLockOut(t *testing.T) {
	f := newFixture(t, nil)
	setup := f.addUser("carol", "t")
	for i := 1; i < maxFailures; i++ {
		_, _, err := f.issue("carol", "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA", testPIN)
		require.ErrorIs(t, err, ErrBadSetupPassword)
		assert.NotErrorIs(t, err, ErrLockedOut)
		assert.Equal(t, i, f.user("carol").Lockout.Failures)
	}
	_, _, err := f.issue("carol", "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA", testPIN)
	require.ErrorIs(t, err, ErrBadSetupPassword)
	var locked *LockedOutError
	require.ErrorAs(t, err, &locked, "the try that starts a lockout says so")
	assert.Equal(t, f.clock.Now().Add(15*time.Minute), locked.Until)

	// While locked, even the right password is refused; a restart (a new
	// Authority over the same state) changes nothing.
	f.auth = f.newAuthority(nil)
	_, _, err = f.issue("carol", setup, testPIN)
	require.ErrorAs(t, err, &locked)
	assert.NotErrorIs(t, err, ErrBadSetupPassword)
	assert.True(t, f.user("carol").Setup.FirstUse.IsZero(), "a locked-out try is not a first use")

	f.clock.Advance(15 * time.Minute)
	_, _, err = f.issue("carol", setup, testPIN)
	require.NoError(t, err)
	assert.Equal(t, []string{"setup_failed", "setup_failed", "setup_failed", "locked_out", "setup_failed", "setup_password_first_use", "secret_issued"}, f.auditEvents("carol"))
}

func TestWrongPINsLockOutAndOtherPINErrorsDoNot(t *testing.T) {
	f := newFixture(t, nil)
	setup := f.addUser("dave", "t")
	backendDown := errors.New("token not present")
	_, _, err := f.auth.IssueSecret(context.Background(), "dave", setup, testPIN, func(string, string) error { return backendDown })
	require.ErrorIs(t, err, backendDown)
	assert.NotErrorIs(t, err, ErrBadPIN)
	assert.Zero(t, f.user("dave").Lockout.Failures)

	var seenToken string
	for range maxFailures {
		_, _, err = f.auth.IssueSecret(context.Background(), "dave", setup, "0000", func(token, pin string) error {
			seenToken = token
			return pinChecker(token, pin)
		})
		require.ErrorIs(t, err, ErrBadPIN)
	}
	assert.Equal(t, "t", seenToken)
	assert.ErrorIs(t, err, ErrLockedOut)
	_, _, err = f.issue("dave", setup, testPIN)
	assert.ErrorIs(t, err, ErrLockedOut)
}

func TestSuccessResetsFailures(t *testing.T) {
	f := newFixture(t, nil)
	setup := f.addUser("erin", "t")
	_, _, err := f.issue("erin", setup, "bad")
	require.ErrorIs(t, err, ErrBadPIN)
	secret, _, err := f.issue("erin", setup, testPIN)
	require.NoError(t, err)
	assert.Zero(t, f.user("erin").Lockout.Failures)
	_, _, err = f.auth.VerifySecret(context.Background(), "erin", []byte("wrong"))
	require.ErrorIs(t, err, ErrBadSecret)
	assert.Equal(t, 1, f.user("erin").Lockout.Failures)
	_, _, err = f.auth.VerifySecret(context.Background(), "erin", secret)
	require.NoError(t, err)
	assert.Zero(t, f.user("erin").Lockout.Failures)
}

func TestVerifySecretErrors(t *testing.T) {
	f := newFixture(t, nil)
	setup := f.addUser("fred", "t")
	secret, id, err := f.issue("fred", setup, testPIN)
	require.NoError(t, err)
	other, _, err := f.issue("fred", setup, testPIN)
	require.NoError(t, err)

	_, _, err = f.auth.VerifySecret(context.Background(), "nobody", secret)
	assert.ErrorIs(t, err, ErrUnknownUser)
	_, _, err = f.auth.VerifySecret(context.Background(), "fred", make([]byte, MaxCredentialLen+1))
	assert.ErrorIs(t, err, ErrBadSecret)

	failuresBefore := f.user("fred").Lockout.Failures
	require.Equal(t, 1, failuresBefore, "the oversized secret counted")
	require.NoError(t, f.store.Update(context.Background(), false, func(r *registry.Registry) error {
		r.HSMUser("fred").Secret(id).Revoked = f.clock.Now()
		return nil
	}))
	for range maxFailures + 1 {
		_, _, err = f.auth.VerifySecret(context.Background(), "fred", secret)
		require.ErrorIs(t, err, ErrSecretRevoked)
	}
	assert.Equal(t, failuresBefore, f.user("fred").Lockout.Failures, "a revoked secret is not counted")
	_, _, err = f.auth.VerifySecret(context.Background(), "fred", other)
	require.NoError(t, err, "revoking one client's secret leaves the others")

	for range maxFailures {
		_, _, err = f.auth.VerifySecret(context.Background(), "fred", []byte("guess"))
	}
	require.ErrorIs(t, err, ErrLockedOut)
	_, _, err = f.auth.VerifySecret(context.Background(), "fred", other)
	require.ErrorIs(t, err, ErrLockedOut)
	assert.NotErrorIs(t, err, ErrBadSecret)
	f.clock.Advance(15*time.Minute + time.Nanosecond)
	_, _, err = f.auth.VerifySecret(context.Background(), "fred", other)
	require.NoError(t, err)
}

func TestErrorsAreDistinct(t *testing.T) {
	all := []error{ErrBadProxyPassword, ErrUnknownUser, ErrBadSetupPassword, ErrSetupExpired, ErrBadSecret, ErrSecretRevoked, ErrBadPIN, ErrLockedOut, ErrNoPartition, ErrAuditUnavailable}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b), "%v vs %v", a, b)
		}
	}
	assert.True(t, errors.Is(&LockedOutError{}, ErrLockedOut))
}

func TestPartitions(t *testing.T) {
	f := newFixture(t, map[string]string{"static": "static-token", "both": "token-a", "same": "token-s"})
	secretOf := func(user, token string) []byte {
		setup := f.addUser(user, token)
		s, _, err := f.issue(user, setup, testPIN)
		require.NoError(t, err, user)
		return s
	}
	s := secretOf("static", "")
	part, _, err := f.auth.VerifySecret(context.Background(), "static", s)
	require.NoError(t, err)
	assert.Equal(t, Partition{User: "static", Token: "static-token"}, part)
	s = secretOf("same", "token-s")
	part, _, err = f.auth.VerifySecret(context.Background(), "same", s)
	require.NoError(t, err)
	assert.Equal(t, "token-s", part.Token)

	setup := f.addUser("both", "token-b")
	_, _, err = f.issue("both", setup, testPIN)
	assert.ErrorIs(t, err, ErrNoPartition)
	assert.ErrorContains(t, err, `HSM user "both" has token "token-b" in the registry and "token-a" in the configuration`)
	setup = f.addUser("none", "")
	_, _, err = f.issue("none", setup, testPIN)
	assert.ErrorIs(t, err, ErrNoPartition)
}

func TestProxyLogin(t *testing.T) {
	f := newFixture(t, nil)
	f.addProxy("svc", proxyPassword)
	ctx := context.Background()
	require.NoError(t, f.auth.VerifyProxy(ctx, "svc", proxyPassword))
	assert.ErrorIs(t, f.auth.VerifyProxy(ctx, "svc", "wrong"), ErrBadProxyPassword)
	assert.ErrorIs(t, f.auth.VerifyProxy(ctx, "ghost", proxyPassword), ErrBadProxyPassword, "unknown and wrong look alike")
	assert.ErrorIs(t, f.auth.VerifyProxy(ctx, "svc", strings.Repeat("x", MaxCredentialLen+1)), ErrBadProxyPassword)
	r, err := f.store.Load()
	require.NoError(t, err)
	assert.Equal(t, 2, r.ProxyUser("svc").Lockout.Failures)

	err = f.auth.VerifyProxy(ctx, "svc", "wrong")
	require.ErrorIs(t, err, ErrBadProxyPassword)
	require.ErrorIs(t, err, ErrLockedOut)
	err = f.newAuthority(nil).VerifyProxy(ctx, "svc", proxyPassword)
	require.ErrorIs(t, err, ErrLockedOut)
	f.clock.Advance(15 * time.Minute)
	require.NoError(t, f.auth.VerifyProxy(ctx, "svc", proxyPassword))

	assert.Equal(t, []string{"proxy_login", "proxy_login_failed", "proxy_login_failed", "proxy_login_failed", "proxy_login_failed", "locked_out", "proxy_login_failed", "proxy_login"}, f.auditEvents(""))
	f.assertNoCredentialsInState()
}

func TestUnknownUsersCostARegistryWrite(t *testing.T) {
	f := newFixture(t, nil)
	f.addProxy("svc", proxyPassword)
	ctx := context.Background()
	for name, try := range map[string]func() error{
		"proxy":  func() error { return f.auth.VerifyProxy(ctx, "ghost", "x") },
		"secret": func() error { _, _, err := f.auth.VerifySecret(ctx, "ghost", []byte("x")); return err },
		"issue":  func() error { _, _, err := f.issue("ghost", "x", "y"); return err },
	} {
		before, err := os.Stat(f.store.Path())
		require.NoError(t, err)
		require.Error(t, try())
		after, err := os.Stat(f.store.Path())
		require.NoError(t, err)
		assert.False(t, os.SameFile(before, after), "%s: an unknown user's failure rewrites the registry like a known user's", name)
	}
	entries, err := os.ReadDir(filepath.Join(f.state, audit.Dir))
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotEqual(t, "ghost.log", e.Name(), "no audit file is created for a name a peer made up")
	}
}

func TestHashSlotsHonourContext(t *testing.T) {
	f := newFixture(t, nil)
	f.addProxy("svc", proxyPassword)
	a, err := New(Options{Store: f.store, Clock: f.clock.Now, MaxConcurrentHashes: 1,
		Policy: Policy{SetupValidity: time.Hour, MaxFailures: 1, LockoutDuration: time.Minute, Argon2: testArgon2}})
	require.NoError(t, err)
	a.hashSlots <- struct{}{} // every slot busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, a.VerifyProxy(ctx, "svc", proxyPassword), context.Canceled)
}

func TestConcurrentIssueAndFailures(t *testing.T) {
	f := newFixture(t, nil)
	setup := f.addUser("gina", "t")
	f.auth = func() *Authority {
		a, err := New(Options{Store: f.store, Audit: f.log, Clock: f.clock.Now,
			Policy: Policy{SetupValidity: time.Hour, MaxFailures: 1000, LockoutDuration: time.Minute, Argon2: testArgon2}})
		require.NoError(t, err)
		return a
	}()
	const n = 8
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, id, err := f.issue("gina", setup, testPIN)
			assert.NoError(t, err)
			ids <- id
		}()
		go func() {
			defer wg.Done()
			_, _, err := f.auth.VerifySecret(context.Background(), "gina", []byte("guess"))
			assert.ErrorIs(t, err, ErrBadSecret)
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	assert.Len(t, seen, n)
	assert.Equal(t, n, f.user("gina").ActiveSecrets())
	// Failures and successes interleave; what matters is that none of the
	// read-modify-writes lost another's change: the secrets above, and no
	// torn registry.
	_, err := f.store.Load()
	require.NoError(t, err)
}

func TestPolicyValidation(t *testing.T) {
	store := registry.NewStore(t.TempDir())
	good := Policy{SetupValidity: time.Hour, MaxFailures: 1, LockoutDuration: time.Minute, Argon2: testArgon2}
	_, err := New(Options{Store: store, Policy: good})
	require.NoError(t, err)
	for name, p := range map[string]Policy{
		"validity": {MaxFailures: 1, LockoutDuration: time.Minute, Argon2: testArgon2},
		"failures": {SetupValidity: time.Hour, LockoutDuration: time.Minute, Argon2: testArgon2},
		"lockout":  {SetupValidity: time.Hour, MaxFailures: 1, Argon2: testArgon2},
		"argon2":   {SetupValidity: time.Hour, MaxFailures: 1, LockoutDuration: time.Minute, Argon2: Argon2Params{Time: 1, MemoryKiB: 7, Threads: 1}},
	} {
		_, err := New(Options{Store: store, Policy: p})
		assert.Error(t, err, name)
	}
	_, err = New(Options{Policy: good})
	assert.Error(t, err)
}
