package core

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/config"
)

// severity is a syslog severity, the scale of primus.cfg's trace_level:
// a line is written when its severity is at most trace_level.
type severity int

// Severities (RFC 5424). Core writes error for failures the user must
// act on (no member answers, credentials refused), warning for failures
// that a retry or another member hides, notice for the library's life
// (C_Initialize, C_Finalize, logins, failovers), info for connections and
// calls that failed in the ordinary way, debug for every call.
const (
	sevEmergency severity = iota
	sevAlert
	sevCritical
	sevError
	sevWarning
	sevNotice
	sevInfo
	sevDebug
)

// zerologLevel is the zerolog level of a severity; zerolog has no notice,
// and its levels only colour the output: filtering is by severity.
func (s severity) zerologLevel() zerolog.Level {
	switch {
	case s <= sevError:
		return zerolog.ErrorLevel
	case s == sevWarning:
		return zerolog.WarnLevel
	case s <= sevInfo:
		return zerolog.InfoLevel
	}
	return zerolog.DebugLevel
}

// Bits of trace_mask. None of them ever logs a PIN, a password, a secret,
// key material or the data of an operation: inputs are logged as handles,
// types and lengths.
const (
	traceInputs   uint32 = 0x01 // a function's arguments (handles, flags, mechanism, attribute types, lengths)
	traceProtocol uint32 = 0x02 // every round trip: message, member, duration, CK_RV
	traceRawData  uint32 = 0x04 // the values of attributes that are never secret (CKA_CLASS, CKA_LABEL, CKA_ID...)
)

// logger writes the library's log lines. A nil *logger writes nothing.
// Every line carries the process name, pid, thread id, severity, the
// PKCS#11 function and the client_id (of the slot concerned, else every
// configured client_id).
type logger struct {
	zl    zerolog.Logger
	level severity
	mask  uint32
	inout bool
	where bool // trace_filename or trace_linenumber
	sink  *logSink
}

// at starts a line of severity sev about function fn ("" when the line is
// about no function); it returns nil (zerolog's no-op event) when the
// line is filtered out, so arguments cost nothing then.
func (lg *logger) at(sev severity, fn string) *zerolog.Event {
	if lg == nil || sev > lg.level {
		return nil
	}
	ev := lg.zl.WithLevel(sev.zerologLevel()).Int("sev", int(sev)).Int("tid", gettid())
	if fn != "" {
		ev = ev.Str("fn", fn)
	}
	if lg.where {
		if _, file, line, ok := runtime.Caller(1); ok {
			ev = ev.Str("src", fmt.Sprintf("%s:%d", filepath.Base(file), line))
		}
	}
	return ev
}

// traces reports whether a trace_mask bit is set.
func (lg *logger) traces(bit uint32) bool {
	return lg != nil && lg.mask&bit != 0 && lg.level >= sevDebug
}

// forClient is lg with another client_id on its lines.
func (lg *logger) forClient(clientID string) *logger {
	if lg == nil {
		return nil
	}
	c := *lg
	c.zl = lg.zl.With().Str("client_id", clientID).Logger()
	return &c
}

// close closes the log file and the syslog connection.
func (lg *logger) close() {
	if lg != nil && lg.sink != nil {
		lg.sink.close()
	}
}

// newLogger builds the logger of primus.cfg's log group. The log file is
// opened for appending (created 0640); when it cannot be opened the error
// names it and C_Initialize fails, as for any other setting that cannot be
// honoured. Syslog is different: containers often have none, and the
// vendor's sample turns it on, so a syslog that does not answer is a
// warning (returned, for the caller to write where it can) and the
// library goes on without it.
func newLogger(c config.Log, proc, clientID string) (*logger, []string, error) {
	var warnings []string
	sink := &logSink{
		proc:      proc,
		pid:       os.Getpid(),
		timestamp: c.TraceTimestamp,
		function:  c.TraceFunction,
		showPID:   c.TracePID,
	}
	if c.WriteLogFile && c.File != "" {
		f, err := os.OpenFile(c.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("primus.log.file: cannot open the log file: %w", err)
		}
		sink.file = f
	}
	if c.WriteSyslog {
		w, err := openSyslog(proc)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("primus.log.write_syslog: cannot reach syslog, logging without it: %v", err))
		} else {
			sink.syslog = w
		}
	}
	level := severity(c.TraceLevel)
	if sink.file == nil && sink.syslog == nil {
		level = -1 // nowhere to write: skip building lines at all
	}
	return &logger{
		zl:    zerolog.New(sink).With().Str("client_id", clientID).Logger(),
		level: level,
		mask:  c.TraceMask,
		inout: c.TraceInOut,
		where: c.TraceFilename || c.TraceLineNumber,
		sink:  sink,
	}, warnings, nil
}

// newBootstrapLogger is the logger before primus.cfg is read, and for a
// C_Initialize that fails reading it: errors and warnings go to w (the
// process's standard error unless the caller says otherwise) and to
// syslog when it answers, because there is no configured log yet and a
// C_Initialize that fails without a word is the worst kind of failure.
func newBootstrapLogger(w io.Writer, proc string) *logger {
	sink := &logSink{proc: proc, pid: os.Getpid(), timestamp: true, function: true, showPID: true, file: nopCloser{w}}
	if s, err := openSyslog(proc); err == nil {
		sink.syslog = s
	}
	return &logger{zl: zerolog.New(sink), level: sevWarning, sink: sink}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// logSink formats zerolog's JSON lines in the shape users of the Primus
// provider know and writes them to the file and to syslog.
type logSink struct {
	proc      string
	pid       int
	timestamp bool
	function  bool
	showPID   bool

	mu     sync.Mutex // serialises writes; guards file and syslog
	file   io.WriteCloser
	syslog syslogWriter
}

// syslogWriter is what the sink needs of log/syslog's *Writer.
type syslogWriter interface {
	write(sev severity, line string) error
	Close() error
}

func (s *logSink) Write(p []byte) (int, error) {
	rec, err := parseRecord(p)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file != nil {
		if _, err := io.WriteString(s.file, s.format(rec, true)+"\n"); err != nil {
			return 0, err
		}
	}
	if s.syslog != nil {
		// syslog stamps the time itself.
		_ = s.syslog.write(rec.sev, s.format(rec, false))
	}
	return len(p), nil
}

func (s *logSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
	if s.syslog != nil {
		s.syslog.Close()
		s.syslog = nil
	}
}
