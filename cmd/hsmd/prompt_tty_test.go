//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// waitFor polls a condition of the terminal or the child's output; there is
// no event to wait on for a termios change.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "timed out waiting for %s", what)
		<-time.After(time.Millisecond)
	}
}

// runProxyAddOnTerminal runs the built hsmd proxy-user add with a
// terminal on standard input and types the two passwords when asked.
func runProxyAddOnTerminal(t *testing.T, first, second string) (stdout, stderr string, status int, echoed string) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hsmd.cfg")
	require.NoError(t, os.WriteFile(cfg, []byte(`state_dir = "state"; auth: { argon2: { time = 1; memory_kib = 64; threads = 1; }; };`), 0o600))
	initCmd := exec.Command(hsmdBinary, "init", "-c", cfg, "--name", "localhost")
	out, err := initCmd.CombinedOutput()
	require.NoError(t, err, string(out))

	master, slave := testenv.OpenPTY(t)
	var outBuf, errBuf testenv.SyncBuffer
	cmd := exec.Command(hsmdBinary, "proxy-user", "add", "svc", "-c", cfg)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, &outBuf, &errBuf
	require.NoError(t, cmd.Start())

	waitFor(t, "the first prompt", func() bool {
		return strings.Contains(errBuf.String(), "New password for proxy user 'svc': ") && !testenv.EchoOn(t, slave)
	})
	_, err = master.Write([]byte(first + "\n"))
	require.NoError(t, err)
	waitFor(t, "the second prompt", func() bool {
		return strings.Contains(errBuf.String(), "Repeat the password: ") && !testenv.EchoOn(t, slave)
	})
	_, err = master.Write([]byte(second + "\n"))
	require.NoError(t, err)
	err = cmd.Wait()
	status = cmd.ProcessState.ExitCode()
	assert.True(t, testenv.EchoOn(t, slave), "echo is restored")

	// With echo back on, a marker comes back; nothing before it may hold
	// the passwords.
	_, err = master.Write([]byte("END\n"))
	require.NoError(t, err)
	var seen []byte
	buf := make([]byte, 256)
	for !bytes.Contains(seen, []byte("END")) {
		n, err := master.Read(buf)
		require.NoError(t, err)
		seen = append(seen, buf[:n]...)
	}
	return outBuf.String(), errBuf.String(), status, string(seen)
}

func TestProxyPasswordPromptOnTerminal(t *testing.T) {
	stdout, stderr, status, echoed := runProxyAddOnTerminal(t, "typed-secret-1", "typed-secret-1")
	assert.Equal(t, 0, status, stderr)
	assert.Equal(t, "Proxy user 'svc' added.\n", stdout)
	assert.Equal(t, "New password for proxy user 'svc': \nRepeat the password: \n", stderr)
	assert.NotContains(t, echoed, "typed-secret")
}

func TestProxyPasswordPromptMismatch(t *testing.T) {
	stdout, stderr, status, echoed := runProxyAddOnTerminal(t, "typed-secret-1", "typed-secret-2")
	assert.Equal(t, 1, status)
	assert.Empty(t, stdout)
	assert.Equal(t, "New password for proxy user 'svc': \nRepeat the password: \nhsmd: the two passwords differ; nothing changed\n", stderr)
	assert.NotContains(t, echoed, "typed-secret")
}
