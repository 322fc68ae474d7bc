// Package testenv holds helpers shared by tests of several packages: real
// SoftHSMv2 tokens made per test (softhsm.go) and a running hsmd
// (hsmd.go). Everything is made in t.TempDir() and undone by t.Cleanup.
//
// # Concurrency
//
// Each SoftHSM value has its own configuration file and token folder, so
// parallel tests never share a token. The SoftHSM module itself reads
// SOFTHSM2_CONF when it is initialised: a process that loads it must set
// Env first (hsmd's workers get it through their Params).
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// softHSMModules are where distributions install the SoftHSMv2 module.
var softHSMModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// SoftHSM is a SoftHSMv2 configuration whose token folder is private to
// one test.
type SoftHSM struct {
	// ModulePath is the SoftHSMv2 PKCS#11 module.
	ModulePath string
	// ConfPath is the softhsm2.conf naming the token folder.
	ConfPath string
	// TokenDir is the token folder.
	TokenDir string
	// Env is the environment the module needs: SOFTHSM2_CONF.
	Env map[string]string
}

// NewSoftHSM makes a SoftHSMv2 configuration with an empty token folder in
// t.TempDir(). It skips the test, saying why, when SoftHSMv2 or
// softhsm2-util is not installed.
func NewSoftHSM(t testing.TB) *SoftHSM {
	t.Helper()
	module := ""
	for _, m := range softHSMModules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	if module == "" {
		t.Skip("SoftHSMv2 is not installed (no libsofthsm2.so): apt-get install softhsm2")
	}
	if _, err := exec.LookPath("softhsm2-util"); err != nil {
		t.Skip("softhsm2-util is not installed: apt-get install softhsm2")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	require.NoError(t, os.Mkdir(tokens, 0o700))
	conf := filepath.Join(dir, "softhsm2.conf")
	content := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	require.NoError(t, os.WriteFile(conf, []byte(content), 0o600))
	return &SoftHSM{ModulePath: module, ConfPath: conf, TokenDir: tokens, Env: map[string]string{"SOFTHSM2_CONF": conf}}
}

// InitToken initialises a new token labelled label in the next free slot,
// with the given SO and user PINs.
func (s *SoftHSM) InitToken(t testing.TB, label, soPIN, userPIN string) {
	t.Helper()
	cmd := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", soPIN, "--pin", userPIN)
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+s.ConfPath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "softhsm2-util --init-token: %s", out.String())
}

// Environ is os.Environ() with Env added, for a child process that loads
// the module.
func (s *SoftHSM) Environ() []string {
	env := os.Environ()
	for k, v := range s.Env {
		env = append(env, k+"="+v)
	}
	return env
}
