package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// record is one log line as zerolog encoded it, with the fields the line
// shape places apart and the others in the order they were added.
type record struct {
	sev     severity
	fn      string
	tid     int
	message string
	fields  [][2]string
}

// parseRecord decodes one zerolog JSON object. Only the core writes
// them, so anything else is a bug worth an error rather than a guess.
func parseRecord(p []byte) (record, error) {
	rec := record{sev: sevInfo}
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return rec, errors.New("log record is not a JSON object")
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return rec, err
		}
		key, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return rec, err
		}
		value := rawString(raw)
		switch key {
		case "level":
		case "sev":
			n, _ := strconv.Atoi(value)
			rec.sev = severity(n)
		case "fn":
			rec.fn = value
		case "tid":
			rec.tid, _ = strconv.Atoi(value)
		case "message":
			rec.message = value
		default:
			rec.fields = append(rec.fields, [2]string{key, value})
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return rec, errors.New("log record: unterminated JSON object")
	}
	return rec, nil
}

// rawString is a JSON value as text: strings unquoted, the rest as is.
func rawString(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

// timeLayout is the Primus provider's timestamp, local time, milliseconds.
const timeLayout = "2006-01-02 15:04:05.000"

// format renders rec in the shape users know:
//
//	2021-04-07 21:30:20.936 - pkcs11-tool[74481:74481] - 5 - C_Initialize() - rv: 0x0 - client_id=CLIENT_ID1
//
// trace_timestamp, trace_pid and trace_function leave their part out when
// false; withTime is false for syslog, which stamps lines itself.
func (s *logSink) format(rec record, withTime bool) string {
	var parts []string
	if withTime && s.timestamp {
		parts = append(parts, time.Now().Format(timeLayout))
	}
	if s.showPID {
		parts = append(parts, fmt.Sprintf("%s[%d:%d]", s.proc, s.pid, rec.tid))
	} else {
		parts = append(parts, s.proc)
	}
	parts = append(parts, strconv.Itoa(int(rec.sev)))
	if s.function && rec.fn != "" {
		parts = append(parts, oneLine(rec.fn)+"()")
	}
	if rec.message != "" {
		parts = append(parts, oneLine(rec.message))
	}
	if len(rec.fields) > 0 {
		kv := make([]string, len(rec.fields))
		for i, f := range rec.fields {
			kv[i] = f[0] + "=" + quoteIfNeeded(f[1])
		}
		parts = append(parts, strings.Join(kv, " "))
	}
	return strings.Join(parts, " - ")
}

// oneLine keeps a line one line: a message that quotes an error with line
// breaks (a configuration error) must not forge further log lines.
func oneLine(v string) string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(v)
}

// quoteIfNeeded keeps a field on one line and unambiguous.
func quoteIfNeeded(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\r\n\"=") {
		return strconv.Quote(v)
	}
	return v
}
