package front

import (
	"context"
	"errors"
	"net"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/registry"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// authenticator is the transport.Authenticator of one connection: it
// checks credentials with the Authority (which writes the audit records of
// the handshake: logins, failures, lockouts, issued secrets) and, for a
// pkcs11 login, attaches the connection to its instance's worker before
// UserLogin is answered, so that the answer's resumed stays true until the
// client's first call.
type authenticator struct {
	s      *Server
	remote string
	log    zerolog.Logger // grows the peer's names as the handshake learns them

	// Set by a successful pkcs11 UserLogin.
	worker  net.Conn
	resumed bool
	token   string
}

var _ transport.Authenticator = (*authenticator)(nil)

// auditCtx attaches the peer's identity for the Authority's audit records.
func (a *authenticator) auditCtx(ctx context.Context, peer *transport.Peer) context.Context {
	return auth.WithPeer(ctx, audit.Peer{
		ClientID: peer.Hello.ClientID,
		AppID:    instancePrefix(peer.Hello.InstanceID),
		Remote:   a.remote,
	})
}

func (a *authenticator) ProxyLogin(ctx context.Context, peer *transport.Peer, req *transport.ProxyLoginRequest) error {
	a.log = a.log.With().Str("client_id", peer.Hello.ClientID).Str("instance", instancePrefix(peer.Hello.InstanceID)).
		Str("software", peer.Hello.SoftwareVersion).Str("proxy_user", req.User).Logger()
	err := a.s.cfg.Authority.VerifyProxy(a.auditCtx(ctx, peer), req.User, string(req.Password.Reveal()))
	return refusal(err)
}

func (a *authenticator) UserLogin(ctx context.Context, peer *transport.Peer, req *transport.UserLoginRequest) (*transport.UserLoginResponse, error) {
	a.log = a.log.With().Str("user", req.User).Str("mode", req.Mode.String()).Logger()
	part, secretID, err := a.s.cfg.Authority.VerifySecret(a.auditCtx(ctx, peer), req.User, req.Secret.Reveal())
	if err != nil {
		return nil, refusal(err)
	}
	a.log = a.log.With().Str("secret_id", secretID).Str("token", part.Token).Logger()
	a.token = part.Token
	resp := &transport.UserLoginResponse{Partition: part.Token, Lease: uint32(a.s.cfg.Lease.Seconds())}
	switch req.Mode {
	case transport.ModeAuditLog:
		return resp, nil // the front serves it, no worker
	case transport.ModePKCS11:
	default: // the decoder refuses other modes; this keeps it so
		return nil, &transport.RemoteError{Code: transport.CodeMalformed, Detail: "unknown mode " + req.Mode.String()}
	}
	conn, resumed, err := a.s.attach(ctx, part, peer)
	if err != nil {
		return nil, refusal(err)
	}
	a.worker, a.resumed = conn, resumed
	resp.Resumed = resumed
	return resp, nil
}

func (a *authenticator) FetchSecret(ctx context.Context, peer *transport.Peer, req *transport.FetchSecretRequest) (*transport.FetchSecretResponse, error) {
	a.log = a.log.With().Str("user", req.User).Str("mode", "fetch_secret").Logger()
	if req.Replaces != "" {
		if err := registry.ValidateSecretID(req.Replaces); err != nil {
			return nil, &transport.RemoteError{Code: transport.CodeMalformed, Detail: "replaces: " + err.Error()}
		}
		a.log = a.log.With().Str("replaces", req.Replaces).Logger()
	}
	check := func(token, pin string) error {
		a.token = token
		return a.s.checkPIN(ctx, req.User, token, []byte(pin))
	}
	secret, id, err := a.s.cfg.Authority.IssueSecret(a.auditCtx(ctx, peer), req.User,
		string(req.SetupPassword.Reveal()), string(req.PIN.Reveal()), check)
	if err != nil {
		return nil, refusal(err)
	}
	a.log = a.log.With().Str("secret_id", id).Str("token", a.token).Logger()
	if req.Replaces != "" {
		// The new secret is issued whatever happens here: the client
		// stores it, and a secret left unrevoked is the operator's to
		// revoke (hsmd secrets revoke), which the log line says.
		switch err := a.s.cfg.Authority.RevokeReplaced(a.auditCtx(ctx, peer), req.User, req.Replaces); {
		case err == nil:
			a.log.Info().Msg("replaced secret revoked")
		case errors.Is(err, registry.ErrNoSuchSecret) || errors.Is(err, registry.ErrAlreadyRevoked):
			a.log.Info().Err(err).Msg("nothing to revoke for the replaced secret")
		default:
			a.log.Error().Err(err).Msg("the replaced secret could not be revoked")
		}
	}
	return &transport.FetchSecretResponse{SecretID: id, Secret: secret}, nil
}

// release closes the worker end of a handshake that failed after UserLogin
// attached it, so the worker counts the connection as ended.
func (a *authenticator) release() {
	if a.worker != nil {
		_ = a.worker.Close()
		a.worker = nil
	}
}

// refusal turns an authentication or routing error into the error frame
// the client gets (docs/protocol.md 3). The detail is fixed text: the
// errors' own text may name tokens or configuration, which stay in the
// server's log. Errors it does not know refuse with internal.
func refusal(err error) error {
	if err == nil {
		return nil
	}
	var (
		locked *auth.LockedOutError
		remote *transport.RemoteError
		part   *partitionError
	)
	code, detail := transport.ErrorCode(0), ""
	switch {
	case errors.As(err, &remote):
		return err
	case errors.As(err, &locked):
		return &transport.RemoteError{Code: transport.CodeLockedOut, LockedUntil: locked.Until,
			Detail: "too many failed attempts; " + locked.Error()}
	case errors.Is(err, auth.ErrBadProxyPassword):
		code, detail = transport.CodeWrongProxyPassword, auth.ErrBadProxyPassword.Error()
	case errors.Is(err, auth.ErrUnknownUser):
		code, detail = transport.CodeUnknownUser, auth.ErrUnknownUser.Error()
	case errors.Is(err, auth.ErrBadSecret):
		code, detail = transport.CodeWrongSecret, auth.ErrBadSecret.Error()
	case errors.Is(err, auth.ErrSecretRevoked):
		code, detail = transport.CodeRevokedSecret, auth.ErrSecretRevoked.Error()
	case errors.Is(err, auth.ErrBadSetupPassword):
		code, detail = transport.CodeWrongSetupPassword, auth.ErrBadSetupPassword.Error()
	case errors.Is(err, auth.ErrSetupExpired):
		code, detail = transport.CodeSetupPasswordExpired, auth.ErrSetupExpired.Error()
	case errors.Is(err, auth.ErrBadPIN):
		code, detail = transport.CodeWrongPIN, auth.ErrBadPIN.Error()
	case ck.RVOf(err) == ck.CKR_PIN_LOCKED:
		// The backend token itself locked the PIN: no end the service
		// knows of; the operator has to unlock it on the token.
		code, detail = transport.CodeLockedOut, "the PKCS#11 PIN is locked on the backend token"
	case errors.Is(err, auth.ErrNoPartition) || errors.As(err, &part):
		code, detail = transport.CodePartitionUnavailable, "the HSM user's partition cannot be served now"
	default:
		return err
	}
	return &transportError{remote: &transport.RemoteError{Code: code, Detail: detail}, cause: err}
}

// transportError is a refusal that keeps its cause for the server's log;
// the client gets remote only (ServerHandshake finds it with errors.As).
type transportError struct {
	remote *transport.RemoteError
	cause  error
}

func (e *transportError) Error() string { return e.remote.Error() + " (" + e.cause.Error() + ")" }
func (e *transportError) Unwrap() []error {
	return []error{e.remote, e.cause}
}
