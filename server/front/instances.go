package front

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/worker"
	"github.com/cloudp11/cloudp11/transport"
)

// workerProcess is what the front uses of a worker: *worker.Process. Tests
// of the front alone put an in-process stand-in behind it.
type workerProcess interface {
	Attach(ctx context.Context, info worker.ConnInfo) (net.Conn, bool, error)
	Done() <-chan struct{}
	Err() error
	Stop(ctx context.Context) error
	Pid() int
}

// spawner starts a worker for p; checkPINOnce checks a PIN with a worker of
// its own. Both are worker's functions except in tests.
type (
	spawner      func(ctx context.Context, p worker.Params) (workerProcess, error)
	pinOnceCheck func(ctx context.Context, p worker.Params, pin []byte) error
)

// instancePrefixLen is how many bytes of an instance id logs and the audit
// log show: enough to tell instances apart, not the whole routing key.
const instancePrefixLen = 4

func instancePrefix(id [16]byte) string { return hex.EncodeToString(id[:instancePrefixLen]) }

// instance is one application instance: the worker that holds its
// sessions. ready is closed once the spawn has ended, with proc or err set;
// neither changes afterwards. proc is set under Server.mu, a moment before
// ready is closed.
type instance struct {
	id    [16]byte
	user  string
	token string
	ready chan struct{}
	proc  workerProcess
	err   error
}

// errBoundToOtherUser refuses an instance id already used by another HSM
// user: instance ids route to sessions, which belong to one partition.
var errBoundToOtherUser = &transport.RemoteError{Code: transport.CodeNotAllowed,
	Detail: "this application instance id is in use by another HSM user"}

// errTooManyWorkers refuses an instance when MaxWorkers are running.
var errTooManyWorkers = &transport.RemoteError{Code: transport.CodeBusy,
	Detail: "the server runs as many application instances as it may; try again later"}

// partitionError wraps a failure to start or use the partition's backend,
// which the client hears as partition_unavailable.
type partitionError struct{ err error }

func (e *partitionError) Error() string { return "partition unavailable: " + e.err.Error() }
func (e *partitionError) Unwrap() error { return e.err }

// maxAttachTries bounds the spawns one connection may cause when workers
// keep exiting under it (a lease expiring at that very moment, twice).
const maxAttachTries = 3

// attach hands a new client connection of (part, peer) to the worker of
// its instance, starting one when there is none, and returns the front's
// end of the socketpair and whether the instance's sessions were kept.
func (s *Server) attach(ctx context.Context, part auth.Partition, peer *transport.Peer) (net.Conn, bool, error) {
	info := worker.ConnInfo{MaxFrame: peer.MaxFrame, MaxInFlight: int(s.cfg.MaxInFlight)}
	if peer.Addr != nil {
		info.Remote = peer.Addr.String()
	}
	var lastErr error
	for range maxAttachTries {
		inst, err := s.instanceFor(ctx, part, peer)
		if err != nil {
			return nil, false, err
		}
		conn, resumed, err := inst.proc.Attach(ctx, info)
		if err == nil {
			return conn, resumed, nil
		}
		if !errors.Is(err, worker.ErrGone) {
			return nil, false, &partitionError{err}
		}
		// The worker is exiting (its lease ran out) or died: forget it
		// now rather than when its watcher runs, and start another.
		s.forget(inst)
		lastErr = err
	}
	return nil, false, &partitionError{fmt.Errorf("workers kept exiting: %w", lastErr)}
}

// instanceFor returns the instance of peer's instance id with its worker
// running, spawning it if needed.
func (s *Server) instanceFor(ctx context.Context, part auth.Partition, peer *transport.Peer) (*instance, error) {
	id := peer.Hello.InstanceID
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, errShuttingDown
	}
	inst := s.instances[id]
	switch {
	case inst != nil && (inst.user != part.User || inst.token != part.Token):
		s.mu.Unlock()
		return nil, errBoundToOtherUser
	case inst == nil && len(s.instances) >= s.cfg.MaxWorkers:
		s.mu.Unlock()
		return nil, errTooManyWorkers
	case inst == nil:
		inst = &instance{id: id, user: part.User, token: part.Token, ready: make(chan struct{})}
		s.instances[id] = inst
		s.spawns.Add(1)
		go s.start(inst, peer.Hello.ClientID)
	}
	s.mu.Unlock()

	select {
	case <-inst.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if inst.err != nil {
		return nil, &partitionError{inst.err}
	}
	return inst, nil
}

// start spawns inst's worker, then watches it until it exits. The spawn
// runs under the server's context, not a client's: other connections of
// the instance may be waiting for it.
func (s *Server) start(inst *instance, clientID string) {
	defer s.spawns.Done()
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.SpawnTimeout)
	proc, err := s.spawn(ctx, s.params(inst.user, inst.token, inst.id, clientID))
	cancel()
	log := s.log.With().Str("user", inst.user).Str("instance", instancePrefix(inst.id)).Logger()
	if err != nil {
		inst.err = err
		close(inst.ready)
		s.forget(inst)
		log.Error().Err(err).Str("token", inst.token).Msg("worker did not start")
		return
	}
	s.mu.Lock()
	inst.proc = proc
	s.procs[proc] = struct{}{}
	closing, stopCtx := s.closing, s.stopCtx
	s.mu.Unlock()
	log.Info().Int("pid", proc.Pid()).Msg("worker started")
	// Listed before any client hears of it, so whoever reads the list
	// after a login finds the login's worker.
	s.workersChanged()
	close(inst.ready)
	if closing {
		// Shutdown took its list of workers before this one was there.
		s.stopWorker(stopCtx, proc)
	}

	<-proc.Done()
	s.forget(inst)
	s.mu.Lock()
	delete(s.procs, proc)
	s.mu.Unlock()
	if werr := proc.Err(); werr != nil && !s.isClosing() {
		log.Error().Err(werr).Int("pid", proc.Pid()).Msg("worker lost: its connections are closed, the next connection of the instance gets a new worker")
	} else {
		log.Info().Int("pid", proc.Pid()).Msg("worker ended")
	}
	s.workersChanged()
}

// params are the worker parameters of one instance.
func (s *Server) params(user, token string, id [16]byte, clientID string) worker.Params {
	return worker.Params{
		User: user, Token: token, InstanceID: id, ClientID: clientID,
		Module: s.cfg.Module, Environment: s.cfg.Environment, StateDir: s.cfg.StateDir,
		Lease: s.cfg.Lease, MaxSessions: s.cfg.MaxSessions, LogLevel: s.cfg.WorkerLogLevel,
	}
}

// forget removes inst from the table if it is still there.
func (s *Server) forget(inst *instance) {
	s.mu.Lock()
	if s.instances[inst.id] == inst {
		delete(s.instances, inst.id)
	}
	s.mu.Unlock()
}

// checkPIN is the PIN check of FetchSecret, in a short-lived worker of
// its own: a live worker of the user may not lend its application's login
// state to the check (worker.Process.CheckPIN).
func (s *Server) checkPIN(ctx context.Context, user, token string, pin []byte) error {
	err := s.checkPINOnce(ctx, s.params(user, token, [16]byte{}, ""), pin)
	if errors.Is(err, worker.ErrTokenNotFound) {
		return &partitionError{err}
	}
	return err
}

func isReady(inst *instance) bool {
	select {
	case <-inst.ready:
		return true
	default:
		return false
	}
}

// Workers lists the live workers, ordered by user and instance.
func (s *Server) Workers() []WorkerInfo {
	s.mu.Lock()
	var out []WorkerInfo
	for _, inst := range s.instances {
		if inst.proc != nil {
			select {
			case <-inst.proc.Done():
				continue
			default:
			}
			out = append(out, WorkerInfo{Pid: inst.proc.Pid(), User: inst.user, Instance: instancePrefix(inst.id)})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b WorkerInfo) int {
		if c := strings.Compare(a.User, b.User); c != 0 {
			return c
		}
		return strings.Compare(a.Instance, b.Instance)
	})
	return out
}

// workersChanged tells Config.OnWorkersChanged, one call at a time.
func (s *Server) workersChanged() {
	if s.cfg.OnWorkersChanged == nil {
		return
	}
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	s.cfg.OnWorkersChanged(s.Workers())
}
