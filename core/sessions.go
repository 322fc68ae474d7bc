package core

import (
	"errors"
	"sync"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// session is one of the application's sessions: the library's handle, the
// server's handle in the epoch's worker, and the state of the operations
// running in it. mu is held for the whole of a call on the session, so two
// threads that break PKCS#11's rule of one call per session at a time are
// served one after the other instead of corrupting the state.
type session struct {
	handle ck.SessionHandle
	slot   *slot
	epoch  *epoch
	remote ck.SessionHandle
	rw     bool

	mu     sync.Mutex
	closed bool                    // guarded by mu
	ops    [opKindCount]*operation // guarded by mu; one per kind (kryoptic's session.rs)
	find   *search                 // guarded by mu
	// lastOutput is the output of a size query of a function that runs no
	// operation (C_WrapKey, C_GetOperationState), kept for the call that
	// collects it. Guarded by mu.
	lastOutput *pendingOutput
}

// withSession runs f on session h under its lock. A session whose binding
// has ended answers CKR_SESSION_HANDLE_INVALID, and so does one whose
// binding ends during f.
func (l *Library) withSession(fn string, h ck.SessionHandle, f func(s *session) error) (err error) {
	defer func() { l.trace(fn, err) }()
	if err := l.enter(fn); err != nil {
		return err
	}
	s := l.sessions.get(h)
	if s == nil {
		return rvErr(ck.CKR_SESSION_HANDLE_INVALID, fn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return rvErr(ck.CKR_SESSION_HANDLE_INVALID, fn)
	}
	if s.epoch.isDead() {
		l.dropSession(s)
		return &ck.Error{RV: ck.CKR_SESSION_HANDLE_INVALID, Op: fn, Err: s.epoch.goneError()}
	}
	if l.log.traces(traceInputs) {
		l.log.at(sevDebug, fn).Uint64("session", uint64(h)).Uint64("slot", uint64(s.slot.id)).Msg("in")
	}
	err = f(s)
	var gone *epochGoneError
	if errors.As(err, &gone) {
		l.dropSession(s)
		return &ck.Error{RV: ck.CKR_SESSION_HANDLE_INVALID, Op: fn, Err: err}
	}
	return err
}

// dropSession forgets s: its handle becomes invalid and its session
// objects with it. Closing the last session of a token logs the
// application out (§5.6, C_CloseSession). s.mu is held.
func (l *Library) dropSession(s *session) {
	if s.closed {
		return
	}
	s.closed = true
	s.ops = [opKindCount]*operation{}
	s.find = nil
	s.lastOutput = nil
	l.sessions.remove(s.handle)
	l.objects.removeOwned(s.epoch, s.handle)
	if s.rw {
		s.epoch.rwSessions.add(-1)
	}
	if s.epoch.sessions.add(-1) == 0 {
		s.epoch.setLogin(false, 0)
	}
}

// OpenSession is C_OpenSession (§5.6). The session is opened in the
// worker of the slot's bound member; CKF_SERIAL_SESSION is required
// (CKR_SESSION_PARALLEL_NOT_SUPPORTED otherwise). Notification callbacks
// are the boundary's: core never calls back.
func (l *Library) OpenSession(id ck.SlotID, flags uint64) (h ck.SessionHandle, err error) {
	const fn = "C_OpenSession"
	defer func() { l.trace(fn, err) }()
	if err := l.enter(fn); err != nil {
		return 0, err
	}
	s, err := l.slot(fn, id)
	if err != nil {
		return 0, err
	}
	if flags&ck.CKF_SERIAL_SESSION == 0 {
		return 0, rvErr(ck.CKR_SESSION_PARALLEL_NOT_SUPPORTED, fn)
	}
	rw := flags&ck.CKF_RW_SESSION != 0
	err = s.withEpoch(fn, func(e *epoch) error {
		ctx, cancel := e.callContext()
		defer cancel()
		resp, err := invoke[*transport.SessionResponse](ctx, e, fn,
			&transport.OpenSessionRequest{Flags: flags & (ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION)})
		if err != nil {
			return err
		}
		sess := &session{handle: newSessionHandle(), slot: s, epoch: e, remote: resp.Session, rw: rw}
		e.sessions.add(1)
		if rw {
			e.rwSessions.add(1)
		}
		l.sessions.add(sess)
		if e.isDead() {
			// The binding ended between the answer and here; kill may
			// have missed the session.
			l.sessions.remove(sess.handle)
			return e.goneError()
		}
		h = sess.handle
		return nil
	})
	return h, err
}

// CloseSession is C_CloseSession (§5.6). The handle is invalid afterwards
// whatever the server answers: an application does not use a session it
// closed, and a session the server no longer knew was closed already.
func (l *Library) CloseSession(h ck.SessionHandle) error {
	const fn = "C_CloseSession"
	return l.withSession(fn, h, func(s *session) error {
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		_, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn, &transport.CloseSessionRequest{Session: s.remote})
		l.dropSession(s)
		switch ck.RVOf(err) {
		case ck.CKR_SESSION_HANDLE_INVALID, ck.CKR_SESSION_CLOSED:
			return nil
		}
		var gone *epochGoneError
		if errors.As(err, &gone) {
			return nil // the session went with its worker: closed either way
		}
		return err
	})
}

// CloseAllSessions is C_CloseAllSessions (§5.6): every session of the
// slot, with one message (each slot has its own worker, so the server's
// C_CloseAllSessions closes exactly the slot's sessions).
func (l *Library) CloseAllSessions(id ck.SlotID) (err error) {
	const fn = "C_CloseAllSessions"
	defer func() { l.trace(fn, err) }()
	if err := l.enter(fn); err != nil {
		return err
	}
	s, err := l.slot(fn, id)
	if err != nil {
		return err
	}
	e := s.cluster.current()
	if e != nil && e.sessionCount() > 0 {
		ctx, cancel := e.callContext()
		_, err = invoke[*transport.StatusResponse](ctx, e, fn, &transport.CloseAllSessionsRequest{})
		cancel()
		var gone *epochGoneError
		if errors.As(err, &gone) {
			err = nil
		}
	}
	for _, sess := range l.sessions.matching(func(x *session) bool { return x.slot == s }) {
		sess.mu.Lock()
		l.dropSession(sess)
		sess.mu.Unlock()
	}
	return err
}

// SessionInfo is C_GetSessionInfo (§5.6) from the server, which knows the
// login state and the device error; the slot id is the library's
// (SessionSlot).
func (l *Library) SessionInfo(h ck.SessionHandle) (info ck.SessionInfo, err error) {
	const fn = "C_GetSessionInfo"
	err = l.withSession(fn, h, func(s *session) error {
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		resp, err := invoke[*transport.SessionInfoResponse](ctx, s.epoch, fn, &transport.GetSessionInfoRequest{Session: s.remote})
		if err != nil {
			return err
		}
		info = resp.Info
		return nil
	})
	return info, err
}

// SessionSlot is the slot of session h, for CK_SESSION_INFO's slotID
// (ck.SessionInfo leaves it to the client). It answers locally.
func (l *Library) SessionSlot(h ck.SessionHandle) (ck.SlotID, error) {
	if err := l.enter("C_GetSessionInfo"); err != nil {
		return 0, err
	}
	s := l.sessions.get(h)
	if s == nil {
		return 0, rvErr(ck.CKR_SESSION_HANDLE_INVALID, "C_GetSessionInfo")
	}
	return s.slot.id, nil
}

// Login is C_Login (§5.6). Login state belongs to the application and the
// token: the slot's worker is one application, so the server gives the
// specification's answers (CKR_USER_ALREADY_LOGGED_IN...). A
// context-specific login (CKA_ALWAYS_AUTHENTICATE keys) applies to the
// operation just initialised, so an init core deferred is sent first. The
// PIN is never logged or kept.
func (l *Library) Login(h ck.SessionHandle, userType uint64, pin []byte) error {
	const fn = "C_Login"
	return l.withSession(fn, h, func(s *session) error {
		if ck.UserType(userType) == ck.CKU_CONTEXT_SPECIFIC {
			if err := l.sendDeferredInits(fn, s); err != nil {
				return err
			}
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		_, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn,
			&transport.LoginRequest{Session: s.remote, UserType: ck.UserType(userType), PIN: transport.Secret(pin)})
		switch ck.RVOf(err) {
		case ck.CKR_OK, ck.CKR_USER_ALREADY_LOGGED_IN:
			if ck.UserType(userType) != ck.CKU_CONTEXT_SPECIFIC {
				s.epoch.setLogin(true, ck.UserType(userType))
			}
		}
		sev := sevNotice
		if err != nil {
			sev = sevWarning
		}
		s.slot.log.at(sev, fn).Uint64("slot", uint64(s.slot.id)).Str("user_type", ck.UserType(userType).String()).
			Str("rv", ck.RVOf(err).String()).Msg("login")
		return err
	})
}

// Logout is C_Logout (§5.6). Logging out when not logged in is
// CKR_USER_NOT_LOGGED_IN, answered by core from the login state it keeps
// (every login of the slot's worker goes through it): SoftHSM answers
// CKR_OK there. Inits deferred with a private key are sent first
// (fuse_hold.go), so their operations start while the key is visible, as
// without fusing; whether they survive the logout is the backend's
// business (§5.6 allows either).
func (l *Library) Logout(h ck.SessionHandle) error {
	const fn = "C_Logout"
	defer l.holdFusing(fn, h, usesPrivateKey)()
	return l.withSession(fn, h, func(s *session) error {
		if in, _ := s.epoch.login(); !in {
			return rvErr(ck.CKR_USER_NOT_LOGGED_IN, fn)
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		_, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn, &transport.LogoutRequest{Session: s.remote})
		switch ck.RVOf(err) {
		case ck.CKR_OK, ck.CKR_USER_NOT_LOGGED_IN:
			s.epoch.setLogin(false, 0)
		}
		return err
	})
}

// InitPIN is C_InitPIN (§5.5), for the security officer.
func (l *Library) InitPIN(h ck.SessionHandle, pin []byte) error {
	const fn = "C_InitPIN"
	return l.withSession(fn, h, func(s *session) error {
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		_, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn, &transport.InitPINRequest{Session: s.remote, PIN: transport.Secret(pin)})
		return err
	})
}

// SetPIN is C_SetPIN (§5.5).
func (l *Library) SetPIN(h ck.SessionHandle, oldPIN, newPIN []byte) error {
	const fn = "C_SetPIN"
	return l.withSession(fn, h, func(s *session) error {
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		_, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn,
			&transport.SetPINRequest{Session: s.remote, OldPIN: transport.Secret(oldPIN), NewPIN: transport.Secret(newPIN)})
		return err
	})
}

// OperationState is C_GetOperationState (§5.6), with the output
// convention. Inits core deferred are sent first, so the state the server
// saves is complete.
func (l *Library) OperationState(h ck.SessionHandle, out Output) (data []byte, n uint64, err error) {
	const fn = "C_GetOperationState"
	err = l.withSession(fn, h, func(s *session) error {
		if err := l.sendDeferredInits(fn, s); err != nil {
			return err
		}
		data, n, err = s.outputOnce(fn, nil, out, func() ([]byte, error) {
			ctx, cancel := s.epoch.callContext()
			defer cancel()
			resp, err := invoke[*transport.OutputResponse](ctx, s.epoch, fn, &transport.GetOperationStateRequest{Session: s.remote})
			if err != nil {
				return nil, err
			}
			return resp.Out.Data, nil
		})
		return err
	})
	return data, n, err
}

// SetOperationState is C_SetOperationState (§5.6). The restored state is
// the server's: which operations it holds, core cannot tell, so every
// kind is marked restored and the server answers for them (a C_SignUpdate
// then goes to the server, which says CKR_OPERATION_NOT_INITIALIZED if
// the state had no signature).
func (l *Library) SetOperationState(h ck.SessionHandle, state []byte, encKey, authKey ck.ObjectHandle) error {
	const fn = "C_SetOperationState"
	return l.withSession(fn, h, func(s *session) error {
		req := &transport.SetOperationStateRequest{Session: s.remote, State: state}
		for _, k := range []struct {
			local  ck.ObjectHandle
			remote *ck.ObjectHandle
		}{{encKey, &req.EncryptionKey}, {authKey, &req.AuthenticationKey}} {
			if k.local == ck.CK_INVALID_HANDLE {
				continue
			}
			o, err := l.object(fn, s, k.local, ck.CKR_KEY_HANDLE_INVALID)
			if err != nil {
				return err
			}
			*k.remote = o.remote
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		if _, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn, req); err != nil {
			return err
		}
		for k := range s.ops {
			s.ops[k] = &operation{kind: opKind(k), remote: true, restored: true}
		}
		return nil
	})
}
