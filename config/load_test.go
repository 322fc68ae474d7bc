package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

func TestLoadVendorSample(t *testing.T) {
	path := filepath.Join("testdata", "primus.cfg")
	c, err := Load(path)
	require.NoError(t, err)

	assert.Equal(t, path, c.Path)
	assert.Equal(t, "1.0", c.Version)
	assert.Equal(t, 250*time.Millisecond, c.WaitDelay)
	assert.Equal(t, 5, c.WaitMaxTries)
	assert.True(t, c.ConnectOnInit)
	assert.Equal(t, TLS{}, c.TLS)
	assert.Equal(t, DefaultConnectTimeout, c.ConnectTimeout)
	assert.Equal(t, DefaultCallTimeout, c.CallTimeout)
	assert.Equal(t, DefaultConnections, c.Connections)
	assert.Empty(t, c.Warnings)
	require.NotNil(t, c.Tree)

	slot := Slot{Name: "slot0", ID: 0, ClientID: "CLIENT_ID1", UserName: "HSM_USERNAME", ProxyUser: "SERVICE_USER"}
	member := func(name, host string) HSM {
		return HSM{Name: name, Host: host, Port: 2310, Priority: 0, Slots: []Slot{slot},
			ConnectTimeout: DefaultConnectTimeout, CallTimeout: DefaultCallTimeout, Connections: DefaultConnections}
	}
	assert.Equal(t, []HSM{member("hsm0", "a-api.cloudshsm.com"), member("hsm1", "b-api.cloudshsm.com")}, withoutPositions(c.HSMs))

	assert.Equal(t, Log{
		File: "/tmp/primus.log", WriteLogFile: true, WriteSyslog: true,
		TraceTimestamp: true, TraceFunction: true, TracePID: true,
		TraceMask: 0, TraceLevel: 4,
	}, c.Log)

	// Positions point at the settings in the file.
	assert.Equal(t, libconfig.Position{File: path, Line: 9, Column: 5}, c.HSMs[0].Pos)
	assert.Equal(t, libconfig.Position{File: path, Line: 14, Column: 9}, c.HSMs[0].Slots[0].Pos)
	assert.Equal(t, 23, c.HSMs[1].Pos.Line)

	slots := c.LogicalSlots()
	require.Len(t, slots, 1)
	assert.Equal(t, uint64(0), slots[0].ID)
	assert.Equal(t, "HSM_USERNAME", slots[0].UserName)
	require.Len(t, slots[0].Members, 2)
	assert.Same(t, &c.HSMs[0], slots[0].Members[0].HSM)
	assert.Same(t, &c.HSMs[1].Slots[0], slots[0].Members[1].Slot)
	assert.Equal(t, []string{"SERVICE_USER"}, c.ProxyUsers())
}

func TestLoadDefaults(t *testing.T) {
	c := mustLoad(t, `primus: { hsms: { hsm0: { host = "h"; port = 2310; slots: { slot0: { user_name = "U"; id = 3; }; }; }; }; };`)
	assert.Equal(t, "", c.Version)
	assert.Equal(t, DefaultWaitDelay, c.WaitDelay)
	assert.Equal(t, DefaultWaitMaxTries, c.WaitMaxTries)
	assert.False(t, c.ConnectOnInit)
	assert.Equal(t, defaultLog(), c.Log)
	require.Len(t, c.HSMs, 1)
	assert.Equal(t, 2310, c.HSMs[0].Port)
	assert.Equal(t, uint64(3), c.HSMs[0].Slots[0].ID)
	assert.Nil(t, c.ProxyUsers())
}

func TestLoadListForms(t *testing.T) {
	c := mustLoad(t, `
primus = {
  hsms = (
    { host = "a"; port = "1"; slots = ( { user_name = "U"; id = 1; } ); },
    { host = "b"; port = 2;   slots = ( { user_name = "U"; id = 1; }, { user_name = "V"; id = 2; } ); }
  );
};`)
	require.Len(t, c.HSMs, 2)
	assert.Equal(t, "hsm0", c.HSMs[0].Name)
	assert.Equal(t, "hsm1", c.HSMs[1].Name)
	assert.Equal(t, "slot1", c.HSMs[1].Slots[1].Name)
	assert.Len(t, c.LogicalSlots(), 2)
}

func TestLoadConnectionSettings(t *testing.T) {
	path := writeFile(t, "ca.pem", "not parsed here")
	dir := filepath.Dir(path)
	pinHex := strings.Repeat("aa", 32)
	pinBase64 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xaa}, 32))
	cfg := filepath.Join(dir, "primus.cfg")
	require.NoError(t, writeAt(cfg, `
primus: {
  tls_ca = "ca.pem";
  tls_pin_sha256 = "sha256//`+pinBase64+`";
  connect_timeout = 1500; call_timeout = 90000; connections = 4;
  hsms: {
    hsm0: { host = "a"; port = 1; slots: { s: { user_name = "U"; id = 0; }; }; };
    hsm1: { host = "b"; port = 1; tls_server_name = "hsm.example"; connections = 1; call_timeout = 5;
            tls_pin_sha256 = [ "AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA:AA", "`+pinHex+`" ];
            slots: { s: { user_name = "U"; id = 0; }; }; };
  };
};`))
	c, err := Load(cfg)
	require.NoError(t, err)
	global := TLS{CAFile: path, PinSHA256: []string{pinHex}}
	assert.Equal(t, global, c.TLS)
	assert.Equal(t, 1500*time.Millisecond, c.ConnectTimeout)
	assert.Equal(t, 4, c.Connections)

	assert.Equal(t, global, c.HSMs[0].TLS)
	assert.Equal(t, 90*time.Second, c.HSMs[0].CallTimeout)
	assert.Equal(t, 4, c.HSMs[0].Connections)

	assert.Equal(t, TLS{CAFile: path, ServerName: "hsm.example", PinSHA256: []string{pinHex, pinHex}}, c.HSMs[1].TLS)
	assert.Equal(t, 5*time.Millisecond, c.HSMs[1].CallTimeout)
	assert.Equal(t, 1500*time.Millisecond, c.HSMs[1].ConnectTimeout)
	assert.Equal(t, 1, c.HSMs[1].Connections)
}

func TestLoadRelativeLogFile(t *testing.T) {
	c, path, err := loadText(t, `primus: { log: { file = "logs/p.log"; write_log_file = true; trace_mask = 0x5; };
  hsms: { hsm0: { host = "h"; port = 1; slots: { s: { user_name = "U"; id = 0; }; }; }; }; };`)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(filepath.Dir(path), "logs", "p.log"), c.Log.File)
	assert.Equal(t, uint32(5), c.Log.TraceMask)
	assert.Empty(t, c.Warnings)
}

func TestLoadFileErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.cfg"))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "absent.cfg: cannot open: no such file or directory")

	dir := t.TempDir()
	_, err = Load(dir)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, dir+": is a directory, not a file", err.Error())

	big := make([]byte, maxFileSize+1)
	for i := range big {
		big[i] = '#'
	}
	path := writeFile(t, "big.cfg", string(big))
	_, err = Load(path)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, path+": larger than 1048576 bytes; not a configuration file", err.Error())
}

func TestLoadSyntaxError(t *testing.T) {
	_, path, err := loadText(t, "primus: {\n  hsms = ;\n};\n")
	var e *Error
	require.ErrorAs(t, err, &e)
	var le *libconfig.Error
	require.ErrorAs(t, err, &le, "the parser's error is reachable")
	assert.Equal(t, 2, e.Pos.Line)
	assert.Equal(t, path, e.Pos.File)
	assert.Equal(t, le.Error(), e.Error(), "a syntax error reads as the parser wrote it")
}

func TestLoadRedactsProxyPassword(t *testing.T) {
	const password = "Pr0xyPa55word"
	c := mustLoad(t, `primus: { hsms: { hsm0: { host = "h"; port = 1; slots: { s: {
  user_name = "U"; proxy_user = "P"; proxy_password = "`+password+`"; id = 0; }; }; }; }; };`)
	require.Equal(t, password, c.HSMs[0].Slots[0].ProxyPassword)
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		assert.NotContains(t, sprintf(format, c), password, format)
		assert.NotContains(t, sprintf(format, *c), password, format)
		assert.NotContains(t, sprintf(format, c.HSMs[0].Slots[0]), password, format)
	}
	assert.Contains(t, sprintf("%+v", c.HSMs[0].Slots[0]), "ProxyPassword:[REDACTED]")
	assert.NotContains(t, c.HSMs[0].Slots[0].GoString(), password)
	js, err := jsonMarshal(c)
	require.NoError(t, err)
	assert.NotContains(t, string(js), password)
	for _, w := range c.Warnings {
		assert.NotContains(t, w.String(), password)
	}
}

func TestErrorUnwrapsCause(t *testing.T) {
	cause := errors.New("cause")
	err := error(&Error{Pos: libconfig.Position{File: "f", Line: 1, Column: 2}, Path: "a.b", Msg: "bad", Err: cause})
	assert.Equal(t, "f:1:2: a.b: bad", err.Error())
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, "f: bad", (&Error{Pos: libconfig.Position{File: "f"}, Msg: "bad"}).Error())
}
