package worker

import (
	"cmp"
	"context"
	"slices"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Sessions, docs/protocol.md 5.4 (PKCS#11 v2.40 §5.6).
func (s *Server) registerSessions() {
	handle(s, s.openSession)
	handle(s, s.closeSession)
	handle(s, s.closeAllSessions)
	handle(s, s.getSessionInfo)
	handle(s, s.getOperationState)
	handle(s, s.setOperationState)
	handle(s, s.login)
	handle(s, s.logout)
}

func (s *Server) openSession(_ context.Context, _ *transport.Inbound, req *transport.OpenSessionRequest) (*transport.SessionResponse, error) {
	if err := s.reserveSession(); err != nil {
		return nil, err
	}
	sh, err := s.b.ctx.OpenSession(s.b.slot, uint(req.Flags))
	s.addSession(ck.SessionHandle(sh), err == nil)
	if err != nil {
		return nil, backendErr("C_OpenSession", err)
	}
	return &transport.SessionResponse{Session: ck.SessionHandle(sh)}, nil
}

func (s *Server) closeSession(_ context.Context, _ *transport.Inbound, req *transport.CloseSessionRequest) (*transport.StatusResponse, error) {
	sess, err := s.lockSession(req.Session)
	if err != nil {
		return nil, err
	}
	defer sess.mu.Unlock()
	if err := s.b.ctx.CloseSession(pkcs11.SessionHandle(sess.handle)); err != nil {
		rv := rvOf(err)
		if rv != ck.CKR_SESSION_HANDLE_INVALID && rv != ck.CKR_SESSION_CLOSED {
			return nil, backendErr("C_CloseSession", err)
		}
		// The backend no longer knows it: forget it too.
	}
	sess.closed = true
	sess.forgetOperations()
	s.dropSession(sess.handle)
	return &transport.StatusResponse{}, nil
}

// closeAllSessions closes this application's sessions: the backend's
// C_CloseAllSessions is per application, which a worker is.
func (s *Server) closeAllSessions(_ context.Context, _ *transport.Inbound, _ *transport.CloseAllSessionsRequest) (*transport.StatusResponse, error) {
	s.mu.Lock()
	all := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()
	// One order for every caller, so two of these never deadlock.
	slices.SortFunc(all, func(a, b *session) int { return cmp.Compare(a.handle, b.handle) })
	for _, sess := range all {
		sess.mu.Lock()
		defer sess.mu.Unlock()
	}
	if err := s.b.ctx.CloseAllSessions(s.b.slot); err != nil {
		return nil, backendErr("C_CloseAllSessions", err)
	}
	for _, sess := range all {
		sess.closed = true
		sess.forgetOperations()
		s.dropSession(sess.handle)
	}
	return &transport.StatusResponse{}, nil
}

func (s *Server) getSessionInfo(_ context.Context, _ *transport.Inbound, req *transport.GetSessionInfoRequest) (*transport.SessionInfoResponse, error) {
	resp := &transport.SessionInfoResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		si, err := s.b.ctx.GetSessionInfo(pkcs11.SessionHandle(sess.handle))
		if err != nil {
			return backendErr("C_GetSessionInfo", err)
		}
		resp.Info = ck.SessionInfo{State: ck.State(si.State), Flags: ck.ULONG(si.Flags), DeviceError: ck.ULONG(si.DeviceError)}
		return nil
	})
}

func (s *Server) getOperationState(_ context.Context, _ *transport.Inbound, req *transport.GetOperationStateRequest) (*transport.OutputResponse, error) {
	resp := &transport.OutputResponse{}
	return resp, s.withSession(req.Session, func(sess *session) (err error) {
		resp.Out, err = sess.output(opState, transport.MsgGetOperationState, nil, req.LengthOnly, true, func() ([]byte, error) {
			out, err := s.b.ctx.GetOperationState(pkcs11.SessionHandle(sess.handle))
			return out, backendErr("C_GetOperationState", err)
		})
		return err
	})
}

func (s *Server) setOperationState(_ context.Context, _ *transport.Inbound, req *transport.SetOperationStateRequest) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		for _, k := range []ck.ObjectHandle{req.EncryptionKey, req.AuthenticationKey} {
			if k != ck.CK_INVALID_HANDLE {
				if err := s.checkObject(k, ck.CKR_KEY_HANDLE_INVALID); err != nil {
					return err
				}
			}
		}
		if len(req.State) == 0 {
			// miekg cannot pass an empty buffer (it takes &state[0]).
			return ck.Errorf(ck.CKR_SAVED_STATE_INVALID, "C_SetOperationState", "an empty state")
		}
		sess.pending = [opKinds]*cachedOutput{}
		err := s.b.ctx.SetOperationState(pkcs11.SessionHandle(sess.handle), req.State,
			pkcs11.ObjectHandle(req.EncryptionKey), pkcs11.ObjectHandle(req.AuthenticationKey))
		if err == nil {
			// The state may hold any operation, which the worker cannot
			// see: each counts as started, so an error ends it. Ending one
			// that is not there costs a call answering
			// CKR_OPERATION_NOT_INITIALIZED.
			for _, k := range operationKinds {
				sess.live[k] = true
			}
		}
		return backendErr("C_SetOperationState", err)
	})
}

func (s *Server) login(_ context.Context, _ *transport.Inbound, req *transport.LoginRequest) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		err := s.b.ctx.Login(pkcs11.SessionHandle(sess.handle), uint(req.UserType), string(req.PIN.Reveal()))
		s.auditLogin(req.UserType, rvOf(err))
		return backendErr("C_Login", err)
	})
}

func (s *Server) logout(_ context.Context, _ *transport.Inbound, req *transport.LogoutRequest) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		return backendErr("C_Logout", s.b.ctx.Logout(pkcs11.SessionHandle(sess.handle)))
	})
}

// auditLogin records a C_Login: who (the user type), and for a failure
// the CK_RV; never the PIN.
func (s *Server) auditLogin(userType ck.UserType, rv ck.RV) {
	e := audit.Event{Type: audit.TokenLogin, Peer: s.peer, Actor: userType.String()}
	if rv != ck.CKR_OK {
		e.Type = audit.TokenLoginFailed
		e.Reason = rv.String()
	}
	s.writeAudit(e)
}
