package worker

import (
	"runtime"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// initFunc is a miekg C_xxxInit that takes a key.
type initFunc func(pkcs11.SessionHandle, []*pkcs11.Mechanism, pkcs11.ObjectHandle) error

// initLocked runs a C_xxxInit on a locked session: the operation must be
// idle (no uncollected output), the key one this worker returned, the
// mechanism convertible.
func (s *Server) initLocked(sess *session, op string, kind opKind, m ck.Mechanism, key ck.ObjectHandle, init initFunc) error {
	if err := sess.checkIdle(op, kind); err != nil {
		return err
	}
	if err := s.checkObject(key, ck.CKR_KEY_HANDLE_INVALID); err != nil {
		return err
	}
	if err := s.checkMechanismHandles(m); err != nil {
		return err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	mech, err := backendMechanism(m, &pin)
	if err != nil {
		return err
	}
	if err := init(pkcs11.SessionHandle(sess.handle), mech, pkcs11.ObjectHandle(key)); err != nil {
		return backendErr(op, err)
	}
	sess.live[kind] = true
	return nil
}

// checkMechanismHandles refuses a mechanism parameter that names a key this
// worker never returned (CKM_CONCATENATE_BASE_AND_KEY's parameter is a key
// handle).
func (s *Server) checkMechanismHandles(m ck.Mechanism) error {
	if m.Type == ck.CKM_CONCATENATE_BASE_AND_KEY {
		if p, ok := m.Param.(ck.ULONGParam); ok {
			return s.checkObject(ck.ObjectHandle(p), ck.CKR_KEY_HANDLE_INVALID)
		}
	}
	return nil
}

// outputFunc is a miekg call that returns output.
type outputFunc func(pkcs11.SessionHandle) ([]byte, error)

// outputLocked runs call, a message with output served under an
// operation, on a locked session: the size-query rules (outcache.go),
// then the lifetime rule (lifetime.go).
func (s *Server) outputLocked(sess *session, call transport.MsgType, input []byte, lo bool, f outputFunc) (transport.Output, error) {
	var out transport.Output
	err := s.underOperation(sess, call, func(name string, kind opKind) (err error) {
		out, err = sess.output(kind, call, input, lo, false, func() ([]byte, error) {
			data, err := f(pkcs11.SessionHandle(sess.handle))
			return data, backendErr(name, err)
		})
		return err
	})
	return out, err
}

// initHandler serves a C_xxxInit message.
func (s *Server) initHandler(op string, kind opKind, req *transport.OperationInit, init initFunc) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		return s.initLocked(sess, op, kind, req.Mechanism, req.Key, init)
	})
}

// outputHandler serves call, a message whose answer is one output.
func (s *Server) outputHandler(sh ck.SessionHandle, call transport.MsgType, input []byte, lo bool, f outputFunc) (*transport.OutputResponse, error) {
	resp := &transport.OutputResponse{}
	return resp, s.withSession(sh, func(sess *session) (err error) {
		resp.Out, err = s.outputLocked(sess, call, input, lo, f)
		return err
	})
}

// statusLocked runs call, a message without output served under an
// operation, on a locked session; check (optional) vets its arguments
// first, its refusal ending the operation as a backend error would.
func (s *Server) statusLocked(sess *session, call transport.MsgType, check func() error, f func(pkcs11.SessionHandle) error) error {
	return s.underOperation(sess, call, func(name string, kind opKind) error {
		if check != nil {
			if err := check(); err != nil {
				return err
			}
		}
		if err := sess.checkNoPending(name, kind); err != nil {
			return err
		}
		return backendErr(name, f(pkcs11.SessionHandle(sess.handle)))
	})
}

// statusHandler serves call, a message without output.
func (s *Server) statusHandler(sh ck.SessionHandle, call transport.MsgType, f func(pkcs11.SessionHandle) error) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(sh, func(sess *session) error {
		return s.statusLocked(sess, call, nil, f)
	})
}

// onceHandler serves SignOnce, EncryptOnce, DecryptOnce: the init, then
// the single-part call, with the stage of the CK_RV answered. A refused
// session fails the init (stage 1), as C_xxxInit would have; an error at
// stage 2 ends the operation as the plain single-part call's does.
func (s *Server) onceHandler(req *transport.OnceRequest, initOp string, kind opKind, call transport.MsgType, init initFunc, f outputFunc) (*transport.FusedOutputResponse, error) {
	resp := &transport.FusedOutputResponse{Stage: transport.StageInit}
	err := s.withSession(req.Session, func(sess *session) error {
		if err := s.initLocked(sess, initOp, kind, req.Mechanism, req.Key, init); err != nil {
			return err
		}
		resp.Stage = transport.StageOperation
		out, err := s.outputLocked(sess, call, req.Data, req.LengthOnly, f)
		resp.Out = out
		return err
	})
	resp.RV = ck.RVOf(err)
	if err != nil {
		resp.Out = transport.Output{}
	}
	return resp, nil
}
