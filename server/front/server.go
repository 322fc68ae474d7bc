package front

import (
	"context"
	"crypto/tls"
	"errors"
	"maps"
	"net"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/server/worker"
	"github.com/cloudp11/cloudp11/transport"
)

// errShuttingDown refuses handshakes that reach a worker during Shutdown.
var errShuttingDown = &transport.RemoteError{Code: transport.CodeBusy, Detail: "the server is shutting down"}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("front: server closed")

// Server is the front of hsmd. Make it with New, run Serve on a listener,
// end it with Shutdown.
type Server struct {
	cfg          Config
	log          zerolog.Logger
	spawn        spawner
	checkPINOnce pinOnceCheck

	// ctx is cancelled by Shutdown: handshakes in progress and worker
	// spawns end with it.
	ctx    context.Context
	cancel context.CancelFunc

	connSlots chan struct{} // one per client connection being served
	refusing  chan struct{} // one per client being told busy

	mu      sync.Mutex
	closing bool // guarded by mu
	// stopCtx bounds the workers' stop; set with closing, by Shutdown.
	stopCtx    context.Context
	stopCancel context.CancelFunc

	instances map[[16]byte]*instance     // guarded by mu
	procs     map[workerProcess]struct{} // guarded by mu; every live worker, in the table or not
	listeners map[net.Listener]struct{}  // guarded by mu
	conns     map[*clientConn]struct{}   // guarded by mu
	connWG    sync.WaitGroup             // connection goroutines
	spawns    sync.WaitGroup             // instance goroutines (spawn, then watch)
	notifyMu  sync.Mutex                 // serialises OnWorkersChanged
	stopped   chan struct{}              // closed when Shutdown has finished
	stopOnce  sync.Once
}

// New returns a Server for cfg, which it copies.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cfg.Environment = maps.Clone(cfg.Environment)
	if cfg.TLS != nil {
		cfg.TLS = transport.ServerTLSConfig(cfg.TLS)
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = defaultMaxInFlight
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		ctx:       ctx,
		cancel:    cancel,
		connSlots: make(chan struct{}, cfg.MaxConnections),
		refusing:  make(chan struct{}, maxRefusing),
		instances: make(map[[16]byte]*instance),
		procs:     make(map[workerProcess]struct{}),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*clientConn]struct{}),
		stopped:   make(chan struct{}),
	}
	command := cfg.Worker
	s.spawn = func(ctx context.Context, p worker.Params) (workerProcess, error) {
		proc, err := worker.Spawn(ctx, command, p)
		if err != nil {
			return nil, err
		}
		return proc, nil
	}
	s.checkPINOnce = func(ctx context.Context, p worker.Params, pin []byte) error {
		return worker.CheckPINOnce(ctx, command, p, pin)
	}
	return s, nil
}

// defaultMaxInFlight is Hello's max_in_flight when Config leaves it zero:
// the value the transport announces by default, said here because the
// worker must be told the same number.
const defaultMaxInFlight = 256

// Listen listens on addr (TCP) with the server's TLS configuration. Its
// Addr tells the port chosen for ":0".
func (s *Server) Listen(addr string) (net.Listener, error) {
	if s.cfg.TLS == nil {
		return nil, errors.New("front: Listen needs a TLS configuration")
	}
	return transport.Listen("tcp", addr, s.cfg.TLS)
}

// Serve accepts connections on ln until Shutdown (then it returns
// ErrServerClosed) or an accept error that is not temporary. It closes ln.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		_ = ln.Close()
	}()

	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() && !isTemporaryAccept(err) {
				return err
			}
			// Out of file descriptors and the like: wait, as net/http
			// does, rather than spin; Shutdown cuts the wait short.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn().Err(err).Dur("retry_in", backoff).Msg("accept failed")
			timer := time.NewTimer(backoff)
			select {
			case <-timer.C:
			case <-s.ctx.Done():
				timer.Stop()
				return ErrServerClosed
			}
			continue
		}
		backoff = 0
		s.admit(conn)
	}
}

// admit serves conn if a connection slot is free, else tells it busy.
func (s *Server) admit(conn net.Conn) {
	select {
	case s.connSlots <- struct{}{}:
	default:
		s.refuseBusy(conn)
		return
	}
	s.connWG.Add(1)
	go func() {
		defer s.connWG.Done()
		defer func() { <-s.connSlots }()
		s.serveConn(conn)
	}()
}

// refuseBusy tells a client over the connection limit that the server is
// busy (error 6 in answer to Hello), a few at a time; the others are
// closed unanswered.
func (s *Server) refuseBusy(conn net.Conn) {
	select {
	case s.refusing <- struct{}{}:
	default:
		_ = conn.Close()
		return
	}
	s.log.Warn().Str("remote", conn.RemoteAddr().String()).Int("max_connections", s.cfg.MaxConnections).Msg("connection refused: busy")
	s.connWG.Add(1)
	go func() {
		defer s.connWG.Done()
		defer func() { <-s.refusing }()
		defer conn.Close()
		ctx, cancel := context.WithTimeout(s.ctx, min(busyTimeout, s.cfg.HandshakeTimeout))
		defer cancel()
		if tc, ok := conn.(*tls.Conn); ok {
			if err := tc.HandshakeContext(ctx); err != nil {
				return
			}
		}
		stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		h, _, err := transport.ReadFrame(conn, transport.HandshakeMaxFrame)
		if err != nil || h.IsResponse() || h.RequestID() == 0 {
			return
		}
		busy := &transport.RemoteError{Code: transport.CodeBusy, Detail: "the server has as many connections as it may serve; try again later"}
		frame, err := transport.AppendFrame(nil, h.Type(), transport.FlagResponse|transport.FlagError, h.RequestID(), busy, transport.HandshakeMaxFrame)
		if err == nil {
			_, _ = conn.Write(frame)
		}
	}()
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// Shutdown stops the server: it stops accepting, aborts handshakes in
// progress, says Goodbye shutdown to every client, stops the workers
// (they close their sessions and finalize the module) and waits for all
// of it within ctx. When ctx ends first, workers are killed and
// connections closed, and Shutdown returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	first := !s.closing
	if first {
		s.stopCtx, s.stopCancel = context.WithTimeout(ctx, s.cfg.StopTimeout)
		defer s.stopCancel()
	}
	s.closing = true
	for ln := range s.listeners {
		_ = ln.Close()
	}
	procs := make([]workerProcess, 0, len(s.procs))
	for p := range s.procs {
		procs = append(procs, p)
	}
	conns := make([]*clientConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if !first {
		select {
		case <-s.stopped:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.log.Info().Int("connections", len(conns)).Int("workers", len(procs)).Msg("shutting down")
	// Handshakes and spawns in progress end with the server's context.
	s.cancel()
	for _, c := range conns {
		c.shutdown()
	}

	var stops sync.WaitGroup
	for _, p := range procs {
		stops.Go(func() { s.stopWorker(s.stopCtx, p) })
	}
	stops.Wait()

	done := make(chan struct{})
	go func() {
		s.connWG.Wait()
		s.spawns.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
	s.stopOnce.Do(func() { close(s.stopped) })
	s.log.Info().Msg("stopped")
	return nil
}

// stopWorker stops p within the shutdown's StopTimeout (or less when
// Shutdown's ctx says so); Stop kills a worker that takes longer.
func (s *Server) stopWorker(ctx context.Context, p workerProcess) {
	if err := p.Stop(ctx); err != nil {
		s.log.Warn().Err(err).Int("pid", p.Pid()).Msg("worker did not stop cleanly")
	}
}

// track adds c to the live connections, unless the server is closing.
func (s *Server) track(c *clientConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *clientConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}
