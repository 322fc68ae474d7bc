package hsmdconfig

import "github.com/cloudp11/cloudp11/config/libconfig"

// Error is a problem with the configuration: where, which setting, what.
//
//	/etc/hsmd/hsmd.cfg:12:5: limits.max_connections: must be 1 to 1000000, not 0
//
// Err holds the cause when there is one (a *libconfig.Error for a syntax
// error, the error of reading the file).
type Error struct {
	Pos  libconfig.Position // zero for errors of Validate on a Config built in code
	Path string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	s := ""
	if e.Pos.File != "" || e.Pos.Line != 0 {
		s = e.Pos.String() + ": "
	}
	if e.Path != "" {
		s += e.Path + ": "
	}
	return s + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Warning is a finding that does not stop the configuration from being
// used, such as an unknown setting.
type Warning struct {
	Pos  libconfig.Position
	Path string
	Msg  string
}

func (w Warning) String() string { return w.Pos.String() + ": " + w.Msg }
