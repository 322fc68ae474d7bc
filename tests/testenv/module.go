package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
)

// Module is a PKCS#11 module ready for a test: the path an application
// loads, the environment it needs at C_Initialize, and one token with a
// user PIN. End-to-end suites take a Module and never ask which kind it
// is, so the same suite runs on SoftHSM directly and through
// libcloudp11.so.
type Module struct {
	// Name is "softhsm" or "cloudp11", for subtest names and messages.
	Name string
	// Path is the module to load.
	Path string
	// Env is what the module reads from the environment at C_Initialize.
	Env map[string]string
	// TokenLabel, UserPIN and SOPIN are those of the test's token.
	TokenLabel string
	UserPIN    string
	SOPIN      string
	// Hsmd is the service behind libcloudp11.so; nil for SoftHSM.
	Hsmd *Hsmd
	// Dir is a folder private to the test, for files the suite makes.
	Dir string
}

// Module names.
const (
	ModuleSoftHSM  = "softhsm"
	ModuleCloudP11 = "cloudp11"
)

// Credentials of the tokens the fixtures make.
const (
	moduleTokenLabel = "e2e-token"
	moduleUserPIN    = "e2e-user-pin-1234"
	moduleSOPIN      = "e2e-so-pin-5678"
	moduleHSMUser    = "E2E_HSM_USER"
	moduleProxyUser  = "E2E_SERVICE_USER"
	moduleProxyPass  = "e2e-Proxy-Password-9x"
)

// Environ is os.Environ() with Env added, for a child process that loads
// the module.
func (m *Module) Environ() []string {
	env := os.Environ()
	for k, v := range m.Env {
		env = append(env, k+"="+v)
	}
	return env
}

// SetenvInProcess makes the module's environment that of this process
// for the rest of the test, for a module loaded here
// (github.com/miekg/pkcs11): SoftHSM and libcloudp11.so both read their
// variables with getenv(3) at C_Initialize, and os.Setenv reaches C's
// environment in a cgo program.
func (m *Module) SetenvInProcess(t testing.TB) {
	t.Helper()
	for k, v := range m.Env {
		if tt, ok := t.(interface{ Setenv(string, string) }); ok {
			tt.Setenv(k, v)
		} else {
			require.NoError(t, os.Setenv(k, v))
		}
	}
}

// SoftHSMModule is fixture (a): SoftHSMv2 loaded directly, with a fresh
// token in t.TempDir().
func SoftHSMModule(t testing.TB) *Module {
	t.Helper()
	soft := NewSoftHSM(t)
	soft.InitToken(t, moduleTokenLabel, moduleSOPIN, moduleUserPIN)
	return &Module{
		Name:       ModuleSoftHSM,
		Path:       soft.ModulePath,
		Env:        soft.Env,
		TokenLabel: moduleTokenLabel,
		UserPIN:    moduleUserPIN,
		SOPIN:      moduleSOPIN,
		Dir:        t.TempDir(),
	}
}

// LibraryModule is fixture (b): libcloudp11.so (built once per test
// binary) talking to an hsmd on loopback TLS, whose worker serves a fresh
// SoftHSM token. primus.cfg and .secrets.cfg are made as a user makes
// them: the configuration written by hand, then the real ppin -p and
// ppin -a.
func LibraryModule(t testing.TB) *Module {
	t.Helper()
	lib := Library(t)
	ppin := Binary(t, "ppin")

	soft := NewSoftHSM(t)
	soft.InitToken(t, moduleTokenLabel, moduleSOPIN, moduleUserPIN)
	h := NewHsmd(t, HsmdOptions{Backend: soft})
	setup := h.AddUser(t, moduleHSMUser, moduleTokenLabel)
	h.AddProxyUser(t, moduleProxyUser, moduleProxyPass)
	h.Start(t)

	dir := t.TempDir()
	cfgPath, secretsPath := filepath.Join(dir, "primus.cfg"), filepath.Join(dir, ".secrets.cfg")
	_, port, err := net.SplitHostPort(h.Addr)
	require.NoError(t, err)
	logPath := filepath.Join(dir, "primus.log")
	cfg := fmt.Sprintf(`version = "1.0";
primus: {
  wait_delay = 50;
  wait_max_tries = 5;
  connect_on_init = false;
  tls_ca = %q;
  hsms: {
    hsm0: {
      host = "127.0.0.1";
      port = "%s";
      slots: {
        slot0: { client_id = "e2e"; user_name = %q; proxy_user = %q; id = 0; };
      };
    };
  };
  log: { file = %q; write_log_file = true; write_syslog = false; trace_level = 4; };
};
`, h.CAFile, port, moduleHSMUser, moduleProxyUser, logPath)
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))

	runPPIN(t, ppin, cfgPath, secretsPath, "-p", "-e", moduleProxyUser, moduleProxyPass)
	out := runPPIN(t, ppin, cfgPath, secretsPath, "-a", "-e", moduleHSMUser, setup, moduleUserPIN)
	require.NotContains(t, out, "MISSING", "ppin -a left a credential missing:\n%s", out)

	m := &Module{
		Name:       ModuleCloudP11,
		Path:       lib,
		Env:        map[string]string{config.EnvConfig: cfgPath, config.EnvSecrets: secretsPath},
		TokenLabel: moduleTokenLabel,
		UserPIN:    moduleUserPIN,
		SOPIN:      moduleSOPIN,
		Hsmd:       h,
		Dir:        dir,
	}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("libcloudp11 log (%s):\n%s", logPath, tail(string(b), 60))
			}
		}
	})
	return m
}

// runPPIN runs ppin on the fixture's files and returns its output.
func runPPIN(t testing.TB, ppin, cfgPath, secretsPath string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ppin, append([]string{"-c", cfgPath, "-s", secretsPath}, args...)...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "ppin %s: %s", args[0], out)
	return string(out)
}

// Library builds libcloudp11.so once per test binary, as make lib does,
// and returns its path.
func Library(t testing.TB) string {
	t.Helper()
	binaries.Lock()
	defer binaries.Unlock()
	const name = "libcloudp11.so"
	if path, ok := binaries.built[name]; ok {
		return path
	}
	if err, ok := binaries.errs[name]; ok {
		t.Fatalf("building %s failed earlier: %v", name, err)
	}
	path, err := buildLibrary()
	if err != nil {
		binaries.errs[name] = err
		t.Fatalf("building %s: %v", name, err)
	}
	binaries.built[name] = path
	return path
}

// buildLibrary mirrors the Makefile's lib target: c-shared, -z nodelete
// (a Go runtime must never be unloaded) and the version script that
// exports the C_* functions only.
func buildLibrary() (string, error) {
	if binaries.dir == "" {
		dir, err := os.MkdirTemp("", "cloudp11-testenv-")
		if err != nil {
			return "", err
		}
		binaries.dir = dir
	}
	root := moduleRoot()
	out := filepath.Join(binaries.dir, "libcloudp11.so")
	ldflags := fmt.Sprintf(`-X github.com/cloudp11/cloudp11/core.version=%s -extldflags "-Wl,-z,nodelete -Wl,--version-script=%s"`,
		HsmdVersion, filepath.Join(root, "p11", "libcloudp11.map"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildmode=c-shared", "-ldflags", ldflags, "-o", out, "./p11")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -buildmode=c-shared ./p11: %w\n%s", err, b)
	}
	return out, nil
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
