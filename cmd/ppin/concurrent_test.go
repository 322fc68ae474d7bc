package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
)

// TestConcurrentProxyPasswords starts 20 ppin processes at once, each
// storing a different proxy password in one secrets file: none of the
// updates may be lost, and the file stays private.
func TestConcurrentProxyPasswords(t *testing.T) {
	const n = 20
	dir := t.TempDir()
	var slots strings.Builder
	for i := range n {
		fmt.Fprintf(&slots, "        slot%d: { user_name = \"USER%d\"; proxy_user = \"proxy%d\"; id = %d; };\n", i, i, i, i)
	}
	cfgPath := filepath.Join(dir, "primus.cfg")
	require.NoError(t, os.WriteFile(cfgPath, []byte(`version = "1.0";
primus: {
  hsms: {
    hsm0: {
      host = "a-api.cloudshsm.com";
      port = "2310";
      slots: {
`+slots.String()+`      };
    };
  };
};
`), 0o644))
	secretsPath := filepath.Join(dir, "shared", ".secrets.cfg")
	require.NoError(t, os.Mkdir(filepath.Dir(secretsPath), 0o700))

	type run struct {
		cmd            *exec.Cmd
		stdout, stderr bytes.Buffer
	}
	runs := make([]*run, n)
	for i := range runs {
		r := &run{cmd: exec.Command(ppinBinary(t), "-c", cfgPath, "-s", secretsPath,
			"-p", "-e", fmt.Sprintf("proxy%d", i), fmt.Sprintf("pass%d", i))}
		r.cmd.Env = []string{"HOME=" + dir} // no CLOUDP11_* or SECUROSYS_* from the caller
		r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
		require.NoError(t, r.cmd.Start())
		runs[i] = r
	}
	for i, r := range runs {
		require.NoError(t, r.cmd.Wait(), "ppin %d: %s", i, r.stderr.String())
		assert.Empty(t, r.stderr.String(), "ppin %d", i)
		assert.Contains(t, r.stdout.String(),
			fmt.Sprintf("[%02d] service/proxy user 'proxy%d' permanent secret: Configured\n", i+1, i))
	}

	secrets, err := config.LoadSecrets(secretsPath)
	require.NoError(t, err)
	assert.Len(t, secrets.ProxyUsers, n)
	for i := range n {
		password, ok := secrets.ProxyPassword(fmt.Sprintf("proxy%d", i))
		if assert.True(t, ok, "proxy%d lost", i) {
			assert.Equal(t, fmt.Sprintf("pass%d", i), password)
		}
	}
	info, err := os.Stat(secretsPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}
