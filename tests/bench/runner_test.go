package bench

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/pkcs11"
)

// measurement is one module, one workload, one goroutine count, one round.
type measurement struct {
	module  *loadedModule
	load    *workload
	threads int
	warmup  time.Duration
	window  time.Duration
	// clientPids and serverPids are the processes whose CPU time and
	// context switches the window is charged: this process, and the
	// module's server processes (none for SoftHSM direct).
	clientPids, serverPids []int
	// profile, when set, is called as the counted window starts and its
	// result when it ends.
	profile func() (stop func())
}

// result is what a measurement gives: ops/s, and the cost of one op.
type result struct {
	rate float64
	cost Cost
}

// runs numbers measurements in the process, for the GCM IVs.
var runs atomic.Uint32

// counter is one goroutine's op count, alone on its cache line so that the
// goroutines do not slow each other down through false sharing.
type counter struct {
	n atomic.Uint64
	_ [56]byte
}

// run opens the sessions, starts the goroutines, waits out the warm-up,
// counts the ops completed in the window and the CPU time and context
// switches spent in it. The first error of any goroutine ends the
// measurement and is returned.
func (ms measurement) run() (result, error) {
	m, w := ms.module, ms.load
	sessions := make([]pkcs11.SessionHandle, ms.threads)
	defer func() {
		for _, s := range sessions {
			if s != 0 {
				_ = m.ctx.CloseSession(s)
			}
		}
	}()
	if w.perSession {
		for i := range sessions {
			s, err := m.ctx.OpenSession(m.slot, pkcs11.CKF_SERIAL_SESSION)
			if err != nil {
				return result{}, fmt.Errorf("C_OpenSession %d of %d: %w", i+1, ms.threads, err)
			}
			sessions[i] = s
		}
	}
	run := runs.Add(1)
	counters := make([]counter, ms.threads)
	var stop atomic.Bool
	start := make(chan struct{})
	failed := make(chan error, ms.threads)
	var wg sync.WaitGroup
	for i := range ms.threads {
		op := w.newOp(m, sessions[i], i, run)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for !stop.Load() {
				if err := op(); err != nil {
					failed <- err
					return
				}
				counters[i].n.Add(1)
			}
		}()
	}
	total := func() uint64 {
		var sum uint64
		for i := range counters {
			sum += counters[i].n.Load()
		}
		return sum
	}
	finish := func() {
		stop.Store(true)
		wg.Wait()
	}

	close(start)
	if err := waitOrFail(ms.warmup, failed); err != nil {
		finish()
		return result{}, err
	}
	var stopProfile func()
	if ms.profile != nil {
		stopProfile = ms.profile()
	}
	client0, cerr0 := ReadUsage(ms.clientPids)
	server0, serr0 := ReadUsage(ms.serverPids)
	n0, t0 := total(), time.Now()
	err := waitOrFail(ms.window, failed)
	n1, t1 := total(), time.Now()
	client1, cerr1 := ReadUsage(ms.clientPids)
	server1, serr1 := ReadUsage(ms.serverPids)
	if stopProfile != nil {
		stopProfile()
	}
	finish()
	if err != nil {
		return result{}, err
	}
	select {
	case err := <-failed: // an op that failed after the window closed
		return result{}, err
	default:
	}
	if n1 == n0 {
		return result{}, errors.New("no operation completed within the window")
	}
	if err := errors.Join(cerr0, serr0, cerr1, serr1); err != nil {
		// A server process that ended in the window fails the reading;
		// the throughput still stands.
		return result{}, fmt.Errorf("reading CPU time: %w", err)
	}
	ops := float64(n1 - n0)
	c, sv := client1.Sub(client0), server1.Sub(server0)
	return result{
		rate: ops / t1.Sub(t0).Seconds(),
		cost: Cost{
			ClientCPU: float64(c.CPU.Microseconds()) / ops,
			ServerCPU: float64(sv.CPU.Microseconds()) / ops,
			Switches:  float64(c.Switches+sv.Switches) / ops,
		},
	}, nil
}

// waitOrFail waits for d, or less when a goroutine reports an error.
func waitOrFail(d time.Duration, failed <-chan error) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case err := <-failed:
		return err
	}
}
