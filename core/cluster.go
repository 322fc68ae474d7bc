package core

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// cluster is the set of members that serve one logical slot, and the one
// member the slot uses now. A slot is bound to one member at a time: its
// sessions live in that member's worker (one worker per application
// instance and partition), and object handles are that worker's, so the
// sessions of a slot cannot be spread over members. Binding follows the
// selector; the bound member is kept while it answers.
//
// An epoch is one binding: one member, one worker on it, and the
// connections to it. Sessions and object handles belong to an epoch; when
// it ends (the member stopped answering, or answered from a new worker
// that no longer has our sessions) they become invalid, and the next call
// that needs the slot binds anew.
type cluster struct {
	lib     *Library
	slot    ck.SlotID
	log     *logger
	members []*Member
	creds   []credentials
	dialer  *Dialer

	waitDelay time.Duration // primus.wait_delay: pause between tries of one member
	waitTries int           // primus.wait_max_tries: tries of one member before the next

	// bindSem is held (a buffered channel of one, so waiting honours the
	// caller's context) while binding or reconnecting, so concurrent calls
	// make one attempt between them. sel is guarded by it.
	bindSem chan struct{}
	sel     *selector

	mu       sync.Mutex
	cur      *epoch // guarded by mu; nil or dead: the next call binds
	epochSeq uint64 // guarded by mu
}

// credentials are what a member's connections authenticate with, worked
// out once at C_Initialize; err is why there are none (ppin was not run).
type credentials struct {
	creds transport.Credentials
	err   error
}

// acquire takes the bind semaphore within ctx.
func (c *cluster) acquire(ctx context.Context) error {
	select {
	case c.bindSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *cluster) release() { <-c.bindSem }

// current returns the live epoch, or nil.
func (c *cluster) current() *epoch {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && c.cur.isDead() {
		c.cur = nil
	}
	return c.cur
}

// epoch returns the slot's live epoch, binding a member when there is none.
// Errors are *UnavailableError (no member answered) or the context's.
func (c *cluster) epoch(ctx context.Context, fn string) (*epoch, error) {
	if e := c.current(); e != nil {
		return e, nil
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.release()
	if e := c.current(); e != nil {
		return e, nil // bound while we waited
	}
	return c.bind(ctx, fn)
}

// bind tries the members in the selector's order, each up to
// wait_max_tries times wait_delay apart, and binds the first that answers.
// The caller holds bindSem.
func (c *cluster) bind(ctx context.Context, fn string) (*epoch, error) {
	unavailable := &UnavailableError{Slot: c.slot}
	for i := range c.sel.order() {
		client, err := c.connectMember(ctx, fn, i, c.waitTries)
		if err != nil {
			unavailable.Tried = append(unavailable.Tried, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		c.sel.chosen(i)
		e := c.newEpoch(i, client)
		if client.Session().Login.Resumed {
			// The member's worker still holds sessions of ours from an
			// earlier binding (we failed over and came back within its
			// lease). The library gave them up when that binding ended;
			// close them so they do not hold the partition's resources.
			c.closeOrphans(ctx, fn, e, client)
		}
		e.fill()
		return e, nil
	}
	c.log.at(sevError, fn).Uint64("slot", uint64(c.slot)).Err(unavailable).Msg("no cluster member answered")
	return nil, unavailable
}

// closeOrphans closes, on a new binding, the sessions the member's worker
// kept from an earlier binding of this slot.
func (c *cluster) closeOrphans(ctx context.Context, fn string, e *epoch, client *transport.Client) {
	ctx, cancel := context.WithTimeout(ctx, e.member.HSM.CallTimeout)
	defer cancel()
	resp, err := transport.Invoke[*transport.StatusResponse](ctx, client, &transport.CloseAllSessionsRequest{})
	if err == nil {
		err = resp.RV.Err("C_CloseAllSessions")
	}
	sev := sevInfo
	if err != nil {
		sev = sevWarning
	}
	c.log.at(sev, fn).Str("member", e.member.HSM.Name).Uint64("slot", uint64(c.slot)).Err(err).
		Msg("closing the sessions an earlier binding left on the member")
}

// connectMember opens one connection to member i, trying up to tries
// times wait_delay apart while the failure may go away.
// fn is the function that needs the connection, for the log ("" for the
// background).
func (c *cluster) connectMember(ctx context.Context, fn string, i, tries int) (*transport.Client, error) {
	m := c.members[i]
	if c.creds[i].err != nil {
		return nil, c.creds[i].err
	}
	var err error
	for try := 1; try <= max(tries, 1); try++ {
		var client *transport.Client
		client, err = c.dialer.Connect(ctx, m, c.creds[i].creds, transport.ModePKCS11)
		if err == nil {
			s := client.Session()
			c.log.at(sevInfo, fn).Str("member", m.HSM.Name).Str("addr", m.Addr()).Uint64("slot", uint64(c.slot)).
				Str("server", s.Server.ServerVersion).Str("partition", s.Login.Partition).Bool("resumed", s.Login.Resumed).
				Int("try", try).Msg("connected")
			return client, nil
		}
		sev := sevWarning
		if !retriable(err) {
			sev = sevError
		}
		c.log.at(sev, fn).Str("member", m.HSM.Name).Str("addr", m.Addr()).Uint64("slot", uint64(c.slot)).
			Int("try", try).Int("of", tries).Err(err).Msg("cannot connect")
		if !retriable(err) || try == tries || !sleepCtx(ctx, c.waitDelay) {
			break
		}
	}
	return nil, err
}

// newEpoch binds member i with its first connection and makes it current.
// The other connections of the member are opened in the background.
func (c *cluster) newEpoch(i int, first *transport.Client) *epoch {
	m := c.members[i]
	n := max(m.HSM.Connections, 1)
	c.mu.Lock()
	c.epochSeq++
	e := &epoch{
		seq:      c.epochSeq,
		cluster:  c,
		index:    i,
		member:   m,
		caps:     first.Session().Server.Capabilities,
		maxFrame: first.Session().Server.MaxFrame,
		clients:  make([]*transport.Client, n),
		dialing:  make([]bool, n),
	}
	e.clients[0] = first
	c.cur = e
	c.mu.Unlock()
	return e
}

// unbind ends e and, when it is current, clears the binding so the next
// call selects a member again.
func (c *cluster) unbind(e *epoch, why error) {
	c.mu.Lock()
	if c.cur == e {
		c.cur = nil
	}
	c.mu.Unlock()
	e.kill(why)
}

// unbindCurrent ends the current binding, if any.
func (c *cluster) unbindCurrent(why error) {
	c.mu.Lock()
	e := c.cur
	c.cur = nil
	c.mu.Unlock()
	if e != nil {
		e.kill(why)
	}
}

// closeAll ends the binding at C_Finalize: the sessions on the server are
// closed (best effort, within finalizeTimeout) so the worker does not keep
// them for its lease, then the connections.
func (c *cluster) closeAll(ctx context.Context) {
	c.mu.Lock()
	e := c.cur
	c.cur = nil
	c.mu.Unlock()
	if e == nil || e.isDead() {
		return
	}
	// Always, not only when the library has sessions: an OpenSession lost
	// in flight may have left one on the server.
	if client := e.liveClient(); client != nil {
		ctx, cancel := context.WithTimeout(ctx, min(e.member.HSM.CallTimeout, finalizeTimeout))
		resp, err := transport.Invoke[*transport.StatusResponse](ctx, client, &transport.CloseAllSessionsRequest{})
		cancel()
		if err == nil {
			err = resp.RV.Err("C_CloseAllSessions")
		}
		if err != nil {
			c.log.at(sevWarning, "C_Finalize").Str("member", e.member.HSM.Name).Err(err).Msg("closing the sessions on the server")
		}
	}
	e.kill(errFinalized)
}

var errFinalized = errors.New("the library was finalized")

// finalizeTimeout bounds the courtesy of closing the sessions at
// C_Finalize: applications call it on their way out, and a member that
// stopped answering must not hold them (the worker closes the sessions at
// the end of its lease anyway).
const finalizeTimeout = 5 * time.Second

// sleepCtx waits d or until ctx ends, and reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// counter is an atomic count that never goes below zero.
type counter struct{ n atomic.Int64 }

func (c *counter) add(d int64) int64 { return c.n.Add(d) }
func (c *counter) load() int64       { return c.n.Load() }
