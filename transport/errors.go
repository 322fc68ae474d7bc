package transport

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// ErrorKind classifies what went wrong with a call or connection, for the
// one table that maps transport failures to CK_RV (docs/protocol.md 6).
type ErrorKind uint8

// Error kinds.
const (
	KindConnectionLost ErrorKind = iota + 1 // read or write failed, or the peer closed, with the call in flight
	KindClosed                              // the client was closed locally (C_Finalize)
	KindTimeout                             // the call's deadline passed
	KindCanceled                            // the call's context was cancelled
	KindUnreachable                         // dial or TLS handshake failed: this member cannot be reached
	KindProtocol                            // the peer broke the protocol
	KindTooLarge                            // the request does not fit the frame limit
	KindGoodbye                             // the server ended the connection with Goodbye
)

// kindRV is the table of docs/protocol.md 6. ck.RVOf reaches it through
// (*Error).CKRV.
var kindRV = map[ErrorKind]ck.RV{
	KindConnectionLost: ck.CKR_DEVICE_ERROR,
	KindClosed:         ck.CKR_DEVICE_ERROR,
	// PKCS#11 has no timeout code; CKR_FUNCTION_CANCELED is for application
	// callbacks. A device that does not answer in time is a device error.
	KindTimeout:     ck.CKR_DEVICE_ERROR,
	KindCanceled:    ck.CKR_FUNCTION_CANCELED,
	KindUnreachable: ck.CKR_TOKEN_NOT_PRESENT,
	KindProtocol:    ck.CKR_DEVICE_ERROR,
	KindTooLarge:    ck.CKR_DEVICE_MEMORY,
	KindGoodbye:     ck.CKR_DEVICE_ERROR,
}

var kindNames = map[ErrorKind]string{
	KindConnectionLost: "connection lost", KindClosed: "client closed", KindTimeout: "deadline exceeded",
	KindCanceled: "canceled", KindUnreachable: "unreachable", KindProtocol: "protocol violation",
	KindTooLarge: "request too large", KindGoodbye: "server said goodbye",
}

func (k ErrorKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a transport failure. Op names what failed ("C_Sign", "dial
// a.example:2310", "handshake"); Err is the cause. Sent says whether the
// request was written to the connection: when it is false the server never
// saw the request and a retry cannot run it twice.
type Error struct {
	Kind    ErrorKind
	Op      string
	Err     error
	Sent    bool
	Goodbye *Goodbye // for KindGoodbye: the server's reason
}

func (e *Error) Error() string {
	msg := "transport: "
	if e.Op != "" {
		msg += e.Op + ": "
	}
	msg += e.Kind.String()
	if e.Goodbye != nil {
		msg += " (" + e.Goodbye.Reason.String()
		if e.Goodbye.Detail != "" {
			msg += ": " + e.Goodbye.Detail
		}
		msg += ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// CKRV maps the error through the table of docs/protocol.md 6.
func (e *Error) CKRV() ck.RV {
	if rv, ok := kindRV[e.Kind]; ok {
		return rv
	}
	return ck.CKR_DEVICE_ERROR
}

// ErrorCode is the code of an error frame (docs/protocol.md 3).
type ErrorCode uint16

// Error codes.
const (
	CodeMalformed            ErrorCode = 1
	CodeUnknownMessage       ErrorCode = 2
	CodeNotAllowed           ErrorCode = 3
	CodeInternal             ErrorCode = 4
	CodeUnsupportedVersion   ErrorCode = 5
	CodeBusy                 ErrorCode = 6
	CodeWrongProxyPassword   ErrorCode = 16
	CodeUnknownProxyUser     ErrorCode = 17
	CodeUnknownUser          ErrorCode = 18
	CodeWrongSecret          ErrorCode = 19
	CodeRevokedSecret        ErrorCode = 20
	CodeLockedOut            ErrorCode = 21
	CodeWrongSetupPassword   ErrorCode = 22
	CodeSetupPasswordExpired ErrorCode = 23
	CodeWrongPIN             ErrorCode = 24
	CodePartitionUnavailable ErrorCode = 25
)

type codeInfo struct {
	name string
	rv   ck.RV
}

// codeTable holds each code's name and the CK_RV a client answers for it.
var codeTable = map[ErrorCode]codeInfo{
	CodeMalformed:            {"malformed", ck.CKR_DEVICE_ERROR},
	CodeUnknownMessage:       {"unknown_message", ck.CKR_FUNCTION_NOT_SUPPORTED},
	CodeNotAllowed:           {"not_allowed", ck.CKR_DEVICE_ERROR},
	CodeInternal:             {"internal", ck.CKR_DEVICE_ERROR},
	CodeUnsupportedVersion:   {"unsupported_version", ck.CKR_DEVICE_ERROR},
	CodeBusy:                 {"busy", ck.CKR_DEVICE_ERROR},
	CodeWrongProxyPassword:   {"wrong_proxy_password", ck.CKR_TOKEN_NOT_RECOGNIZED},
	CodeUnknownProxyUser:     {"unknown_proxy_user", ck.CKR_TOKEN_NOT_RECOGNIZED},
	CodeUnknownUser:          {"unknown_user", ck.CKR_TOKEN_NOT_RECOGNIZED},
	CodeWrongSecret:          {"wrong_secret", ck.CKR_TOKEN_NOT_RECOGNIZED},
	CodeRevokedSecret:        {"revoked_secret", ck.CKR_TOKEN_NOT_RECOGNIZED},
	CodeLockedOut:            {"locked_out", ck.CKR_PIN_LOCKED},
	CodeWrongSetupPassword:   {"wrong_setup_password", ck.CKR_PIN_INCORRECT},
	CodeSetupPasswordExpired: {"setup_password_expired", ck.CKR_PIN_EXPIRED},
	CodeWrongPIN:             {"wrong_pin", ck.CKR_PIN_INCORRECT},
	CodePartitionUnavailable: {"partition_unavailable", ck.CKR_TOKEN_NOT_PRESENT},
}

func (c ErrorCode) String() string {
	if info, ok := codeTable[c]; ok {
		return info.name
	}
	return "code(" + strconv.Itoa(int(c)) + ")"
}

// IsAuthFailure reports whether the code refuses credentials (16-25): the
// server closes the connection after it.
func (c ErrorCode) IsAuthFailure() bool {
	return c >= CodeWrongProxyPassword && c <= CodePartitionUnavailable
}

// RemoteError is the body of an error frame: the server refused a request
// (or the handshake) with Code. The client returns it as the call's error;
// servers return it from handlers to send an error frame. Detail is for
// people and logs and never holds a secret.
type RemoteError struct {
	Code        ErrorCode
	LockedUntil time.Time // CodeLockedOut: until when
	Detail      string
}

func (e *RemoteError) Error() string {
	msg := "hsm refused: " + e.Code.String()
	if !e.LockedUntil.IsZero() {
		msg += " until " + e.LockedUntil.UTC().Format(time.RFC3339)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// CKRV maps the code through the table of docs/protocol.md 3.
func (e *RemoteError) CKRV() ck.RV {
	if info, ok := codeTable[e.Code]; ok {
		return info.rv
	}
	return ck.CKR_DEVICE_ERROR
}

// Is makes errors.Is(err, &RemoteError{Code: c}) match any RemoteError with
// that code, so callers (ppin) can tell failures apart without strings.
func (e *RemoteError) Is(target error) bool {
	var t *RemoteError
	return errors.As(target, &t) && t.Code == e.Code
}

func (e *RemoteError) codec(c *coder) {
	code := uint16(e.Code)
	c.u16("code", &code)
	e.Code = ErrorCode(code)
	c.time("locked_until", &e.LockedUntil)
	c.str("detail", &e.Detail, maxDetailLen)
}

// remoteErrorf builds a RemoteError whose detail fits the wire's limit.
func remoteErrorf(code ErrorCode, format string, args ...any) *RemoteError {
	detail := fmt.Sprintf(format, args...)
	if len(detail) > maxDetailLen {
		detail = strings.ToValidUTF8(detail[:maxDetailLen], "")
	}
	return &RemoteError{Code: code, Detail: detail}
}
