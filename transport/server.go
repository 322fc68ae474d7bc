package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// Inbound is a request as a handler sees it.
type Inbound struct {
	ID      uint64
	Type    MsgType
	Retry   bool // resent after a connection failed (docs/protocol.md 8.3)
	Request Request
}

// Handler serves one message type. It returns the response, or an error:
// a *RemoteError is sent as an error frame; for PKCS#11 messages any other
// error becomes a response that carries only ck.RVOf(err) (for a fused
// message, with stage init: return a response to say otherwise); for the
// others it becomes error code internal (the error text is not sent: it may
// say more than a client should know).
type Handler func(ctx context.Context, in *Inbound) (Message, error)

// Dispatcher is the server's table of handlers keyed by message type (the
// dispatch table of docs/protocol.md; yamux's handlers). Register handlers
// before serving; it is read-only afterwards and may be shared by many
// connections.
type Dispatcher struct {
	handlers map[MsgType]Handler
}

// NewDispatcher returns an empty table.
func NewDispatcher() *Dispatcher { return &Dispatcher{handlers: make(map[MsgType]Handler)} }

// HandleFunc registers h for t. It panics on a type that clients cannot
// send after the handshake (the handshake has its own Authenticator; Ping is
// answered by the connection), as http.HandleFunc panics on a bad pattern:
// a programming error found at start-up.
func (d *Dispatcher) HandleFunc(t MsgType, h Handler) {
	spec, ok := msgSpecs[t]
	if !ok || spec.newRequest == nil || spec.phase == PhaseHandshake || t == MsgPing {
		panic(fmt.Sprintf("transport: no handler can serve %s", t))
	}
	d.handlers[t] = h
}

// Handle registers a typed handler: Req is the request's pointer type and
// Resp the response's. It panics when Resp is not the response type of
// Req's message.
func Handle[Req Request, Resp Message](d *Dispatcher, h func(ctx context.Context, in *Inbound, req Req) (Resp, error)) {
	var zero Req
	t := zero.Type() // Type never reads its receiver, so a nil pointer answers
	spec, ok := msgSpecs[t]
	if !ok || spec.newResponse == nil {
		panic(fmt.Sprintf("transport: no handler can serve %s", t))
	}
	if want := reflect.TypeOf(spec.newResponse()); want != reflect.TypeFor[Resp]() {
		panic(fmt.Sprintf("transport: %s answers with %s, not %s", t, want, reflect.TypeFor[Resp]()))
	}
	d.HandleFunc(t, func(ctx context.Context, in *Inbound) (Message, error) {
		resp, err := h(ctx, in, in.Request.(Req))
		if err != nil {
			return nil, err
		}
		return resp, nil
	})
}

// ServerConfig holds a connection's limits, normally those the handshake
// announced.
type ServerConfig struct {
	MaxFrame     uint32        // body limit both ways; default DefaultMaxFrame
	MaxInFlight  int           // requests served at once; default 64
	WriteTimeout time.Duration // default 30 s
}

const defaultMaxInFlight = 64

func (cfg ServerConfig) withDefaults() ServerConfig {
	if cfg.MaxFrame == 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = defaultMaxInFlight
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = defaultWriteTimeout
	}
	return cfg
}

// ServerConn serves requests on one connection after the handshake: a
// reader that hands each request to its handler in a goroutine (at most
// MaxInFlight at once: the reader stops reading while all are busy), and the
// batching writer for the responses.
type ServerConn struct {
	conn   net.Conn
	cfg    ServerConfig
	d      *Dispatcher
	writer *frameWriter
	slots  chan struct{}

	closeOnce sync.Once
	closing   atomic.Bool // set when Goodbye or Close ends the connection
	mu        sync.Mutex
	inFlight  map[uint64]bool // request ids being served; guarded by mu
}

// NewServerConn prepares to serve conn with d. Serve runs it.
func NewServerConn(conn net.Conn, d *Dispatcher, cfg ServerConfig) *ServerConn {
	cfg = cfg.withDefaults()
	s := &ServerConn{
		conn:     conn,
		cfg:      cfg,
		d:        d,
		slots:    make(chan struct{}, cfg.MaxInFlight),
		inFlight: make(map[uint64]bool),
	}
	// Room for every response in flight, a Ping answer and a Goodbye.
	s.writer = newFrameWriter(conn, cfg.MaxInFlight+2, cfg.WriteTimeout, func(error) { _ = conn.Close() })
	return s
}

// Serve reads and serves requests until the connection ends, then waits for
// the handlers (their ctx is cancelled) and the writer. It returns nil when
// the peer closed the connection cleanly or Close/Goodbye ended it, and the
// reason otherwise; a protocol violation is answered with Goodbye first.
func (s *ServerConn) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var handlers sync.WaitGroup
	defer func() {
		cancel()
		handlers.Wait()
		s.writer.close()
		_ = s.conn.Close()
	}()
	stop := context.AfterFunc(ctx, func() { _ = s.conn.Close() })
	defer stop()

	for {
		h, body, err := ReadFrame(s.conn, s.cfg.MaxFrame)
		if err != nil {
			return s.readError(ctx, err)
		}
		if err := s.admit(h); err != nil {
			s.Goodbye(GoodbyeProtocolViolation, err.Error())
			return err
		}
		if h.Type() == MsgPing {
			s.answerPing(h, body)
			continue
		}
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		handlers.Add(1)
		go func() {
			defer handlers.Done()
			defer func() { <-s.slots }()
			s.serve(ctx, h, body)
		}()
	}
}

func (s *ServerConn) readError(ctx context.Context, err error) error {
	var te *Error
	if errors.As(err, &te) && te.Kind == KindProtocol {
		s.Goodbye(GoodbyeProtocolViolation, err.Error())
		return err
	}
	if errors.Is(err, io.EOF) || ctx.Err() != nil || s.closed() {
		return nil
	}
	return &Error{Kind: KindConnectionLost, Op: "read", Err: err}
}

// admit checks what only the connection can: a request, with an id not in
// use.
func (s *ServerConn) admit(h Header) error {
	if h.IsResponse() {
		return protocolErrorf("%s: a client sent a response", h)
	}
	if h.RequestID() == 0 {
		return protocolErrorf("%s: request id 0 is reserved", h)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight[h.RequestID()] {
		return protocolErrorf("%s: request id already in flight", h)
	}
	s.inFlight[h.RequestID()] = true
	return nil
}

func (s *ServerConn) done(id uint64) {
	s.mu.Lock()
	delete(s.inFlight, id)
	s.mu.Unlock()
}

func (s *ServerConn) answerPing(h Header, body []byte) {
	defer s.done(h.RequestID())
	req, err := DecodeRequest(MsgPing, body)
	if err != nil {
		s.sendError(h, remoteErrorf(CodeMalformed, "%v", err))
		return
	}
	s.send(h, &PingResponse{Nonce: req.(*PingRequest).Nonce})
}

// serve runs one request's handler and sends its answer.
func (s *ServerConn) serve(ctx context.Context, h Header, body []byte) {
	defer s.done(h.RequestID())
	t := h.Type()
	spec, known := msgSpecs[t]
	handler := s.d.handlers[t]
	switch {
	case known && spec.phase == PhaseHandshake:
		s.sendError(h, remoteErrorf(CodeNotAllowed, "%s is a handshake message; the handshake is over", t))
		return
	case handler == nil:
		s.sendError(h, remoteErrorf(CodeUnknownMessage, "%s is not served on this connection", t))
		return
	}
	req, err := DecodeRequest(t, body)
	if err != nil {
		s.sendError(h, remoteErrorf(CodeMalformed, "%v", err))
		return
	}
	resp, err := s.call(ctx, handler, &Inbound{ID: h.RequestID(), Type: t, Retry: h.Flags()&FlagRetry != 0, Request: req})
	if err == nil && (resp == nil || reflect.TypeOf(resp) != reflect.TypeOf(spec.newResponse())) {
		err = &ck.Error{RV: ck.CKR_GENERAL_ERROR, Op: t.String(), Err: fmt.Errorf("the handler answered %T", resp)}
	}
	if err != nil {
		var remote *RemoteError
		if errors.As(err, &remote) {
			s.sendError(h, remote)
			return
		}
		result, ok := newResult(t)
		if !ok {
			s.sendError(h, remoteErrorf(CodeInternal, "%s failed", t))
			return
		}
		result.setReturnValue(ck.RVOf(err))
		resp = result
	}
	s.send(h, resp)
}

// call runs the handler, turning a panic into an error: one bad request
// must not take down the connection, let alone the service.
func (s *ServerConn) call(ctx context.Context, handler Handler, in *Inbound) (resp Message, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, &ck.Error{RV: ck.CKR_GENERAL_ERROR, Op: in.Type.String(), Err: fmt.Errorf("handler panic: %v\n%s", p, debug.Stack())}
		}
	}()
	return handler(ctx, in)
}

// send writes a response; one that cannot be encoded or is too large is
// replaced by a CK_RV-only answer (or an error frame) so the client is never
// left waiting.
func (s *ServerConn) send(h Header, resp Message) {
	frame, err := AppendFrame(nil, h.Type(), FlagResponse, h.RequestID(), resp, s.cfg.MaxFrame)
	if err != nil {
		result, ok := newResult(h.Type())
		if !ok {
			s.sendError(h, remoteErrorf(CodeInternal, "%s: the answer cannot be sent", h.Type()))
			return
		}
		// Too large: the device cannot return that much. Anything else the
		// encoder refuses is the server's bug, not the caller's argument.
		rv := ck.CKR_GENERAL_ERROR
		var te *Error
		if errors.As(err, &te) && te.Kind == KindTooLarge {
			rv = ck.CKR_DEVICE_MEMORY
		}
		result.setReturnValue(rv)
		if frame, err = AppendFrame(nil, h.Type(), FlagResponse, h.RequestID(), result, s.cfg.MaxFrame); err != nil {
			return // a CK_RV-only answer always fits; unreachable
		}
	}
	s.writer.enqueue(outFrame{data: frame})
}

func (s *ServerConn) sendError(h Header, e *RemoteError) {
	frame, err := AppendFrame(nil, h.Type(), FlagResponse|FlagError, h.RequestID(), e, s.cfg.MaxFrame)
	if err != nil {
		frame, _ = AppendFrame(nil, h.Type(), FlagResponse|FlagError, h.RequestID(), &RemoteError{Code: e.Code}, s.cfg.MaxFrame)
	}
	s.writer.enqueue(outFrame{data: frame})
}

// Goodbye sends Goodbye with reason and ends the connection once the
// writer has flushed it (and the responses queued before it). Detail must
// not hold secrets.
func (s *ServerConn) Goodbye(reason GoodbyeReason, detail string) {
	if len(detail) > maxDetailLen {
		detail = strings.ToValidUTF8(detail[:maxDetailLen], "")
	}
	s.closing.Store(true)
	frame, err := AppendFrame(nil, MsgGoodbye, 0, 0, &Goodbye{Reason: reason, Detail: detail}, s.cfg.MaxFrame)
	if err == nil {
		s.writer.enqueue(outFrame{data: frame, last: true})
	}
	s.closeOnce.Do(func() {
		// Close once the Goodbye is out (or the writer failed): the write
		// timeout bounds the wait for a peer that does not read.
		go func() {
			<-s.writer.done
			_ = s.conn.Close()
		}()
	})
}

// Close ends the connection without a Goodbye.
func (s *ServerConn) Close() {
	s.closing.Store(true)
	_ = s.conn.Close()
}

func (s *ServerConn) closed() bool { return s.closing.Load() }
