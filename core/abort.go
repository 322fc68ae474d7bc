package core

import (
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Ending an operation from outside the server's answer: when a call fails
// before the server saw it (the boundary refused its arguments, core
// refused a collection that differs from its size query), the operation
// must end as the failed call would have ended it, in core and in the
// server's worker alike. Ending it in core alone leaves the worker's
// backend session busy, and the application's next C_xxxInit answers
// CKR_OPERATION_ACTIVE from the server.

// functionOperations are the operations each function of v2.40 5.8-5.13
// runs under, the C_xxxInit functions excepted (they start one). A
// dual-function update runs under two, and an error ends both.
var functionOperations = map[string][]opKind{
	"C_Encrypt":             {opEncrypt},
	"C_EncryptUpdate":       {opEncrypt},
	"C_EncryptFinal":        {opEncrypt},
	"C_Decrypt":             {opDecrypt},
	"C_DecryptUpdate":       {opDecrypt},
	"C_DecryptFinal":        {opDecrypt},
	"C_Digest":              {opDigest},
	"C_DigestUpdate":        {opDigest},
	"C_DigestKey":           {opDigest},
	"C_DigestFinal":         {opDigest},
	"C_Sign":                {opSign},
	"C_SignUpdate":          {opSign},
	"C_SignFinal":           {opSign},
	"C_SignRecover":         {opSignRecover},
	"C_Verify":              {opVerify},
	"C_VerifyUpdate":        {opVerify},
	"C_VerifyFinal":         {opVerify},
	"C_VerifyRecover":       {opVerifyRecover},
	"C_DigestEncryptUpdate": {opDigest, opEncrypt},
	"C_DecryptDigestUpdate": {opDecrypt, opDigest},
	"C_SignEncryptUpdate":   {opSign, opEncrypt},
	"C_DecryptVerifyUpdate": {opDecrypt, opVerify},
}

// AbortOperation ends the operations a call of fn runs under, as PKCS#11
// has a failed call end them (v2.40 5.2 and 5.8-5.13: a single-part call,
// an update or a final ends its operation whatever it returns, except
// CKR_BUFFER_TOO_SMALL and a successful size query). It is for the
// boundary, which refuses some arguments before core sees the call (a NULL
// length pointer, NULL data with a length, an input longer than a frame):
// the boundary calls it, then answers its own error. fn is the function's
// name ("C_Sign", "C_DigestEncryptUpdate").
//
// An operation whose init core deferred (fuse.go) lives only in core and
// just ends. One the server holds is ended there too: PKCS#11 v2.40 has no
// cancel, so core sends the call of its kind that ends it whatever the
// outcome, and discards the answer: C_EncryptFinal, C_DecryptFinal,
// C_DigestFinal or C_SignFinal; C_VerifyFinal with an empty signature;
// C_SignRecover or C_VerifyRecover with empty input. A final answered
// CKR_FUNCTION_NOT_SUPPORTED or CKR_OPERATION_NOT_INITIALIZED may have
// left the operation alone: SoftHSM answers so, and keeps the operation,
// for a mechanism without a multi-part form (RSA encryption, ECDSA
// without a hash). The single-part call with empty input follows then,
// which ends it; against a server whose operation was gone already it
// costs one round trip and changes nothing. Both calls are bounded by the
// member's call_timeout together.
//
// Nothing happens when fn runs under no operation (the C_xxxInit
// functions among others), when no operation of its kind is active, when
// h is not a session, or after C_Finalize.
func (l *Library) AbortOperation(h ck.SessionHandle, fn string) {
	kinds := functionOperations[fn]
	if len(kinds) == 0 || l.closed.Load() {
		return
	}
	s := l.sessions.get(h)
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.epoch.isDead() {
		return
	}
	for _, k := range kinds {
		s.abortOp(fn, k)
	}
}

// abortOp ends the operation of kind k because fn failed without the
// server seeing it, on the server too when it holds the operation (see
// AbortOperation). s.mu is held.
func (s *session) abortOp(fn string, k opKind) {
	op := s.ops[k]
	if op == nil {
		return
	}
	s.endOp(k)
	if !op.heldByServer() {
		return
	}
	e := s.epoch
	ctx, cancel := e.callContext()
	defer cancel()
	end := endingRequests(s, k)
	rv := ck.CKR_OK
	for i, req := range end {
		// A transport error says nothing of the server's state; the
		// next call on the session finds out.
		m, err := e.call(ctx, fn, req)
		if err != nil {
			rv = ck.RVOf(err)
			break
		}
		if r, ok := m.(transport.Result); ok {
			rv = r.ReturnValue()
		}
		if (rv != ck.CKR_FUNCTION_NOT_SUPPORTED && rv != ck.CKR_OPERATION_NOT_INITIALIZED) || i == len(end)-1 {
			break
		}
	}
	e.cluster.log.at(sevDebug, fn).Str("operation", k.String()).Str("rv", rv.String()).
		Msg("operation ended on the server after the call failed in the library")
}

// heldByServer reports whether the server's worker holds op: its init was
// sent, and no single-part call or final has computed its whole output
// (which ends it on the server, the output then waiting in pending).
func (op *operation) heldByServer() bool { return op.remote && !op.serverEnded }

// endingRequests are the calls that end an operation of kind k on the
// server whatever they answer, in the order abortOp tries them.
func endingRequests(s *session, k opKind) []transport.Request {
	switch k {
	case opVerify:
		return []transport.Request{
			&transport.VerifyFinalRequest{Session: s.remote},
			&transport.VerifyRequest{Session: s.remote},
		}
	case opSignRecover, opVerifyRecover:
		return []transport.Request{singleRequest(s, k, nil)}
	}
	return []transport.Request{finalRequest(s, k), singleRequest(s, k, nil)}
}

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
	case opVerify:
		return "C_VerifyInit"
	case opSignRecover:
		return "C_SignRecoverInit"
	case opVerifyRecover:
		return "C_VerifyRecoverInit"
	}
	return "unknown operation"
}
