package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/server/registry"
	"github.com/cloudp11/cloudp11/tests/testenv"
)

// Credentials of the service the scripts in testdata/hsmd run against.
const (
	hsmdProxyUser     = "SERVICE_USER"
	hsmdProxyPassword = "proxy-pw-1"
	hsmdUser          = "HSM_USERNAME"
	hsmdUserPIN       = "user-pin-1"
	hsmdOtherUser     = "OTHER_USER"
	hsmdOtherPIN      = "user-pin-2"
	hsmdMaxTries      = 3
)

// TestAgainstHsmd runs every script of testdata/hsmd against its own hsmd
// serving two SoftHSM tokens (one per HSM user) with one proxy user, so the
// scripts see the whole workflow on the built ppin: -p, -a, -t, -u,
// --fetchlog, and every refusal. Besides the commands of TestScripts they
// have:
//
//	[!] hsmd ARGS...            run an hsmd admin command on the service's state
//	expand IN OUT               copy IN to OUT with $VARIABLES expanded
//	secretid FILE USER          print the secret id stored for USER
//	revoke FILE USER            revoke, on the service, the secret FILE holds for USER
//	expire-setup USER           move the first use of USER's setup password
//	                            back beyond its validity
//
// and the variables HSMD_HOST, HSMD_PORT, HSMD_CA (the CA file), HSMD_PIN
// (tls_pin_sha256 of the server's key), HSMD_FIRMWARE, SETUP (the setup
// password of HSM_USERNAME), SETUP_OTHER (of OTHER_USER), PIN, PIN_OTHER,
// PROXY_PASSWORD and CLOSED_PORT (a loopback port nothing listens on).
func TestAgainstHsmd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts hsmd and its workers on SoftHSM")
	}
	files, err := filepath.Glob("testdata/hsmd/*.txtar")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	bin := ppinBinary(t)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			env := startHsmdEnv(t)
			testscript.Run(t, testscript.Params{
				Files: []string{file},
				Setup: func(e *testscript.Env) error {
					e.Values[exitStatusKey{}] = new(int)
					for k, v := range env.vars {
						e.Setenv(k, v)
					}
					return nil
				},
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					"ppin":         scriptPPIN(bin),
					"status":       scriptStatus,
					"perm":         scriptPerm,
					"secrets":      scriptSecrets,
					"storesecret":  scriptStoreSecret,
					"hsmd":         env.scriptHsmd,
					"expand":       scriptExpand,
					"secretid":     scriptSecretID,
					"revoke":       env.scriptRevoke,
					"expire-setup": env.scriptExpireSetup,
				},
			})
		})
	}
}

// hsmdEnv is one running hsmd and what the scripts need to know of it.
type hsmdEnv struct {
	hsmd *testenv.Hsmd
	vars map[string]string
}

func startHsmdEnv(t *testing.T) *hsmdEnv {
	t.Helper()
	soft := testenv.NewSoftHSM(t)
	soft.InitToken(t, "token-a", "so-pin-1", hsmdUserPIN)
	soft.InitToken(t, "token-b", "so-pin-2", hsmdOtherPIN)
	h := testenv.NewHsmd(t, testenv.HsmdOptions{Backend: soft, MaxFailedTries: hsmdMaxTries, LockoutDuration: time.Hour})
	setup := h.AddUser(t, hsmdUser, "token-a")
	setupOther := h.AddUser(t, hsmdOtherUser, "token-b")
	h.AddProxyUser(t, hsmdProxyUser, hsmdProxyPassword)
	h.Start(t)

	host, port, err := net.SplitHostPort(h.Addr)
	require.NoError(t, err)
	return &hsmdEnv{hsmd: h, vars: map[string]string{
		"HSMD_HOST":      host,
		"HSMD_PORT":      port,
		"HSMD_CA":        h.CAFile,
		"HSMD_PIN":       serverPin(t, filepath.Join(h.StateDir, "server.pem")),
		"HSMD_FIRMWARE":  "hsmd " + testenv.HsmdVersion,
		"SETUP":          setup,
		"SETUP_OTHER":    setupOther,
		"PIN":            hsmdUserPIN,
		"PIN_OTHER":      hsmdOtherPIN,
		"PROXY_PASSWORD": hsmdProxyPassword,
		"CLOSED_PORT":    closedLoopbackPort(t),
	}}
}

// serverPin is the tls_pin_sha256 of the certificate in file.
func serverPin(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block, "%s holds no PEM", file)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return core.SPKIPin(cert)
}

// closedLoopbackPort returns a port of 127.0.0.1 that was free a moment ago
// and that nothing in the test listens on.
func closedLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	return port
}

func (env *hsmdEnv) scriptHsmd(ts *testscript.TestScript, neg bool, args []string) {
	stdout, stderr, err := env.hsmd.TryAdmin("", args...)
	fmt.Fprint(ts.Stdout(), stdout)
	fmt.Fprint(ts.Stderr(), stderr)
	var exit *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &exit):
		ts.Fatalf("run hsmd: %v", err)
	case neg && err == nil:
		ts.Fatalf("hsmd succeeded unexpectedly")
	case !neg && err != nil:
		ts.Fatalf("hsmd failed unexpectedly: %v", err)
	}
}

func scriptExpand(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: expand IN OUT")
	}
	in := ts.ReadFile(args[0])
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(os.Expand(in, ts.Getenv)), 0o600))
}

// storedSecret returns what a secrets file holds for user.
func storedSecret(ts *testscript.TestScript, file, user string) config.HSMUserSecret {
	s, err := config.LoadSecrets(ts.MkAbs(file))
	ts.Check(err)
	u, ok := s.HSMUser(user)
	if !ok {
		ts.Fatalf("%s holds no secret for %s", file, user)
	}
	return u
}

func scriptSecretID(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: secretid FILE USER")
	}
	fmt.Fprintln(ts.Stdout(), storedSecret(ts, args[0], args[1]).SecretID)
}

func (env *hsmdEnv) scriptRevoke(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: revoke FILE USER")
	}
	id := storedSecret(ts, args[0], args[1]).SecretID
	if _, stderr, err := env.hsmd.TryAdmin("", "secrets", "revoke", args[1], id); err != nil {
		ts.Fatalf("hsmd secrets revoke: %v: %s", err, stderr)
	}
}

// scriptExpireSetup ages the setup password through the registry's own
// update path, as an admin command would, instead of waiting for days.
func (env *hsmdEnv) scriptExpireSetup(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: expire-setup USER")
	}
	err := registry.NewStore(env.hsmd.StateDir).Update(context.Background(), false, func(r *registry.Registry) error {
		u := r.HSMUser(args[0])
		if u == nil {
			return fmt.Errorf("no HSM user %s", args[0])
		}
		u.Setup.FirstUse = time.Now().Add(-366 * 24 * time.Hour)
		return nil
	})
	ts.Check(err)
}
