package worker

import (
	"sync"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// session is the worker's state for one backend session.
type session struct {
	handle ck.SessionHandle

	mu      sync.Mutex // held for the whole of a call on the session
	closed  bool
	pending [opKinds]*cachedOutput // outputs computed for a length query
	// live are the backend operations the worker started (their init
	// succeeded) and has not seen end: the ones to end after an error
	// (lifetime.go).
	live [opKinds]bool
}

// objectEntry is an object handle the worker gave out.
type objectEntry struct {
	// owner is the session of a session object (it dies with it); 0 for a
	// token object, or an object whose kind the backend would not say.
	owner ck.SessionHandle
}

// lockSession returns the session h, locked, or CKR_SESSION_HANDLE_INVALID
// for a handle this worker did not open (or closed). The caller unlocks.
func (s *Server) lockSession(h ck.SessionHandle) (*session, error) {
	s.mu.Lock()
	sess := s.sessions[h]
	s.mu.Unlock()
	if sess == nil {
		return nil, ck.Errorf(ck.CKR_SESSION_HANDLE_INVALID, "session", "handle %d was not opened by this application", h)
	}
	sess.mu.Lock()
	if sess.closed {
		sess.mu.Unlock()
		return nil, ck.Errorf(ck.CKR_SESSION_HANDLE_INVALID, "session", "handle %d is closed", h)
	}
	return sess, nil
}

// withSession runs f with session h locked.
func (s *Server) withSession(h ck.SessionHandle, f func(sess *session) error) error {
	sess, err := s.lockSession(h)
	if err != nil {
		return err
	}
	defer sess.mu.Unlock()
	return f(sess)
}

// reserveSession counts a session about to be opened against the limit.
func (s *Server) reserveSession() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ck.Errorf(ck.CKR_DEVICE_REMOVED, "C_OpenSession", "the worker is closing")
	}
	if len(s.sessions)+s.opening >= s.maxSessions {
		return ck.Errorf(ck.CKR_SESSION_COUNT, "C_OpenSession", "the application holds %d sessions, the limit", s.maxSessions)
	}
	s.opening++
	return nil
}

func (s *Server) addSession(h ck.SessionHandle, opened bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opening--
	if opened {
		s.sessions[h] = &session{handle: h}
	}
}

// dropSession forgets session h (locked by the caller and marked closed)
// and the session objects it owned.
func (s *Server) dropSession(h ck.SessionHandle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, h)
	for o, e := range s.objects {
		if e.owner == h {
			delete(s.objects, o)
		}
	}
}

// checkObject refuses an object handle this worker never returned, with
// rv: CKR_OBJECT_HANDLE_INVALID, or CKR_KEY_HANDLE_INVALID for a key
// argument.
func (s *Server) checkObject(h ck.ObjectHandle, rv ck.RV) error {
	s.mu.Lock()
	_, ok := s.objects[h]
	s.mu.Unlock()
	if !ok {
		return ck.Errorf(rv, "object", "handle %d was not returned to this application", h)
	}
	return nil
}

// addCreated records objects the backend just created in sess, asking it
// whether each is a session object (owned by sess) or a token object.
func (s *Server) addCreated(sess *session, handles ...ck.ObjectHandle) {
	owners := make([]ck.SessionHandle, len(handles))
	for i, h := range handles {
		attrs, err := s.b.ctx.GetAttributeValue(pkcs11.SessionHandle(sess.handle), pkcs11.ObjectHandle(h), []*pkcs11.Attribute{{Type: uint(ck.CKA_TOKEN)}})
		if err == nil && len(attrs) == 1 && len(attrs[0].Value) == 1 && attrs[0].Value[0] == ck.CK_FALSE {
			owners[i] = sess.handle
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, h := range handles {
		s.objects[h] = &objectEntry{owner: owners[i]}
	}
}

// addFound records handles a search returned. Session objects are visible
// only to the sessions of this application, which created them, so a
// handle not known yet is a token object.
func (s *Server) addFound(handles []ck.ObjectHandle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range handles {
		if _, ok := s.objects[h]; !ok {
			s.objects[h] = &objectEntry{}
		}
	}
}

func (s *Server) dropObject(h ck.ObjectHandle) {
	s.mu.Lock()
	delete(s.objects, h)
	s.mu.Unlock()
}
