package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// noIncludes keeps fuzz inputs from reading the machine's files
// (@include "/dev/stdin" would block a worker).
var noIncludes = &libconfig.Options{
	MaxFileSize: maxFileSize,
	ReadFile:    func(string) ([]byte, error) { return nil, errors.New("no includes while fuzzing") },
}

func addSeedFiles(f *testing.F, paths ...string) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(b)
	}
}

// comparable strips what legitimately changes in a print and re-parse:
// positions and the tree.
func comparable(c *Config) Config {
	out := *c
	out.Tree = nil
	out.HSMs = withoutPositions(c.HSMs)
	out.Warnings = nil
	for _, w := range c.Warnings {
		out.Warnings = append(out.Warnings, Warning{Path: w.Path})
	}
	return out
}

// FuzzLoad feeds arbitrary bytes as primus.cfg: Load must not panic, every
// error must be an *Error, and a file that loads must load the same after
// being printed by libconfig.Format (parse, print, parse).
func FuzzLoad(f *testing.F) {
	addSeedFiles(f, filepath.Join("testdata", "primus.cfg"))
	f.Add([]byte(hsmFile(`host = "h";`, `port = "2310";`, okSlots)))
	f.Add([]byte(`primus = { hsms = ( { host = "a"; port = 1; slots = ( { user_name = "U"; id = 0; } ); } ); };`))
	f.Add([]byte(`primus: { tls_pin_sha256 = [ "sha256//qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=" ]; connections = 3;
  log: { trace_mask = 0x07; file = "x.log"; };
  hsms: { h: { host = "[::1]"; port = 70; priority = 127; call_timeout = 9;
    slots: { s: { user_name = "U"; proxy_user = "P"; proxy_password = "pw"; id = 9223372036854775807L; }; }; }; }; };`))
	path := filepath.Join(f.TempDir(), "primus.cfg")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := loadBytes(path, data, noIncludes)
		if err != nil {
			var e *Error
			require.ErrorAs(t, err, &e, "%T %v", err, err)
			require.NotEmpty(t, e.Msg)
			return
		}
		printed := libconfig.Format(c.Tree)
		again, err := loadBytes(path, printed, noIncludes)
		require.NoError(t, err, "printed:\n%s", printed)
		assert.Equal(t, comparable(c), comparable(again), "printed:\n%s", printed)
	})
}

// FuzzLoadSecrets feeds arbitrary bytes as .secrets.cfg: no panic, errors
// are *Error, and what decodes encodes to a file that decodes the same.
func FuzzLoadSecrets(f *testing.F) {
	f.Add([]byte(`version = "1.0";
hsm_users = ( { user_name = "U"; secret = "s"; secret_id = "i"; created = "2026-11-28T05:00:00Z"; } );
proxy_users = ( { user_name = "P"; password = "p"; } );
future = { a = [ 1, 2 ]; b = ( 1.5, "x", true, 7L ); };
`))
	f.Add([]byte(`hsm_users = ( { user_name = "U"; secret = "s\x00"; } );`))
	f.Add([]byte(`proxy_users = ( { user_name = "P"; password = "a"; }, { user_name = "P"; password = "b"; } );`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeSecrets("fuzz.secrets.cfg", data)
		if err != nil {
			var e *Error
			require.ErrorAs(t, err, &e, "%T %v", err, err)
			return
		}
		encoded, err := encodeSecrets(s)
		require.NoError(t, err)
		back, err := decodeSecrets("fuzz.secrets.cfg", encoded)
		require.NoError(t, err, "encoded:\n%s", encoded)
		require.True(t, sameSecrets(s, back), "encoded:\n%s", encoded)
		require.Equal(t, len(s.extra), len(back.extra), "encoded:\n%s", encoded)
		again, err := encodeSecrets(back)
		require.NoError(t, err)
		require.Equal(t, string(encoded), string(again), "printing is stable")
	})
}
