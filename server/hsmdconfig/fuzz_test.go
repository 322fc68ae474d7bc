package hsmdconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// FuzzLoadConfig loads arbitrary files: Load must return a Config or an
// *Error, never panic; a loaded Config must be valid and survive a
// Format → Parse round trip unchanged.
func FuzzLoadConfig(f *testing.F) {
	for _, seed := range []string{
		"",
		`listen = "127.0.0.1:2310"; state_dir = "/var/lib/hsmd";`,
		`partitions = ( { user = "u"; token = "t"; } ); auth: { setup_password_validity = "7d"; argon2: { time = 1; memory_kib = 64; threads = 1; }; };`,
		`limits: { handshake_timeout = 10; lease_period = "1d12h"; max_frame_size = 0x10000; };`,
		`backend: { module = "m.so"; environment: { SOFTHSM2_CONF = "x"; }; }; log: { level = "warn"; };`,
		`@include "other.cfg"`,
	} {
		f.Add([]byte(seed))
	}
	if data, err := os.ReadFile("testdata/full.cfg"); err == nil {
		f.Add(data)
	}
	dir := f.TempDir()
	// @include reads only files of dir: the fuzzer must not wander into
	// /dev or /proc.
	opts := &libconfig.Options{ReadFile: func(p string) ([]byte, error) {
		if filepath.Dir(filepath.Clean(p)) != dir {
			return nil, os.ErrNotExist
		}
		return os.ReadFile(p)
	}}
	require.NoError(f, os.WriteFile(filepath.Join(dir, "other.cfg"), []byte(`listen = ":1";`), 0o600))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "hsmd.cfg")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		c, _, err := load(path, opts)
		if err != nil {
			var ce *Error
			require.True(t, errors.As(err, &ce), "error of type %T: %v", err, err)
			return
		}
		require.NoError(t, c.Validate())
		out, err := c.Format()
		require.NoError(t, err)
		back, _, err := Parse(path, out)
		require.NoError(t, err, "%s", out)
		require.Equal(t, c, back)
	})
}
