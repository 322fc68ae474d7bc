package config

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const writers = 20

func assertAllWriters(t *testing.T, path string) {
	t.Helper()
	s, err := LoadSecrets(path)
	require.NoError(t, err)
	require.Len(t, s.HSMUsers, writers)
	for i := range writers {
		u, ok := s.HSMUser(fmt.Sprintf("user%02d", i))
		if assert.True(t, ok, "user%02d is missing", i) {
			assert.Equal(t, fmt.Sprintf("secret%02d", i), u.Secret)
		}
	}
	assertOnlyFiles(t, dirOf(path), ".secrets.cfg", ".secrets.cfg.lock")
}

func addUser(path string, i int) error {
	_, err := UpdateSecrets(path, func(s *Secrets) error {
		s.SetHSMUser(HSMUserSecret{UserName: fmt.Sprintf("user%02d", i), Secret: fmt.Sprintf("secret%02d", i)})
		return nil
	})
	return err
}

func TestUpdateSecretsConcurrentGoroutines(t *testing.T) {
	path := secretsPath(t)
	start := make(chan struct{})
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = addUser(path, i)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "writer %d", i)
	}
	assertAllWriters(t, path)
}

// Environment of the helper process that TestUpdateSecretsConcurrentProcesses
// starts: the file to update and the index of the user to add.
const (
	helperEnvPath  = "CLOUDP11_TEST_SECRETS_HELPER_PATH"
	helperEnvIndex = "CLOUDP11_TEST_SECRETS_HELPER_INDEX"
)

// TestSecretsHelperProcess is not a test: it is the body of a child process
// and does nothing unless started by TestUpdateSecretsConcurrentProcesses.
func TestSecretsHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnvPath)
	if path == "" {
		t.Skip("helper process for TestUpdateSecretsConcurrentProcesses")
	}
	var i int
	_, err := fmt.Sscan(os.Getenv(helperEnvIndex), &i)
	require.NoError(t, err)
	// Wait for the parent to release every child at once: it closes stdin.
	_, err = io.Copy(io.Discard, os.Stdin)
	require.NoError(t, err)
	require.NoError(t, addUser(path, i))
}

func TestUpdateSecretsConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 20 processes")
	}
	path := secretsPath(t)
	exe, err := os.Executable()
	require.NoError(t, err)

	cmds := make([]*exec.Cmd, writers)
	gates := make([]io.WriteCloser, writers)
	outputs := make([]*lockedBuffer, writers)
	for i := range writers {
		cmd := exec.Command(exe, "-test.run=^TestSecretsHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnvPath+"="+path, fmt.Sprintf("%s=%d", helperEnvIndex, i))
		outputs[i] = &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = outputs[i], outputs[i]
		gates[i], err = cmd.StdinPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		cmds[i] = cmd
	}
	for _, g := range gates {
		require.NoError(t, g.Close())
	}
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "child %d: %s", i, outputs[i].String())
	}
	assertAllWriters(t, path)
}

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
