package core

import "github.com/cloudp11/cloudp11/transport/ck"

// A deferred init is checked by core at C_xxxInit but run by the backend
// only with its single-part call. A change made through the library in
// between (C_SetAttributeValue clearing CKA_SIGN, C_DestroyObject of the
// key, C_Logout with a private key) would make the backend refuse an init
// that a module without fusing had already accepted, and the refusal would
// surface at the single-part call. So such a change first holds fusing on
// its binding and sends the deferred inits it affects, in every session of
// the application: the backend then holds those operations from before
// the change, exactly as if their inits had never been deferred.
//
// Lock order: holdFusing takes one session's mu at a time and is called
// with none held (before withSession).

// holdFusing holds fusing on the binding of session h and sends the
// deferred inits for which affected is true; release ends the hold. A
// deferred init the backend refuses stays deferred: its single-part call
// reports the refusal, as it would have without the hold.
func (l *Library) holdFusing(fn string, h ck.SessionHandle, affected func(*operation) bool) (release func()) {
	if l.closed.Load() {
		return func() {}
	}
	s := l.sessions.get(h)
	if s == nil {
		return func() {}
	}
	e := s.epoch
	e.fuseHold.Add(1)
	for _, x := range l.sessions.matching(func(x *session) bool { return x.epoch == e }) {
		l.sendAffectedInits(fn, x, affected)
	}
	return func() { e.fuseHold.Add(-1) }
}

func (l *Library) sendAffectedInits(fn string, x *session, affected func(*operation) bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed || x.epoch.isDead() {
		return
	}
	for _, op := range x.ops {
		if op != nil && !op.remote && !op.serverEnded && affected(op) {
			if err := l.sendInit(fn, x, op); err != nil {
				l.log.at(sevDebug, fn).Uint64("session", uint64(x.handle)).Str("rv", ck.RVOf(err).String()).
					Msg("a deferred init was refused; its single-part call will report it")
			}
		}
	}
}

// usesKey is affected for changes to object o.
func usesKey(o *object) func(*operation) bool {
	return func(op *operation) bool { return o != nil && op.key == o }
}

// usesPrivateKey is affected for C_Logout: operations on keys that are
// private, or that core did not read.
func usesPrivateKey(op *operation) bool {
	if op.key == nil {
		return false
	}
	a := op.key.attrs.Load()
	return a == nil || a.private
}
