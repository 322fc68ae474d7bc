package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func sampleRegistry(t *testing.T) *Registry {
	t.Helper()
	r := &Registry{}
	require.NoError(t, r.AddHSMUser(HSMUser{
		Name: "zed", Token: "token two",
		Setup: SetupPassword{Hash: SumSHA256([]byte("setup")), Issued: t0},
	}))
	alice := HSMUser{
		Name: "alice", Token: "tok1",
		Setup:   SetupPassword{Hash: SumSHA256([]byte("setup2")), Issued: t0, FirstUse: t0.Add(time.Hour)},
		Lockout: Lockout{Failures: 2, Until: t0.Add(time.Minute)},
	}
	require.NoError(t, alice.AddSecret(Secret{ID: "0123456789abcdef", Hash: SumSHA256([]byte("s1")), Created: t0}))
	require.NoError(t, alice.AddSecret(Secret{ID: "fedcba9876543210", Hash: SumSHA256([]byte("s2")), Created: t0, LastUsed: t0.Add(time.Hour), Revoked: t0.Add(2 * time.Hour)}))
	require.NoError(t, r.AddHSMUser(alice))
	require.NoError(t, r.AddProxyUser(ProxyUser{
		Name: "svc", Created: t0,
		Password: Argon2Hash{Salt: make([]byte, 16), Hash: make([]byte, 32), Time: 1, Memory: 64, Threads: 1},
	}))
	return r
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := sampleRegistry(t)
	assert.Equal(t, []string{"alice", "zed"}, []string{r.HSMUsers[0].Name, r.HSMUsers[1].Name}, "kept sorted")
	data, err := r.Encode()
	require.NoError(t, err)
	back, err := Decode(data)
	require.NoError(t, err)
	assert.Equal(t, r, back)
	again, err := back.Encode()
	require.NoError(t, err)
	assert.Equal(t, string(data), string(again))
	assert.Contains(t, string(data), `"version": 1`)
	assert.Equal(t, 1, back.HSMUser("alice").ActiveSecrets())
}

func TestEncodeEmptyRegistry(t *testing.T) {
	data, err := (&Registry{}).Encode()
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"version\": 1,\n  \"hsm_users\": [],\n  \"proxy_users\": []\n}\n", string(data))
}

func TestDecodeErrors(t *testing.T) {
	digest := `"` + fmt.Sprintf("%064x", 1) + `"`
	user := func(extra string) string {
		return `{"version":1,"hsm_users":[{"name":"a","setup":{"sha256":` + digest + `,"issued":"2025-01-01T00:00:00Z"}` + extra + `}],"proxy_users":[]}`
	}
	cases := []struct{ name, in, want string }{
		{"empty", ``, "users.json: file is empty"},
		{"syntax", "{\n  \"version\": 1,\n  x}", "users.json:3:3: invalid character 'x' looking for beginning of object key string"},
		{"truncated", `{"version":1,`, "users.json: file ends in the middle of the registry"},
		{"unknown field", "{\"version\":1,\n\"extra\":true}", `users.json: unknown field "extra"`},
		{"wrong type", `{"version":"1"}`, "users.json:1:15: version: want a int, have a JSON string"},
		{"trailing", `{"version":1,"hsm_users":[],"proxy_users":[]} {}`, "users.json:1:47: unexpected data after the registry object"},
		{"version", `{"version":2,"hsm_users":[],"proxy_users":[]}`, "users.json: version: format version 2, this hsmd reads version 1"},
		{"bad name", `{"version":1,"hsm_users":[{"name":"../x","setup":{"sha256":` + digest + `,"issued":"2025-01-01T00:00:00Z"}}],"proxy_users":[]}`, `users.json: hsm_users[0].name: user name "../x": character 1 may not be '.' (allowed: letters, digits, and '.', '_', '-' after the first)`},
		{"bad digest", `{"version":1,"hsm_users":[{"name":"a","setup":{"sha256":"abc","issued":"2025-01-01T00:00:00Z"}}]}`, "want 64 hex digits, have 3 characters"},
		{"bad secret id", user(`,"secrets":[{"id":"XYZ","sha256":` + digest + `,"created":"2025-01-01T00:00:00Z"}]`), `users.json: hsm_users[0].secrets[0].id: secret id "XYZ": want 16 hex digits`},
		{"duplicate secret", user(`,"secrets":[{"id":"0000000000000000","sha256":` + digest + `,"created":"2025-01-01T00:00:00Z"},{"id":"0000000000000000","sha256":` + digest + `,"created":"2025-01-01T00:00:00Z"}]`), `hsm_users[0].secrets[1].id: "0000000000000000" is a duplicate`},
		{"negative failures", user(`,"lockout":{"failures":-1}`), "hsm_users[0].lockout.failures: negative"},
		{"bad token", user(`,"token":" padded"`), `hsm_users[0].token: token label " padded" starts or ends with a space`},
		{"argon2 memory", `{"version":1,"proxy_users":[{"name":"p","argon2id":{"salt":"AAAAAAAAAAAAAAAAAAAAAA==","hash":"AAAAAAAAAAAAAAAAAAAAAA==","time":1,"memory_kib":4294967295,"threads":1},"created":"2025-01-01T00:00:00Z"}]}`, "proxy_users[0].argon2id: memory is 4294967295 KiB, want 8×threads to 1048576"},
		{"argon2 salt", `{"version":1,"proxy_users":[{"name":"p","argon2id":{"salt":"AA==","hash":"AAAAAAAAAAAAAAAAAAAAAA==","time":1,"memory_kib":64,"threads":1},"created":"2025-01-01T00:00:00Z"}]}`, "proxy_users[0].argon2id: salt is 1 bytes, want 16 to 64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode([]byte(c.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestDecodeRefusesUnsortedAndDuplicateUsers(t *testing.T) {
	r := sampleRegistry(t)
	r.HSMUsers[0], r.HSMUsers[1] = r.HSMUsers[1], r.HSMUsers[0]
	_, err := r.Encode()
	assert.ErrorContains(t, err, `hsm_users[1].name: "alice" is out of order or a duplicate`)
	r = sampleRegistry(t)
	r.HSMUsers[1].Name = "alice"
	_, err = r.Encode()
	assert.ErrorContains(t, err, `hsm_users[1].name: "alice" is out of order or a duplicate`)
}

func TestDecodeRefusesHugeFile(t *testing.T) {
	_, err := Decode(make([]byte, MaxFileSize+1))
	assert.ErrorContains(t, err, "the limit is")
}

func TestNames(t *testing.T) {
	for _, ok := range []string{"a", "HSM_USERNAME", "user.name-1", "0abc"} {
		assert.NoError(t, ValidateUserName(ok), ok)
	}
	for _, bad := range []string{"", ".hidden", "-x", "_x", "a/b", "a b", "é", string(make([]byte, 65))} {
		assert.Error(t, ValidateUserName(bad), bad)
	}
	for _, ok := range []string{"t", "my token", "Ünïcode label"} {
		assert.NoError(t, ValidateTokenLabel(ok), ok)
	}
	for _, bad := range []string{"", " x", "x ", "a\nb", "\xff", "123456789012345678901234567890123"} {
		assert.Error(t, ValidateTokenLabel(bad), bad)
	}
}

func TestAddAndRemove(t *testing.T) {
	r := sampleRegistry(t)
	assert.ErrorIs(t, r.AddHSMUser(HSMUser{Name: "alice"}), ErrUserExists)
	assert.ErrorIs(t, r.RemoveHSMUser("bob"), ErrNoSuchUser)
	require.NoError(t, r.RemoveHSMUser("alice"))
	assert.Nil(t, r.HSMUser("alice"))
	assert.ErrorIs(t, r.RemoveProxyUser("nobody"), ErrNoSuchUser)
	require.NoError(t, r.RemoveProxyUser("svc"))
	assert.Empty(t, r.ProxyUsers)
	assert.Error(t, r.AddProxyUser(ProxyUser{Name: "p"}), "a proxy user needs a valid hash")
}

func TestAddSecretPrunesOldestRevoked(t *testing.T) {
	u := HSMUser{Name: "u"}
	for i := range MaxSecretsPerUser {
		s := Secret{ID: fmt.Sprintf("%016x", i), Created: t0}
		if i == 7 || i == 9 {
			s.Revoked = t0.Add(time.Duration(20-i) * time.Hour) // 9 was revoked first
		}
		require.NoError(t, u.AddSecret(s))
	}
	require.NoError(t, u.AddSecret(Secret{ID: "ffffffffffffffff", Created: t0}))
	assert.Nil(t, u.Secret(fmt.Sprintf("%016x", 9)), "the oldest revoked secret made room")
	assert.NotNil(t, u.Secret(fmt.Sprintf("%016x", 7)))
	require.NoError(t, u.AddSecret(Secret{ID: "eeeeeeeeeeeeeeee", Created: t0}))
	assert.ErrorIs(t, u.AddSecret(Secret{ID: "dddddddddddddddd", Created: t0}), ErrTooManySecrets)
	assert.ErrorIs(t, u.AddSecret(Secret{ID: "eeeeeeeeeeeeeeee", Created: t0}), ErrDuplicateSecret)
}

func TestStoreNotInitialised(t *testing.T) {
	s := NewStore(filepath.Join(t.TempDir(), "missing"))
	_, err := s.Load()
	assert.ErrorIs(t, err, ErrNotInitialised)
	err = s.Update(context.Background(), false, func(*Registry) error { return nil })
	assert.ErrorIs(t, err, ErrNotInitialised)
}

func TestStoreCreateUpdateLoad(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	require.NoError(t, s.Create(context.Background(), nil))
	st, err := os.Stat(s.Path())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	require.NoError(t, s.Update(context.Background(), false, func(r *Registry) error {
		return r.AddHSMUser(HSMUser{Name: "alice", Token: "t", Setup: SetupPassword{Issued: t0}})
	}))
	r, err := s.Load()
	require.NoError(t, err)
	require.NotNil(t, r.HSMUser("alice"))

	// A failing fn writes nothing.
	sentinel := fmt.Errorf("refused")
	err = s.Update(context.Background(), false, func(r *Registry) error {
		r.HSMUsers = nil
		return sentinel
	})
	assert.ErrorIs(t, err, sentinel)
	r, err = s.Load()
	require.NoError(t, err)
	assert.NotNil(t, r.HSMUser("alice"))

	// An unchanged registry is not rewritten unless forced.
	before, err := os.Stat(s.Path())
	require.NoError(t, err)
	require.NoError(t, s.Update(context.Background(), false, func(*Registry) error { return nil }))
	same, err := os.Stat(s.Path())
	require.NoError(t, err)
	assert.True(t, os.SameFile(before, same))
	require.NoError(t, s.Update(context.Background(), true, func(*Registry) error { return nil }))
	rewritten, err := os.Stat(s.Path())
	require.NoError(t, err)
	assert.False(t, os.SameFile(before, rewritten), "a forced update replaces the file")

	// An invalid change is refused and not written.
	err = s.Update(context.Background(), false, func(r *Registry) error {
		r.HSMUsers[0].Name = "bad/name"
		return nil
	})
	assert.ErrorContains(t, err, "registry change refused")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{FileName, LockFileName}, names, "no temporary file left behind")
}

func TestStoreSerialisesConcurrentUpdates(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, NewStore(dir).Create(context.Background(), nil))
	// Separate Stores share no mutex, as separate processes would not: the
	// flock alone must keep every increment.
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := NewStore(dir)
			for i := range each {
				err := s.Update(context.Background(), false, func(r *Registry) error {
					if len(r.ProxyUsers) == 0 {
						return r.AddProxyUser(ProxyUser{Name: "counter", Created: t0, Password: Argon2Hash{Salt: make([]byte, 16), Hash: make([]byte, 16), Time: 1, Memory: 8, Threads: 1}})
					}
					r.ProxyUsers[0].Lockout.Failures++
					return nil
				})
				assert.NoError(t, err, "writer %d update %d", w, i)
			}
		}()
	}
	wg.Wait()
	r, err := NewStore(dir).Load()
	require.NoError(t, err)
	assert.Equal(t, writers*each-1, r.ProxyUser("counter").Lockout.Failures)
}

func TestStoreLockHonoursContext(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	require.NoError(t, s.Create(context.Background(), nil))
	unlock, err := s.lock(context.Background())
	require.NoError(t, err)
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = NewStore(dir).Update(ctx, false, func(*Registry) error { return nil })
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCreateRunsBeforeUnderTheLock(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	refused := fmt.Errorf("state exists")
	assert.ErrorIs(t, s.Create(context.Background(), func() error { return refused }), refused)
	_, err := s.Load()
	assert.ErrorIs(t, err, ErrNotInitialised, "nothing written when before fails")
	ran := false
	require.NoError(t, s.Create(context.Background(), func() error {
		ran = true
		// The lock is held: another store cannot take it meanwhile.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		assert.ErrorIs(t, NewStore(dir).Update(ctx, false, func(*Registry) error { return nil }), context.Canceled)
		return nil
	}))
	assert.True(t, ran)
}

func TestWriteFileAtomicMode(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteFileAtomic(dir, "ca.pem", []byte("x"), 0o644))
	st, err := os.Stat(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	require.NoError(t, WriteFileAtomic(dir, "ca.key", []byte("k"), 0o600))
	st, err = os.Stat(filepath.Join(dir, "ca.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}
