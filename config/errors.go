package config

import (
	"github.com/cloudp11/cloudp11/config/libconfig"
)

// Error is a problem with a configuration or secrets file. Its text names
// the place and the setting:
//
//	/etc/primus/primus.cfg:7:7: primus.hsms.hsm0.port: must be 1..65535, got 70000
//
// Err holds the cause when there is one: a *libconfig.Error for a syntax
// error, an *fs.PathError when the file cannot be read. The message never
// contains a password or a secret.
type Error struct {
	Pos  libconfig.Position
	Path string // setting path, "" when the problem is the whole file
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	s := e.Pos.String() + ": "
	if e.Path != "" {
		s += e.Path + ": "
	}
	return s + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Warning is a finding that does not stop the file from being used: an
// unknown setting, a discouraged one.
type Warning struct {
	Pos  libconfig.Position
	Path string
	Msg  string // complete sentence, names the setting
}

func (w Warning) String() string { return w.Pos.String() + ": " + w.Msg }
