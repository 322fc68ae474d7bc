package bench

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// Loadavg is the first three fields of /proc/loadavg.
type Loadavg struct {
	One, Five, Fifteen float64
	// Known is false when the load could not be read.
	Known bool
}

func (l Loadavg) String() string {
	if !l.Known {
		return "unknown"
	}
	return fmt.Sprintf("%.2f, %.2f, %.2f", l.One, l.Five, l.Fifteen)
}

// maxLoadavgLine bounds what ParseLoadavg looks at; the real line is about
// 30 bytes.
const maxLoadavgLine = 256

// ParseLoadavg reads the 1, 5 and 15 minute load averages from the text
// of /proc/loadavg ("0.52 0.58 0.59 1/467 12345").
func ParseLoadavg(text string) (Loadavg, error) {
	if len(text) > maxLoadavgLine {
		return Loadavg{}, fmt.Errorf("loadavg: %d bytes, more than the %d a load average line can have", len(text), maxLoadavgLine)
	}
	fields := strings.Fields(text)
	if len(fields) < 3 {
		return Loadavg{}, fmt.Errorf("loadavg: %d fields, want at least 3 (1, 5 and 15 minute averages)", len(fields))
	}
	var v [3]float64
	names := [3]string{"1", "5", "15"}
	for i := range v {
		f, err := strconv.ParseFloat(fields[i], 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return Loadavg{}, fmt.Errorf("loadavg: field %d (%s minute average) %q is not a non-negative number", i+1, names[i], fields[i])
		}
		v[i] = f
	}
	return Loadavg{One: v[0], Five: v[1], Fifteen: v[2], Known: true}, nil
}

// ReadLoadavg reads /proc/loadavg; the zero Loadavg when it cannot.
func ReadLoadavg() Loadavg {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return Loadavg{}
	}
	l, err := ParseLoadavg(string(b))
	if err != nil {
		return Loadavg{}
	}
	return l
}

// CPUModel is the first "model name" of /proc/cpuinfo, "" when there is
// none (not every architecture has one).
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// Kernel is the running kernel's release, "" when unknown.
func Kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// maxShellLine bounds a line of "p11-kit server" output that
// ParseShellAssignment accepts.
const maxShellLine = 4096

// ErrNotAssignment is returned by ParseShellAssignment for a line that is
// not of the form it parses.
var ErrNotAssignment = errors.New("not a NAME=VALUE; export NAME; line")

// ParseShellAssignment parses a line that "p11-kit server" prints in its
// default Bourne-shell form, "NAME=VALUE; export NAME;", and returns NAME
// and VALUE. The value is everything between '=' and the first "; ", so it
// may itself hold '=' and ':' (unix:path=/run/x). p11-kit does not quote
// values; a quoted one is refused rather than guessed at.
func ParseShellAssignment(line string) (name, value string, err error) {
	if len(line) > maxShellLine {
		return "", "", fmt.Errorf("%w: %d bytes, more than %d", ErrNotAssignment, len(line), maxShellLine)
	}
	line = strings.TrimRight(line, "\r\n")
	name, rest, ok := strings.Cut(line, "=")
	if !ok || !isShellName(name) {
		return "", "", ErrNotAssignment
	}
	value, tail, ok := strings.Cut(rest, "; ")
	if !ok || value == "" || strings.ContainsAny(value, "'\"`$\\; ") {
		return "", "", ErrNotAssignment
	}
	if tail != "export "+name+";" {
		return "", "", ErrNotAssignment
	}
	return name, value, nil
}

func isShellName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
