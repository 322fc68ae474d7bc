package worker

import (
	"context"
	"runtime"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Encryption and decryption, docs/protocol.md 5.6 (PKCS#11 v2.40 §5.8, §5.9).
func (s *Server) registerCrypt() {
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.EncryptInitRequest) (*transport.StatusResponse, error) {
		return s.initHandler("C_EncryptInit", opEncrypt, &req.OperationInit, s.b.ctx.EncryptInit)
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.EncryptRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgEncrypt, req.Data, req.LengthOnly, dataCall(s.b.ctx.Encrypt, req.Data))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.EncryptUpdateRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgEncryptUpdate, req.Data, req.LengthOnly, dataCall(s.b.ctx.EncryptUpdate, req.Data))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.EncryptFinalRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgEncryptFinal, nil, req.LengthOnly, s.b.ctx.EncryptFinal)
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.EncryptOnceRequest) (*transport.FusedOutputResponse, error) {
		return s.onceHandler(&req.OnceRequest, "C_EncryptInit", opEncrypt, transport.MsgEncrypt, s.b.ctx.EncryptInit, dataCall(s.b.ctx.Encrypt, req.Data))
	})

	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DecryptInitRequest) (*transport.StatusResponse, error) {
		return s.initHandler("C_DecryptInit", opDecrypt, &req.OperationInit, s.b.ctx.DecryptInit)
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DecryptRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgDecrypt, req.Data, req.LengthOnly, dataCall(s.b.ctx.Decrypt, req.Data))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DecryptUpdateRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgDecryptUpdate, req.Data, req.LengthOnly, dataCall(s.b.ctx.DecryptUpdate, req.Data))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DecryptFinalRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgDecryptFinal, nil, req.LengthOnly, s.b.ctx.DecryptFinal)
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DecryptOnceRequest) (*transport.FusedOutputResponse, error) {
		return s.onceHandler(&req.OnceRequest, "C_DecryptInit", opDecrypt, transport.MsgDecrypt, s.b.ctx.DecryptInit, dataCall(s.b.ctx.Decrypt, req.Data))
	})
}

// dataCall binds data to a miekg call that takes it.
func dataCall(f func(pkcs11.SessionHandle, []byte) ([]byte, error), data []byte) outputFunc {
	return func(sh pkcs11.SessionHandle) ([]byte, error) { return f(sh, data) }
}

// Message digesting, docs/protocol.md 5.6 (PKCS#11 v2.40 §5.10).
func (s *Server) registerDigest() {
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DigestInitRequest) (*transport.StatusResponse, error) {
		return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
			return s.digestInitLocked(sess, req.Mechanism)
		})
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DigestRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgDigest, req.Data, req.LengthOnly, dataCall(s.b.ctx.Digest, req.Data))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DigestUpdateRequest) (*transport.StatusResponse, error) {
		return s.statusHandler(req.Session, transport.MsgDigestUpdate, func(sh pkcs11.SessionHandle) error {
			return s.b.ctx.DigestUpdate(sh, req.Data)
		})
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DigestKeyRequest) (*transport.StatusResponse, error) {
		// A key this worker never returned is refused inside the session,
		// so the refusal ends the digest as the backend's would.
		return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
			check := func() error { return s.checkObject(req.Key, ck.CKR_KEY_HANDLE_INVALID) }
			return s.statusLocked(sess, transport.MsgDigestKey, check, func(sh pkcs11.SessionHandle) error {
				return s.b.ctx.DigestKey(sh, pkcs11.ObjectHandle(req.Key))
			})
		})
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DigestFinalRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgDigestFinal, nil, req.LengthOnly, s.b.ctx.DigestFinal)
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DigestOnceRequest) (*transport.FusedOutputResponse, error) {
		resp := &transport.FusedOutputResponse{Stage: transport.StageInit}
		err := s.withSession(req.Session, func(sess *session) error {
			if err := s.digestInitLocked(sess, req.Mechanism); err != nil {
				return err
			}
			resp.Stage = transport.StageOperation
			out, err := s.outputLocked(sess, transport.MsgDigest, req.Data, req.LengthOnly, dataCall(s.b.ctx.Digest, req.Data))
			resp.Out = out
			return err
		})
		resp.RV = ck.RVOf(err)
		if err != nil {
			resp.Out = transport.Output{}
		}
		return resp, nil
	})
}

func (s *Server) digestInitLocked(sess *session, m ck.Mechanism) error {
	if err := sess.checkIdle("C_DigestInit", opDigest); err != nil {
		return err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	mech, err := backendMechanism(m, &pin)
	if err != nil {
		return err
	}
	if err := s.b.ctx.DigestInit(pkcs11.SessionHandle(sess.handle), mech); err != nil {
		return backendErr("C_DigestInit", err)
	}
	sess.live[opDigest] = true
	return nil
}
