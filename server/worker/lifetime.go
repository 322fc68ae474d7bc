package worker

import (
	"fmt"
	"strings"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// The operation lifetime rule (PKCS#11 v2.40 §5.2, §5.8-§5.13): a
// single-part call ends its operation whatever it answers, except
// CKR_BUFFER_TOO_SMALL and a successful length query; an error of an
// update or a final ends it too. Modules do not all keep it (doc.go,
// "Operation lifetime"), so the worker tracks the operations it started
// per session and ends one itself after such an error.

// opStep is what a successful call does to the operations it runs under.
type opStep uint8

const (
	// stepContinue is an update (C_DigestKey and the dual-function updates
	// among them): the operation goes on.
	stepContinue opStep = iota
	// stepLast is a single-part call or a final: the operation is over.
	stepLast
)

// operationCall describes a message served under active operations.
type operationCall struct {
	step opStep
	// kinds are the operations the call runs under: two for a
	// dual-function update, whose output is cached under the first.
	kinds []opKind
}

// operationCalls are the messages that run under an operation a
// C_xxxInit started (docs/protocol.md 5.6-5.8); a fused message's second
// stage is its single-part call.
var operationCalls = map[transport.MsgType]operationCall{
	transport.MsgEncrypt:             {stepLast, []opKind{opEncrypt}},
	transport.MsgEncryptUpdate:       {stepContinue, []opKind{opEncrypt}},
	transport.MsgEncryptFinal:        {stepLast, []opKind{opEncrypt}},
	transport.MsgDecrypt:             {stepLast, []opKind{opDecrypt}},
	transport.MsgDecryptUpdate:       {stepContinue, []opKind{opDecrypt}},
	transport.MsgDecryptFinal:        {stepLast, []opKind{opDecrypt}},
	transport.MsgDigest:              {stepLast, []opKind{opDigest}},
	transport.MsgDigestUpdate:        {stepContinue, []opKind{opDigest}},
	transport.MsgDigestKey:           {stepContinue, []opKind{opDigest}},
	transport.MsgDigestFinal:         {stepLast, []opKind{opDigest}},
	transport.MsgSign:                {stepLast, []opKind{opSign}},
	transport.MsgSignUpdate:          {stepContinue, []opKind{opSign}},
	transport.MsgSignFinal:           {stepLast, []opKind{opSign}},
	transport.MsgSignRecover:         {stepLast, []opKind{opSignRecover}},
	transport.MsgVerify:              {stepLast, []opKind{opVerify}},
	transport.MsgVerifyUpdate:        {stepContinue, []opKind{opVerify}},
	transport.MsgVerifyFinal:         {stepLast, []opKind{opVerify}},
	transport.MsgVerifyRecover:       {stepLast, []opKind{opVerifyRecover}},
	transport.MsgDigestEncryptUpdate: {stepContinue, []opKind{opEncrypt, opDigest}},
	transport.MsgDecryptDigestUpdate: {stepContinue, []opKind{opDecrypt, opDigest}},
	transport.MsgSignEncryptUpdate:   {stepContinue, []opKind{opEncrypt, opSign}},
	transport.MsgDecryptVerifyUpdate: {stepContinue, []opKind{opDecrypt, opVerify}},
}

// operationKinds are the kinds a C_xxxInit starts.
var operationKinds = []opKind{opEncrypt, opDecrypt, opDigest, opSign, opSignRecover, opVerify, opVerifyRecover}

// callUnder is the description of call, which must be in operationCalls:
// only the handlers of those messages ask, so a miss is a bug of this
// package, which its tests meet.
func callUnder(call transport.MsgType) operationCall {
	c, ok := operationCalls[call]
	if !ok {
		panic(fmt.Sprintf("worker: %s does not run under an operation", call))
	}
	return c
}

// underOperation runs do, the work of call on the locked session sess,
// with the PKCS#11 function's name and the kind that holds its output,
// and applies the lifetime rule to its answer, which it returns unchanged:
//
//   - success of a single-part call or a final: the backend's operation is
//     over (the worker asks for whole outputs, so a length query computes
//     the output and ends it too, the output waiting in sess.pending);
//   - CKR_BUFFER_TOO_SMALL: the operation goes on, as §5.2 says and core
//     expects; the worker meets it only from a backend that announced a
//     wrong length;
//   - an answer that says the session is gone: nothing is left to end;
//   - any other error, the worker's own refusals included: every
//     operation of the call's kinds that the worker started is ended on
//     the backend (endOperation).
func (s *Server) underOperation(sess *session, call transport.MsgType, do func(name string, kind opKind) error) error {
	c := callUnder(call)
	name := call.String()
	err := do(name, c.kinds[0])
	rv := ck.RVOf(err)
	switch {
	case err == nil:
		if c.step == stepLast {
			for _, k := range c.kinds {
				sess.live[k] = false
			}
		}
	case rv == ck.CKR_BUFFER_TOO_SMALL:
	case sessionGone(rv):
		sess.forgetOperations()
	default:
		for _, k := range c.kinds {
			s.endOperation(sess, name, k, rv)
		}
	}
	return err
}

// sessionGone reports whether rv says the backend's session no longer
// exists, with every operation it had.
func sessionGone(rv ck.RV) bool {
	switch rv {
	case ck.CKR_SESSION_HANDLE_INVALID, ck.CKR_SESSION_CLOSED, ck.CKR_DEVICE_REMOVED,
		ck.CKR_TOKEN_NOT_PRESENT, ck.CKR_CRYPTOKI_NOT_INITIALIZED:
		return true
	}
	return false
}

// endOperation ends the operation of kind in sess after call failed with
// cause: an output it waits to hand over is dropped, and the backend's
// operation, when the worker started it and has not seen it end, is ended
// with the calls of rawModule.endOperation, whose answers are discarded
// (the caller gets cause). An error that proves there was no operation
// (CKR_OPERATION_NOT_INITIALIZED for a kind the worker never started)
// costs nothing.
func (s *Server) endOperation(sess *session, call string, kind opKind, cause ck.RV) {
	sess.pending[kind] = nil
	if !sess.live[kind] {
		return
	}
	sess.live[kind] = false
	answers := s.b.raw.endOperation(sess.handle, kind)
	if e := s.log.Debug(); e.Enabled() {
		parts := make([]string, len(answers))
		for i, a := range answers {
			parts[i] = a.call + "=" + a.rv.String()
		}
		e.Str("call", call).Str("rv", cause.String()).Str("operation", kind.String()).
			Str("ending", strings.Join(parts, " ")).Msg("operation ended after an error")
	}
}

// forgetOperations drops what the worker knows of the session's
// operations: its session is gone, or another state replaces them.
func (sess *session) forgetOperations() {
	sess.pending = [opKinds]*cachedOutput{}
	sess.live = [opKinds]bool{}
}
