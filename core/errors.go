package core

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Every error core returns is, or wraps, a *ck.Error or an error that
// carries its CK_RV (ck.RVCarrier), so the boundary maps it with ck.RVOf
// alone. The transport's own table (transport/errors.go, docs/protocol.md
// 6) covers connection failures; core adds the conditions only it can see:
//
//	condition                                              CK_RV
//	no member of any pool could be reached                 CKR_TOKEN_NOT_PRESENT (UnavailableError)
//	a member refused our credentials and none accepted     the refusal's (CKR_TOKEN_NOT_RECOGNIZED, CKR_PIN_LOCKED...)
//	the slot lacks a proxy password or permanent secret    CKR_TOKEN_NOT_RECOGNIZED (MissingCredentialError)
//	a connection dropped with the call in flight           CKR_DEVICE_ERROR (transport KindConnectionLost, KindGoodbye)
//	the session's member or worker is gone (failover,      CKR_SESSION_HANDLE_INVALID
//	  a new worker after a reconnection)
//	an object handle of a gone worker or another slot      CKR_OBJECT_HANDLE_INVALID (CKR_KEY_HANDLE_INVALID for keys)
//	primus.cfg missing or invalid, log file unusable       CKR_GENERAL_ERROR (C_Initialize)
//	a call after Finalize                                  CKR_CRYPTOKI_NOT_INITIALIZED

// UnavailableError says that no cluster member of a slot could be used.
// Tried lists why each member failed, in the order they were tried.
type UnavailableError struct {
	Slot  ck.SlotID
	Tried []error // *MemberError, *MissingCredentialError...
}

func (e *UnavailableError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "slot %d: no cluster member answered", e.Slot)
	for i, err := range e.Tried {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap gives the members' errors to errors.As and errors.Is.
func (e *UnavailableError) Unwrap() []error { return e.Tried }

// CKRV is CKR_TOKEN_NOT_PRESENT when no member could be reached (primus
// facts: "when all pools are exhausted, calls answer
// CKR_TOKEN_NOT_PRESENT"). When a member was reached but refused the
// credentials, its answer says more than "not present": a locked-out user
// (CKR_PIN_LOCKED) or a revoked secret (CKR_TOKEN_NOT_RECOGNIZED) is fixed
// with ppin, not by waiting for the network.
func (e *UnavailableError) CKRV() ck.RV {
	for _, err := range e.Tried {
		if refused(err) {
			return ck.RVOf(err)
		}
	}
	return ck.CKR_TOKEN_NOT_PRESENT
}

// refused reports whether err is a refusal of our credentials (a member
// answered, and said no), as opposed to a member that could not be reached.
func refused(err error) bool {
	var missing *MissingCredentialError
	var invalid *InvalidSecretError
	var remote *transport.RemoteError
	switch {
	case errors.As(err, &missing), errors.As(err, &invalid):
		return true
	case errors.As(err, &remote):
		return remote.Code.IsAuthFailure() && remote.Code != transport.CodePartitionUnavailable
	}
	return false
}

// retriable reports whether another attempt at connecting to the same
// member may succeed: a refusal of credentials will not change by
// retrying, and a certificate that fails its pin will not either.
func retriable(err error) bool {
	if refused(err) {
		return false
	}
	var pin *PinMismatchError
	return !errors.As(err, &pin)
}

// errf is the *ck.Error of a failed function with a cause for the log.
func errf(rv ck.RV, fn, format string, args ...any) error {
	return ck.Errorf(rv, fn, format, args...)
}

// rvErr is the *ck.Error of a failed function without further cause.
func rvErr(rv ck.RV, fn string) error { return &ck.Error{RV: rv, Op: fn} }

// errNotInitialized answers every call after Finalize.
func errNotInitialized(fn string) error { return rvErr(ck.CKR_CRYPTOKI_NOT_INITIALIZED, fn) }

// connectionLost reports whether err says a connection failed under the
// call (as opposed to the server answering with an error or the call's
// deadline passing), and whether the request had been written.
func connectionLost(err error) (lost, sent bool) {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false, false
	}
	switch te.Kind {
	case transport.KindConnectionLost, transport.KindGoodbye, transport.KindClosed:
		return true, te.Sent
	}
	return false, te.Sent
}
