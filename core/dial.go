package core

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/transport"
)

// Member is one cluster member's entry for a partition, ready to dial.
type Member struct {
	HSM  *config.HSM
	Slot *config.Slot
	// TLS is the member's client configuration (TLSConfig of HSM). Members
	// of one HSM may share it: it is never changed.
	TLS *tls.Config
}

// NewMember builds the member of slot s on HSM h, loading h's CA bundle.
// s must be one of h's slots.
func NewMember(h *config.HSM, s *config.Slot) (*Member, error) {
	cfg, err := TLSConfig(h)
	if err != nil {
		return nil, err
	}
	return &Member{HSM: h, Slot: s, TLS: cfg}, nil
}

// Addr is the member's host:port.
func (m *Member) Addr() string {
	return net.JoinHostPort(m.HSM.Host, strconv.Itoa(m.HSM.Port))
}

// Step names the part of making a connection that failed.
type Step uint8

// Steps of a connection.
const (
	StepDial  Step = iota + 1 // TCP connection and TLS handshake (connect_timeout)
	StepLogin                 // the protocol handshake: hello, proxy login, user login or secret exchange
)

func (s Step) String() string {
	switch s {
	case StepDial:
		return "connect"
	case StepLogin:
		return "login"
	}
	return "step(" + strconv.Itoa(int(s)) + ")"
}

// MemberError is a failed connection to a cluster member. Err is the
// transport's error: errors.As finds a *transport.RemoteError when the
// server refused, a *transport.Error otherwise, and a *PinMismatchError or
// a *tls.CertificateVerificationError when the certificate was refused.
type MemberError struct {
	HSM  string // "hsm0"
	Addr string // host:port
	Step Step
	Err  error
}

func (e *MemberError) Error() string {
	return e.HSM + " (" + e.Addr + "): " + e.Step.String() + ": " + e.Err.Error()
}

func (e *MemberError) Unwrap() error { return e.Err }

// Dialer opens the connections of one application instance (one
// C_Initialize of the library, one run of ppin).
type Dialer struct {
	// InstanceID is the instance's random id (transport.NewInstanceID).
	// Each connection sends PartitionInstanceID(InstanceID, user).
	InstanceID [16]byte
	// SoftwareVersion is shown in the server's logs, e.g. "ppin 1.2.0".
	SoftwareVersion string
	// Capabilities are offered in PKCS#11 mode; audit-log connections
	// offer transport.CapAuditLog alone.
	Capabilities transport.Capabilities
	// MaxFrame is the largest body the client accepts; 0: the default.
	MaxFrame uint32
	// Client tunes the multiplexer of each connection.
	Client transport.ClientConfig
}

// hello is what a connection of this instance to m says about itself.
func (d *Dialer) hello(m *Member, caps transport.Capabilities) transport.Hello {
	return transport.Hello{
		ClientID:        m.Slot.ClientID,
		InstanceID:      PartitionInstanceID(d.InstanceID, m.Slot.UserName),
		SoftwareVersion: d.SoftwareVersion,
		Capabilities:    caps,
		MaxFrame:        d.MaxFrame,
	}
}

// dial opens the TLS connection within the member's connect_timeout.
func (d *Dialer) dial(ctx context.Context, m *Member) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, m.HSM.ConnectTimeout)
	defer cancel()
	conn, err := transport.Dial(ctx, "tcp", m.Addr(), m.TLS)
	if err != nil {
		return nil, &MemberError{HSM: m.HSM.Name, Addr: m.Addr(), Step: StepDial, Err: err}
	}
	return conn, nil
}

// Connect opens an authenticated connection to m in mode (PKCS#11 calls or
// the audit log) with creds (Credentials). The handshake's outcome
// (server version, limits, partition, lease) is in the client's Session.
// Errors are *MemberError.
func (d *Dialer) Connect(ctx context.Context, m *Member, creds transport.Credentials, mode transport.Mode) (*transport.Client, error) {
	conn, err := d.dial(ctx, m)
	if err != nil {
		return nil, err
	}
	caps := d.Capabilities
	if mode == transport.ModeAuditLog {
		caps = transport.CapAuditLog
	}
	ctx, cancel := context.WithTimeout(ctx, m.HSM.CallTimeout)
	defer cancel()
	client, err := transport.Connect(ctx, conn, d.hello(m, caps), creds, mode, d.Client)
	if err != nil {
		return nil, &MemberError{HSM: m.HSM.Name, Addr: m.Addr(), Step: StepLogin, Err: err}
	}
	return client, nil
}

// FetchSecret trades the HSM user's setup password and PKCS#11 PIN (in req)
// for a permanent secret on m, after logging in the slot's proxy user with
// proxyPassword (ProxyPassword). req.User is set to the slot's user_name.
// It returns the server's Hello too, for its
// version, even when the exchange was refused after it. Errors are
// *MemberError.
func (d *Dialer) FetchSecret(ctx context.Context, m *Member, proxyPassword transport.Secret, req transport.FetchSecretRequest) (*transport.FetchSecretResponse, *transport.HelloResponse, error) {
	conn, err := d.dial(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, m.HSM.CallTimeout)
	defer cancel()
	req.User = m.Slot.UserName
	resp, server, err := transport.FetchSecret(ctx, conn, d.hello(m, d.Capabilities), m.Slot.ProxyUser, proxyPassword, req)
	if err != nil {
		return nil, server, &MemberError{HSM: m.HSM.Name, Addr: m.Addr(), Step: StepLogin, Err: err}
	}
	return resp, server, nil
}
