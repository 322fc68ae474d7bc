package core

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/transport"
)

func TestLogLineShape(t *testing.T) {
	var out bytes.Buffer
	sink := &logSink{proc: "pkcs11-tool", pid: 74481, timestamp: true, function: true, showPID: true, file: nopCloser{&out}}
	lg := &logger{zl: zerolog.New(sink).With().Str("client_id", "CLIENT_ID1").Logger(), level: sevDebug, sink: sink}

	lg.at(sevNotice, "C_Initialize").Msg("rv: 0x0")
	line := strings.TrimSuffix(out.String(), "\n")
	parts := strings.Split(line, " - ")
	require.Len(t, parts, 6, line)
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$`, parts[0])
	assert.Regexp(t, `^pkcs11-tool\[74481:\d+\]$`, parts[1])
	assert.Equal(t, []string{"5", "C_Initialize()", "rv: 0x0", "client_id=CLIENT_ID1"}, parts[2:])

	out.Reset()
	lg.at(sevDebug, "").Str("member", "hsm0").Str("why", "a b").Msg("connected")
	assert.Contains(t, out.String(), " - 7 - connected - client_id=CLIENT_ID1 member=hsm0 why=\"a b\"\n")

	out.Reset()
	lg.level = sevWarning
	lg.at(sevInfo, "C_Sign").Msg("filtered")
	assert.Empty(t, out.String(), "above trace_level")

	sink.timestamp, sink.showPID, sink.function = false, false, false
	lg.at(sevError, "C_Sign").Msg("x")
	assert.Equal(t, "pkcs11-tool - 3 - x - client_id=CLIENT_ID1\n", out.String())
}

func TestLoggerNeverWritesSecrets(t *testing.T) {
	var out bytes.Buffer
	sink := &logSink{proc: "p", pid: 1, file: nopCloser{&out}}
	lg := &logger{zl: zerolog.New(sink), level: sevDebug, sink: sink}
	secret := transport.Secret("hunter2-secret")
	creds := transport.Credentials{ProxyPassword: secret, Secret: secret}
	lg.at(sevError, "C_Login").Interface("creds", creds).Str("s", secret.String()).Msg("x")
	assert.NotContains(t, out.String(), "hunter2")
}

func TestNewLoggerSettings(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "primus.log")
	lg, warnings, err := newLogger(config.Log{File: file, WriteLogFile: true, TraceLevel: 6, TraceMask: 0x02, TraceFunction: true}, "app", "C1")
	require.NoError(t, err)
	assert.Empty(t, warnings)
	assert.False(t, lg.traces(traceProtocol), "protocol traces are debug lines: trace_level 7 is needed")
	lg.at(sevInfo, "C_GetSlotList").Msg("rv: 0x0")
	lg.at(sevDebug, "C_GetSlotList").Msg("hidden")
	lg.close()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "app - 6 - C_GetSlotList() - rv: 0x0 - client_id=C1\n", string(data))
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Zero(t, fi.Mode().Perm()&0o007, "the log is not for others")

	_, _, err = newLogger(config.Log{File: filepath.Join(dir, "no", "such", "dir.log"), WriteLogFile: true}, "app", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "primus.log.file")

	silent, _, err := newLogger(config.Log{TraceLevel: 7}, "app", "")
	require.NoError(t, err)
	assert.Nil(t, silent.at(sevError, "x"), "nowhere to write: no line is built")

	var nilLogger *logger
	nilLogger.at(sevError, "x").Msg("nothing happens")
	assert.False(t, nilLogger.traces(traceInputs))
}

func TestParseRecordRejectsWhatZerologNeverWrites(t *testing.T) {
	for _, in := range []string{"", "[]", "{", `{"sev":`, "null", `{"a":1`} {
		_, err := parseRecord([]byte(in))
		assert.Error(t, err, "%q", in)
	}
	rec, err := parseRecord([]byte(`{"level":"info","sev":6,"tid":12,"fn":"C_Sign","n":3,"ok":true,"message":"m"}`))
	require.NoError(t, err)
	assert.Equal(t, record{sev: sevInfo, fn: "C_Sign", tid: 12, message: "m", fields: [][2]string{{"n", "3"}, {"ok", "true"}}}, rec)
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"level":"info","sev":6,"tid":12,"fn":"C_Sign","message":"rv: 0x0"}`))
	f.Add([]byte(`{"sev":"x","error":"a \"quoted\" error","nested":{"a":[1,2]}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"message":"line one\nforged - 3 - C_Login() - rv: 0x0","fn":"a\rb"}`))
	sink := &logSink{proc: "p", pid: 1, timestamp: true, function: true, showPID: true}
	f.Fuzz(func(t *testing.T, in []byte) {
		rec, err := parseRecord(in)
		if err != nil {
			return
		}
		// Whatever the values, one record is one line.
		for _, withTime := range []bool{true, false} {
			if line := sink.format(rec, withTime); strings.ContainsAny(line, "\n\r") {
				t.Fatalf("a record broke the line: %q", line)
			}
		}
	})
}

func TestUnavailableErrorRV(t *testing.T) {
	unreachable := &MemberError{HSM: "hsm0", Addr: "a:1", Step: StepDial, Err: &transport.Error{Kind: transport.KindUnreachable}}
	refusedErr := &MemberError{HSM: "hsm1", Addr: "b:1", Step: StepLogin, Err: &transport.RefusedError{Step: transport.StepUserLogin,
		Remote: &transport.RemoteError{Code: transport.CodeLockedOut}}}
	e := &UnavailableError{Slot: 3, Tried: []error{unreachable}}
	assert.Equal(t, "CKR_TOKEN_NOT_PRESENT", e.CKRV().String())
	e.Tried = append(e.Tried, refusedErr)
	assert.Equal(t, "CKR_PIN_LOCKED", e.CKRV().String(), "a refusal says more than unreachable")
	assert.Contains(t, e.Error(), "hsm0 (a:1)")
	assert.Contains(t, e.Error(), "hsm1 (b:1)")
	var member *MemberError
	assert.True(t, errors.As(e, &member))
	assert.False(t, retriable(refusedErr))
	assert.True(t, retriable(unreachable))
}

func TestSyslogThatDoesNotAnswerIsAWarning(t *testing.T) {
	if _, err := openSyslog("probe"); err == nil {
		t.Skip("a syslog daemon answers here")
	}
	file := filepath.Join(t.TempDir(), "primus.log")
	lg, warnings, err := newLogger(config.Log{File: file, WriteLogFile: true, WriteSyslog: true, TraceLevel: 4}, "app", "")
	require.NoError(t, err, "no syslog must not stop C_Initialize")
	defer lg.close()
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0], "primus.log.write_syslog")
}
