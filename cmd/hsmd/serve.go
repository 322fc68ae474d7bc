package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/front"
	"github.com/cloudp11/cloudp11/server/hsmdconfig"
	"github.com/cloudp11/cloudp11/server/registry"
	"github.com/cloudp11/cloudp11/server/worker"
)

// Files hsmd serve keeps in the state folder while it runs.
const (
	// AddrFile holds the address serve listens on, one line, written once
	// the listener is up (so "listen = 127.0.0.1:0" can be found).
	AddrFile = "hsmd.addr"
	// WorkersFile lists the live workers, "PID USER INSTANCE" per line.
	WorkersFile = "hsmd.workers"
)

// shutdownTimeout bounds the whole of a shutdown after SIGTERM or SIGINT.
const shutdownTimeout = 30 * time.Second

func (a *app) serveCommand() command {
	return command{run: func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 0, 0, ""); err != nil {
			return err
		}
		cfg, err := e.config()
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		return a.serve(ctx, cfg)
	}}
}

// serve runs the service until ctx ends (a signal), then shuts it down.
func (a *app) serve(ctx context.Context, cfg *hsmdconfig.Config) error {
	log, closeLog, err := cfg.Log.NewLogger(a.stderr)
	if err != nil {
		return err
	}
	defer closeLog.Close()
	workerLog, closeWorkerLog, err := workerLogOutput(cfg, a.stderr)
	if err != nil {
		return err
	}
	defer closeWorkerLog.Close()

	store := registry.NewStore(cfg.StateDir)
	reg, err := store.Load()
	if err != nil {
		return fmt.Errorf("state folder %s: %w", cfg.StateDir, err)
	}
	if err := cfg.CheckRegistry(reg); err != nil {
		// Those users get partition_unavailable; the others are served.
		log.Warn().Err(err).Msg("the registry and the configuration disagree")
	}
	cert, err := tls.LoadX509KeyPair(cfg.CertFile(), cfg.KeyFile())
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	auditLog, err := audit.Open(cfg.StateDir, nil)
	if err != nil {
		return err
	}
	defer auditLog.Close()
	authority, err := auth.New(auth.Options{
		Store: store, Audit: auditLog, Policy: cfg.AuthPolicy(), Partitions: cfg.PartitionMap(),
		OnAuditError: func(err error) { log.Error().Err(err).Msg("audit log write failed") },
	})
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding hsmd's executable for its workers: %w", err)
	}

	srv, err := front.New(front.Config{
		TLS:              &tls.Config{Certificates: []tls.Certificate{cert}},
		StateDir:         cfg.StateDir,
		ServerVersion:    "hsmd " + version,
		Authority:        authority,
		Logger:           log,
		MaxConnections:   cfg.Limits.MaxConnections,
		MaxFrame:         uint32(cfg.Limits.MaxFrameSize),
		HandshakeTimeout: cfg.Limits.HandshakeTimeout,
		Lease:            cfg.Limits.LeasePeriod,
		MaxSessions:      cfg.Limits.MaxSessionsPerApplication,
		Worker:           worker.HsmdCommand(exe, workerLog),
		Module:           cfg.Backend.Module,
		Environment:      cfg.Backend.Environment,
		WorkerLogLevel:   cfg.Log.Level,
		OnWorkersChanged: func(ws []front.WorkerInfo) { writeWorkersFile(cfg.StateDir, ws, log) },
	})
	if err != nil {
		return err
	}

	// A file left by a serve that crashed must not send anyone to a
	// stale address.
	removeRunFiles(cfg.StateDir)
	ln, err := srv.Listen(cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	defer removeRunFiles(cfg.StateDir)
	addr := ln.Addr().String()
	if err := registry.WriteFileAtomic(cfg.StateDir, AddrFile, []byte(addr+"\n"), 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("writing %s: %w", AddrFile, err)
	}
	fmt.Fprintf(a.stderr, "hsmd %s listening on %s\n", version, addr)
	log.Info().Str("addr", addr).Str("version", version).Str("state", cfg.StateDir).Str("module", cfg.Backend.Module).Msg("listening")

	shutdownDone := make(chan error, 1)
	go func() {
		<-ctx.Done()
		log.Info().Msg("signal received: shutting down")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		shutdownDone <- srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, front.ErrServerClosed) {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return fmt.Errorf("serving %s: %w", addr, err)
	}
	if err := <-shutdownDone; err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// workerLogOutput is where workers write their log lines: the service's
// log file, or standard error.
func workerLogOutput(cfg *hsmdconfig.Config, stderr io.Writer) (io.Writer, io.Closer, error) {
	if cfg.Log.File == "" {
		return stderr, io.NopCloser(nil), nil
	}
	f, err := os.OpenFile(cfg.Log.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log.file: %w", err)
	}
	return f, f, nil
}

// writeWorkersFile replaces hsmd.workers with the live workers.
func writeWorkersFile(stateDir string, workers []front.WorkerInfo, log zerolog.Logger) {
	var b strings.Builder
	for _, w := range workers {
		fmt.Fprintf(&b, "%d %s %s\n", w.Pid, w.User, w.Instance)
	}
	if err := registry.WriteFileAtomic(stateDir, WorkersFile, []byte(b.String()), 0o600); err != nil {
		log.Warn().Err(err).Msg("cannot write " + WorkersFile)
	}
}

func removeRunFiles(stateDir string) {
	for _, name := range []string{AddrFile, WorkersFile} {
		_ = os.Remove(filepath.Join(stateDir, name))
	}
}
