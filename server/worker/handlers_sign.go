package worker

import (
	"context"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Signatures and MACs, docs/protocol.md 5.7 (PKCS#11 v2.40 §5.11).
func (s *Server) registerSign() {
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.SignInitRequest) (*transport.StatusResponse, error) {
		return s.initHandler("C_SignInit", opSign, &req.OperationInit, s.b.ctx.SignInit)
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.SignRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgSign, req.Data, req.LengthOnly, dataCall(s.b.ctx.Sign, req.Data))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.SignUpdateRequest) (*transport.StatusResponse, error) {
		return s.statusHandler(req.Session, transport.MsgSignUpdate, func(sh pkcs11.SessionHandle) error {
			return s.b.ctx.SignUpdate(sh, req.Data)
		})
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.SignFinalRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgSignFinal, nil, req.LengthOnly, s.b.ctx.SignFinal)
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.SignRecoverInitRequest) (*transport.StatusResponse, error) {
		return s.initHandler("C_SignRecoverInit", opSignRecover, &req.OperationInit, s.b.ctx.SignRecoverInit)
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.SignRecoverRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgSignRecover, req.Data, req.LengthOnly, dataCall(s.b.ctx.SignRecover, req.Data))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.SignOnceRequest) (*transport.FusedOutputResponse, error) {
		return s.onceHandler(&req.OnceRequest, "C_SignInit", opSign, transport.MsgSign, s.b.ctx.SignInit, dataCall(s.b.ctx.Sign, req.Data))
	})
}

// Verification, docs/protocol.md 5.7 (PKCS#11 v2.40 §5.12). Verification
// has no output to cache, except C_VerifyRecover.
func (s *Server) registerVerify() {
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.VerifyInitRequest) (*transport.StatusResponse, error) {
		return s.initHandler("C_VerifyInit", opVerify, &req.OperationInit, s.b.ctx.VerifyInit)
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.VerifyRequest) (*transport.StatusResponse, error) {
		return s.statusHandler(req.Session, transport.MsgVerify, func(sh pkcs11.SessionHandle) error {
			return s.b.ctx.Verify(sh, req.Data, req.Signature)
		})
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.VerifyUpdateRequest) (*transport.StatusResponse, error) {
		return s.statusHandler(req.Session, transport.MsgVerifyUpdate, func(sh pkcs11.SessionHandle) error {
			return s.b.ctx.VerifyUpdate(sh, req.Data)
		})
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.VerifyFinalRequest) (*transport.StatusResponse, error) {
		return s.statusHandler(req.Session, transport.MsgVerifyFinal, func(sh pkcs11.SessionHandle) error {
			return s.b.ctx.VerifyFinal(sh, req.Signature)
		})
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.VerifyRecoverInitRequest) (*transport.StatusResponse, error) {
		return s.initHandler("C_VerifyRecoverInit", opVerifyRecover, &req.OperationInit, s.b.ctx.VerifyRecoverInit)
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.VerifyRecoverRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgVerifyRecover, req.Signature, req.LengthOnly, dataCall(s.b.ctx.VerifyRecover, req.Signature))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.VerifyOnceRequest) (*transport.FusedStatusResponse, error) {
		resp := &transport.FusedStatusResponse{Stage: transport.StageInit}
		err := s.withSession(req.Session, func(sess *session) error {
			if err := s.initLocked(sess, "C_VerifyInit", opVerify, req.Mechanism, req.Key, s.b.ctx.VerifyInit); err != nil {
				return err
			}
			resp.Stage = transport.StageOperation
			return s.statusLocked(sess, transport.MsgVerify, nil, func(sh pkcs11.SessionHandle) error {
				return s.b.ctx.Verify(sh, req.Data, req.Signature)
			})
		})
		resp.RV = ck.RVOf(err)
		return resp, nil
	})
}

// Dual-function updates, docs/protocol.md 5.8 (PKCS#11 v2.40 §5.13). The
// output is the encryption's or the decryption's, cached under that kind.
func (s *Server) registerDual() {
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DigestEncryptUpdateRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgDigestEncryptUpdate, req.Data, req.LengthOnly, dataCall(s.b.ctx.DigestEncryptUpdate, req.Data))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DecryptDigestUpdateRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgDecryptDigestUpdate, req.Data, req.LengthOnly, dataCall(s.b.ctx.DecryptDigestUpdate, req.Data))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.SignEncryptUpdateRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgSignEncryptUpdate, req.Data, req.LengthOnly, dataCall(s.b.ctx.SignEncryptUpdate, req.Data))
	})
	handle(s, func(_ context.Context, _ *transport.Inbound, req *transport.DecryptVerifyUpdateRequest) (*transport.OutputResponse, error) {
		return s.outputHandler(req.Session, transport.MsgDecryptVerifyUpdate, req.Data, req.LengthOnly, dataCall(s.b.ctx.DecryptVerifyUpdate, req.Data))
	})
}
