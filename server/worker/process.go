package worker

import (
	"context"
	"errors"
	"io"
	"net"
	"time"
)

// Params is what a worker is told at start, over the control socket (never
// argv or the environment: the process table and /proc/PID/environ are
// readable by more people than the state folder).
type Params struct {
	// User is the HSM user, whose partition the worker serves.
	User string
	// Token is the label of the backend token of the partition.
	Token string
	// InstanceID is Hello's instance_id: the application instance served.
	InstanceID [16]byte
	// ClientID is Hello's client_id, for logs and audit records only.
	ClientID string
	// Module is the path of the backend PKCS#11 module.
	Module string
	// Environment is set in the worker's environment before the module is
	// loaded (SOFTHSM2_CONF, a vendor's configuration variable).
	Environment map[string]string
	// StateDir is hsmd's state folder; the worker appends to the partition's
	// audit log in it. Empty: no audit records (tests of the dispatch table).
	StateDir string
	// Lease is how long the worker keeps its sessions once its last
	// connection has ended; then it closes them, finalizes the module and
	// exits. Zero: at once.
	Lease time.Duration
	// MaxSessions bounds the sessions the instance may hold open
	// (CKR_SESSION_COUNT beyond); zero means DefaultMaxSessions.
	MaxSessions int
	// LogLevel is the worker's zerolog level name ("info" when empty).
	LogLevel string
}

// DefaultMaxSessions is Params.MaxSessions when it is zero.
const DefaultMaxSessions = 1024

// Command is how to start a worker process.
type Command struct {
	// Path is the executable: hsmd's own (os.Executable()).
	Path string
	// Args are the arguments after the program name; HsmdCommand uses
	// []string{"worker"}.
	Args []string
	// Env is added to the parent's environment. It must hold no secret.
	Env []string
	// Stderr receives the worker's log lines (zerolog JSON); nil discards them.
	Stderr io.Writer
}

// HsmdCommand is the Command that runs the hidden "hsmd worker" subcommand
// of the hsmd executable at path.
func HsmdCommand(path string, stderr io.Writer) Command {
	return Command{Path: path, Args: []string{"worker"}, Stderr: stderr}
}

// ConnInfo describes a client connection handed to a worker.
type ConnInfo struct {
	// MaxFrame is the frame limit the handshake negotiated.
	MaxFrame uint32
	// MaxInFlight is the max_in_flight the handshake announced.
	MaxInFlight int
	// Remote is the client's network address, for logs and audit records.
	Remote string
}

// Errors of the parent side.
var (
	// ErrGone: the worker has exited, is exiting (its lease expired) or
	// crashed. The front starts a fresh worker for the instance.
	ErrGone = errors.New("worker: the worker process is gone")
	// ErrTokenNotFound: the backend has no token with the partition's label
	// (handshake error partition_unavailable).
	ErrTokenNotFound = errors.New("worker: the partition's token is not present on the backend")
)

// Process is the parent's handle on one worker process.
type Process struct {
	proc *process
}

// Spawn starts a worker with cmd, sends it p over a fresh control socket and
// waits, within ctx, until it has loaded the module and found the token.
// Errors: ErrTokenNotFound (wrapped) when the token is absent, a
// ck.Error-carrying error when the module could not be loaded or
// initialised, ctx's error when the worker was too slow (it is then killed).
func Spawn(ctx context.Context, cmd Command, p Params) (*Process, error) {
	proc, err := spawn(ctx, cmd, p)
	if err != nil {
		return nil, err
	}
	return &Process{proc: proc}, nil
}

// Attach hands a new client connection to the worker: it makes a socketpair,
// passes one end to the worker (SCM_RIGHTS) with info, and returns the other
// end, between which and the client's TLS connection the front copies bytes.
// The worker serves the PKCS#11 protocol on it at once. resumed reports
// whether the instance had sessions open when the worker took the connection
// (UserLogin's resumed); taking a connection stops the lease timer, so the
// sessions cannot expire between this answer and the client's first call.
// Closing the returned conn ends the connection for the worker. Errors:
// ErrGone when the worker has exited or is exiting (spawn a new one).
func (p *Process) Attach(ctx context.Context, info ConnInfo) (conn net.Conn, resumed bool, err error) {
	return p.proc.attach(ctx, info)
}

// CheckPIN verifies pin as the partition's user PIN on the backend token:
// C_OpenSession, C_Login(CKU_USER), C_Logout, C_CloseSession, in the
// worker. It returns nil when the PIN is right, an error matching
// auth.ErrBadPIN (errors.Is) and carrying CKR_PIN_INCORRECT (ck.RVOf) when it
// is wrong, and an error carrying the backend's CK_RV otherwise
// (CKR_PIN_LOCKED...). The PIN travels over the control socket only and is
// never logged. Login state is per application, so a worker whose
// application has sessions open refuses (CKR_SESSION_EXISTS) rather than
// log them in for the check's duration: use CheckPINOnce, which starts a
// worker for the check alone.
func (p *Process) CheckPIN(ctx context.Context, pin []byte) error {
	return p.proc.checkPIN(ctx, pin)
}

// CheckPINOnce starts a short-lived worker for p, checks pin as
// (*Process).CheckPIN does and stops the worker: the FetchSecret case, when the
// HSM user has no application running.
func CheckPINOnce(ctx context.Context, cmd Command, p Params, pin []byte) error {
	proc, err := Spawn(ctx, cmd, p)
	if err != nil {
		return err
	}
	defer proc.Stop(context.WithoutCancel(ctx))
	return proc.CheckPIN(ctx, pin)
}

// Sessions returns the number of PKCS#11 sessions the instance holds open.
func (p *Process) Sessions(ctx context.Context) (int, error) {
	return p.proc.sessions(ctx)
}

// Done is closed when the worker process has exited, whatever the cause;
// its connections are closed by then (their peers see end of file).
func (p *Process) Done() <-chan struct{} { return p.proc.done }

// Err is why the worker ended: nil for a clean exit (lease expiry, Stop),
// an error naming the exit status or signal otherwise. It is nil while the
// worker runs.
func (p *Process) Err() error { return p.proc.err() }

// Wait waits for the worker to exit and returns Err.
func (p *Process) Wait() error {
	<-p.proc.done
	return p.proc.err()
}

// Stop asks the worker to close its sessions, finalize the module and exit,
// and waits for it within ctx; when ctx ends first the worker is killed.
func (p *Process) Stop(ctx context.Context) error { return p.proc.stop(ctx) }

// Kill ends the worker at once (SIGKILL), as a crash would.
func (p *Process) Kill() error { return p.proc.kill() }

// Pid is the worker's process id.
func (p *Process) Pid() int { return p.proc.pid() }
