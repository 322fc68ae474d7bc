package worker

import (
	"crypto/sha256"
	"fmt"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// opKind names the operations of a session: those a C_xxxInit starts
// (tracked for the lifetime rule, lifetime.go) and the calls that can hold
// an output computed for a length query.
type opKind uint8

const (
	opEncrypt opKind = iota
	opDecrypt
	opDigest
	opSign
	opSignRecover
	opVerifyRecover
	opWrap
	opState
	opVerify // never holds an output; listed so Init and calls share the checks
	opKinds
)

// String names the kind by its init function, for log lines.
func (k opKind) String() string {
	switch k {
	case opEncrypt:
		return "C_EncryptInit"
	case opDecrypt:
		return "C_DecryptInit"
	case opDigest:
		return "C_DigestInit"
	case opSign:
		return "C_SignInit"
	case opSignRecover:
		return "C_SignRecoverInit"
	case opVerify:
		return "C_VerifyInit"
	case opVerifyRecover:
		return "C_VerifyRecoverInit"
	case opWrap:
		return "C_WrapKey"
	case opState:
		return "C_GetOperationState"
	}
	return fmt.Sprintf("opKind(%d)", uint8(k))
}

// cachedOutput is an output computed to answer a length query: the call
// that computed it, a digest of its input, and the output.
type cachedOutput struct {
	call  transport.MsgType
	input [sha256.Size]byte
	data  []byte
}

// checkIdle answers CKR_OPERATION_ACTIVE while an output of kind waits to
// be collected: for the application the operation is still active (it
// called C_Sign(NULL) and owes the real C_Sign).
func (sess *session) checkIdle(op string, kind opKind) error {
	if sess.pending[kind] != nil {
		return ck.Errorf(ck.CKR_OPERATION_ACTIVE, op, "the output of a length query is waiting to be collected")
	}
	return nil
}

// checkNoPending is for calls of an operation that produce no output
// (C_SignUpdate, C_DigestUpdate...): while an output of kind waits, such a
// call abandons it.
func (sess *session) checkNoPending(op string, kind opKind) error {
	if sess.pending[kind] != nil {
		sess.pending[kind] = nil
		return ck.Errorf(ck.CKR_ARGUMENTS_BAD, op, "the output of an earlier length query was never collected")
	}
	return nil
}

// output runs compute, a call of kind that returns output, under the
// size-query rules (doc.go, "Size queries"):
//
//   - an output waiting from the same call with the same input is answered
//     (its length again for another length query, else the output, which
//     leaves the cache);
//   - an output waiting from another call or input is dropped: for a
//     restartable kind (C_WrapKey, C_GetOperationState: no operation ends)
//     compute runs afresh, otherwise the call fails with CKR_ARGUMENTS_BAD,
//     the backend's operation having ended when the output was computed;
//   - otherwise compute runs; for a length query its output is kept.
func (sess *session) output(kind opKind, call transport.MsgType, input []byte, lo, restartable bool, compute func() ([]byte, error)) (transport.Output, error) {
	digest := sha256.Sum256(input)
	if c := sess.pending[kind]; c != nil {
		if c.call == call && c.input == digest {
			if lo {
				return transport.Output{Len: ck.ULONG(len(c.data))}, nil
			}
			sess.pending[kind] = nil
			return transport.NewOutput(c.data), nil
		}
		sess.pending[kind] = nil
		if !restartable {
			return transport.Output{}, ck.Errorf(ck.CKR_ARGUMENTS_BAD, call.String(), "the call differs from the length query before it")
		}
	}
	out, err := compute()
	if err != nil {
		return transport.Output{}, err
	}
	if lo {
		sess.pending[kind] = &cachedOutput{call: call, input: digest, data: out}
		return transport.Output{Len: ck.ULONG(len(out))}, nil
	}
	return transport.NewOutput(out), nil
}
