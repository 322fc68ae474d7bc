package worker

import (
	"context"
	"sync"
	"time"

	"github.com/cloudp11/cloudp11/transport"
)

// Retry memory (docs/protocol.md 8.3, capability retry_memory): the answers
// to object-creating requests are kept by request id, which is unique per
// application instance, so a request resent with the retry flag after its
// connection failed is answered from memory instead of creating a second
// key. A retry that arrives while the first run is still going waits for it.
// A retry of an id the worker never saw runs normally: the first attempt
// never reached it.
const (
	maxRetryEntries = 4096
	minRetryTTL     = time.Minute
)

// objectCreating are the messages retry memory covers.
var objectCreating = map[transport.MsgType]bool{
	transport.MsgCreateObject:    true,
	transport.MsgCopyObject:      true,
	transport.MsgGenerateKey:     true,
	transport.MsgGenerateKeyPair: true,
	transport.MsgUnwrapKey:       true,
	transport.MsgDeriveKey:       true,
}

type retryEntry struct {
	typ  transport.MsgType
	at   time.Time
	done chan struct{}
	resp transport.Message
	err  error
}

// retryMemory holds at most maxRetryEntries answers, none older than ttl
// (the lease, at least minRetryTTL: an answer must outlive the
// disconnection it is kept for).
type retryMemory struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[uint64]*retryEntry
	order   []uint64 // ids by age, for expiry
}

func newRetryMemory(lease time.Duration) *retryMemory {
	return &retryMemory{ttl: max(lease, minRetryTTL), now: time.Now, entries: map[uint64]*retryEntry{}}
}

// run answers in with h, or from memory when in is a retry of a request
// already run (or running).
func (m *retryMemory) run(ctx context.Context, in *transport.Inbound, h transport.Handler) (transport.Message, error) {
	m.mu.Lock()
	m.expireLocked()
	if e, ok := m.entries[in.ID]; ok && in.Retry && e.typ == in.Type {
		m.mu.Unlock()
		select {
		case <-e.done:
			return e.resp, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e := &retryEntry{typ: in.Type, at: m.now(), done: make(chan struct{})}
	if _, exists := m.entries[in.ID]; !exists {
		m.order = append(m.order, in.ID)
	}
	m.entries[in.ID] = e
	m.mu.Unlock()

	defer close(e.done)
	e.resp, e.err = h(ctx, in)
	return e.resp, e.err
}

func (m *retryMemory) expireLocked() {
	cutoff := m.now().Add(-m.ttl)
	n := 0
	for _, id := range m.order {
		e, ok := m.entries[id]
		if !ok {
			n++
			continue
		}
		if len(m.order)-n <= maxRetryEntries-1 && !e.at.Before(cutoff) {
			break
		}
		// An entry still running stays reachable through its waiters'
		// pointer; dropping it only ends the memory of it.
		delete(m.entries, id)
		n++
	}
	m.order = m.order[n:]
}
