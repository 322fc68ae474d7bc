package worker

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"sync"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Server serves the PKCS#11 messages of one application instance on one
// partition's token.
type Server struct {
	b           *backend
	log         zerolog.Logger
	audit       *audit.Log // nil: no audit records
	user        string
	peer        audit.Peer
	maxSessions int
	dispatcher  *transport.Dispatcher
	// handlers mirrors the dispatcher's table, so tests and the fuzz target
	// call handlers directly and see their panics.
	handlers map[transport.MsgType]transport.Handler
	retry    *retryMemory

	// life is held shared by every call into the backend and exclusively
	// by Close, so the module is never finalized under a call.
	life sync.RWMutex

	mu       sync.Mutex // guards the tables below and closed
	sessions map[ck.SessionHandle]*session
	objects  map[ck.ObjectHandle]*objectEntry
	opening  int // sessions being opened, counted against maxSessions
	closed   bool
}

// Open loads the backend module of p, finds the partition's token and
// prepares the dispatch table. The module's environment (p.Environment) is
// set in this process first. Close releases everything.
func Open(p Params, log zerolog.Logger) (*Server, error) {
	if err := setEnvironment(p.Environment); err != nil {
		return nil, err
	}
	b, err := openBackend(p.Module, p.Token)
	if err != nil {
		return nil, err
	}
	s := &Server{
		b:           b,
		log:         log,
		user:        p.User,
		peer:        audit.Peer{ClientID: p.ClientID, AppID: hex.EncodeToString(p.InstanceID[:])},
		maxSessions: p.MaxSessions,
		sessions:    map[ck.SessionHandle]*session{},
		objects:     map[ck.ObjectHandle]*objectEntry{},
		handlers:    map[transport.MsgType]transport.Handler{},
		retry:       newRetryMemory(p.Lease),
	}
	if s.maxSessions <= 0 {
		s.maxSessions = DefaultMaxSessions
	}
	if p.StateDir != "" && p.User != "" {
		if s.audit, err = audit.Open(p.StateDir, nil); err != nil {
			b.close()
			return nil, fmt.Errorf("worker: audit log: %w", err)
		}
	}
	s.dispatcher = transport.NewDispatcher()
	s.register()
	return s, nil
}

// Dispatcher is the table of handlers, for a transport.ServerConn.
func (s *Server) Dispatcher() *transport.Dispatcher { return s.dispatcher }

// Serve serves one client connection until it ends.
func (s *Server) Serve(ctx context.Context, conn net.Conn, info ConnInfo) error {
	return s.serveConn(ctx, s.newConn(conn, info), info)
}

func (s *Server) newConn(conn net.Conn, info ConnInfo) *transport.ServerConn {
	return transport.NewServerConn(conn, s.dispatcher, transport.ServerConfig{MaxFrame: info.MaxFrame, MaxInFlight: info.MaxInFlight})
}

func (s *Server) serveConn(ctx context.Context, sc *transport.ServerConn, info ConnInfo) error {
	return sc.Serve(context.WithValue(ctx, connInfoKey{}, info))
}

type connInfoKey struct{}

// frameLimit is the frame limit of the connection a handler serves.
func frameLimit(ctx context.Context) uint32 {
	if info, ok := ctx.Value(connInfoKey{}).(ConnInfo); ok && info.MaxFrame != 0 {
		return info.MaxFrame
	}
	return transport.DefaultMaxFrame
}

// responseRoom is what a response may hold besides its fixed fields: the
// frame limit less room for rv, counts and lengths.
func responseRoom(ctx context.Context) int { return int(frameLimit(ctx)) - 64 }

// Sessions is the number of open sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close closes every session, finalizes the module and unloads it. It
// waits for the calls in progress; calls that come later answer
// CKR_DEVICE_REMOVED.
func (s *Server) Close() error {
	s.life.Lock()
	defer s.life.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	sessions := s.sessions
	s.sessions = map[ck.SessionHandle]*session{}
	s.objects = map[ck.ObjectHandle]*objectEntry{}
	s.mu.Unlock()
	for _, sess := range sessions {
		sess.closed = true // no call holds sess.mu: they all hold life
		sess.forgetOperations()
	}
	if len(sessions) > 0 {
		if err := s.b.ctx.CloseAllSessions(s.b.slot); err != nil {
			s.log.Warn().Err(err).Msg("closing the sessions at exit")
		}
	}
	err := s.b.close()
	if s.audit != nil {
		s.audit.Close()
	}
	if err != nil {
		return backendErr("C_Finalize", err)
	}
	return nil
}

// enter admits a call into the backend; the caller calls s.life.RUnlock
// when it returns nil.
func (s *Server) enter(op string) error {
	s.life.RLock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.life.RUnlock()
		return ck.Errorf(ck.CKR_DEVICE_REMOVED, op, "the worker has closed the backend")
	}
	return nil
}

// CheckPIN verifies pin as the token's user PIN with a session of its own:
// C_OpenSession, C_Login(CKU_USER), C_Logout, C_CloseSession. Login state
// is per application, so while the check runs every session of this
// process is logged in: a Server with application sessions open refuses
// with CKR_SESSION_EXISTS instead of lending them that login (the front
// checks PINs in a worker of their own, CheckPINOnce).
func (s *Server) CheckPIN(pin []byte) ck.RV {
	if err := s.enter("check PIN"); err != nil {
		return ck.RVOf(err)
	}
	defer s.life.RUnlock()
	s.mu.Lock()
	busy := len(s.sessions) > 0
	s.mu.Unlock()
	if busy {
		return ck.CKR_SESSION_EXISTS
	}
	sh, err := s.b.ctx.OpenSession(s.b.slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		return rvOf(err)
	}
	defer s.b.ctx.CloseSession(sh)
	err = s.b.ctx.Login(sh, uint(ck.CKU_USER), string(pin))
	rv := rvOf(err)
	if rv == ck.CKR_OK {
		if lerr := s.b.ctx.Logout(sh); lerr != nil {
			s.log.Warn().Str("rv", rvOf(lerr).String()).Msg("logout after the PIN check")
		}
	}
	return rv
}

// register fills the dispatch table.
func (s *Server) register() {
	s.registerToken()
	s.registerSessions()
	s.registerObjects()
	s.registerCrypt()
	s.registerDigest()
	s.registerSign()
	s.registerVerify()
	s.registerDual()
	s.registerKeys()
}

// Capabilities are what a Server serves, for the front's Hello: fused
// messages and retry memory (retry.go).
const Capabilities = transport.CapFused | transport.CapRetryMemory

// handle registers a typed handler in the dispatcher and in s.handlers;
// object-creating messages go through the retry memory.
func handle[Req transport.Request, Resp transport.Message](s *Server, h func(ctx context.Context, in *transport.Inbound, req Req) (Resp, error)) {
	var zero Req
	t := zero.Type()
	typed := func(ctx context.Context, in *transport.Inbound) (transport.Message, error) {
		if err := s.enter(t.String()); err != nil {
			return nil, err
		}
		defer s.life.RUnlock()
		resp, err := h(ctx, in, in.Request.(Req))
		if err != nil {
			return nil, err
		}
		return resp, nil
	}
	if objectCreating[t] {
		plain := typed
		typed = func(ctx context.Context, in *transport.Inbound) (transport.Message, error) {
			return s.retry.run(ctx, in, plain)
		}
	}
	// The dispatcher checks Resp against the message's response type.
	transport.Handle(s.dispatcher, func(ctx context.Context, in *transport.Inbound, req Req) (Resp, error) {
		var none Resp
		resp, err := typed(ctx, in)
		if err != nil {
			return none, err
		}
		return resp.(Resp), nil
	})
	s.handlers[t] = typed
}
