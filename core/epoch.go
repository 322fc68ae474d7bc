package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// epoch is one binding of a slot to a member: the member's worker that
// holds our sessions, and up to `connections` connections to it, over
// which calls are spread. See cluster.
type epoch struct {
	seq      uint64 // per cluster, for logs
	cluster  *cluster
	index    int // the member's index in cluster.members
	member   *Member
	caps     transport.Capabilities
	maxFrame uint32

	mu      sync.Mutex
	clients []*transport.Client // guarded by mu; nil: not connected
	dialing []bool              // guarded by mu: a background dial runs for the index
	deadWhy error               // guarded by mu
	next    atomic.Uint64       // round-robin over clients
	dead    atomic.Bool

	sessions   counter // open sessions of the library in this epoch
	rwSessions counter

	loginMu  sync.Mutex
	loggedIn bool        // guarded by loginMu: the application is logged in to the token
	user     ck.UserType // guarded by loginMu

	// fuseHold counts the calls in progress that change what canDefer
	// checks (C_SetAttributeValue, C_DestroyObject, C_Logout): while it is
	// not zero, inits go alone and what is read of keys is not kept.
	fuseHold atomic.Int32
	attrMu   sync.Mutex
	attrGen  uint64 // guarded by attrMu: changes to keys made through the library

	mechMu   sync.Mutex
	mechs    []ck.MechanismType                   // guarded by mechMu; nil until fetched
	mechInfo map[ck.MechanismType]mechanismAnswer // guarded by mechMu
}

// mechanismAnswer is a cached C_GetMechanismInfo answer: the info, or the
// CK_RV the token gave (CKR_MECHANISM_INVALID).
type mechanismAnswer struct {
	info ck.MechanismInfo
	rv   ck.RV
}

// epochGoneError says the binding a session or object handle belonged to
// has ended. For a session that is CKR_SESSION_HANDLE_INVALID: its
// sessions lived in a worker the library can no longer reach.
type epochGoneError struct {
	member string
	why    error
}

func (e *epochGoneError) Error() string {
	return fmt.Sprintf("the sessions on %s are gone: %v", e.member, e.why)
}

func (e *epochGoneError) Unwrap() error { return e.why }

func (e *epochGoneError) CKRV() ck.RV { return ck.CKR_SESSION_HANDLE_INVALID }

var errNewWorker = errors.New("the member answered from a new worker that no longer holds the sessions")

func (e *epoch) isDead() bool { return e.dead.Load() }

func (e *epoch) goneError() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return &epochGoneError{member: e.member.HSM.Name, why: e.deadWhy}
}

func (e *epoch) sessionCount() int64 { return e.sessions.load() }

// fill opens the member's other connections in the background.
func (e *epoch) fill() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.clients {
		e.dialLocked(i)
	}
}

// dialLocked starts a background connection for index i when there is
// none and none is being made. e.mu is held.
func (e *epoch) dialLocked(i int) {
	if e.clients[i] != nil || e.dialing[i] || e.dead.Load() {
		return
	}
	lib := e.cluster.lib
	if !lib.startBackground() {
		return // finalizing
	}
	e.dialing[i] = true
	go func() {
		defer lib.background.Done()
		client, err := e.cluster.connectMember(lib.ctx, "", e.index, 1)
		e.mu.Lock()
		e.dialing[i] = false
		keep := err == nil && !e.dead.Load() && e.clients[i] == nil
		if keep {
			e.clients[i] = client
		}
		e.mu.Unlock()
		if err == nil && !keep {
			client.Close()
		}
	}()
}

// pick returns a live connection, round-robin, and starts replacing the
// dead ones it passes; nil when none is live.
func (e *epoch) pick() *transport.Client {
	var dead []*transport.Client
	e.mu.Lock()
	n := len(e.clients)
	var chosen *transport.Client
	start := int(e.next.Add(1) % uint64(max(n, 1)))
	for k := range n {
		i := (start + k) % n
		c := e.clients[i]
		if c == nil {
			continue
		}
		if c.Err() != nil {
			dead = append(dead, c)
			e.clients[i] = nil
			continue
		}
		if chosen == nil {
			chosen = c
		}
	}
	if chosen != nil {
		for i := range e.clients {
			e.dialLocked(i)
		}
	}
	e.mu.Unlock()
	for _, c := range dead {
		c.Close()
	}
	return chosen
}

// liveClient is pick without the side effects, for C_Finalize.
func (e *epoch) liveClient() *transport.Client {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.clients {
		if c != nil && c.Err() == nil {
			return c
		}
	}
	return nil
}

// client returns a live connection to the epoch's member, reconnecting
// when none is left. A reconnection that reaches a new worker ends the
// epoch (errNewWorker): the sessions it held are gone. One that fails
// wait_max_tries times ends it too, and the slot selects another member at
// its next call.
func (e *epoch) client(ctx context.Context, fn string) (*transport.Client, error) {
	if e.isDead() {
		return nil, e.goneError()
	}
	if c := e.pick(); c != nil {
		return c, nil
	}
	return e.reconnect(ctx, fn)
}

func (e *epoch) reconnect(ctx context.Context, fn string) (*transport.Client, error) {
	cl := e.cluster
	if err := cl.acquire(ctx); err != nil {
		return nil, err
	}
	defer cl.release()
	if e.isDead() {
		return nil, e.goneError()
	}
	if c := e.pick(); c != nil {
		return c, nil // another call reconnected while we waited
	}
	client, err := cl.connectMember(ctx, fn, e.index, cl.waitTries)
	if err != nil {
		if ctx.Err() != nil {
			// The call's own deadline passed: say so, and leave the
			// decision about the member to a call with time to make it.
			return nil, err
		}
		cl.log.at(sevError, fn).Str("member", e.member.HSM.Name).Uint64("slot", uint64(cl.slot)).Err(err).
			Msg("the member does not answer any more; its sessions are lost and the slot will use the next member")
		cl.unbind(e, err)
		return nil, e.goneError()
	}
	if !client.Session().Login.Resumed && (e.sessionCount() > 0 || cl.lib.objects.countEpoch(e) > 0) {
		cl.log.at(sevError, fn).Str("member", e.member.HSM.Name).Uint64("slot", uint64(cl.slot)).
			Msg("reconnected to a new worker: the sessions and object handles of the slot are gone")
		cl.unbind(e, errNewWorker)
		cl.sel.chosen(e.index)
		fresh := cl.newEpoch(e.index, client)
		fresh.fill()
		return nil, e.goneError()
	}
	e.mu.Lock()
	installed := false
	if !e.dead.Load() {
		for i, c := range e.clients {
			if c == nil {
				e.clients[i] = client
				installed = true
				break
			}
		}
	}
	e.mu.Unlock()
	if !installed {
		client.Close()
		return nil, e.goneError()
	}
	cl.log.at(sevNotice, fn).Str("member", e.member.HSM.Name).Uint64("slot", uint64(cl.slot)).Msg("reconnected; the sessions are still there")
	return client, nil
}

// kill ends the epoch once: its connections close (calls in flight on them
// fail with CKR_DEVICE_ERROR), its sessions and object handles leave the
// library's tables, so they answer ..._HANDLE_INVALID from now on.
func (e *epoch) kill(why error) {
	if !e.dead.CompareAndSwap(false, true) {
		return
	}
	e.mu.Lock()
	e.deadWhy = why
	clients := e.clients
	e.clients = make([]*transport.Client, len(clients))
	e.mu.Unlock()
	for _, c := range clients {
		if c != nil {
			c.Close()
		}
	}
	lib := e.cluster.lib
	for _, s := range lib.sessions.matching(func(s *session) bool { return s.epoch == e }) {
		lib.sessions.remove(s.handle)
	}
	lib.objects.dropEpoch(e)
}

// call sends req on one of the epoch's connections. A request the
// connection failed to send is sent once more on another connection (the
// server never saw it); one lost in flight fails with CKR_DEVICE_ERROR and
// a log line naming the member, because running it twice could, for
// example, create two keys.
func (e *epoch) call(ctx context.Context, fn string, req transport.Request) (transport.Message, error) {
	log := e.cluster.log
	for attempt := 0; ; attempt++ {
		client, err := e.client(ctx, fn)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		resp, err := client.Call(ctx, req)
		if log.traces(traceProtocol) {
			ev := log.at(sevDebug, fn).Str("member", e.member.HSM.Name).Str("msg", req.Type().String()).Dur("took", time.Since(start))
			if r, ok := resp.(transport.Result); ok {
				ev = ev.Str("rv", r.ReturnValue().String())
			}
			ev.Err(err).Msg("round trip")
		}
		if err == nil {
			return resp, nil
		}
		lost, sent := connectionLost(err)
		if !lost {
			return nil, err
		}
		if sent || attempt > 0 {
			log.at(sevError, fn).Str("member", e.member.HSM.Name).Str("addr", e.member.Addr()).Err(err).
				Msg("connection lost with the call in flight")
			return nil, err
		}
		log.at(sevWarning, fn).Str("member", e.member.HSM.Name).Err(err).Msg("connection lost before the call was sent; sending it on another connection")
	}
}

// invoke is call with the answer's type asserted and its CK_RV turned into
// an error. The answer is returned with the error too, for the functions
// whose answers mean something when the CK_RV is not CKR_OK
// (C_GetAttributeValue, fused messages).
func invoke[R transport.Result](ctx context.Context, e *epoch, fn string, req transport.Request) (R, error) {
	var zero R
	m, err := e.call(ctx, fn, req)
	if err != nil {
		return zero, err
	}
	r, ok := m.(R)
	if !ok {
		return zero, errf(ck.CKR_DEVICE_ERROR, fn, "the server answered %T", m)
	}
	return r, r.ReturnValue().Err(fn)
}

// callContext bounds one call to the member's call_timeout, within the
// library's life.
func (e *epoch) callContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(e.cluster.lib.ctx, e.member.HSM.CallTimeout)
}

// login state: per token and application (the worker is one
// application), cleared when the last session closes.
func (e *epoch) setLogin(in bool, user ck.UserType) {
	e.loginMu.Lock()
	e.loggedIn, e.user = in, user
	e.loginMu.Unlock()
}

func (e *epoch) login() (bool, ck.UserType) {
	e.loginMu.Lock()
	defer e.loginMu.Unlock()
	return e.loggedIn, e.user
}
