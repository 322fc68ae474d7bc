package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// firstConnGrace is how long a new worker waits for its first connection
// when its lease is shorter: the front spawns, then attaches, and a lease
// of zero must not end the worker in between. A front that never attaches
// (its handshake failed) leaves a worker that exits after this.
const firstConnGrace = 10 * time.Second

// goodbyeGrace bounds how long a stopping worker waits for its clients'
// connections to take their Goodbye and for the calls in progress.
const goodbyeGrace = 5 * time.Second

// Run is the worker process's main (the child side): it reads its Params
// from control, opens the backend, then serves the connections the front
// passes over control until its lease expires with no connection left, the
// front says stop, the control socket ends (the front is gone) or ctx ends.
// It then closes its sessions, finalizes the module and returns nil; an
// error means the worker could not start. Logs go to logOut (zerolog JSON).
func Run(ctx context.Context, control *net.UnixConn, logOut io.Writer) error {
	defer control.Close()
	buf := make([]byte, maxControlPacket)
	oob := make([]byte, controlOOBSize)
	init, files, err := readControl(control, buf, oob)
	closeFiles(files)
	if err != nil {
		return fmt.Errorf("worker: reading parameters: %w", err)
	}
	if init.Op != opInit || init.Params == nil {
		return fmt.Errorf("worker: first control message is %q, not init", init.Op)
	}
	p := *init.Params
	log := newLogger(logOut, p)
	srv, err := Open(p, log)
	if err != nil {
		reply := &controlMsg{ID: init.ID, Error: err.Error(), RV: uint64(ck.RVOf(err)), NotFound: errors.Is(err, ErrTokenNotFound)}
		_ = writeControl(control, reply, nil)
		log.Error().Err(err).Msg("worker cannot start")
		return err
	}
	r := &runner{srv: srv, ctl: control, log: log, lease: p.Lease, conns: map[net.Conn]*transport.ServerConn{}, expired: make(chan struct{}, 1)}
	if err := r.reply(&controlMsg{ID: init.ID}); err != nil {
		srv.Close()
		return err
	}
	log.Info().Str("token", p.Token).Msg("worker ready")
	r.armLease(max(p.Lease, firstConnGrace))
	return r.loop(ctx, buf, oob)
}

func newLogger(out io.Writer, p Params) zerolog.Logger {
	if out == nil {
		out = io.Discard
	}
	level, err := zerolog.ParseLevel(p.LogLevel)
	if err != nil || p.LogLevel == "" {
		level = zerolog.InfoLevel
	}
	return zerolog.New(out).Level(level).With().Timestamp().Str("component", "worker").
		Int("pid", os.Getpid()).Str("user", p.User).Logger()
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// runner is a worker's life after start: its connections and its lease.
type runner struct {
	srv   *Server
	ctl   *net.UnixConn
	log   zerolog.Logger
	lease time.Duration

	writeMu sync.Mutex // one control packet at a time

	mu      sync.Mutex // guards conns, exiting, timer
	conns   map[net.Conn]*transport.ServerConn
	exiting bool
	timer   *time.Timer
	serving sync.WaitGroup
	expired chan struct{}
}

func (r *runner) reply(m *controlMsg) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	return writeControl(r.ctl, m, nil)
}

// armLease starts the lease timer; r.mu must not be held.
func (r *runner) armLease(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.armLeaseLocked(d)
}

func (r *runner) armLeaseLocked(d time.Duration) {
	if r.timer != nil {
		r.timer.Stop()
	}
	r.timer = time.AfterFunc(d, func() {
		select {
		case r.expired <- struct{}{}:
		default:
		}
	})
}

type controlRead struct {
	m     *controlMsg
	files []*os.File
	err   error
}

func (r *runner) loop(ctx context.Context, buf, oob []byte) error {
	msgs := make(chan controlRead)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for {
			m, files, err := readControl(r.ctl, buf, oob)
			select {
			case msgs <- controlRead{m, files, err}:
			case <-quit:
				closeFiles(files)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	serveCtx, cancelServe := context.WithCancel(ctx)
	defer cancelServe()
	var stopID uint64
	var stopRequested bool
	for !stopRequested {
		select {
		case <-ctx.Done():
			r.log.Info().Msg("worker stopping: cancelled")
			stopRequested = true
		case <-r.expired:
			if r.tryExpire() {
				r.log.Info().Dur("lease", r.lease).Msg("worker stopping: lease expired")
				stopRequested = true
			}
		case in := <-msgs:
			if in.err != nil {
				if !errors.Is(in.err, errControlClosed) && !errors.Is(in.err, io.EOF) {
					r.log.Error().Err(in.err).Msg("control socket failed")
				} else {
					r.log.Info().Msg("worker stopping: the front closed the control socket")
				}
				stopRequested = true
				break
			}
			switch in.m.Op {
			case opAttach:
				r.attach(serveCtx, in.m, in.files)
				continue
			case opStop:
				closeFiles(in.files)
				stopID = in.m.ID
				stopRequested = true
				r.log.Info().Msg("worker stopping: asked by the front")
				continue
			}
			closeFiles(in.files)
			r.handleControl(in.m)
		}
	}
	r.mu.Lock()
	r.exiting = true
	if r.timer != nil {
		r.timer.Stop()
	}
	for _, sc := range r.conns {
		// Goodbye closes the connection once it is written (bounded by
		// the write timeout), so clients learn why.
		sc.Goodbye(transport.GoodbyeShutdown, "the worker of this application is stopping")
	}
	r.mu.Unlock()
	served := make(chan struct{})
	go func() {
		r.serving.Wait()
		close(served)
	}()
	select {
	case <-served:
	case <-time.After(goodbyeGrace):
		// A client that does not read its Goodbye is cut off.
		cancelServe()
		<-served
	}
	err := r.srv.Close()
	if err != nil {
		r.log.Warn().Err(err).Msg("finalizing the module")
	}
	if stopID != 0 {
		_ = r.reply(&controlMsg{ID: stopID})
	}
	r.ctl.Close()
	return nil
}

// tryExpire ends the worker's life when the lease fired with no
// connection: an attach may have raced the timer.
func (r *runner) tryExpire() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.conns) > 0 || r.exiting {
		return false
	}
	r.exiting = true
	return true
}

func (r *runner) attach(ctx context.Context, m *controlMsg, files []*os.File) {
	if len(files) != 1 || m.Conn == nil {
		closeFiles(files)
		_ = r.reply(&controlMsg{ID: m.ID, Error: fmt.Sprintf("attach needs one descriptor and conn info, got %d descriptors", len(files))})
		return
	}
	conn, err := net.FileConn(files[0])
	files[0].Close()
	if err != nil {
		_ = r.reply(&controlMsg{ID: m.ID, Error: "attach: " + err.Error()})
		return
	}
	info := *m.Conn
	r.mu.Lock()
	if r.exiting {
		r.mu.Unlock()
		conn.Close()
		_ = r.reply(&controlMsg{ID: m.ID, Gone: true})
		return
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	sc := r.srv.newConn(conn, info)
	r.conns[conn] = sc
	r.serving.Add(1)
	resumed := r.srv.Sessions() > 0
	r.mu.Unlock()
	if err := r.reply(&controlMsg{ID: m.ID, Resumed: resumed}); err != nil {
		r.log.Error().Err(err).Msg("answering attach")
	}
	r.log.Info().Str("remote", info.Remote).Bool("resumed", resumed).Msg("connection attached")
	go func() {
		defer r.serving.Done()
		err := r.srv.serveConn(ctx, sc, info)
		conn.Close()
		if err != nil {
			r.log.Info().Err(err).Str("remote", info.Remote).Msg("connection ended")
		}
		r.mu.Lock()
		delete(r.conns, conn)
		if len(r.conns) == 0 && !r.exiting {
			r.armLeaseLocked(r.lease)
		}
		r.mu.Unlock()
	}()
}

func (r *runner) handleControl(m *controlMsg) {
	switch m.Op {
	case opSessions:
		_ = r.reply(&controlMsg{ID: m.ID, Sessions: r.srv.Sessions()})
	case opCheckPIN:
		pin := m.PIN
		m.PIN = nil
		// A PIN check can take the backend a while (SoftHSM derives a key
		// from the PIN): off the control loop.
		r.serving.Add(1)
		go func() {
			defer r.serving.Done()
			rv := r.srv.CheckPIN(pin)
			clear(pin)
			outcome := "ok"
			if rv != ck.CKR_OK {
				outcome = rv.String()
			}
			r.log.Info().Str("outcome", outcome).Msg("PIN check")
			_ = r.reply(&controlMsg{ID: m.ID, RV: uint64(rv)})
		}()
	default:
		_ = r.reply(&controlMsg{ID: m.ID, Error: fmt.Sprintf("unknown control operation %q", m.Op)})
	}
}
