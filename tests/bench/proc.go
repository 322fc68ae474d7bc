package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/PID/stat: USER_HZ, which
// Linux fixes at 100 for user space on every architecture Go supports.
const userHZ = 100

// maxProcText bounds what the /proc parsers accept; the real files are
// well under 2 KiB.
const maxProcText = 64 << 10

// ErrProcFormat is wrapped by the /proc parsers' errors.
var ErrProcFormat = errors.New("unexpected /proc format")

// ParseProcStat returns the CPU time (utime + stime) of a /proc/PID/stat
// line. The command name, field 2, is in parentheses and may itself hold
// spaces and parentheses, so the fields are counted from the last ')'.
func ParseProcStat(text string) (time.Duration, error) {
	if len(text) > maxProcText {
		return 0, fmt.Errorf("%w: stat of %d bytes", ErrProcFormat, len(text))
	}
	end := strings.LastIndexByte(text, ')')
	if end < 0 {
		return 0, fmt.Errorf("%w: stat has no ')' after the command name", ErrProcFormat)
	}
	// After the name: state (field 3), ..., utime (14), stime (15).
	fields := strings.Fields(text[end+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("%w: stat has %d fields after the command name, want at least %d", ErrProcFormat, len(fields), stime+1)
	}
	var ticks uint64
	for _, i := range []int{utime, stime} {
		v, err := strconv.ParseUint(fields[i], 10, 63)
		if err != nil {
			return 0, fmt.Errorf("%w: stat field %d %q is not a tick count", ErrProcFormat, i+3, fields[i])
		}
		ticks += v
	}
	const maxTicks = uint64(1<<63-1) / uint64(time.Second/userHZ)
	if ticks > maxTicks {
		return 0, fmt.Errorf("%w: stat CPU time of %d ticks overflows", ErrProcFormat, ticks)
	}
	return time.Duration(ticks) * (time.Second / userHZ), nil
}

// ParseContextSwitches returns voluntary_ctxt_switches plus
// nonvoluntary_ctxt_switches of a /proc/PID/task/TID/status file.
func ParseContextSwitches(status string) (uint64, error) {
	if len(status) > maxProcText {
		return 0, fmt.Errorf("%w: status of %d bytes", ErrProcFormat, len(status))
	}
	counts := map[string]uint64{}
	for _, line := range strings.Split(status, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "voluntary_ctxt_switches" && name != "nonvoluntary_ctxt_switches") {
			continue
		}
		if _, dup := counts[name]; dup {
			return 0, fmt.Errorf("%w: status has %s twice", ErrProcFormat, name)
		}
		v, err := strconv.ParseUint(strings.TrimSpace(value), 10, 62)
		if err != nil {
			return 0, fmt.Errorf("%w: status %s %q is not a count", ErrProcFormat, name, strings.TrimSpace(value))
		}
		counts[name] = v
	}
	if len(counts) != 2 {
		return 0, fmt.Errorf("%w: status has %d of the 2 context switch lines", ErrProcFormat, len(counts))
	}
	return counts["voluntary_ctxt_switches"] + counts["nonvoluntary_ctxt_switches"], nil
}

// Usage is what a set of processes has consumed so far.
type Usage struct {
	CPU      time.Duration
	Switches uint64
}

// Sub is u minus an earlier reading.
func (u Usage) Sub(earlier Usage) Usage {
	return Usage{CPU: u.CPU - earlier.CPU, Switches: u.Switches - earlier.Switches}
}

// ReadUsage sums the CPU time of the processes and the context switches of
// their live threads. Threads that ended are missing from the count of
// switches (their CPU time is kept by the process), which the Go runtimes
// measured here make rare: their threads live as long as the process.
func ReadUsage(pids []int) (Usage, error) {
	var u Usage
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return Usage{}, err
		}
		cpu, err := ParseProcStat(string(stat))
		if err != nil {
			return Usage{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		u.CPU += cpu
		tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
		if err != nil {
			return Usage{}, err
		}
		for _, path := range tasks {
			status, err := os.ReadFile(path)
			if err != nil {
				continue // the thread ended between the listing and the read
			}
			n, err := ParseContextSwitches(string(status))
			if err != nil {
				return Usage{}, fmt.Errorf("%s: %w", path, err)
			}
			u.Switches += n
		}
	}
	return u, nil
}
