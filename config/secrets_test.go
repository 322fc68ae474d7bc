package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

const (
	testSecret   = "S3cr3t-permanent-VALUE"
	testPassword = "Pr0xy-Pa55word-VALUE"
)

func sampleSecrets(path string) *Secrets {
	return &Secrets{
		Path: path,
		HSMUsers: []HSMUserSecret{
			{UserName: "HSM_USERNAME", Secret: testSecret, SecretID: "id-1", Created: time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)},
			{UserName: "OTHER", Secret: "x\"y\\z\n\ttab"},
		},
		ProxyUsers: []ProxyPassword{{UserName: "SERVICE_USER", Password: testPassword}},
	}
}

func secretsPath(t *testing.T) string { return filepath.Join(t.TempDir(), ".secrets.cfg") }

func TestLoadSecretsMissingFileIsEmpty(t *testing.T) {
	path := secretsPath(t)
	s, err := LoadSecrets(path)
	require.NoError(t, err)
	assert.Equal(t, &Secrets{Path: path}, s)
	_, ok := s.HSMUser("anyone")
	assert.False(t, ok)
}

func TestSecretsRoundTrip(t *testing.T) {
	path := secretsPath(t)
	want := sampleSecrets(path)
	got, err := UpdateSecrets(path, func(s *Secrets) error {
		for _, u := range want.HSMUsers {
			s.SetHSMUser(u)
		}
		for _, p := range want.ProxyUsers {
			s.SetProxyPassword(p.UserName, p.Password)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, want.HSMUsers, got.HSMUsers)
	assert.Equal(t, want.ProxyUsers, got.ProxyUsers)
	assert.Empty(t, got.Warnings)

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a new file is private")

	loaded, err := LoadSecrets(path)
	require.NoError(t, err)
	assert.Equal(t, want.HSMUsers, loaded.HSMUsers)
	assert.Equal(t, want.ProxyUsers, loaded.ProxyUsers)
	assert.Empty(t, loaded.Warnings)

	// The file is plain libconfig that parses on its own.
	root, err := libconfig.ParseFile(path, nil)
	require.NoError(t, err)
	v, ok := root.Lookup("hsm_users.[0].created").Str()
	require.True(t, ok)
	assert.Equal(t, "2026-11-28T05:00:00Z", v)
	v, _ = root.Lookup("version").Str()
	assert.Equal(t, "1.0", v)
}

func TestSecretsAccessors(t *testing.T) {
	s := sampleSecrets("p")
	u, ok := s.HSMUser("HSM_USERNAME")
	require.True(t, ok)
	assert.Equal(t, testSecret, u.Secret)

	s.SetHSMUser(HSMUserSecret{UserName: "HSM_USERNAME", Secret: "new"})
	assert.Len(t, s.HSMUsers, 2, "set replaces in place")
	assert.Equal(t, "new", s.HSMUsers[0].Secret)
	assert.True(t, s.RemoveHSMUser("HSM_USERNAME"))
	assert.False(t, s.RemoveHSMUser("HSM_USERNAME"))
	assert.Equal(t, "OTHER", s.HSMUsers[0].UserName)

	pw, ok := s.ProxyPassword("SERVICE_USER")
	require.True(t, ok)
	assert.Equal(t, testPassword, pw)
	s.SetProxyPassword("SERVICE_USER", "changed")
	s.SetProxyPassword("SECOND", "two")
	assert.Equal(t, []ProxyPassword{{"SERVICE_USER", "changed"}, {"SECOND", "two"}}, s.ProxyUsers)
	assert.True(t, s.RemoveProxyPassword("SERVICE_USER"))
	assert.False(t, s.RemoveProxyPassword("SERVICE_USER"))
	_, ok = s.ProxyPassword("SERVICE_USER")
	assert.False(t, ok)
}

func TestSecretsRedacted(t *testing.T) {
	s := sampleSecrets("p")
	values := []any{s, *s, s.HSMUsers[0], &s.HSMUsers[0], s.ProxyUsers[0], s.HSMUsers, s.ProxyUsers}
	for _, v := range values {
		for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			out := sprintf(format, v)
			assert.NotContains(t, out, testSecret, format)
			assert.NotContains(t, out, testPassword, format)
		}
		js, err := json.Marshal(v)
		require.NoError(t, err)
		assert.NotContains(t, string(js), testSecret)
		assert.NotContains(t, string(js), testPassword)
	}
	assert.Equal(t, "{UserName:SERVICE_USER Password:[REDACTED]}", s.ProxyUsers[0].String())
	assert.Equal(t, `config.ProxyPassword{UserName:"SERVICE_USER", Password:"[REDACTED]"}`, s.ProxyUsers[0].GoString())
	assert.Equal(t, "{UserName:HSM_USERNAME Secret:[REDACTED] SecretID:id-1 Created:2026-11-28T05:00:00Z}", s.HSMUsers[0].String())
	assert.Contains(t, s.String(), "HSMUsers:[{UserName:HSM_USERNAME Secret:[REDACTED]")
	assert.NotContains(t, s.GoString(), testSecret)
	assert.Equal(t, "{UserName:U Password:}", ProxyPassword{UserName: "U"}.String(), "an empty password shows as empty")
}

func TestSecretsPermissionWarning(t *testing.T) {
	path := secretsPath(t)
	_, err := UpdateSecrets(path, func(s *Secrets) error { s.SetProxyPassword("P", testPassword); return nil })
	require.NoError(t, err)
	require.NoError(t, os.Chmod(path, 0o644))

	s, err := LoadSecrets(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"file is readable by group/others (mode 0644); run chmod 600 " + path}, s.Warnings)

	require.NoError(t, os.Chmod(path, 0o622))
	s, err = LoadSecrets(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"file is writable by group/others (mode 0622); run chmod 600 " + path}, s.Warnings)

	// A rewrite keeps the owner's and group's bits but never others'.
	require.NoError(t, os.Chmod(path, 0o644))
	s, err = UpdateSecrets(path, func(s *Secrets) error { s.SetProxyPassword("Q", "q"); return nil })
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	assert.Equal(t, []string{"file is readable by group/others (mode 0640); run chmod 600 " + path}, s.Warnings)
}

func TestCorruptSecretsFile(t *testing.T) {
	const corrupt = "version = \"1.0\";\nhsm_users = ( { user_name = \"U\"; secret = \"" + testSecret + "; } );\n"
	path := secretsPath(t)
	require.NoError(t, os.WriteFile(path, []byte(corrupt), 0o600))

	_, err := LoadSecrets(path)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, path, e.Pos.File)
	assert.Equal(t, 2, e.Pos.Line)
	assert.Positive(t, e.Pos.Column)
	assert.NotContains(t, err.Error(), testSecret)

	called := false
	_, err = UpdateSecrets(path, func(s *Secrets) error { called = true; return nil })
	require.ErrorAs(t, err, &e)
	assert.False(t, called, "update is not called on a corrupt file")
	assertOnlyFiles(t, filepath.Dir(path), ".secrets.cfg", ".secrets.cfg.lock")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, corrupt, string(after), "a corrupt file is never overwritten")
}

func TestSecretsDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"secret not a string", `hsm_users = ( { user_name = "U"; secret = 12345; } );`,
			"1:34: hsm_users.[0].secret: must be a string (in double quotes), got an integer"},
		{"secret missing", `hsm_users = ( { user_name = "U"; } );`,
			"1:15: hsm_users.[0].secret: missing; run ppin -u -e U to fetch a new one"},
		{"user twice", `proxy_users = ( { user_name = "P"; password = "a"; }, { user_name = "P"; password = "b"; } );`,
			"1:57: proxy_users.[1].user_name: user 'P' is already listed at FILE:1:19"},
		{"bad time", `hsm_users = ( { user_name = "U"; secret = "s"; created = "yesterday"; } );`,
			"1:48: hsm_users.[0].created: must be a time as 2006-01-02T15:04:05Z (RFC 3339)"},
		{"list expected", `hsm_users = { a = 1; };`,
			"1:1: hsm_users: must be a list of groups (( { ... }, { ... } )), got a group"},
		{"entry not a group", `proxy_users = ( "P" );`,
			"1:17: proxy_users.[0]: must be a group ({ user_name = ...; ... }), got a string"},
		{"NUL in secret", `hsm_users = ( { user_name = "U"; secret = "a\x00b"; } );`,
			"1:45: \\x00 in string: strings cannot hold NUL bytes"},
		{"include refused", `@include "/etc/passwd"`, "@include"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := secretsPath(t)
			require.NoError(t, os.WriteFile(path, []byte(tc.text+"\n"), 0o600))
			_, err := LoadSecrets(path)
			var e *Error
			require.ErrorAs(t, err, &e)
			if tc.name == "include refused" {
				assert.Contains(t, err.Error(), tc.want)
				return
			}
			assert.Equal(t, path+":"+replaceFile(tc.want, path), err.Error())
		})
	}
}

func TestSecretsUnknownSettingsKept(t *testing.T) {
	path := secretsPath(t)
	require.NoError(t, os.WriteFile(path, []byte(`version = "1.0";
future = { a = 1; b = [ 1, 2 ]; c = "x"; };
hsm_users = ( { user_name = "U"; secret = "s"; secert_id = "typo"; } );
`), 0o600))
	s, err := LoadSecrets(path)
	require.NoError(t, err)
	assert.Equal(t, []string{
		path + ":2:1: unknown setting future (kept as it is)",
		path + ":3:48: unknown setting hsm_users.[0].secert_id; did you mean 'secret_id'?",
	}, s.Warnings)

	_, err = UpdateSecrets(path, func(s *Secrets) error { s.SetProxyPassword("P", "p"); return nil })
	require.NoError(t, err)
	root, err := libconfig.ParseFile(path, nil)
	require.NoError(t, err)
	v, ok := root.Lookup("future.b.[1]").Int()
	require.True(t, ok, "a newer version's settings survive a rewrite")
	assert.Equal(t, int64(2), v)
}

func TestUpdateSecretsRefusesWhatCannotBeRead(t *testing.T) {
	path := secretsPath(t)
	for _, tc := range []struct {
		name   string
		update func(*Secrets)
		want   string
	}{
		{"empty user", func(s *Secrets) { s.SetHSMUser(HSMUserSecret{Secret: "x"}) },
			"hsm_users.[0].user_name: must be a non-empty name without NUL bytes"},
		{"empty secret", func(s *Secrets) { s.SetHSMUser(HSMUserSecret{UserName: "U"}) },
			"hsm_users.[0].secret: the secret of user 'U' must be non-empty text without NUL bytes"},
		{"NUL in password", func(s *Secrets) { s.SetProxyPassword("P", "a\x00"+testPassword) },
			"proxy_users.[0].password: the password of user 'P' must not contain NUL bytes"},
		{"user twice", func(s *Secrets) {
			s.ProxyUsers = append(s.ProxyUsers, ProxyPassword{"P", "a"}, ProxyPassword{"P", "b"})
		}, "proxy_users.[1].user_name: user 'P' is listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := UpdateSecrets(path, func(s *Secrets) error { tc.update(s); return nil })
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, path+": "+tc.want, err.Error())
			assert.NotContains(t, err.Error(), testPassword)
			assert.NoFileExists(t, path)
		})
	}
}

func TestUpdateSecretsCallbackError(t *testing.T) {
	path := secretsPath(t)
	_, err := UpdateSecrets(path, func(s *Secrets) error { s.SetProxyPassword("P", "p"); return nil })
	require.NoError(t, err)
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	stop := errors.New("user cancelled")
	_, err = UpdateSecrets(path, func(s *Secrets) error { s.SetProxyPassword("Q", "q"); return stop })
	assert.Same(t, stop, err)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)
}

func TestUpdateSecretsFollowsSymlink(t *testing.T) {
	real := secretsPath(t)
	link := filepath.Join(t.TempDir(), ".secrets.cfg")
	require.NoError(t, os.Symlink(real, link))
	require.NoError(t, os.WriteFile(real, []byte("version = \"1.0\";\n"), 0o600))

	_, err := UpdateSecrets(link, func(s *Secrets) error { s.SetProxyPassword("P", "p"); return nil })
	require.NoError(t, err)
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeSymlink, "the link stays a link")
	s, err := LoadSecrets(real)
	require.NoError(t, err)
	assert.Len(t, s.ProxyUsers, 1)
}

func TestWriteAtomicRemovesTempFileOnError(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	require.NoError(t, os.Mkdir(target, 0o700)) // rename of a file onto a folder fails
	_, err := writeAtomic(target, []byte("data"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot replace the file")
	assertOnlyFiles(t, dir, "target")
}

func TestUpdateSecretsLockTimeout(t *testing.T) {
	path := secretsPath(t)
	release, err := lockFile(path + ".lock")
	require.NoError(t, err)
	defer release()
	saved := lockTimeout
	lockTimeout = 20 * time.Millisecond
	t.Cleanup(func() { lockTimeout = saved })

	_, err = UpdateSecrets(path, func(s *Secrets) error { return nil })
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, path+".lock: another process has held the lock for 20ms; is a ppin waiting at a prompt?", err.Error())
}

// assertOnlyFiles checks that dir holds exactly the named entries (no
// temporary files left behind).
func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got)
}
