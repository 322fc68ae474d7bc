package front

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/worker"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// fakeWorker stands in for a worker process in the front's own tests: it
// serves a few PKCS#11 messages in process with a transport.ServerConn, so
// the front's routing, splicing and crash handling can be tested without a
// backend. The real worker is tested against SoftHSM by the end-to-end
// tests (front_e2e_test.go).
type fakeWorker struct {
	pid    int
	params worker.Params
	done   chan struct{}

	mu       sync.Mutex
	conns    []*transport.ServerConn
	sessions int
	nextID   ck.SessionHandle
	gone     bool
	exiting  bool // refuses connections, not yet gone: a lease just ran out
	exitErr  error

	// GenerateRandom blocks until release is closed, after telling
	// inCall: a call in flight when the test kills the worker.
	inCall  chan struct{}
	release chan struct{}
	// stopGoodbye makes Stop say Goodbye itself, as a worker may.
	stopGoodbye bool
	// exitWhenIdle ends the worker when its last connection ends.
	exitWhenIdle bool
	active       int // connections being served; guarded by mu
}

var fakePids atomic.Int64

func newFakeWorker(p worker.Params) *fakeWorker {
	return &fakeWorker{
		pid: int(100000 + fakePids.Add(1)), params: p, done: make(chan struct{}),
		inCall: make(chan struct{}, 16), release: make(chan struct{}),
	}
}

func (w *fakeWorker) Attach(ctx context.Context, info worker.ConnInfo) (net.Conn, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gone || w.exiting {
		return nil, false, worker.ErrGone
	}
	front, back := net.Pipe()
	d := transport.NewDispatcher()
	transport.Handle(d, func(ctx context.Context, _ *transport.Inbound, req *transport.OpenSessionRequest) (*transport.SessionResponse, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.nextID++
		w.sessions++
		return &transport.SessionResponse{Session: w.nextID}, nil
	})
	transport.Handle(d, func(ctx context.Context, _ *transport.Inbound, req *transport.GenerateRandomRequest) (*transport.RandomResponse, error) {
		w.inCall <- struct{}{}
		select {
		case <-w.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return &transport.RandomResponse{Data: make([]byte, req.Length)}, nil
	})
	sc := transport.NewServerConn(back, d, transport.ServerConfig{MaxFrame: info.MaxFrame, MaxInFlight: info.MaxInFlight})
	w.conns = append(w.conns, sc)
	w.active++
	go func() {
		_ = sc.Serve(context.Background())
		w.mu.Lock()
		w.active--
		idle := w.active == 0 && w.exitWhenIdle
		w.mu.Unlock()
		if idle {
			w.exit(nil) // a lease of zero
		}
	}()
	return front, w.sessions > 0, nil
}

func (w *fakeWorker) Done() <-chan struct{} { return w.done }
func (w *fakeWorker) Pid() int              { return w.pid }

func (w *fakeWorker) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.exitErr
}

// exit ends the fake process: its connections close without a word, as
// the kernel closes a dead process's sockets.
func (w *fakeWorker) exit(err error) {
	w.mu.Lock()
	if w.gone {
		w.mu.Unlock()
		return
	}
	w.gone, w.exitErr = true, err
	conns := w.conns
	w.mu.Unlock()
	for _, sc := range conns {
		sc.Close()
	}
	close(w.done)
}

func (w *fakeWorker) Stop(context.Context) error {
	w.mu.Lock()
	goodbye, conns := w.stopGoodbye, w.conns
	w.mu.Unlock()
	if goodbye {
		for _, sc := range conns {
			sc.Goodbye(transport.GoodbyeShutdown, "worker stopping")
		}
	}
	w.exit(nil)
	return nil
}

func (w *fakeWorker) kill() { w.exit(errors.New("signal: killed")) }

// fakeBackend is the spawner of fake workers, and the PIN check of the
// fake token ("1234" is right).
type fakeBackend struct {
	mu      sync.Mutex
	workers []*fakeWorker
	// missingToken makes spawns fail as with an absent token.
	missingToken bool
	stopGoodbye  bool
	exitWhenIdle bool
}

func (b *fakeBackend) spawn(ctx context.Context, p worker.Params) (workerProcess, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.missingToken {
		return nil, &ck.Error{RV: ck.CKR_TOKEN_NOT_PRESENT, Op: "start worker", Err: worker.ErrTokenNotFound}
	}
	w := newFakeWorker(p)
	w.stopGoodbye, w.exitWhenIdle = b.stopGoodbye, b.exitWhenIdle
	b.workers = append(b.workers, w)
	return w, nil
}

func (b *fakeBackend) checkPINOnce(ctx context.Context, p worker.Params, pin []byte) error {
	b.mu.Lock()
	missing := b.missingToken
	b.mu.Unlock()
	switch {
	case missing:
		return &ck.Error{RV: ck.CKR_TOKEN_NOT_PRESENT, Op: "start worker", Err: worker.ErrTokenNotFound}
	case string(pin) == "1234":
		return nil
	case string(pin) == "locked":
		return &ck.Error{RV: ck.CKR_PIN_LOCKED, Op: "C_Login"}
	}
	return &ck.Error{RV: ck.CKR_PIN_INCORRECT, Op: "C_Login", Err: auth.ErrBadPIN}
}

// all returns the workers spawned so far, in order.
func (b *fakeBackend) all() []*fakeWorker {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*fakeWorker(nil), b.workers...)
}

func (b *fakeBackend) setMissingToken(v bool) {
	b.mu.Lock()
	b.missingToken = v
	b.mu.Unlock()
}
