package worker

import (
	"context"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Slots and tokens, docs/protocol.md 5.3 (PKCS#11 v2.40 §5.5).
func (s *Server) registerToken() {
	handle(s, s.getTokenInfo)
	handle(s, s.getMechanismList)
	handle(s, s.getMechanismInfo)
	handle(s, s.initToken)
	handle(s, s.initPIN)
	handle(s, s.setPIN)
}

func (s *Server) getTokenInfo(_ context.Context, _ *transport.Inbound, _ *transport.GetTokenInfoRequest) (*transport.TokenInfoResponse, error) {
	ti, err := s.b.ctx.GetTokenInfo(s.b.slot)
	if err != nil {
		return nil, backendErr("C_GetTokenInfo", err)
	}
	info := ck.TokenInfo{
		Flags:              ck.ULONG(ti.Flags),
		MaxSessionCount:    ck.ULONG(ti.MaxSessionCount),
		SessionCount:       ck.ULONG(ti.SessionCount),
		MaxRwSessionCount:  ck.ULONG(ti.MaxRwSessionCount),
		RwSessionCount:     ck.ULONG(ti.RwSessionCount),
		MaxPinLen:          ck.ULONG(ti.MaxPinLen),
		MinPinLen:          ck.ULONG(ti.MinPinLen),
		TotalPublicMemory:  ck.ULONG(ti.TotalPublicMemory),
		FreePublicMemory:   ck.ULONG(ti.FreePublicMemory),
		TotalPrivateMemory: ck.ULONG(ti.TotalPrivateMemory),
		FreePrivateMemory:  ck.ULONG(ti.FreePrivateMemory),
		HardwareVersion:    ck.Version{Major: ti.HardwareVersion.Major, Minor: ti.HardwareVersion.Minor},
		FirmwareVersion:    ck.Version{Major: ti.FirmwareVersion.Major, Minor: ti.FirmwareVersion.Minor},
	}
	// The application's view of the session limit is this worker's, which
	// is the tighter one when the backend's is larger (or "effectively
	// infinite", 0).
	if info.MaxSessionCount == 0 || info.MaxSessionCount > ck.ULONG(s.maxSessions) {
		if info.MaxSessionCount != ck.CK_UNAVAILABLE_INFORMATION {
			info.MaxSessionCount = ck.ULONG(s.maxSessions)
		}
	}
	copy(info.Label[:], ck.Padded(ti.Label, 32))
	copy(info.ManufacturerID[:], ck.Padded(ti.ManufacturerID, 32))
	copy(info.Model[:], ck.Padded(ti.Model, 16))
	copy(info.SerialNumber[:], ck.Padded(ti.SerialNumber, 16))
	copy(info.UTCTime[:], ck.Padded(ti.UTCTime, 16))
	return &transport.TokenInfoResponse{Info: info}, nil
}

func (s *Server) getMechanismList(_ context.Context, _ *transport.Inbound, _ *transport.GetMechanismListRequest) (*transport.MechanismListResponse, error) {
	list, err := s.b.ctx.GetMechanismList(s.b.slot)
	if err != nil {
		return nil, backendErr("C_GetMechanismList", err)
	}
	out := make([]ck.MechanismType, len(list))
	for i, m := range list {
		out[i] = ck.MechanismType(m.Mechanism)
	}
	return &transport.MechanismListResponse{Mechanisms: out}, nil
}

func (s *Server) getMechanismInfo(_ context.Context, _ *transport.Inbound, req *transport.GetMechanismInfoRequest) (*transport.MechanismInfoResponse, error) {
	mi, err := s.b.ctx.GetMechanismInfo(s.b.slot, []*pkcs11.Mechanism{pkcs11.NewMechanism(uint(req.Mechanism), nil)})
	if err != nil {
		return nil, backendErr("C_GetMechanismInfo", err)
	}
	return &transport.MechanismInfoResponse{Info: ck.MechanismInfo{
		MinKeySize: ck.ULONG(mi.MinKeySize), MaxKeySize: ck.ULONG(mi.MaxKeySize), Flags: ck.ULONG(mi.Flags),
	}}, nil
}

// initToken is refused: a partition is initialised by the operator, and
// re-initialising it over the wire would destroy every key of the tenant.
func (s *Server) initToken(_ context.Context, _ *transport.Inbound, _ *transport.InitTokenRequest) (*transport.StatusResponse, error) {
	return nil, ck.Errorf(ck.CKR_FUNCTION_NOT_SUPPORTED, "C_InitToken", "partitions are initialised by the operator")
}

func (s *Server) initPIN(_ context.Context, _ *transport.Inbound, req *transport.InitPINRequest) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		return backendErr("C_InitPIN", s.b.ctx.InitPIN(pkcs11.SessionHandle(sess.handle), string(req.PIN.Reveal())))
	})
}

func (s *Server) setPIN(_ context.Context, _ *transport.Inbound, req *transport.SetPINRequest) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		return backendErr("C_SetPIN", s.b.ctx.SetPIN(pkcs11.SessionHandle(sess.handle), string(req.OldPIN.Reveal()), string(req.NewPIN.Reveal())))
	})
}
