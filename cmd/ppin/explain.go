package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport"
)

// explainedError is a failure of the HSM service or of its credentials, said
// in the user's terms: what was refused and what to do about it. Err keeps
// the cause for errors.As; the message never holds a password or secret
// (neither the transport's errors nor the server's details do).
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }
func (e *explainedError) Unwrap() error { return e.err }

// explain turns a failed connection of slot into a sentence. Every kind of
// refusal gets its own, so a user can tell a wrong proxy password from a
// revoked secret without reading the protocol. Text from the server (its
// detail) and from files is escaped by printable.
func explain(err error, slot *config.Slot) error {
	return &explainedError{msg: printable(explanation(err, slot)), err: err}
}

func explanation(err error, slot *config.Slot) string {
	var missing *core.MissingCredentialError
	var invalid *core.InvalidSecretError
	var me *core.MemberError
	switch {
	case errors.As(err, &missing):
		return missingCredential(missing, slot)
	case errors.As(err, &invalid):
		return fmt.Sprintf("the permanent secret stored for '%s' is damaged; fetch a new one with: ppin -u -e %s", invalid.User, invalid.User)
	case !errors.As(err, &me):
		return err.Error()
	}
	where := fmt.Sprintf("%s (%s)", me.HSM, me.Addr)
	user, proxy := slot.UserName, slot.ProxyUser

	var refused *transport.RefusedError
	if errors.As(err, &refused) {
		return refusal(where, refused, user, proxy)
	}
	var remote *transport.RemoteError
	if errors.As(err, &remote) {
		return fmt.Sprintf("%s refused the request: %s", where, remote.Error())
	}
	var pin *core.PinMismatchError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &pin):
		return fmt.Sprintf("%s: the server's public key (sha256 %s) matches no tls_pin_sha256 in primus.cfg; not connected", where, pin.Got)
	case errors.As(err, &verify):
		return fmt.Sprintf("%s: the server's certificate is not trusted (%v); check tls_ca and tls_server_name in primus.cfg", where, verify.Err)
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.Kind {
		case transport.KindUnreachable:
			return fmt.Sprintf("cannot reach %s: %v", where, te.Err)
		case transport.KindTimeout:
			return fmt.Sprintf("%s did not answer in time (%s)", where, me.Step)
		case transport.KindGoodbye:
			return fmt.Sprintf("%s ended the connection: %v", where, te)
		}
	}
	return err.Error()
}

// refusal explains a handshake step the server refused.
func refusal(where string, refused *transport.RefusedError, user, proxy string) string {
	r := refused.Remote
	switch r.Code {
	case transport.CodeWrongProxyPassword, transport.CodeUnknownProxyUser:
		return fmt.Sprintf("%s refused proxy user '%s' or its password (wrong proxy user name or password); store the right password with: ppin -p -e %s", where, proxy, proxy)
	case transport.CodeUnknownUser:
		return fmt.Sprintf("%s does not know HSM user '%s'; check user_name in primus.cfg", where, user)
	case transport.CodeWrongSecret:
		return fmt.Sprintf("%s refused the permanent secret of '%s' (wrong permanent secret); fetch a new one with: ppin -u -e %s", where, user, user)
	case transport.CodeRevokedSecret:
		return fmt.Sprintf("%s: the permanent secret of '%s' has been revoked; fetch a new one with: ppin -u -e %s", where, user, user)
	case transport.CodeLockedOut:
		who, unlock := "HSM user '"+user+"'", "hsmd user unlock "+user
		if refused.Step == transport.StepProxyLogin {
			who, unlock = "proxy user '"+proxy+"'", "hsmd proxy-user unlock "+proxy
		}
		if r.LockedUntil.IsZero() {
			// No end the service knows of, e.g. the PIN locked on the
			// backend token: only the operator can help.
			return fmt.Sprintf("%s: %s is locked (%s); ask the HSM operator", where, who, r.Detail)
		}
		return fmt.Sprintf("%s: %s is locked out until %s after too many failed attempts; wait, or ask the HSM operator to run: %s",
			where, who, r.LockedUntil.UTC().Format(time.RFC3339), unlock)
	case transport.CodeWrongSetupPassword:
		return fmt.Sprintf("%s refused the setup password of '%s' (wrong setup password); every wrong try counts towards a lockout", where, user)
	case transport.CodeSetupPasswordExpired:
		return fmt.Sprintf("%s: the setup password of '%s' has expired; ask the HSM operator for a new one (hsmd user reset-setup %s)", where, user, user)
	case transport.CodeWrongPIN:
		return fmt.Sprintf("%s refused the PKCS#11 PIN of '%s' (wrong PIN); every wrong try counts towards a lockout", where, user)
	case transport.CodePartitionUnavailable:
		return fmt.Sprintf("%s cannot serve the partition of '%s' now (its token is unavailable); ask the HSM operator", where, user)
	}
	return fmt.Sprintf("%s refused the %s: %s", where, refused.Step, r.Error())
}

// missingCredential says which credential to store, with the command that
// stores it.
func missingCredential(missing *core.MissingCredentialError, slot *config.Slot) string {
	switch missing.Credential {
	case core.CredentialProxyUser:
		return fmt.Sprintf("%s names no proxy_user; the HSM service authenticates a service/proxy user first: add proxy_user to the slot in primus.cfg", missing.Slot)
	case core.CredentialProxyPassword:
		return fmt.Sprintf("no proxy password stored for '%s'; store it first with: ppin -p -e %s", missing.User, missing.User)
	}
	return fmt.Sprintf("no permanent secret stored for '%s'; fetch it first with: ppin -a -e %s", slot.UserName, slot.UserName)
}
