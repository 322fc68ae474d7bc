package transport

import (
	"fmt"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// Field limits of the handshake (docs/protocol.md 4).
const (
	maxNameLen     = 256  // user names, client_id
	maxVersionLen  = 128  // software versions
	maxSecretLen   = 1024 // passwords, PINs, secrets
	maxSecretIDLen = 128
	maxLabelLen    = 64
	maxDetailLen   = 1024
)

// Magic opens every ClientHello, so a stray client of another protocol is
// told apart from a broken one at the first bytes.
var Magic = [4]byte{'C', 'P', '1', '1'}

// Capabilities is the bit set exchanged in Hello (docs/protocol.md 4.5).
type Capabilities uint64

// Capability bits.
const (
	CapFused       Capabilities = 1 << 0 // the server serves fused messages
	CapRetryMemory Capabilities = 1 << 1 // the server answers retried object-creating requests from memory
	CapAuditLog    Capabilities = 1 << 2 // the server serves mode audit_log
)

// Has reports whether every bit of want is set.
func (c Capabilities) Has(want Capabilities) bool { return c&want == want }

// HelloRequest opens the handshake.
type HelloRequest struct {
	Magic           [4]byte
	MinVersion      uint16
	MaxVersion      uint16
	Capabilities    Capabilities
	ClientID        string
	InstanceID      [16]byte
	SoftwareVersion string
	MaxFrame        uint32
}

// HelloResponse fixes the version, capabilities and limits.
type HelloResponse struct {
	Version       uint16
	Capabilities  Capabilities
	ServerVersion string
	MaxFrame      uint32
	MaxInFlight   uint32
}

// ProxyLoginRequest authenticates the service (proxy) user.
type ProxyLoginRequest struct {
	User     string
	Password Secret
}

// ProxyLoginResponse is empty: success.
type ProxyLoginResponse struct{}

// Mode is what a connection is for after UserLogin.
type Mode uint8

// Connection modes.
const (
	ModePKCS11   Mode = 1
	ModeAuditLog Mode = 2
)

func (m Mode) String() string {
	switch m {
	case ModePKCS11:
		return "pkcs11"
	case ModeAuditLog:
		return "audit_log"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// UserLoginRequest authenticates the HSM user with its permanent secret.
type UserLoginRequest struct {
	User     string
	SecretID string
	Secret   Secret
	Mode     Mode
}

// UserLoginResponse opens the connection for its mode.
type UserLoginResponse struct {
	Partition string
	Lease     uint32 // seconds
	Resumed   bool
}

// FetchSecretRequest trades a setup password and the partition's PIN for a
// permanent secret.
type FetchSecretRequest struct {
	User          string
	SetupPassword Secret
	PIN           Secret
	Replaces      string
}

// FetchSecretResponse carries the new permanent secret and its id.
type FetchSecretResponse struct {
	SecretID string
	Secret   Secret
}

func (*HelloRequest) Type() MsgType       { return MsgHello }
func (*ProxyLoginRequest) Type() MsgType  { return MsgProxyLogin }
func (*UserLoginRequest) Type() MsgType   { return MsgUserLogin }
func (*FetchSecretRequest) Type() MsgType { return MsgFetchSecret }

func (m *HelloRequest) codec(c *coder) {
	c.raw("magic", m.Magic[:])
	if c.decoding && c.err == nil && m.Magic != Magic {
		c.failAt(0, "magic", 0, "not a cloudp11 client")
		return
	}
	c.u16("min_version", &m.MinVersion)
	c.u16("max_version", &m.MaxVersion)
	ulong(c, "capabilities", &m.Capabilities)
	c.str("client_id", &m.ClientID, maxNameLen)
	c.raw("instance_id", m.InstanceID[:])
	c.str("software_version", &m.SoftwareVersion, maxVersionLen)
	c.u32("max_frame", &m.MaxFrame)
}

func (m *HelloResponse) codec(c *coder) {
	c.u16("version", &m.Version)
	ulong(c, "capabilities", &m.Capabilities)
	c.str("server_version", &m.ServerVersion, maxVersionLen)
	c.u32("max_frame", &m.MaxFrame)
	c.u32("max_in_flight", &m.MaxInFlight)
}

func (m *ProxyLoginRequest) codec(c *coder) {
	c.str("user", &m.User, maxNameLen)
	c.secret("password", &m.Password, maxSecretLen)
}

func (m *ProxyLoginResponse) codec(*coder) {}

func (m *UserLoginRequest) codec(c *coder) {
	c.str("user", &m.User, maxNameLen)
	c.str("secret_id", &m.SecretID, maxSecretIDLen)
	c.secret("secret", &m.Secret, maxSecretLen)
	mode := uint8(m.Mode)
	start := c.offset()
	c.u8("mode", &mode)
	if c.err == nil && Mode(mode) != ModePKCS11 && Mode(mode) != ModeAuditLog {
		c.failAt(start, "mode", ck.CKR_ARGUMENTS_BAD, "unknown mode %d", mode)
		return
	}
	m.Mode = Mode(mode)
}

func (m *UserLoginResponse) codec(c *coder) {
	c.str("partition", &m.Partition, maxLabelLen)
	c.u32("lease", &m.Lease)
	c.boolean("resumed", &m.Resumed)
}

func (m *FetchSecretRequest) codec(c *coder) {
	c.str("user", &m.User, maxNameLen)
	c.secret("setup_password", &m.SetupPassword, maxSecretLen)
	c.secret("pin", &m.PIN, maxSecretLen)
	c.str("replaces", &m.Replaces, maxSecretIDLen)
}

func (m *FetchSecretResponse) codec(c *coder) {
	c.str("secret_id", &m.SecretID, maxSecretIDLen)
	c.secret("secret", &m.Secret, maxSecretLen)
}

// String methods of the messages that hold secrets name the fields and
// redact the secrets, for logs that print whole messages.

func (m ProxyLoginRequest) String() string {
	return fmt.Sprintf("ProxyLogin{User:%q Password:%s}", m.User, redacted)
}

func (m UserLoginRequest) String() string {
	return fmt.Sprintf("UserLogin{User:%q SecretID:%q Secret:%s Mode:%s}", m.User, m.SecretID, redacted, m.Mode)
}

func (m FetchSecretRequest) String() string {
	return fmt.Sprintf("FetchSecret{User:%q SetupPassword:%s PIN:%s Replaces:%q}", m.User, redacted, redacted, m.Replaces)
}

func (m FetchSecretResponse) String() string {
	return fmt.Sprintf("FetchSecretResponse{SecretID:%q Secret:%s}", m.SecretID, redacted)
}
