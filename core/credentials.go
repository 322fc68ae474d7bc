package core

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Credential names a kind of credential a connection needs.
type Credential uint8

// Credentials a slot may lack.
const (
	CredentialProxyUser       Credential = iota + 1 // the slot names no proxy_user
	CredentialProxyPassword                         // no password stored for the proxy user
	CredentialPermanentSecret                       // no permanent secret stored for the HSM user
)

func (c Credential) String() string {
	switch c {
	case CredentialProxyUser:
		return "proxy user"
	case CredentialProxyPassword:
		return "proxy password"
	case CredentialPermanentSecret:
		return "permanent secret"
	}
	return fmt.Sprintf("credential(%d)", uint8(c))
}

// MissingCredentialError says a connection cannot be made because a
// credential is not configured. User is the proxy user (CredentialProxy*)
// or the HSM user; Slot names the slot ("hsm0.slot0").
type MissingCredentialError struct {
	Credential Credential
	User       string
	Slot       string
}

func (e *MissingCredentialError) Error() string {
	switch e.Credential {
	case CredentialProxyUser:
		return fmt.Sprintf("%s names no proxy_user; the HSM service authenticates a service/proxy user first", e.Slot)
	case CredentialProxyPassword:
		return fmt.Sprintf("no password stored for proxy user %q (%s); store it with ppin -p -e %s", e.User, e.Slot, e.User)
	default:
		return fmt.Sprintf("no %s stored for HSM user %q (%s); fetch it with ppin -a -e %s", e.Credential, e.User, e.Slot, e.User)
	}
}

// CKRV makes a slot without credentials a token the library cannot
// recognise, as the server would answer a wrong credential.
func (e *MissingCredentialError) CKRV() ck.RV { return ck.CKR_TOKEN_NOT_RECOGNIZED }

// InvalidSecretError says a stored permanent secret is not in the form
// EncodeSecret writes. The value is not quoted.
type InvalidSecretError struct {
	User string
	Err  error
}

func (e *InvalidSecretError) Error() string {
	return fmt.Sprintf("the permanent secret stored for HSM user %q is not valid base64; fetch a new one with ppin -u -e %s", e.User, e.User)
}

func (e *InvalidSecretError) Unwrap() error { return e.Err }

// CKRV: a secret that cannot be used is like a missing one.
func (e *InvalidSecretError) CKRV() ck.RV { return ck.CKR_TOKEN_NOT_RECOGNIZED }

// EncodeSecret is how a permanent secret (bytes on the wire) is kept in
// .secrets.cfg, whose values are strings without NUL: standard base64 with
// padding.
func EncodeSecret(secret []byte) string { return base64.StdEncoding.EncodeToString(secret) }

// DecodeSecret reverses EncodeSecret. user names the secret's owner for the
// error, which never quotes the value.
func DecodeSecret(user, stored string) (transport.Secret, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(stored)
	if err != nil || len(b) == 0 {
		// The decoder's error quotes an offset, not the value; still, keep
		// it out of the chain's text.
		return nil, &InvalidSecretError{User: user, Err: err}
	}
	return b, nil
}

// slotName is how errors name a member's slot.
func slotName(h *config.HSM, s *config.Slot) string { return h.Name + "." + s.Name }

// ProxyPassword returns the password of the member's proxy user: the one
// ppin -p stored, else the slot's proxy_password from primus.cfg
// (discouraged). The stored one wins because ppin -p is how a password is
// changed; a forgotten proxy_password must not shadow it.
func ProxyPassword(m *Member, secrets *config.Secrets) (transport.Secret, error) {
	s := m.Slot
	if s.ProxyUser == "" {
		return nil, &MissingCredentialError{Credential: CredentialProxyUser, Slot: slotName(m.HSM, s)}
	}
	if secrets != nil {
		if pw, ok := secrets.ProxyPassword(s.ProxyUser); ok {
			return transport.Secret(pw), nil
		}
	}
	if s.ProxyPassword != "" {
		return transport.Secret(s.ProxyPassword), nil
	}
	return nil, &MissingCredentialError{Credential: CredentialProxyPassword, User: s.ProxyUser, Slot: slotName(m.HSM, s)}
}

// Credentials returns what a connection to the member authenticates with:
// the proxy user and its password, then the HSM user and its permanent
// secret, from secrets (.secrets.cfg).
func Credentials(m *Member, secrets *config.Secrets) (transport.Credentials, error) {
	password, err := ProxyPassword(m, secrets)
	if err != nil {
		return transport.Credentials{}, err
	}
	var stored config.HSMUserSecret
	ok := false
	if secrets != nil {
		stored, ok = secrets.HSMUser(m.Slot.UserName)
	}
	if !ok {
		return transport.Credentials{}, &MissingCredentialError{
			Credential: CredentialPermanentSecret, User: m.Slot.UserName, Slot: slotName(m.HSM, m.Slot)}
	}
	secret, err := DecodeSecret(m.Slot.UserName, stored.Secret)
	if err != nil {
		return transport.Credentials{}, err
	}
	return transport.Credentials{
		ProxyUser:     m.Slot.ProxyUser,
		ProxyPassword: password,
		User:          m.Slot.UserName,
		SecretID:      stored.SecretID,
		Secret:        secret,
	}, nil
}

// PartitionInstanceID derives the instance id an application instance
// sends for one partition (HSM user). hsmd binds an instance id to one
// user, so an application with several partitions needs one id per
// partition; deriving them from the instance's random id keeps them stable
// for the life of the instance without storing them.
func PartitionInstanceID(instance [16]byte, user string) [16]byte {
	h := sha256.New()
	h.Write([]byte("cloudp11 partition instance id\x00"))
	h.Write(instance[:])
	h.Write([]byte(user))
	var id [16]byte
	copy(id[:], h.Sum(nil))
	return id
}
