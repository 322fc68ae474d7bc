package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// maxFileSize bounds what Load and LoadSecrets read: a real primus.cfg is a
// few kilobytes, and a hostile or mistaken path (a log, a device) must not
// make the library read without end.
const maxFileSize = 1 << 20

// configParseOptions keep @include files to the size of primus.cfg itself.
var configParseOptions = &libconfig.Options{MaxFileSize: maxFileSize, MaxTotalSize: 4 * maxFileSize}

// Known member names at each level, for unknown-setting warnings.
var (
	rootKeys   = []string{"version", "primus"}
	commonKeys = []string{"tls_ca", "tls_server_name", "tls_pin_sha256", "connect_timeout", "call_timeout", "connections"}
	primusKeys = append([]string{"wait_delay", "wait_max_tries", "connect_on_init", "hsms", "log"}, commonKeys...)
	hsmKeys    = append([]string{"host", "port", "priority", "slots"}, commonKeys...)
	slotKeys   = []string{"client_id", "user_name", "proxy_user", "proxy_password", "id"}
	logKeys    = []string{"file", "write_log_file", "write_syslog", "trace_timestamp", "trace_function", "trace_pid",
		"trace_inout", "trace_linenumber", "trace_filename", "trace_mask", "trace_level"}
)

// Load reads, parses, decodes and validates the primus.cfg at path. Every
// error it returns is an *Error; a syntax error wraps the *libconfig.Error.
func Load(path string) (*Config, error) {
	src, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return loadBytes(path, src, configParseOptions)
}

// readFile reads at most maxFileSize bytes of a regular file.
func readFile(path string) ([]byte, error) {
	fail := func(msg string, err error) *Error {
		return &Error{Pos: libconfig.Position{File: path}, Msg: msg, Err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fail("cannot open: "+describe(err), err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fail("is a directory, not a file", nil)
	} else if err == nil && !fi.Mode().IsRegular() {
		return nil, fail("not a regular file (a device, pipe or socket)", nil)
	}
	src, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fail("cannot read: "+describe(err), err)
	}
	if len(src) > maxFileSize {
		return nil, fail(fmt.Sprintf("larger than %d bytes; not a configuration file", maxFileSize), nil)
	}
	return src, nil
}

// describe returns the bare reason of a file error ("permission denied"),
// since the message already names the file.
func describe(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// parse runs the libconfig parser and makes its error an *Error.
func parse(path string, src []byte, opts *libconfig.Options) (*libconfig.Setting, error) {
	root, err := libconfig.Parse(path, src, opts)
	if err == nil {
		return root, nil
	}
	var le *libconfig.Error
	if errors.As(err, &le) {
		pos := le.Pos
		if pos.File == "" {
			pos.File = path
		}
		return nil, &Error{Pos: pos, Msg: le.Msg, Err: err}
	}
	return nil, &Error{Pos: libconfig.Position{File: path}, Msg: err.Error(), Err: err}
}

func loadBytes(path string, src []byte, opts *libconfig.Options) (*Config, error) {
	root, err := parse(path, src, opts)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: path}
	c, err := d.config(root, path)
	if err != nil {
		return nil, err
	}
	c.Warnings = d.warnings
	return c, nil
}

func (d *decoder) config(root *libconfig.Setting, path string) (*Config, error) {
	c := &Config{
		Path:           path,
		WaitDelay:      DefaultWaitDelay,
		WaitMaxTries:   DefaultWaitMaxTries,
		ConnectTimeout: DefaultConnectTimeout,
		CallTimeout:    DefaultCallTimeout,
		Connections:    DefaultConnections,
		Log:            defaultLog(),
		Tree:           root,
	}
	if err := d.checkMembers(root, rootKeys); err != nil {
		return nil, err
	}
	v, vs, err := d.str(root, "version")
	if err != nil {
		return nil, err
	}
	if vs != nil && v != "1.0" {
		d.warn(vs, "version %q is not known; reading the file as version 1.0", v)
	}
	c.Version = v

	primus, err := d.group(root, "primus")
	if err != nil {
		return nil, err
	}
	if primus == nil {
		return nil, d.missing(root, "primus", "a primus.cfg holds a group 'primus: { hsms: { ... }; };'")
	}
	if err := d.checkMembers(primus, primusKeys); err != nil {
		return nil, err
	}
	if n, s, err := d.integer(primus, "wait_delay", 0, 60000); err != nil {
		return nil, err
	} else if s != nil {
		c.WaitDelay = time.Duration(n) * time.Millisecond
	}
	if n, s, err := d.integer(primus, "wait_max_tries", 1, 1000); err != nil {
		return nil, err
	} else if s != nil {
		c.WaitMaxTries = int(n)
	}
	if err := d.setBool(primus, "connect_on_init", &c.ConnectOnInit); err != nil {
		return nil, err
	}

	dir := filepath.Dir(path)
	global := connDefaults{TLS: TLS{}, ConnectTimeout: c.ConnectTimeout, CallTimeout: c.CallTimeout, Connections: c.Connections}
	if global, err = d.connSettings(primus, dir, global); err != nil {
		return nil, err
	}
	c.TLS, c.ConnectTimeout, c.CallTimeout, c.Connections = global.TLS, global.ConnectTimeout, global.CallTimeout, global.Connections

	if c.HSMs, err = d.hsms(primus, dir, global); err != nil {
		return nil, err
	}
	if lg, err := d.group(primus, "log"); err != nil {
		return nil, err
	} else if lg != nil {
		if err := d.log(lg, dir, &c.Log); err != nil {
			return nil, err
		}
	}
	// Reported last, so that a file being written from scratch gets its
	// other mistakes pointed out first.
	if c.HSMs == nil {
		return nil, d.errNoHSMs(primus)
	}
	return c, nil
}

func defaultLog() Log {
	return Log{TraceTimestamp: true, TraceFunction: true, TracePID: true, TraceLevel: DefaultTraceLevel}
}

// knownTraceMask holds the trace_mask bits the vendor documents.
const knownTraceMask = 0x07

func (d *decoder) log(g *libconfig.Setting, dir string, l *Log) error {
	if err := d.checkMembers(g, logKeys); err != nil {
		return err
	}
	file, fileSetting, err := d.nonEmptyStr(g, "file")
	if err != nil {
		return err
	}
	if fileSetting != nil {
		l.File = resolve(dir, file)
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{
		{"write_log_file", &l.WriteLogFile}, {"write_syslog", &l.WriteSyslog},
		{"trace_timestamp", &l.TraceTimestamp}, {"trace_function", &l.TraceFunction}, {"trace_pid", &l.TracePID},
		{"trace_inout", &l.TraceInOut}, {"trace_linenumber", &l.TraceLineNumber}, {"trace_filename", &l.TraceFilename},
	} {
		if err := d.setBool(g, b.name, b.dst); err != nil {
			return err
		}
	}
	if l.WriteLogFile && l.File == "" {
		return d.missing(g, "file", "write_log_file is true, so the log needs a file name")
	}
	if n, s, err := d.integer(g, "trace_mask", 0, 0xFFFFFFFF); err != nil {
		return err
	} else if s != nil {
		l.TraceMask = uint32(n)
		if n&^knownTraceMask != 0 {
			d.warn(s, "%s: bits 0x%x have no meaning (known: 0x01 function inputs, 0x02 protocol, 0x04 raw data)", s.Path(), n&^knownTraceMask)
		}
	}
	if n, s, err := d.integer(g, "trace_level", 0, 7); err != nil {
		return err
	} else if s != nil {
		l.TraceLevel = int(n)
	}
	return nil
}

// resolve makes a file name from primus.cfg absolute, taking relative names
// from the folder of primus.cfg, so the meaning does not depend on the
// working directory of whatever process loads the library.
func resolve(dir, name string) string {
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	abs, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return filepath.Join(dir, name)
	}
	return abs
}
