package front

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/worker"
	"github.com/cloudp11/cloudp11/transport"
)

// Defaults of Config.
const (
	DefaultMaxConnections = 1024
	DefaultSpawnTimeout   = 30 * time.Second
	DefaultStopTimeout    = 10 * time.Second
	// maxRefusing bounds the connections being told "busy" at once; beyond
	// it they are closed unanswered, so a flood costs a goroutine each for
	// a moment at most.
	maxRefusing = 16
	// busyTimeout bounds the TLS handshake and Hello of a refused client.
	busyTimeout = 2 * time.Second
	// goodbyeTimeout bounds the write of a Goodbye the front sends itself.
	goodbyeTimeout = time.Second
	// writeTimeout bounds each write to a client: one that stops reading
	// for longer loses its connection.
	writeTimeout = 30 * time.Second
)

// Config configures a Server. Zero values take the defaults listed.
type Config struct {
	// TLS carries the server certificate; the front applies
	// transport.ServerTLSConfig (TLS 1.3 only, ALPN). Nil serves the
	// protocol without TLS: for tests over pipes only.
	TLS *tls.Config
	// StateDir is hsmd's state folder, for the audit log (mode audit_log)
	// and the workers' audit records.
	StateDir string
	// ServerVersion is Hello's server_version ("hsmd 1.2.0").
	ServerVersion string
	// Authority checks every credential. Required.
	Authority *auth.Authority
	// Logger receives the service log; the zero Logger discards.
	Logger zerolog.Logger

	// MaxConnections bounds client connections (DefaultMaxConnections).
	MaxConnections int
	// MaxWorkers bounds application instances with a live worker
	// (MaxConnections).
	MaxWorkers int
	// MaxFrame is the largest frame body offered in Hello
	// (transport.DefaultMaxFrame); the handshake keeps it in the
	// protocol's range.
	MaxFrame uint32
	// MaxInFlight is Hello's max_in_flight (the transport's default, 256).
	MaxInFlight uint32
	// HandshakeTimeout bounds TLS and the protocol handshake together
	// (transport.DefaultHandshakeTimeout).
	HandshakeTimeout time.Duration
	// Lease is how long a worker keeps an instance's sessions after its
	// last connection ended (UserLogin's lease). Zero: they close at once.
	Lease time.Duration
	// MaxSessions bounds each instance's sessions (the worker's default).
	MaxSessions int

	// Worker is how worker processes are started (worker.HsmdCommand of
	// hsmd's executable). Required unless a test replaces the spawner.
	Worker worker.Command
	// Module and Environment are the backend PKCS#11 module and the
	// environment its workers load it with.
	Module      string
	Environment map[string]string
	// WorkerLogLevel is the workers' log level name ("info" when empty).
	WorkerLogLevel string
	// SpawnTimeout bounds a worker's start: loading the module and finding
	// the token (DefaultSpawnTimeout).
	SpawnTimeout time.Duration
	// StopTimeout is how long Shutdown lets workers close their sessions
	// before killing them (DefaultStopTimeout), when its own ctx allows.
	StopTimeout time.Duration
	// OnWorkersChanged, when set, is called with the live workers after
	// each start and exit (hsmd serve writes them to hsmd.workers). Calls
	// are serialised.
	OnWorkersChanged func([]WorkerInfo)
}

// WorkerInfo describes a live worker, for operators and tests.
type WorkerInfo struct {
	Pid int
	// User is the HSM user whose partition the worker serves.
	User string
	// Instance is the hex prefix of the application instance id that
	// logs also show.
	Instance string
}

func (c Config) withDefaults() Config {
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.MaxWorkers == 0 {
		c.MaxWorkers = c.MaxConnections
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = transport.DefaultMaxFrame
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = transport.DefaultHandshakeTimeout
	}
	if c.SpawnTimeout == 0 {
		c.SpawnTimeout = DefaultSpawnTimeout
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	return c
}

// Validate checks what the defaults cannot fill in.
func (c Config) Validate() error {
	var errs []error
	if c.Authority == nil {
		errs = append(errs, errors.New("front: no Authority"))
	}
	if c.MaxConnections < 0 {
		errs = append(errs, fmt.Errorf("front: MaxConnections %d is negative", c.MaxConnections))
	}
	if c.MaxWorkers < 0 {
		errs = append(errs, fmt.Errorf("front: MaxWorkers %d is negative", c.MaxWorkers))
	}
	if c.HandshakeTimeout < 0 || c.Lease < 0 || c.SpawnTimeout < 0 || c.StopTimeout < 0 {
		errs = append(errs, errors.New("front: a timeout or the lease is negative"))
	}
	if c.Lease/time.Second > 1<<32-1 {
		errs = append(errs, fmt.Errorf("front: lease %s does not fit UserLogin's u32 seconds", c.Lease))
	}
	return errors.Join(errs...)
}
