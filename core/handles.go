package core

import (
	"sync"
	"sync/atomic"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// Handles the library gives applications count up from 1 and are never
// reused in the life of the process, across C_Finalize and C_Initialize
// too: an application that kept a stale handle gets
// CKR_SESSION_HANDLE_INVALID or CKR_OBJECT_HANDLE_INVALID, never another
// session or object. The counters are the process's, which is why they
// live outside the Library; they start at zero and are not set by init().
var (
	sessionCounter atomic.Uint64
	objectCounter  atomic.Uint64
)

func newSessionHandle() ck.SessionHandle { return ck.SessionHandle(sessionCounter.Add(1)) }
func newObjectHandle() ck.ObjectHandle   { return ck.ObjectHandle(objectCounter.Add(1)) }

// sessionTable maps the library's session handles to sessions.
type sessionTable struct {
	mu sync.RWMutex
	m  map[ck.SessionHandle]*session // guarded by mu
}

func newSessionTable() *sessionTable {
	return &sessionTable{m: make(map[ck.SessionHandle]*session)}
}

func (t *sessionTable) get(h ck.SessionHandle) *session {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.m[h]
}

func (t *sessionTable) add(s *session) {
	t.mu.Lock()
	t.m[s.handle] = s
	t.mu.Unlock()
}

// remove deletes h and reports whether it was there, so that exactly one
// of two racing closers does the bookkeeping.
func (t *sessionTable) remove(h ck.SessionHandle) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.m[h]
	delete(t.m, h)
	return ok
}

// matching returns the sessions for which keep is true.
func (t *sessionTable) matching(keep func(*session) bool) []*session {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []*session
	for _, s := range t.m {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// object is what the library knows of an object handle it gave out: the
// server's handle in one worker (epoch), and what it has learnt about the
// object to decide whether an operation's init can be fused.
type object struct {
	handle ck.ObjectHandle
	remote ck.ObjectHandle
	epoch  *epoch
	// owner is the session that created the object when it is a session
	// object the library saw being made; its handle dies with that
	// session. Zero for token objects and objects found by a search.
	owner ck.SessionHandle

	attrs atomic.Pointer[keyAttrs] // nil until fetched; replaced, never changed
}

// objectTable maps the library's object handles to objects. One remote
// object of one worker has one library handle (byRemote), so searching for
// a key a thousand times does not grow the table.
type objectTable struct {
	mu       sync.RWMutex
	m        map[ck.ObjectHandle]*object            // guarded by mu
	byRemote map[*epoch]map[ck.ObjectHandle]*object // guarded by mu
}

func newObjectTable() *objectTable {
	return &objectTable{m: make(map[ck.ObjectHandle]*object), byRemote: make(map[*epoch]map[ck.ObjectHandle]*object)}
}

func (t *objectTable) get(h ck.ObjectHandle) *object {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.m[h]
}

// intern returns the library's object for remote in e, making one if it
// has none. owner is recorded on a new object only.
func (t *objectTable) intern(e *epoch, remote ck.ObjectHandle, owner ck.SessionHandle) *object {
	t.mu.Lock()
	defer t.mu.Unlock()
	byRemote := t.byRemote[e]
	if byRemote == nil {
		if e.isDead() {
			// The worker is gone: hand out a handle that is already
			// invalid rather than resurrect the epoch's table.
			return &object{handle: newObjectHandle(), remote: remote, epoch: e}
		}
		byRemote = make(map[ck.ObjectHandle]*object)
		t.byRemote[e] = byRemote
	}
	if o := byRemote[remote]; o != nil {
		return o
	}
	o := &object{handle: newObjectHandle(), remote: remote, epoch: e, owner: owner}
	byRemote[remote] = o
	t.m[o.handle] = o
	return o
}

func (t *objectTable) remove(o *object) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[o.handle] == o {
		delete(t.m, o.handle)
	}
	if byRemote := t.byRemote[o.epoch]; byRemote != nil && byRemote[o.remote] == o {
		delete(byRemote, o.remote)
	}
}

// removeOwned drops the session objects of session s: the server destroyed
// them when the session closed.
func (t *objectTable) removeOwned(e *epoch, s ck.SessionHandle) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for remote, o := range t.byRemote[e] {
		if o.owner == s {
			delete(t.byRemote[e], remote)
			delete(t.m, o.handle)
		}
	}
}

// dropEpoch forgets every object of a gone worker.
func (t *objectTable) dropEpoch(e *epoch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range t.byRemote[e] {
		delete(t.m, o.handle)
	}
	delete(t.byRemote, e)
}

// len is the number of handles held, for tests.
func (t *objectTable) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}

// countEpoch is the number of handles of e's objects.
func (t *objectTable) countEpoch(e *epoch) int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.byRemote[e])
}
