package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Authenticator judges credentials for ServerHandshake; hsmd implements it.
// To refuse, return a *RemoteError with an authentication code (16-25) and
// a detail fit for the client (no secret, nothing that helps an attacker
// more than the code does). Any other error refuses with code internal; its
// text stays on the server.
type Authenticator interface {
	ProxyLogin(ctx context.Context, peer *Peer, req *ProxyLoginRequest) error
	UserLogin(ctx context.Context, peer *Peer, req *UserLoginRequest) (*UserLoginResponse, error)
	FetchSecret(ctx context.Context, peer *Peer, req *FetchSecretRequest) (*FetchSecretResponse, error)
}

// Peer is what the handshake learnt of the client, for the Authenticator
// and for the connection that follows.
type Peer struct {
	Addr         net.Addr
	Hello        HelloRequest
	Version      uint16       // chosen
	Capabilities Capabilities // chosen
	ProxyUser    string       // set once the proxy user is authenticated
	User         string       // set once the HSM user is authenticated
	Mode         Mode         // after UserLogin; 0 after FetchSecret
	MaxFrame     uint32       // the frame limit Hello settled, for whoever serves the connection next
}

// HandshakeConfig is the server's side of Hello.
type HandshakeConfig struct {
	Timeout       time.Duration // the whole handshake; default DefaultHandshakeTimeout
	ServerVersion string        // shown by ppin -t as firmware
	Capabilities  Capabilities
	MaxFrame      uint32 // default DefaultMaxFrame
	MaxInFlight   uint32 // default 256
}

const defaultServerInFlight = 256

// Handshake is the outcome of ServerHandshake.
type Handshake struct {
	Peer Peer
	// Conn holds the limits for NewServerConn.
	Conn ServerConfig
	// SecretIssued is true after FetchSecret: the connection has done its
	// job and the caller closes it.
	SecretIssued bool
}

// ServerHandshake runs the server's side of the handshake on conn
// (docs/protocol.md 4): Hello, ProxyLogin, then UserLogin or FetchSecret,
// in that order and nothing else, within cfg.Timeout. On failure the client
// has been told why (an error frame, or Goodbye handshake_timeout) when the
// connection allowed it, and the error says what happened; the caller
// closes conn. It never logs and its errors never hold a secret.
func ServerHandshake(ctx context.Context, conn net.Conn, cfg HandshakeConfig, auth Authenticator) (*Handshake, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultHandshakeTimeout
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = defaultServerInFlight
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	lift := withDeadline(ctx, conn)
	defer lift()

	s := &serverHandshake{ctx: ctx, conn: conn, cfg: cfg, auth: auth}
	s.peer.Addr = conn.RemoteAddr()
	hs, err := s.run()
	// The connection's deadline is ctx's and may fire a moment before ctx
	// reports it: either says the handshake ran out of time.
	if err != nil && (errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)) {
		s.goodbyeTimeout()
		err = &Error{Kind: KindTimeout, Op: "handshake", Err: err}
	}
	return hs, err
}

type serverHandshake struct {
	ctx  context.Context
	conn net.Conn
	cfg  HandshakeConfig
	auth Authenticator
	peer Peer
}

func (s *serverHandshake) run() (*Handshake, error) {
	h, req, err := s.read(MsgHello)
	if err != nil {
		return nil, err
	}
	hello := req.(*HelloRequest)
	s.peer.Hello = *hello
	version := min(hello.MaxVersion, MaxVersion)
	if version < hello.MinVersion || version < MinVersion {
		return nil, s.refuse(h, remoteErrorf(CodeUnsupportedVersion, "the server speaks versions %d to %d, the client %d to %d",
			MinVersion, MaxVersion, hello.MinVersion, hello.MaxVersion))
	}
	s.peer.Version = version
	s.peer.Capabilities = hello.Capabilities & s.cfg.Capabilities
	maxFrame := negotiateFrame(hello.MaxFrame, s.cfg.MaxFrame)
	s.peer.MaxFrame = maxFrame
	if err := s.answer(h, &HelloResponse{
		Version: version, Capabilities: s.peer.Capabilities, ServerVersion: s.cfg.ServerVersion,
		MaxFrame: maxFrame, MaxInFlight: s.cfg.MaxInFlight,
	}); err != nil {
		return nil, err
	}

	h, req, err = s.read(MsgProxyLogin)
	if err != nil {
		return nil, err
	}
	proxy := req.(*ProxyLoginRequest)
	if err := s.auth.ProxyLogin(s.ctx, &s.peer, proxy); err != nil {
		return nil, s.refuse(h, err)
	}
	s.peer.ProxyUser = proxy.User
	if err := s.answer(h, &ProxyLoginResponse{}); err != nil {
		return nil, err
	}

	h, req, err = s.read(MsgUserLogin, MsgFetchSecret)
	if err != nil {
		return nil, err
	}
	switch req := req.(type) {
	case *UserLoginRequest:
		if req.Mode == ModeAuditLog && !s.peer.Capabilities.Has(CapAuditLog) {
			return nil, s.refuse(h, remoteErrorf(CodeNotAllowed, "this server does not serve the audit log"))
		}
		resp, err := s.auth.UserLogin(s.ctx, &s.peer, req)
		if err == nil && resp == nil {
			err = errors.New("the authenticator accepted the user without an answer")
		}
		if err != nil {
			return nil, s.refuse(h, err)
		}
		if err := s.answer(h, resp); err != nil {
			return nil, err
		}
		s.peer.User = req.User
		s.peer.Mode = req.Mode
		return &Handshake{Peer: s.peer, Conn: ServerConfig{MaxFrame: maxFrame, MaxInFlight: int(s.cfg.MaxInFlight)}}, nil
	case *FetchSecretRequest:
		resp, err := s.auth.FetchSecret(s.ctx, &s.peer, req)
		if err == nil && resp == nil {
			err = errors.New("the authenticator issued no secret")
		}
		if err != nil {
			return nil, s.refuse(h, err)
		}
		if err := s.answer(h, resp); err != nil {
			return nil, err
		}
		s.peer.User = req.User
		return &Handshake{Peer: s.peer, SecretIssued: true}, nil
	}
	return nil, errors.New("unreachable")
}

// read reads the next handshake frame, which must be a request of one of
// the wanted types. Anything else is refused (and ends the handshake).
func (s *serverHandshake) read(want ...MsgType) (Header, Request, error) {
	h, body, err := ReadFrame(s.conn, HandshakeMaxFrame)
	if err != nil {
		var te *Error
		if errors.As(err, &te) {
			return h, nil, err
		}
		return h, nil, &Error{Kind: KindConnectionLost, Op: "handshake: read " + want[0].String(), Err: err}
	}
	if h.IsResponse() || h.RequestID() == 0 {
		return h, nil, protocolErrorf("%s during the handshake", h)
	}
	wanted := false
	for _, t := range want {
		wanted = wanted || h.Type() == t
	}
	if !wanted {
		return h, nil, s.refuse(h, remoteErrorf(CodeNotAllowed, "%s is not allowed here: the handshake expects %s", h.Type(), want[0]))
	}
	req, err := DecodeRequest(h.Type(), body)
	if err != nil {
		var malformed *MalformedError
		if errors.As(err, &malformed) && malformed.Field == "magic" {
			return h, nil, err // not our protocol: no answer
		}
		return h, nil, s.refuse(h, remoteErrorf(CodeMalformed, "%v", err))
	}
	return h, req, nil
}

func (s *serverHandshake) answer(h Header, resp Message) error {
	if err := writeMessage(s.conn, h.Type(), FlagResponse, h.RequestID(), resp, HandshakeMaxFrame); err != nil {
		return &Error{Kind: KindConnectionLost, Op: "handshake: answer " + h.Type().String(), Err: err}
	}
	return nil
}

// refuse sends an error frame for err and returns the error to report.
// Errors other than *RemoteError are sent as code internal without their
// text.
func (s *serverHandshake) refuse(h Header, err error) error {
	var remote *RemoteError
	if !errors.As(err, &remote) {
		remote = &RemoteError{Code: CodeInternal, Detail: "the server could not complete the handshake"}
		err = fmt.Errorf("handshake %s: %w", h.Type(), err)
	}
	if werr := writeMessage(s.conn, h.Type(), FlagResponse|FlagError, h.RequestID(), remote, HandshakeMaxFrame); werr != nil {
		return errors.Join(err, &Error{Kind: KindConnectionLost, Op: "handshake: refuse", Err: werr})
	}
	return err
}

// goodbyeTimeout tells the client why the connection ends, if a write can
// still get through within a short grace.
func (s *serverHandshake) goodbyeTimeout() {
	_ = s.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = writeMessage(s.conn, MsgGoodbye, 0, 0, &Goodbye{Reason: GoodbyeHandshakeTimeout, Detail: "the handshake took too long"}, HandshakeMaxFrame)
}
