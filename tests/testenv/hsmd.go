package testenv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
)

// HsmdVersion is the version the test build of hsmd reports.
const HsmdVersion = "testenv"

// Timeouts of the helpers: generous, because they only bound failures.
const (
	hsmdStartTimeout = 60 * time.Second
	hsmdStopTimeout  = 45 * time.Second
	hsmdAdminTimeout = 60 * time.Second
)

// binaries are the programs built for this test binary, once each.
var binaries = struct {
	sync.Mutex
	dir   string
	built map[string]string
	errs  map[string]error
}{built: map[string]string{}, errs: map[string]error{}}

// Binary builds the command at ./cmd/<name> of this module once per test
// binary and returns its path. Call Main from TestMain to remove the builds
// when the tests end.
func Binary(t testing.TB, name string) string {
	t.Helper()
	binaries.Lock()
	defer binaries.Unlock()
	if path, ok := binaries.built[name]; ok {
		return path
	}
	if err, ok := binaries.errs[name]; ok {
		t.Fatalf("building %s failed earlier: %v", name, err)
	}
	path, err := build(name)
	if err != nil {
		binaries.errs[name] = err
		t.Fatalf("building %s: %v", name, err)
	}
	binaries.built[name] = path
	return path
}

func build(name string) (string, error) {
	if binaries.dir == "" {
		dir, err := os.MkdirTemp("", "cloudp11-testenv-")
		if err != nil {
			return "", err
		}
		binaries.dir = dir
	}
	out := filepath.Join(binaries.dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "-ldflags", "-X main.version="+HsmdVersion, "./cmd/"+name)
	cmd.Dir = moduleRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %w\n%s", name, err, b)
	}
	return out, nil
}

// moduleRoot is the folder of go.mod, two levels above this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Main runs the tests and removes what Binary built.
func Main(m *testing.M) {
	code := m.Run()
	binaries.Lock()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	binaries.Unlock()
	os.Exit(code)
}

// HsmdOptions configure NewHsmd. Zero values take the defaults listed.
type HsmdOptions struct {
	// Backend is the SoftHSM the partitions live on. Required.
	Backend *SoftHSM
	// Lease is limits.lease_period (1m).
	Lease time.Duration
	// HandshakeTimeout is limits.handshake_timeout (10s).
	HandshakeTimeout time.Duration
	// MaxFailedTries and LockoutDuration are the auth policy (5, 1h).
	MaxFailedTries  int
	LockoutDuration time.Duration
	// MaxConnections is limits.max_connections (64).
	MaxConnections int
	// Extra is appended to the configuration file.
	Extra string
}

// Hsmd is an hsmd state folder and configuration made for one test, and
// the "hsmd serve" process once Start has run.
type Hsmd struct {
	Bin        string
	StateDir   string
	ConfigPath string
	CAFile     string
	// Addr is where serve listens, from its "listening on" line; set by
	// Start.
	Addr string

	cmd    *exec.Cmd
	logs   SyncBuffer
	exited chan struct{}
	err    error // the exit status; read after exited is closed
}

// NewHsmd builds hsmd, writes a configuration serving opts.Backend on
// 127.0.0.1:0 with cheap argon2id parameters, and runs "hsmd init". Add
// users with AddUser and AddProxyUser, then Start.
func NewHsmd(t testing.TB, opts HsmdOptions) *Hsmd {
	t.Helper()
	require.NotNil(t, opts.Backend, "HsmdOptions.Backend")
	dir := t.TempDir()
	h := &Hsmd{
		Bin:        Binary(t, "hsmd"),
		StateDir:   filepath.Join(dir, "state"),
		ConfigPath: filepath.Join(dir, "hsmd.cfg"),
	}
	h.CAFile = filepath.Join(h.StateDir, "ca.pem")
	require.NoError(t, os.WriteFile(h.ConfigPath, []byte(hsmdConfig(h.StateDir, opts)), 0o600))
	h.Admin(t, "", "init", "--name", "localhost", "--name", "127.0.0.1")
	return h
}

func hsmdConfig(stateDir string, o HsmdOptions) string {
	q := strconv.Quote
	or := func(d, def time.Duration) string {
		if d == 0 {
			d = def
		}
		return q(d.String())
	}
	tries, conns := o.MaxFailedTries, o.MaxConnections
	if tries == 0 {
		tries = 5
	}
	if conns == 0 {
		conns = 64
	}
	var env []string
	names := make([]string, 0, len(o.Backend.Env))
	for name := range o.Backend.Env {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		env = append(env, fmt.Sprintf("%s = %s;", name, q(o.Backend.Env[name])))
	}
	return fmt.Sprintf(`listen = "127.0.0.1:0";
state_dir = %s;
backend: { module = %s; environment: { %s }; };
limits: { max_connections = %d; handshake_timeout = %s; lease_period = %s; };
auth: {
  max_failed_tries = %d;
  lockout_duration = %s;
  argon2: { time = 1; memory_kib = 64; threads = 1; };
};
log: { level = "debug"; format = "json"; };
%s
`, q(stateDir), q(o.Backend.ModulePath), strings.Join(env, " "), conns,
		or(o.HandshakeTimeout, 10*time.Second), or(o.Lease, time.Minute),
		tries, or(o.LockoutDuration, time.Hour), o.Extra)
}

// Admin runs an hsmd admin command with the test's configuration, stdin as
// its standard input, and returns its standard output; it fails the test
// when the command fails.
func (h *Hsmd) Admin(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	stdout, stderr, err := h.TryAdmin(stdin, args...)
	require.NoError(t, err, "hsmd %s: %s", strings.Join(args, " "), stderr)
	return stdout
}

// TryAdmin runs an hsmd admin command and returns its outputs and error.
func (h *Hsmd) TryAdmin(stdin string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), hsmdAdminTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Bin, append(args, "--config", h.ConfigPath)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// AddUser registers HSM user name on token and returns its setup password.
func (h *Hsmd) AddUser(t testing.TB, name, token string) string {
	t.Helper()
	return strings.TrimSpace(h.Admin(t, "", "user", "add", name, "--token", token))
}

// AddProxyUser registers proxy user name with password (given on stdin).
func (h *Hsmd) AddProxyUser(t testing.TB, name, password string) {
	t.Helper()
	h.Admin(t, password+"\n", "proxy-user", "add", name)
}

// listeningLine is serve's first line on standard error.
var listeningLine = regexp.MustCompile(`^hsmd \S+ listening on (\S+)$`)

// Start runs "hsmd serve" and waits until it listens; t.Cleanup stops it
// and checks that it exits 0.
func (h *Hsmd) Start(t testing.TB) {
	t.Helper()
	require.Nil(t, h.cmd, "hsmd serve already started")
	h.cmd = exec.Command(h.Bin, "serve", "--config", h.ConfigPath)
	stderr, err := h.cmd.StderrPipe()
	require.NoError(t, err)
	h.cmd.Stdout = &h.logs
	require.NoError(t, h.cmd.Start())
	h.exited = make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			h.logs.WriteLine(line)
			if m := listeningLine.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		h.err = h.cmd.Wait()
		close(h.exited)
	}()
	t.Cleanup(func() { h.Stop(t) })

	timer := time.NewTimer(hsmdStartTimeout)
	defer timer.Stop()
	select {
	case h.Addr = <-addr:
	case <-h.exited:
		t.Fatalf("hsmd serve exited before listening (%v):\n%s", h.err, h.logs.String())
	case <-timer.C:
		t.Fatalf("hsmd serve did not listen within %s:\n%s", hsmdStartTimeout, h.logs.String())
	}
	file, err := os.ReadFile(filepath.Join(h.StateDir, "hsmd.addr"))
	require.NoError(t, err, "hsmd.addr is written before the listening line")
	require.Equal(t, h.Addr, strings.TrimSpace(string(file)))
}

// Pid is serve's process id.
func (h *Hsmd) Pid() int { return h.cmd.Process.Pid }

// Signal sends sig to serve.
func (h *Hsmd) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	require.NoError(t, h.cmd.Process.Signal(sig))
}

// Wait waits for serve to exit, at most timeout, and returns its exit
// error (nil for status 0).
func (h *Hsmd) Wait(t testing.TB, timeout time.Duration) error {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-h.exited:
		return h.err
	case <-timer.C:
		_ = h.cmd.Process.Kill()
		<-h.exited
		t.Fatalf("hsmd serve did not exit within %s:\n%s", timeout, h.logs.String())
		return nil
	}
}

// Stop sends SIGTERM and checks that serve exits 0 within a bound. Stopping
// a stopped hsmd does nothing.
func (h *Hsmd) Stop(t testing.TB) {
	t.Helper()
	if h.cmd == nil {
		return
	}
	select {
	case <-h.exited:
		return
	default:
	}
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("SIGTERM to hsmd serve: %v", err)
	}
	if err := h.Wait(t, hsmdStopTimeout); err != nil {
		t.Errorf("hsmd serve exited with %v:\n%s", err, h.logs.String())
	}
}

// Logs returns everything serve and its workers wrote so far.
func (h *Hsmd) Logs() string { return h.logs.String() }

// ClientTLS is a client configuration that trusts the state's CA.
func (h *Hsmd) ClientTLS(t testing.TB) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(h.CAFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

// Dial opens a TLS 1.3 connection to serve.
func (h *Hsmd) Dial(t testing.TB) *tls.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, "tcp", h.Addr, h.ClientTLS(t))
	require.NoError(t, err)
	return conn
}

// HsmdWorker is a line of hsmd.workers.
type HsmdWorker struct {
	Pid      int
	User     string
	Instance string // hex prefix of the instance id
}

// Workers reads the live workers from hsmd.workers.
func (h *Hsmd) Workers(t testing.TB) []HsmdWorker {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(h.StateDir, "hsmd.workers"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	var out []HsmdWorker
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		require.Len(t, f, 3, "hsmd.workers line %q", line)
		pid, err := strconv.Atoi(f[0])
		require.NoError(t, err)
		out = append(out, HsmdWorker{Pid: pid, User: f[1], Instance: f[2]})
	}
	return out
}

// SyncBuffer collects output from several goroutines (a child process's
// stdout and stderr, a logger) and may be read while they write.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) WriteLine(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
	b.buf.WriteByte('\n')
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
