package transport

import (
	"context"
	"crypto/tls"
	"net"
)

// ALPN is the protocol name both ends offer in the TLS handshake.
const ALPN = "cloudp11/1"

// ClientTLSConfig returns a copy of base fit for the protocol: TLS 1.3 only,
// ALPN cloudp11/1. base carries the roots (RootCAs) and the server name; a
// nil base uses the system roots.
func ClientTLSConfig(base *tls.Config) *tls.Config {
	cfg := cloneTLS(base)
	cfg.NextProtos = []string{ALPN}
	return cfg
}

// ServerTLSConfig returns a copy of base fit for the protocol: TLS 1.3 only,
// ALPN cloudp11/1. base carries the certificate.
func ServerTLSConfig(base *tls.Config) *tls.Config {
	cfg := cloneTLS(base)
	cfg.NextProtos = []string{ALPN}
	return cfg
}

func cloneTLS(base *tls.Config) *tls.Config {
	var cfg *tls.Config
	if base == nil {
		cfg = &tls.Config{}
	} else {
		cfg = base.Clone()
	}
	cfg.MinVersion = tls.VersionTLS13
	if cfg.MaxVersion != 0 && cfg.MaxVersion < tls.VersionTLS13 {
		cfg.MaxVersion = tls.VersionTLS13
	}
	return cfg
}

// Listen listens on a TCP address and returns a listener whose connections
// are TLS 1.3 servers (ServerTLSConfig of cfg).
func Listen(network, addr string, cfg *tls.Config) (net.Listener, error) {
	return tls.Listen(network, addr, ServerTLSConfig(cfg))
}

// Dial connects to addr and completes a TLS 1.3 handshake (ClientTLSConfig
// of cfg) within ctx. Any failure, refused connection and bad certificate
// alike, is a *Error of kind KindUnreachable: this member cannot be used,
// try another (CKR_TOKEN_NOT_PRESENT when none is left).
func Dial(ctx context.Context, network, addr string, cfg *tls.Config) (*tls.Conn, error) {
	d := tls.Dialer{Config: ClientTLSConfig(cfg)}
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, &Error{Kind: KindUnreachable, Op: "dial " + addr, Err: err}
	}
	return conn.(*tls.Conn), nil
}
