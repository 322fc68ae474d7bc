package front

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/server/worker"
	"github.com/cloudp11/cloudp11/transport"
)

// clientConn is one client connection, as Shutdown sees it.
type clientConn struct {
	raw net.Conn

	mu       sync.Mutex
	closing  bool                  // guarded by mu
	auditLog *transport.ServerConn // guarded by mu; set in mode audit_log
}

// shutdown says Goodbye to a connection the front serves itself. A
// connection in its handshake ends with the server's context; a pkcs11
// connection when its worker stops (the splice says Goodbye then).
func (c *clientConn) shutdown() {
	c.mu.Lock()
	c.closing = true
	sc := c.auditLog
	c.mu.Unlock()
	if sc != nil {
		sc.Goodbye(transport.GoodbyeShutdown, "the server is shutting down")
	}
}

// serveAuditLogWith records sc, or says Goodbye at once when Shutdown came
// first.
func (c *clientConn) serveAuditLogWith(sc *transport.ServerConn) {
	c.mu.Lock()
	c.auditLog = sc
	closing := c.closing
	c.mu.Unlock()
	if closing {
		sc.Goodbye(transport.GoodbyeShutdown, "the server is shutting down")
	}
}

func (c *clientConn) close() { _ = c.raw.Close() }

// serveConn runs one connection: TLS and the protocol handshake within the
// handshake timeout, then the mode the client logged in for.
func (s *Server) serveConn(raw net.Conn) {
	defer raw.Close()
	c := &clientConn{raw: raw}
	if !s.track(c) {
		return
	}
	defer s.untrack(c)

	remote := raw.RemoteAddr().String()
	a := &authenticator{s: s, remote: remote, log: s.log.With().Str("remote", remote).Logger()}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.HandshakeTimeout)
	defer cancel()
	if tc, ok := raw.(*tls.Conn); ok {
		if err := tc.HandshakeContext(ctx); err != nil {
			a.log.Info().Err(err).Msg("TLS handshake failed")
			return
		}
	}
	hs, err := transport.ServerHandshake(ctx, raw, transport.HandshakeConfig{
		Timeout:       s.cfg.HandshakeTimeout,
		ServerVersion: s.cfg.ServerVersion,
		Capabilities:  serverCapabilities,
		MaxFrame:      s.cfg.MaxFrame,
		MaxInFlight:   s.cfg.MaxInFlight,
	}, a)
	cancel()
	if err != nil {
		a.release()
		logHandshakeFailure(a.log, err)
		return
	}
	log := a.log
	switch {
	case hs.SecretIssued:
		log.Info().Msg("permanent secret issued")
	case hs.Peer.Mode == transport.ModeAuditLog:
		log.Info().Msg("logged in")
		s.serveAuditLog(c, raw, hs, log)
	case a.worker != nil:
		log.Info().Bool("resumed", a.resumed).Msg("logged in")
		s.splice(raw, a.worker, hs.Peer.MaxFrame, log)
	default:
		log.Error().Msg("handshake completed without a worker for the connection")
	}
}

// serverCapabilities are what hsmd serves: the worker's (fused messages,
// retry memory) and the front's audit log.
const serverCapabilities = worker.Capabilities | transport.CapAuditLog

// logHandshakeFailure logs why a handshake ended, at a level that fits:
// a refused credential is worth a warning, a client that went away is not,
// and a failure of the service itself (registry, audit log, worker) is an
// error.
func logHandshakeFailure(log zerolog.Logger, err error) {
	var (
		remote *transport.RemoteError
		te     *transport.Error
	)
	switch {
	case errors.As(err, &remote):
		log.Warn().Err(err).Str("code", remote.Code.String()).Msg("handshake refused")
	case errors.As(err, &te) && te.Kind == transport.KindTimeout:
		log.Info().Err(err).Msg("handshake timed out")
	case errors.As(err, &te) && te.Kind == transport.KindProtocol:
		log.Info().Err(err).Msg("handshake broke the protocol")
	case errors.As(err, &te) || errors.Is(err, context.Canceled):
		log.Debug().Err(err).Msg("connection ended during the handshake")
	default:
		log.Error().Err(err).Msg("handshake failed: the service could not answer")
	}
}
