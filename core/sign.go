package core

import (
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// SignInit is C_SignInit (§5.11). When core can check the key and the
// mechanism itself (fuse.go), nothing is sent: C_Sign then costs one
// round trip for init and signature together.
func (l *Library) SignInit(h ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.initOp("C_SignInit", h, opSign, m, key)
}

// Sign is C_Sign (§5.11). A size query computes the signature and keeps
// it, so the call that collects it returns the same bytes (ECDSA and PSS
// are randomised).
func (l *Library) Sign(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.singleCall("C_Sign", h, opSign, data, out)
}

// SignUpdate is C_SignUpdate (§5.11).
func (l *Library) SignUpdate(h ck.SessionHandle, data []byte) error {
	return l.updateNoOutput("C_SignUpdate", h, opSign, data)
}

// SignFinal is C_SignFinal (§5.11).
func (l *Library) SignFinal(h ck.SessionHandle, out Output) ([]byte, uint64, error) {
	return l.finalCall("C_SignFinal", h, opSign, out)
}

// SignRecoverInit is C_SignRecoverInit (§5.11); never deferred.
func (l *Library) SignRecoverInit(h ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.initOp("C_SignRecoverInit", h, opSignRecover, m, key)
}

// SignRecover is C_SignRecover (§5.11).
func (l *Library) SignRecover(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.singleCall("C_SignRecover", h, opSignRecover, data, out)
}

// VerifyInit is C_VerifyInit (§5.12), deferred like C_SignInit.
func (l *Library) VerifyInit(h ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.initOp("C_VerifyInit", h, opVerify, m, key)
}

// Verify is C_Verify (§5.12). It ends the operation whatever the result:
// there is no output, so no size query.
func (l *Library) Verify(h ck.SessionHandle, data, sig []byte) error {
	const fn = "C_Verify"
	return l.withSession(fn, h, func(s *session) error {
		op, err := s.activeOp(fn, opVerify)
		if err != nil {
			return err
		}
		defer s.endOp(opVerify)
		e := s.epoch
		if len(data)+len(sig) > chunkLimit(e) {
			if err := l.update(fn, s, op, data); err != nil {
				return err
			}
			return l.verifyFinal(fn, s, sig)
		}
		ctx, cancel := e.callContext()
		defer cancel()
		if !op.remote {
			req := &transport.VerifyOnceRequest{Session: s.remote, Mechanism: op.mech, Key: op.key.remote, Data: data, Signature: sig}
			resp, err := invoke[*transport.FusedStatusResponse](ctx, e, fn, req)
			if err != nil && resp != nil && resp.Stage == transport.StageInit {
				return l.fusedInitFailed(fn, s, op, err)
			}
			return err
		}
		_, err = invoke[*transport.StatusResponse](ctx, e, fn, &transport.VerifyRequest{Session: s.remote, Data: data, Signature: sig})
		return err
	})
}

// VerifyUpdate is C_VerifyUpdate (§5.12).
func (l *Library) VerifyUpdate(h ck.SessionHandle, data []byte) error {
	return l.updateNoOutput("C_VerifyUpdate", h, opVerify, data)
}

// VerifyFinal is C_VerifyFinal (§5.12); it ends the operation whatever the
// result.
func (l *Library) VerifyFinal(h ck.SessionHandle, sig []byte) error {
	const fn = "C_VerifyFinal"
	return l.withSession(fn, h, func(s *session) error {
		op, err := s.activeOp(fn, opVerify)
		if err != nil {
			return err
		}
		defer s.endOp(opVerify)
		if err := l.materialize(fn, s, op); err != nil {
			return err
		}
		return l.verifyFinal(fn, s, sig)
	})
}

func (l *Library) verifyFinal(fn string, s *session, sig []byte) error {
	ctx, cancel := s.epoch.callContext()
	defer cancel()
	_, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn, &transport.VerifyFinalRequest{Session: s.remote, Signature: sig})
	return err
}

// VerifyRecoverInit is C_VerifyRecoverInit (§5.12); never deferred.
func (l *Library) VerifyRecoverInit(h ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.initOp("C_VerifyRecoverInit", h, opVerifyRecover, m, key)
}

// VerifyRecover is C_VerifyRecover (§5.12).
func (l *Library) VerifyRecover(h ck.SessionHandle, sig []byte, out Output) ([]byte, uint64, error) {
	return l.singleCall("C_VerifyRecover", h, opVerifyRecover, sig, out)
}
