package audit

import "time"

// Type names an audit event.
type Type string

// The audit events. Login and LoginFailed cover the HSM user's permanent
// secret; ProxyLogin and ProxyLoginFailed the service user's password.
const (
	Login            Type = "login"
	LoginFailed      Type = "login_failed"
	ProxyLogin       Type = "proxy_login"
	ProxyLoginFailed Type = "proxy_login_failed"
	LockedOut        Type = "locked_out"
	Unlocked         Type = "unlocked"
	SetupFirstUse    Type = "setup_password_first_use"
	SetupIssued      Type = "setup_password_issued"
	SetupFailed      Type = "setup_failed"
	SecretIssued     Type = "secret_issued"
	SecretRevoked    Type = "secret_revoked"
	UserAdded        Type = "user_added"
	UserRemoved      Type = "user_removed"
	ProxyUserAdded   Type = "proxy_user_added"
	ProxyUserRemoved Type = "proxy_user_removed"
	KeyCreated       Type = "key_created"
	KeyDestroyed     Type = "key_destroyed"
	// TokenLogin and TokenLoginFailed are the application's C_Login on the
	// partition's token (Actor: the user type, CKU_USER or CKU_SO; Reason:
	// the CK_RV of a failure).
	TokenLogin       Type = "token_login"
	TokenLoginFailed Type = "token_login_failed"
)

// Peer identifies the client behind an event, as far as it is known.
type Peer struct {
	ClientID string // client_id from the client's primus.cfg: free text
	AppID    string // random application-instance id
	Remote   string // network address
}

// Key describes a key object without its value.
type Key struct {
	Handle  uint64
	Class   string // e.g. CKO_PRIVATE_KEY
	KeyType string // e.g. CKK_EC
	Label   string
	ID      []byte // CKA_ID, written in hex
}

// Event is one audit record. Only the fields that apply are set.
type Event struct {
	Type     Type
	Peer     Peer
	Actor    string // who did it when not a peer: "admin" for hsmd commands
	SecretID string
	Reason   string // why a login failed: a fixed word, e.g. "bad_secret"
	Until    time.Time
	Key      *Key
	// User is set for events of the service log: the name the peer gave,
	// which may name no user.
	User string
}
