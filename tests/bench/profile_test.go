package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// perfStopTimeout bounds how long perf may take to write its file after
// SIGINT.
const perfStopTimeout = 60 * time.Second

// perfRecorder starts "perf record" on a set of processes for the counted
// window of a measurement (-bench.perf). Profiles are call graphs through
// frame pointers, which Go keeps, so the Go code of the client, of hsmd's
// front and of its worker shows up with its callers, next to SoftHSM's
// and the kernel's (TLS, sockets, scheduling).
type perfRecorder struct {
	dir  string
	logf func(format string, args ...any)
}

// start records pids (and their threads) into dir/name.data until the
// returned function is called.
func (p *perfRecorder) start(name string, pids []int) func() {
	if len(pids) == 0 {
		return func() {}
	}
	list := make([]string, len(pids))
	for i, pid := range pids {
		list[i] = strconv.Itoa(pid)
	}
	out := filepath.Join(p.dir, name+".data")
	cmd := exec.Command("perf", "record", "--quiet", "-g", "-F", "999", "-o", out, "-p", strings.Join(list, ","))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		p.logf("perf record %s: %v", name, err)
		return func() {}
	}
	return func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		timer := time.NewTimer(perfStopTimeout)
		defer timer.Stop()
		select {
		case err := <-done:
			// perf exits non-zero after SIGINT on some versions; the file
			// is what counts.
			if _, statErr := os.Stat(out); statErr != nil {
				p.logf("perf record %s: %v (%v): %s", name, statErr, err, stderr.String())
			}
		case <-timer.C:
			_ = cmd.Process.Kill()
			<-done
			p.logf("perf record %s did not finish writing within %s", name, perfStopTimeout)
		}
	}
}

// descendants is pid and every process below it, through the children
// lists of /proc (hsmd's workers are children of hsmd serve; p11-kit
// server forks one child per client).
func descendants(pid int) []int {
	out := []int{pid}
	seen := map[int]bool{pid: true}
	for i := 0; i < len(out); i++ {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", out[i]))
		if err != nil {
			continue
		}
		for _, t := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", out[i], t.Name()))
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if child, err := strconv.Atoi(f); err == nil && child > 0 && !seen[child] {
					seen[child] = true
					out = append(out, child)
				}
			}
		}
	}
	return out
}
