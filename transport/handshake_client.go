package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
)

// Hello is what a client says about itself in the handshake.
type Hello struct {
	ClientID        string   // client_id of primus.cfg
	InstanceID      [16]byte // NewInstanceID, once per application instance
	SoftwareVersion string
	Capabilities    Capabilities
	MaxFrame        uint32 // the largest body the client accepts; 0: DefaultMaxFrame
	// MinVersion and MaxVersion default to the versions this package speaks.
	MinVersion, MaxVersion uint16
}

// Credentials authenticate a connection: the proxy (service) user, then the
// HSM user with its permanent secret.
type Credentials struct {
	ProxyUser     string
	ProxyPassword Secret
	User          string
	SecretID      string
	Secret        Secret
}

// Connect runs the client's handshake on conn (docs/protocol.md 4) and
// returns a Client for mode. ctx bounds the handshake only. On failure conn
// is closed and the error says which step failed: a *RefusedError (its
// Step, around the *RemoteError) when the server refused, so callers tell a
// wrong proxy password from a revoked secret with errors.As or errors.Is;
// a *Error for I/O and protocol failures. Errors never hold the credentials.
func Connect(ctx context.Context, conn net.Conn, hello Hello, creds Credentials, mode Mode, cfg ClientConfig) (*Client, error) {
	hs := &clientHandshake{ctx: ctx, conn: conn}
	session, err := hs.login(hello, creds, mode)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return NewClient(conn, session, cfg), nil
}

// FetchSecret runs the handshake's second form on conn (ppin -a/-u): after
// the proxy login it trades the setup password and the partition's PIN for
// a permanent secret. It returns the secret and the server's Hello, and
// closes conn.
func FetchSecret(ctx context.Context, conn net.Conn, hello Hello, proxyUser string, proxyPassword Secret, req FetchSecretRequest) (*FetchSecretResponse, *HelloResponse, error) {
	defer conn.Close()
	hs := &clientHandshake{ctx: ctx, conn: conn}
	server, err := hs.hello(hello)
	if err != nil {
		return nil, nil, err
	}
	if err := hs.proxyLogin(proxyUser, proxyPassword); err != nil {
		return nil, server, err
	}
	var resp FetchSecretResponse
	if err := hs.exchange(StepFetchSecret, &req, &resp); err != nil {
		return nil, server, err
	}
	return &resp, server, nil
}

type clientHandshake struct {
	ctx    context.Context
	conn   net.Conn
	lastID uint64
	server *HelloResponse // once Hello is answered
}

func (hs *clientHandshake) login(hello Hello, creds Credentials, mode Mode) (Session, error) {
	var session Session
	server, err := hs.hello(hello)
	if err != nil {
		return session, err
	}
	session.Server = *server
	if err := hs.proxyLogin(creds.ProxyUser, creds.ProxyPassword); err != nil {
		return session, err
	}
	if mode == ModeAuditLog && !server.Capabilities.Has(CapAuditLog) {
		return session, &Error{Kind: KindProtocol, Op: "handshake", Err: errors.New("the server does not serve the audit log")}
	}
	req := &UserLoginRequest{User: creds.User, SecretID: creds.SecretID, Secret: creds.Secret, Mode: mode}
	if err := hs.exchange(StepUserLogin, req, &session.Login); err != nil {
		return session, err
	}
	return session, nil
}

func (hs *clientHandshake) hello(hello Hello) (*HelloResponse, error) {
	req := &HelloRequest{
		Magic: Magic, MinVersion: hello.MinVersion, MaxVersion: hello.MaxVersion,
		Capabilities: hello.Capabilities, ClientID: hello.ClientID, InstanceID: hello.InstanceID,
		SoftwareVersion: hello.SoftwareVersion, MaxFrame: hello.MaxFrame,
	}
	if req.MinVersion == 0 && req.MaxVersion == 0 {
		req.MinVersion, req.MaxVersion = MinVersion, MaxVersion
	}
	var resp HelloResponse
	if err := hs.exchange(StepHello, req, &resp); err != nil {
		return nil, err
	}
	// The server must stay within what was offered.
	wantFrame := hello.MaxFrame
	if wantFrame == 0 {
		wantFrame = DefaultMaxFrame
	}
	var bad string
	switch {
	case resp.Version < req.MinVersion || resp.Version > req.MaxVersion:
		bad = fmt.Sprintf("version %d outside the offered %d..%d", resp.Version, req.MinVersion, req.MaxVersion)
	case resp.Capabilities&^req.Capabilities != 0:
		bad = fmt.Sprintf("capabilities 0x%x beyond the offered 0x%x", uint64(resp.Capabilities), uint64(req.Capabilities))
	case resp.MaxFrame < MinMaxFrame || resp.MaxFrame > MaxMaxFrame || resp.MaxFrame > max(wantFrame, MinMaxFrame):
		bad = fmt.Sprintf("frame limit %d outside %d..%d", resp.MaxFrame, MinMaxFrame, min(max(wantFrame, MinMaxFrame), MaxMaxFrame))
	case resp.MaxInFlight == 0:
		bad = "no request may be in flight"
	}
	if bad != "" {
		return nil, &Error{Kind: KindProtocol, Op: "handshake: hello", Err: errors.New(bad)}
	}
	hs.server = &resp
	return &resp, nil
}

func (hs *clientHandshake) proxyLogin(user string, password Secret) error {
	var resp ProxyLoginResponse
	return hs.exchange(StepProxyLogin, &ProxyLoginRequest{User: user, Password: password}, &resp)
}

// HandshakeStep names a step of the client's handshake.
type HandshakeStep string

// The steps, in their order.
const (
	StepHello       HandshakeStep = "hello"
	StepProxyLogin  HandshakeStep = "proxy login"
	StepUserLogin   HandshakeStep = "user login"
	StepFetchSecret HandshakeStep = "fetch secret"
)

// RefusedError is a handshake step the server refused with an error frame.
// Step tells, for example, a locked-out proxy user (StepProxyLogin) from a
// locked-out HSM user; errors.As and errors.Is reach the *RemoteError.
type RefusedError struct {
	Step   HandshakeStep
	Remote *RemoteError
	// Server is the server's Hello when the refusal came after it, so a
	// client can still show the server's version (ppin -t); else nil.
	Server *HelloResponse
}

func (e *RefusedError) Error() string {
	return "transport: handshake: " + string(e.Step) + ": " + e.Remote.Error()
}

func (e *RefusedError) Unwrap() error { return e.Remote }

// exchange sends req and reads its answer into resp, within ctx.
func (hs *clientHandshake) exchange(step HandshakeStep, req Request, resp Message) error {
	lift := withDeadline(hs.ctx, hs.conn)
	defer lift()
	op := "handshake: " + string(step)
	hs.lastID++
	id := hs.lastID
	frame, err := AppendFrame(nil, req.Type(), 0, id, req, HandshakeMaxFrame)
	if err != nil {
		return err // what the wire cannot carry, such as an over-long user name
	}
	if _, err := hs.conn.Write(frame); err != nil {
		return hs.ioError(op, err)
	}
	h, body, err := ReadFrame(hs.conn, HandshakeMaxFrame)
	if err != nil {
		var te *Error
		if errors.As(err, &te) {
			return err
		}
		return hs.ioError(op, err)
	}
	if h.Type() == MsgGoodbye && h.RequestID() == 0 && !h.IsResponse() {
		g, err := DecodeGoodbye(body)
		if err != nil {
			return err
		}
		return &Error{Kind: KindGoodbye, Op: op, Goodbye: g, Sent: true}
	}
	if !h.IsResponse() || h.RequestID() != id || h.Type() != req.Type() {
		return &Error{Kind: KindProtocol, Op: op, Err: fmt.Errorf("%s does not answer %s %d", h, req.Type(), id)}
	}
	if h.Flags()&FlagError != 0 {
		remote, err := DecodeRemoteError(body)
		if err != nil {
			return err
		}
		return &RefusedError{Step: step, Remote: remote, Server: hs.server}
	}
	return decodeInto(resp, req.Type(), "response", body)
}

// ioError classifies a failed read or write: the handshake's deadline, a
// cancelled ctx, or a lost connection.
func (hs *clientHandshake) ioError(op string, err error) error {
	if ctxErr := hs.ctx.Err(); ctxErr != nil {
		return contextError(op, ctxErr, true)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection's deadline is ctx's, and may fire a moment before
		// ctx reports it.
		return &Error{Kind: KindTimeout, Op: op, Err: err, Sent: true}
	}
	return &Error{Kind: KindConnectionLost, Op: op, Err: err, Sent: true}
}
