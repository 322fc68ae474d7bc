package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// RequestIDs hands out request ids. One RequestIDs serves every connection
// of an application instance, so an id names one call across reconnects
// (docs/protocol.md 8.3). The zero value is ready; ids start at 1.
type RequestIDs struct{ last atomic.Uint64 }

// Next returns a fresh id, never 0.
func (r *RequestIDs) Next() uint64 { return r.last.Add(1) }

// ClientConfig tunes a Client. The zero value is usable.
type ClientConfig struct {
	// WriteTimeout bounds each write to the connection; a peer that stops
	// reading for longer fails the connection. Default 30 s.
	WriteTimeout time.Duration
	// RequestIDs is shared by the connections of one application instance;
	// nil gives the client its own.
	RequestIDs *RequestIDs
}

const defaultWriteTimeout = 30 * time.Second

// Session is what the handshake settled for a client's connection.
type Session struct {
	Server HelloResponse     // version, capabilities, server version, limits
	Login  UserLoginResponse // partition, lease, resumed
}

// Client multiplexes calls over one connection that has completed the
// handshake: many goroutines call at once, each call matched to its answer
// by request id (docs/protocol.md 8).
type Client struct {
	conn     net.Conn
	session  Session
	ids      *RequestIDs
	maxFrame uint32
	slots    chan struct{} // one per request in flight, at most MaxInFlight
	writer   *frameWriter
	readDone chan struct{}
	done     chan struct{} // closed when the client has failed or been closed

	mu      sync.Mutex
	pending map[uint64]*call // guarded by mu
	err     *Error           // why the client ended; guarded by mu
	goodbye *Goodbye         // the server's Goodbye, if one came; guarded by mu
}

// call states, for the race between the writer sending a request and its
// caller giving up on it.
const (
	callQueued int32 = iota
	callSent
	callAbandoned
)

type call struct {
	typ   MsgType
	state atomic.Int32
	done  chan callResult // buffered: the reader never blocks on a caller
}

type callResult struct {
	header Header
	body   []byte
	err    *Error
}

// NewClient starts the multiplexer on conn, which has completed the
// handshake described by session (Connect does both). The client owns conn.
func NewClient(conn net.Conn, session Session, cfg ClientConfig) *Client {
	inFlight := int(session.Server.MaxInFlight)
	if inFlight < 1 {
		inFlight = 1
	}
	maxFrame := session.Server.MaxFrame
	if maxFrame < MinMaxFrame {
		maxFrame = MinMaxFrame
	}
	ids := cfg.RequestIDs
	if ids == nil {
		ids = new(RequestIDs)
	}
	timeout := cfg.WriteTimeout
	if timeout == 0 {
		timeout = defaultWriteTimeout
	}
	c := &Client{
		conn:     conn,
		session:  session,
		ids:      ids,
		maxFrame: maxFrame,
		slots:    make(chan struct{}, inFlight),
		readDone: make(chan struct{}),
		done:     make(chan struct{}),
		pending:  make(map[uint64]*call),
	}
	// Room for every call in flight plus a Ping, so enqueue never waits on
	// a healthy writer.
	c.writer = newFrameWriter(conn, inFlight+1, timeout, func(err error) {
		c.fail(&Error{Kind: KindConnectionLost, Op: "write", Err: err})
	})
	go c.readLoop()
	return c
}

// Session returns what the handshake settled.
func (c *Client) Session() Session { return c.session }

// Done is closed when the client can no longer make calls.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err says why the client ended, nil while it works.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		return nil
	}
	return c.err
}

// Close ends the client: calls in flight fail with KindClosed, the
// connection is closed, and Close waits for the client's goroutines.
func (c *Client) Close() error {
	c.fail(&Error{Kind: KindClosed, Op: "close"})
	<-c.readDone
	c.writer.close()
	return nil
}

// Call sends req and waits for its answer or ctx. The answer is the
// response message (for PKCS#11 calls a Result whose ReturnValue is the
// function's CK_RV). Errors are *Error for transport failures, *RemoteError
// when the server refused the request, or the encoder's error (with its
// CK_RV) when req cannot cross the wire; ck.RVOf maps them all.
func (c *Client) Call(ctx context.Context, req Request) (Message, error) {
	return c.do(ctx, c.ids.Next(), 0, req)
}

// Resend sends req again under the id it had on a connection that failed,
// with the retry flag, so a server with CapRetryMemory answers it from
// memory instead of running it twice (docs/protocol.md 8.3).
func (c *Client) Resend(ctx context.Context, id uint64, req Request) (Message, error) {
	if id == 0 {
		return nil, &Error{Kind: KindProtocol, Op: req.Type().String(), Err: errors.New("request id 0 is reserved")}
	}
	return c.do(ctx, id, FlagRetry, req)
}

// Invoke is Call with the response's type asserted.
func Invoke[R Message](ctx context.Context, c *Client, req Request) (R, error) {
	var zero R
	m, err := c.Call(ctx, req)
	if err != nil {
		return zero, err
	}
	r, ok := m.(R)
	if !ok {
		return zero, &Error{Kind: KindProtocol, Op: req.Type().String(), Err: fmt.Errorf("answer is %T, not %T", m, zero)}
	}
	return r, nil
}

// Ping checks that the server answers.
func (c *Client) Ping(ctx context.Context) error {
	nonce := c.ids.Next()
	resp, err := Invoke[*PingResponse](ctx, c, &PingRequest{Nonce: nonce})
	if err != nil {
		return err
	}
	if resp.Nonce != nonce {
		return &Error{Kind: KindProtocol, Op: "Ping", Err: fmt.Errorf("echoed nonce %d, sent %d", resp.Nonce, nonce)}
	}
	return nil
}

func (c *Client) do(ctx context.Context, id uint64, flags Flags, req Request) (Message, error) {
	typ := req.Type()
	op := typ.String()
	if err := ctx.Err(); err != nil {
		return nil, contextError(op, err, false)
	}
	frame, err := AppendFrame(nil, typ, flags, id, req, c.maxFrame)
	if err != nil {
		return nil, err
	}

	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, contextError(op, ctx.Err(), false)
	case <-c.done:
		return nil, c.endedError(op, false)
	}
	defer func() { <-c.slots }()

	cl := &call{typ: typ, done: make(chan callResult, 1)}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, c.endedError(op, false)
	}
	if _, dup := c.pending[id]; dup {
		c.mu.Unlock()
		return nil, &Error{Kind: KindProtocol, Op: op, Err: fmt.Errorf("request id %d is already in flight", id)}
	}
	c.pending[id] = cl
	c.mu.Unlock()

	claim := func() bool { return cl.state.CompareAndSwap(callQueued, callSent) }
	if !c.writer.enqueue(outFrame{data: frame, claim: claim}) {
		c.forget(id)
		return nil, c.endedError(op, false)
	}

	select {
	case res := <-cl.done:
		if res.err != nil {
			return nil, res.err
		}
		return decodeAnswer(typ, res)
	case <-ctx.Done():
		c.forget(id)
		// Whether the server may have seen the request: if the writer has
		// not claimed it yet, it never will.
		sent := !cl.state.CompareAndSwap(callQueued, callAbandoned)
		return nil, contextError(op, ctx.Err(), sent)
	}
}

func decodeAnswer(typ MsgType, res callResult) (Message, error) {
	if res.header.Flags()&FlagError != 0 {
		remote, err := DecodeRemoteError(res.body)
		if err != nil {
			return nil, err
		}
		return nil, remote
	}
	return DecodeResponse(typ, res.body)
}

func (c *Client) forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

func contextError(op string, err error, sent bool) *Error {
	kind := KindTimeout
	if errors.Is(err, context.Canceled) {
		kind = KindCanceled
	}
	return &Error{Kind: kind, Op: op, Err: err, Sent: sent}
}

// endedError is the error of a call made or pending when the client ended.
func (c *Client) endedError(op string, sent bool) *Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endedErrorLocked(op, sent)
}

func (c *Client) endedErrorLocked(op string, sent bool) *Error {
	e := *c.err
	e.Op = op
	e.Sent = sent
	if c.goodbye != nil && e.Kind == KindConnectionLost {
		e.Kind = KindGoodbye
		e.Goodbye = c.goodbye
	}
	return &e
}

// fail ends the client once: it records why, fails every pending call at
// once (the pattern of net/rpc's input loop) and closes the connection,
// which ends the reader.
func (c *Client) fail(cause *Error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = cause
	pending := c.pending
	c.pending = make(map[uint64]*call)
	for _, cl := range pending {
		sent := cl.state.Load() == callSent
		cl.done <- callResult{err: c.endedErrorLocked(cl.typ.String(), sent)}
	}
	close(c.done)
	c.mu.Unlock()
	_ = c.conn.Close()
	c.writer.shutdown()
}

func (c *Client) readLoop() {
	defer close(c.readDone)
	for {
		h, body, err := ReadFrame(c.conn, c.maxFrame)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF // the server closed with calls possibly in flight
				}
				te = &Error{Kind: KindConnectionLost, Op: "read", Err: err}
			}
			c.fail(te)
			return
		}
		if !h.IsResponse() {
			if h.Type() == MsgGoodbye && h.RequestID() == 0 {
				if g, err := DecodeGoodbye(body); err == nil {
					c.mu.Lock()
					c.goodbye = g
					c.mu.Unlock()
					continue
				}
			}
			c.fail(protocolErrorf("%s: the server sent a request", h))
			return
		}
		c.mu.Lock()
		cl := c.pending[h.RequestID()]
		delete(c.pending, h.RequestID())
		c.mu.Unlock()
		if cl == nil {
			continue // the caller gave up on it (deadline): drop the answer
		}
		if cl.typ != h.Type() {
			// Deliver the violation to this caller, then end the client.
			perr := protocolErrorf("%s answers a %s request", h, cl.typ)
			cl.done <- callResult{err: perr}
			c.fail(perr)
			return
		}
		cl.done <- callResult{header: h, body: body}
	}
}
