package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// The token and the users the three modules reach it as. They protect a
// throw-away token in a temporary folder.
const (
	tokenLabel    = "bench"
	userPIN       = "bench-user-pin-1"
	soPIN         = "bench-so-pin-1"
	hsmUser       = "bench"
	proxyUser     = "bench-svc"
	proxyPassword = "bench-Proxy-Password-9"
)

// p11KitClientModules are where distributions install p11-kit's remote
// client module.
var p11KitClientModules = []string{
	"/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so",
	"/usr/lib/aarch64-linux-gnu/pkcs11/p11-kit-client.so",
	"/usr/lib64/pkcs11/p11-kit-client.so",
	"/usr/lib/pkcs11/p11-kit-client.so",
}

// Bounds on the helper processes' start and stop; they only bound failures.
const (
	p11KitStartTimeout = 30 * time.Second
	p11KitStopTimeout  = 10 * time.Second
	ppinTimeout        = 2 * time.Minute
)

// p11KitServer is a running "p11-kit server" exporting the bench token.
type p11KitServer struct {
	Address string // P11_KIT_SERVER_ADDRESS for the client
	Pid     int
	Client  string // path of p11-kit-client.so
}

// startP11KitServer runs "p11-kit server" in the foreground on a socket in
// a temporary folder, serving the bench token of soft, until the benchmark
// ends.
func startP11KitServer(tb testing.TB, soft *testenv.SoftHSM) (*p11KitServer, error) {
	client := firstExisting(p11KitClientModules)
	if client == "" {
		return nil, errors.New("p11-kit-client.so not found (apt-get install p11-kit-modules)")
	}
	if _, err := exec.LookPath("p11-kit"); err != nil {
		return nil, errors.New("p11-kit not found (apt-get install p11-kit)")
	}
	socket := filepath.Join(tb.TempDir(), "p11-kit.sock")
	cmd := exec.Command("p11-kit", "server", "--foreground", "--name", socket,
		"--provider", soft.ModulePath, "pkcs11:token="+tokenLabel)
	cmd.Env = soft.Environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("p11-kit server: %w", err)
	}
	exited := make(chan error, 1)
	vars := make(chan map[string]string, 1)
	go func() {
		found := map[string]string{}
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if name, value, err := ParseShellAssignment(sc.Text()); err == nil {
				found[name] = value
			}
			if found["P11_KIT_SERVER_ADDRESS"] != "" && found["P11_KIT_SERVER_PID"] != "" {
				vars <- found
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	tb.Cleanup(func() { stopProcess(tb, cmd, exited, p11KitStopTimeout) })

	timer := time.NewTimer(p11KitStartTimeout)
	defer timer.Stop()
	select {
	case found := <-vars:
		pid, err := strconv.Atoi(found["P11_KIT_SERVER_PID"])
		if err != nil || pid != cmd.Process.Pid {
			return nil, fmt.Errorf("p11-kit server announced pid %q, but runs as %d", found["P11_KIT_SERVER_PID"], cmd.Process.Pid)
		}
		return &p11KitServer{Address: found["P11_KIT_SERVER_ADDRESS"], Pid: pid, Client: client}, nil
	case err := <-exited:
		exited <- err // for the cleanup
		return nil, fmt.Errorf("p11-kit server exited before announcing its address (%v): %s", err, strings.TrimSpace(stderr.String()))
	case <-timer.C:
		return nil, fmt.Errorf("p11-kit server did not announce its address within %s: %s", p11KitStartTimeout, strings.TrimSpace(stderr.String()))
	}
}

// stopProcess sends SIGTERM, waits up to timeout for the exit reported on
// exited, then kills.
func stopProcess(tb testing.TB, cmd *exec.Cmd, exited chan error, timeout time.Duration) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-exited:
	case <-timer.C:
		tb.Logf("%s did not stop within %s after SIGTERM; killing it", cmd.Path, timeout)
		_ = cmd.Process.Kill()
		<-exited
	}
}

// cloudEnv is hsmd serving the bench token, and the client's primus.cfg
// and .secrets.cfg made by ppin, as a user of the Primus workflow has them.
type cloudEnv struct {
	Hsmd       *testenv.Hsmd
	ConfigPath string
	Secrets    string
}

// The client's files in the work folder; the measuring process's
// environment names them (see reexec).
const (
	primusConfigName = "primus.cfg"
	secretsName      = ".secrets.cfg"
)

// startCloud starts hsmd on soft's token, registers the HSM and proxy
// users, writes primus.cfg into dir, and runs "ppin -p" and "ppin -a"
// against hsmd, which write dir/.secrets.cfg.
func startCloud(tb testing.TB, soft *testenv.SoftHSM, dir string, connections int) (*cloudEnv, error) {
	h := testenv.NewHsmd(tb, testenv.HsmdOptions{Backend: soft})
	setup := h.AddUser(tb, hsmUser, tokenLabel)
	h.AddProxyUser(tb, proxyUser, proxyPassword)
	h.Start(tb)
	_, port, err := net.SplitHostPort(h.Addr)
	if err != nil {
		return nil, fmt.Errorf("hsmd address %q: %w", h.Addr, err)
	}
	env := &cloudEnv{Hsmd: h, ConfigPath: filepath.Join(dir, primusConfigName), Secrets: filepath.Join(dir, secretsName)}
	q := strconv.Quote
	cfg := fmt.Sprintf(`version = "1.0";
primus: {
  wait_delay = 250;
  wait_max_tries = 5;
  connect_on_init = true;
  tls_ca = %s;
  connections = %d;
  hsms: {
    hsm0: {
      host = "127.0.0.1";
      port = %s;
      slots: { slot0: { client_id = "bench"; user_name = %s; proxy_user = %s; id = 0; }; };
    };
  };
  log: { file = %s; write_log_file = true; write_syslog = false; trace_level = 4; trace_mask = 0x00; };
};
`, q(h.CAFile), connections, q(port), q(hsmUser), q(proxyUser), q(filepath.Join(dir, "primus.log")))
	if err := os.WriteFile(env.ConfigPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	ppin := testenv.Binary(tb, "ppin")
	if err := env.ppin(ppin, proxyPassword+"\n", "-p", "-e", proxyUser); err != nil {
		return nil, err
	}
	if err := env.ppin(ppin, "", "-a", "-e", hsmUser, setup, userPIN); err != nil {
		return nil, err
	}
	return env, nil
}

// ppin runs the ppin binary on the environment's files. Its output never
// holds a secret, so a failure quotes it.
func (e *cloudEnv) ppin(bin, stdin string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), ppinTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-c", e.ConfigPath, "-s", e.Secrets}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ppin %s: %w: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// libcloudp11Path is -bench.lib, else build/libcloudp11.so of this module.
func libcloudp11Path() string {
	if *flagLib != "" {
		return *flagLib
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "build", "libcloudp11.so")
}

func firstExisting(paths []string) string {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
