package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// process is the parent side of a worker: the child process, its control
// socket, and the requests waiting for an answer.
//
// Lock order: writeMu, then mu. reader is the only goroutine that reads
// the control socket and the only one that calls cmd.Wait.
type process struct {
	cmd  *exec.Cmd
	ctl  *net.UnixConn
	done chan struct{}

	writeMu sync.Mutex

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan *controlMsg
	exitErr error
	closed  bool // the control socket failed: every new request gets ErrGone
}

func spawn(ctx context.Context, c Command, p Params) (*process, error) {
	if c.Path == "" {
		return nil, errors.New("worker: no executable to start")
	}
	ctl, childEnd, err := newControlPair()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.ExtraFiles = []*os.File{childEnd} // fd 3 in the child
	cmd.Stdin = nil
	cmd.Stdout = c.Stderr
	cmd.Stderr = c.Stderr
	if cmd.Stdout == nil {
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	}
	// The worker must not get the terminal's signals (Ctrl-C goes to the
	// front, which stops its workers in order).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		ctl.Close()
		childEnd.Close()
		return nil, fmt.Errorf("worker: start %s: %w", c.Path, err)
	}
	childEnd.Close()
	pr := &process{cmd: cmd, ctl: ctl, done: make(chan struct{}), pending: map[uint64]chan *controlMsg{}}
	go pr.reader()

	reply, err := pr.call(ctx, &controlMsg{Op: opInit, Params: &p}, nil)
	if err != nil {
		pr.kill()
		<-pr.done
		if errors.Is(err, ErrGone) && pr.err() != nil {
			return nil, fmt.Errorf("worker for user %q: %w (%v)", p.User, err, pr.err())
		}
		return nil, fmt.Errorf("worker for user %q: %w", p.User, err)
	}
	if reply.Error != "" {
		pr.kill()
		<-pr.done
		var cause error = errors.New(reply.Error)
		if reply.NotFound {
			cause = ErrTokenNotFound
		}
		return nil, &ck.Error{RV: ck.RV(reply.RV), Op: "start worker for user " + p.User, Err: cause}
	}
	return pr, nil
}

// reader routes answers to their callers until the control socket ends,
// then reaps the child.
func (p *process) reader() {
	buf := make([]byte, maxControlPacket)
	oob := make([]byte, controlOOBSize)
	for {
		m, files, err := readControl(p.ctl, buf, oob)
		for _, f := range files {
			f.Close() // a worker never sends descriptors
		}
		if err != nil {
			break
		}
		p.mu.Lock()
		ch := p.pending[m.ID]
		delete(p.pending, m.ID)
		p.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
	p.mu.Lock()
	p.closed = true
	for id, ch := range p.pending {
		close(ch)
		delete(p.pending, id)
	}
	p.mu.Unlock()
	p.ctl.Close()
	waitErr := p.cmd.Wait()
	p.mu.Lock()
	if waitErr != nil {
		p.exitErr = fmt.Errorf("worker %d: %w", p.cmd.Process.Pid, waitErr)
	}
	p.mu.Unlock()
	close(p.done)
}

// call sends m (with fd) and waits for its answer.
func (p *process) call(ctx context.Context, m *controlMsg, fd *os.File) (*controlMsg, error) {
	ch := make(chan *controlMsg, 1)
	p.writeMu.Lock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.writeMu.Unlock()
		return nil, ErrGone
	}
	p.nextID++
	m.ID = p.nextID
	p.pending[m.ID] = ch
	p.mu.Unlock()
	err := writeControl(p.ctl, m, fd)
	p.writeMu.Unlock()
	if err != nil {
		p.forget(m.ID)
		return nil, fmt.Errorf("%w: %v", ErrGone, err)
	}
	select {
	case reply, ok := <-ch:
		if !ok {
			return nil, ErrGone
		}
		if reply.Gone {
			return nil, ErrGone
		}
		return reply, nil
	case <-ctx.Done():
		p.forget(m.ID)
		return nil, ctx.Err()
	}
}

func (p *process) forget(id uint64) {
	p.mu.Lock()
	delete(p.pending, id)
	p.mu.Unlock()
}

func (p *process) attach(ctx context.Context, info ConnInfo) (net.Conn, bool, error) {
	local, remote, err := newStreamPair()
	if err != nil {
		return nil, false, err
	}
	reply, err := p.call(ctx, &controlMsg{Op: opAttach, Conn: &info}, remote)
	// The worker has its own copy now (or never will): ours goes either way.
	remote.Close()
	if err != nil {
		local.Close()
		return nil, false, err
	}
	if reply.Error != "" {
		local.Close()
		return nil, false, fmt.Errorf("worker: attach: %s", reply.Error)
	}
	return local, reply.Resumed, nil
}

func (p *process) checkPIN(ctx context.Context, pin []byte) error {
	reply, err := p.call(ctx, &controlMsg{Op: opCheckPIN, PIN: pin}, nil)
	if err != nil {
		return err
	}
	return pinResult(ck.RV(reply.RV))
}

// pinError is a PIN check's failure: the backend's CK_RV, and auth.ErrBadPIN
// for a wrong PIN so that auth counts it as a failed try.
type pinError struct{ rv ck.RV }

func (e *pinError) Error() string { return "PIN check on the backend token: " + e.rv.String() }
func (e *pinError) CKRV() ck.RV   { return e.rv }
func (e *pinError) Is(target error) bool {
	return target == auth.ErrBadPIN && e.rv == ck.CKR_PIN_INCORRECT
}

func pinResult(rv ck.RV) error {
	if rv == ck.CKR_OK {
		return nil
	}
	return &pinError{rv: rv}
}

func (p *process) sessions(ctx context.Context) (int, error) {
	reply, err := p.call(ctx, &controlMsg{Op: opSessions}, nil)
	if err != nil {
		return 0, err
	}
	return reply.Sessions, nil
}

func (p *process) stop(ctx context.Context) error {
	_, err := p.call(ctx, &controlMsg{Op: opStop}, nil)
	if err != nil && !errors.Is(err, ErrGone) {
		p.kill()
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.kill()
		<-p.done
	}
	return p.err()
}

func (p *process) kill() error {
	err := p.cmd.Process.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

func (p *process) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

func (p *process) pid() int { return p.cmd.Process.Pid }
