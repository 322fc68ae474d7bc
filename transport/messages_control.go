package transport

import (
	"strconv"
	"time"
)

// PingRequest asks the server to echo Nonce.
type PingRequest struct{ Nonce uint64 }

// PingResponse echoes the nonce.
type PingResponse struct{ Nonce uint64 }

// GoodbyeReason says why the server ends a connection.
type GoodbyeReason uint16

// Goodbye reasons (docs/protocol.md 5.1).
const (
	GoodbyeShutdown           GoodbyeReason = 1
	GoodbyeIdleTimeout        GoodbyeReason = 2
	GoodbyeProtocolViolation  GoodbyeReason = 3
	GoodbyeCredentialsRevoked GoodbyeReason = 4
	GoodbyeWorkerLost         GoodbyeReason = 5
	GoodbyeHandshakeTimeout   GoodbyeReason = 6
)

var goodbyeNames = map[GoodbyeReason]string{
	GoodbyeShutdown: "shutdown", GoodbyeIdleTimeout: "idle_timeout",
	GoodbyeProtocolViolation: "protocol_violation", GoodbyeCredentialsRevoked: "credentials_revoked",
	GoodbyeWorkerLost: "worker_lost", GoodbyeHandshakeTimeout: "handshake_timeout",
}

func (r GoodbyeReason) String() string {
	if n, ok := goodbyeNames[r]; ok {
		return n
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Goodbye is sent by the server, with request id 0, before it closes.
type Goodbye struct {
	Reason GoodbyeReason
	Detail string
}

// AuditLogRequest asks for a page of the partition's audit log.
type AuditLogRequest struct {
	Since      time.Time // zero: from the beginning
	Reverse    bool
	Cursor     []byte
	MaxEntries uint32
}

// AuditLogResponse is one page; Cursor asks for the next, until Done.
type AuditLogResponse struct {
	Entries []string
	Cursor  []byte
	Done    bool
}

const (
	maxCursorLen     = 256
	maxAuditEntryLen = 64 << 10
)

func (*PingRequest) Type() MsgType     { return MsgPing }
func (*AuditLogRequest) Type() MsgType { return MsgAuditLog }

func (m *PingRequest) codec(c *coder)  { c.u64("nonce", &m.Nonce) }
func (m *PingResponse) codec(c *coder) { c.u64("nonce", &m.Nonce) }

func (m *Goodbye) codec(c *coder) {
	r := uint16(m.Reason)
	c.u16("reason", &r)
	m.Reason = GoodbyeReason(r)
	c.str("detail", &m.Detail, maxDetailLen)
}

func (m *AuditLogRequest) codec(c *coder) {
	c.time("since", &m.Since)
	c.boolean("reverse", &m.Reverse)
	c.bytes("cursor", &m.Cursor, maxCursorLen)
	c.u32("max_entries", &m.MaxEntries)
}

func (m *AuditLogResponse) codec(c *coder) {
	list(c, "entries", &m.Entries, 4, noLimit, func(c *coder, e *string) { c.str("entries", e, maxAuditEntryLen) })
	c.bytes("cursor", &m.Cursor, maxCursorLen)
	c.boolean("done", &m.Done)
}

// time codes a time as milliseconds since the Unix epoch; the zero Time is 0.
func (c *coder) time(field string, t *time.Time) {
	var ms int64
	if !t.IsZero() {
		ms = t.UnixMilli()
	}
	c.i64(field, &ms)
	if c.decoding && c.err == nil {
		if ms == 0 {
			*t = time.Time{}
		} else {
			*t = time.UnixMilli(ms).UTC()
		}
	}
}
