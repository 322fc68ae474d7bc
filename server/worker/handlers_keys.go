package worker

import (
	"context"
	"encoding/binary"
	"runtime"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Keys and random numbers, docs/protocol.md 5.9 (PKCS#11 v2.40 §5.14, §5.15).
func (s *Server) registerKeys() {
	handle(s, s.generateKey)
	handle(s, s.generateKeyPair)
	handle(s, s.wrapKey)
	handle(s, s.unwrapKey)
	handle(s, s.deriveKey)
	handle(s, s.seedRandom)
	handle(s, s.generateRandom)
}

// keyCall converts a mechanism and a template for a call that creates a
// key, runs it, and records and audits the handles it returns.
func (s *Server) keyCall(sess *session, m ck.Mechanism, templates [][]ck.Attribute, call func(sh pkcs11.SessionHandle, mech []*pkcs11.Mechanism, tmpls [][]*pkcs11.Attribute) ([]ck.ObjectHandle, error)) ([]ck.ObjectHandle, error) {
	if err := s.checkMechanismHandles(m); err != nil {
		return nil, err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	mech, err := backendMechanism(m, &pin)
	if err != nil {
		return nil, err
	}
	tmpls := make([][]*pkcs11.Attribute, len(templates))
	for i, t := range templates {
		if tmpls[i], err = backendTemplate(t, &pin); err != nil {
			return nil, err
		}
	}
	handles, err := call(pkcs11.SessionHandle(sess.handle), mech, tmpls)
	if err != nil {
		return nil, err
	}
	s.addCreated(sess, handles...)
	s.auditCreated(sess, handles...)
	return handles, nil
}

func (s *Server) generateKey(_ context.Context, _ *transport.Inbound, req *transport.GenerateKeyRequest) (*transport.ObjectResponse, error) {
	resp := &transport.ObjectResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		hs, err := s.keyCall(sess, req.Mechanism, [][]ck.Attribute{req.Template}, func(sh pkcs11.SessionHandle, mech []*pkcs11.Mechanism, t [][]*pkcs11.Attribute) ([]ck.ObjectHandle, error) {
			h, err := s.b.ctx.GenerateKey(sh, mech, t[0])
			return []ck.ObjectHandle{ck.ObjectHandle(h)}, backendErr("C_GenerateKey", err)
		})
		if err == nil {
			resp.Object = hs[0]
		}
		return err
	})
}

func (s *Server) generateKeyPair(_ context.Context, _ *transport.Inbound, req *transport.GenerateKeyPairRequest) (*transport.KeyPairResponse, error) {
	resp := &transport.KeyPairResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		hs, err := s.keyCall(sess, req.Mechanism, [][]ck.Attribute{req.PublicTemplate, req.PrivateTemplate}, func(sh pkcs11.SessionHandle, mech []*pkcs11.Mechanism, t [][]*pkcs11.Attribute) ([]ck.ObjectHandle, error) {
			pub, priv, err := s.b.ctx.GenerateKeyPair(sh, mech, t[0], t[1])
			return []ck.ObjectHandle{ck.ObjectHandle(pub), ck.ObjectHandle(priv)}, backendErr("C_GenerateKeyPair", err)
		})
		if err == nil {
			resp.PublicKey, resp.PrivateKey = hs[0], hs[1]
		}
		return err
	})
}

func (s *Server) unwrapKey(_ context.Context, _ *transport.Inbound, req *transport.UnwrapKeyRequest) (*transport.ObjectResponse, error) {
	resp := &transport.ObjectResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		if err := s.checkObject(req.UnwrappingKey, ck.CKR_UNWRAPPING_KEY_HANDLE_INVALID); err != nil {
			return err
		}
		if len(req.Wrapped) == 0 {
			// miekg cannot pass an empty buffer (it takes &wrapped[0]).
			return ck.Errorf(ck.CKR_WRAPPED_KEY_LEN_RANGE, "C_UnwrapKey", "an empty wrapped key")
		}
		hs, err := s.keyCall(sess, req.Mechanism, [][]ck.Attribute{req.Template}, func(sh pkcs11.SessionHandle, mech []*pkcs11.Mechanism, t [][]*pkcs11.Attribute) ([]ck.ObjectHandle, error) {
			h, err := s.b.ctx.UnwrapKey(sh, mech, pkcs11.ObjectHandle(req.UnwrappingKey), req.Wrapped, t[0])
			return []ck.ObjectHandle{ck.ObjectHandle(h)}, backendErr("C_UnwrapKey", err)
		})
		if err == nil {
			resp.Object = hs[0]
		}
		return err
	})
}

func (s *Server) deriveKey(_ context.Context, _ *transport.Inbound, req *transport.DeriveKeyRequest) (*transport.ObjectResponse, error) {
	resp := &transport.ObjectResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		if err := s.checkObject(req.BaseKey, ck.CKR_KEY_HANDLE_INVALID); err != nil {
			return err
		}
		hs, err := s.keyCall(sess, req.Mechanism, [][]ck.Attribute{req.Template}, func(sh pkcs11.SessionHandle, mech []*pkcs11.Mechanism, t [][]*pkcs11.Attribute) ([]ck.ObjectHandle, error) {
			h, err := s.b.ctx.DeriveKey(sh, mech, pkcs11.ObjectHandle(req.BaseKey), t[0])
			return []ck.ObjectHandle{ck.ObjectHandle(h)}, backendErr("C_DeriveKey", err)
		})
		if err == nil {
			resp.Object = hs[0]
		}
		return err
	})
}

// wrapKey caches the wrapped key of a length query like an operation's
// output, so the real call returns the same bytes (RSA OAEP wrapping is
// randomised); a different call recomputes, as C_WrapKey has no state.
func (s *Server) wrapKey(_ context.Context, _ *transport.Inbound, req *transport.WrapKeyRequest) (*transport.OutputResponse, error) {
	resp := &transport.OutputResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		if err := s.checkObject(req.WrappingKey, ck.CKR_WRAPPING_KEY_HANDLE_INVALID); err != nil {
			return err
		}
		if err := s.checkObject(req.Key, ck.CKR_KEY_HANDLE_INVALID); err != nil {
			return err
		}
		if err := s.checkMechanismHandles(req.Mechanism); err != nil {
			return err
		}
		// The input that names this call: the mechanism and both handles.
		input, err := transport.AppendBody(nil, &transport.WrapKeyRequest{Mechanism: req.Mechanism, WrappingKey: req.WrappingKey, Key: req.Key})
		if err != nil {
			return err
		}
		input = binary.BigEndian.AppendUint64(input, uint64(sess.handle))
		resp.Out, err = sess.output(opWrap, transport.MsgWrapKey, input, req.LengthOnly, true, func() ([]byte, error) {
			var pin runtime.Pinner
			defer pin.Unpin()
			mech, err := backendMechanism(req.Mechanism, &pin)
			if err != nil {
				return nil, err
			}
			out, err := s.b.ctx.WrapKey(pkcs11.SessionHandle(sess.handle), mech, pkcs11.ObjectHandle(req.WrappingKey), pkcs11.ObjectHandle(req.Key))
			return out, backendErr("C_WrapKey", err)
		})
		return err
	})
}

func (s *Server) seedRandom(_ context.Context, _ *transport.Inbound, req *transport.SeedRandomRequest) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		if len(req.Seed) == 0 {
			// miekg cannot pass an empty buffer (it takes &seed[0]).
			return ck.Errorf(ck.CKR_ARGUMENTS_BAD, "C_SeedRandom", "an empty seed")
		}
		return backendErr("C_SeedRandom", s.b.ctx.SeedRandom(pkcs11.SessionHandle(sess.handle), req.Seed))
	})
}

// generateRandom refuses lengths the answer could not carry
// (docs/protocol.md 5.9: at most the frame limit less 64 bytes); the
// client splits longer requests.
func (s *Server) generateRandom(ctx context.Context, _ *transport.Inbound, req *transport.GenerateRandomRequest) (*transport.RandomResponse, error) {
	resp := &transport.RandomResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		if int64(req.Length) > int64(responseRoom(ctx)) {
			return ck.Errorf(ck.CKR_ARGUMENTS_BAD, "C_GenerateRandom", "%d bytes do not fit one answer (frame limit %d)", req.Length, frameLimit(ctx))
		}
		if req.Length == 0 {
			return nil // miekg would hand the module a NULL buffer
		}
		out, err := s.b.ctx.GenerateRandom(pkcs11.SessionHandle(sess.handle), int(req.Length))
		if err != nil {
			return backendErr("C_GenerateRandom", err)
		}
		resp.Data = out
		return nil
	})
}
