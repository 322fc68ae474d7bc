package hsmdconfig

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"time"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// The settings each group knows, for unknown-setting warnings and hints.
var (
	rootKeys    = []string{"listen", "state_dir", "tls", "backend", "partitions", "limits", "auth", "log"}
	tlsKeys     = []string{"certificate", "key"}
	backendKeys = []string{"module", "environment"}
	partKeys    = []string{"user", "token"}
	limitKeys   = []string{"max_connections", "max_sessions_per_application", "max_frame_size", "handshake_timeout", "lease_period"}
	authKeys    = []string{"setup_password_validity", "max_failed_tries", "lockout_duration", "argon2"}
	argonKeys   = []string{"time", "memory_kib", "threads"}
	logKeys     = []string{"level", "format", "file"}
)

// Load reads the configuration file at path. It returns the Config, the
// warnings (unknown settings), or an *Error.
func Load(path string) (*Config, []Warning, error) { return load(path, nil) }

// load is Load with parser options: tests confine @include with them.
func load(path string, opts *libconfig.Options) (*Config, []Warning, error) {
	root, err := libconfig.ParseFile(path, opts)
	if err != nil {
		return nil, nil, wrapParseError(path, err)
	}
	return decode(path, root)
}

// Parse decodes a configuration held in memory; name is used in positions
// and to resolve relative paths and @include.
func Parse(name string, data []byte) (*Config, []Warning, error) {
	root, err := libconfig.Parse(name, data, nil)
	if err != nil {
		return nil, nil, wrapParseError(name, err)
	}
	return decode(name, root)
}

func wrapParseError(name string, err error) error {
	var pe *libconfig.Error
	if errors.As(err, &pe) {
		return &Error{Pos: pe.Pos, Msg: pe.Msg, Err: err}
	}
	return &Error{Pos: libconfig.Position{File: name}, Msg: err.Error(), Err: err}
}

func decode(name string, root *libconfig.Setting) (*Config, []Warning, error) {
	d := &decoder{file: name, cfg: Default()}
	if err := d.root(root); err != nil {
		return nil, d.warnings, err
	}
	d.resolvePaths(filepath.Dir(name))
	if err := d.cfg.Validate(); err != nil {
		var ve *Error
		if errors.As(err, &ve) {
			// Place the error at its setting, or at the file when the
			// value is a default.
			ve.Pos = libconfig.Position{File: name}
			if s := root.Lookup(ve.Path); s != nil {
				ve.Pos = d.pos(s)
			}
		}
		return nil, d.warnings, err
	}
	return d.cfg, d.warnings, nil
}

type decoder struct {
	file     string
	cfg      *Config
	warnings []Warning
	// given records which path settings the file set, so that only those
	// are resolved against its folder.
	given map[*string]bool
}

func (d *decoder) pos(s *libconfig.Setting) libconfig.Position {
	p := s.Pos
	if p.File == "" {
		p.File = d.file
	}
	return p
}

func (d *decoder) errorf(s *libconfig.Setting, format string, args ...any) error {
	return &Error{Pos: d.pos(s), Path: s.Path(), Msg: fmt.Sprintf(format, args...)}
}

// members checks g is a group, warns about unknown members and refuses
// duplicates; then calls fn for each known member.
func (d *decoder) members(g *libconfig.Setting, known []string, fn func(m *libconfig.Setting) error) error {
	if g.Kind != libconfig.KindGroup {
		return d.errorf(g, "must be a group { ... }, not a %s", g.Kind)
	}
	seen := map[string]*libconfig.Setting{}
	for _, m := range g.Children() {
		if first, dup := seen[m.Name]; dup {
			return d.errorf(m, "set twice (first at %s); remove one", d.pos(first))
		}
		seen[m.Name] = m
		if !slices.Contains(known, m.Name) {
			msg := fmt.Sprintf("unknown setting %s, ignored", m.Path())
			if hint, ok := libconfig.Suggest(m.Name, known); ok {
				msg += fmt.Sprintf("; did you mean '%s'?", hint)
			}
			d.warnings = append(d.warnings, Warning{Pos: d.pos(m), Path: m.Path(), Msg: msg})
			continue
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) root(root *libconfig.Setting) error {
	c := d.cfg
	d.given = map[*string]bool{}
	return d.members(root, rootKeys, func(m *libconfig.Setting) error {
		switch m.Name {
		case "listen":
			return d.str(m, &c.Listen)
		case "state_dir":
			return d.path(m, &c.StateDir)
		case "tls":
			return d.members(m, tlsKeys, func(m *libconfig.Setting) error {
				if m.Name == "certificate" {
					return d.path(m, &c.TLS.Certificate)
				}
				return d.path(m, &c.TLS.Key)
			})
		case "backend":
			return d.backend(m)
		case "partitions":
			return d.partitions(m)
		case "limits":
			return d.limits(m)
		case "auth":
			return d.auth(m)
		case "log":
			return d.members(m, logKeys, func(m *libconfig.Setting) error {
				switch m.Name {
				case "level":
					return d.str(m, &c.Log.Level)
				case "format":
					return d.str(m, &c.Log.Format)
				}
				return d.path(m, &c.Log.File)
			})
		}
		return nil
	})
}

func (d *decoder) backend(g *libconfig.Setting) error {
	c := d.cfg
	return d.members(g, backendKeys, func(m *libconfig.Setting) error {
		if m.Name == "module" {
			return d.path(m, &c.Backend.Module)
		}
		if m.Kind != libconfig.KindGroup {
			return d.errorf(m, "must be a group of NAME = \"value\"; settings, not a %s", m.Kind)
		}
		env := map[string]string{}
		for _, v := range m.Children() {
			if _, dup := env[v.Name]; dup {
				return d.errorf(v, "set twice; remove one")
			}
			s, ok := v.Str()
			if !ok {
				return d.errorf(v, "must be a string, not a %s", v.Kind)
			}
			env[v.Name] = s
		}
		c.Backend.Environment = env
		return nil
	})
}

func (d *decoder) partitions(l *libconfig.Setting) error {
	if l.Kind != libconfig.KindList {
		return d.errorf(l, "must be a list of groups: ( { user = \"NAME\"; token = \"LABEL\"; }, ... ), not a %s", l.Kind)
	}
	d.cfg.Partitions = nil
	for _, e := range l.Children() {
		var p Partition
		var hasUser, hasToken bool
		err := d.members(e, partKeys, func(m *libconfig.Setting) error {
			if m.Name == "user" {
				hasUser = true
				return d.str(m, &p.User)
			}
			hasToken = true
			return d.str(m, &p.Token)
		})
		if err != nil {
			return err
		}
		if !hasUser || !hasToken {
			return d.errorf(e, "needs both user and token")
		}
		d.cfg.Partitions = append(d.cfg.Partitions, p)
	}
	return nil
}

func (d *decoder) limits(g *libconfig.Setting) error {
	l := &d.cfg.Limits
	return d.members(g, limitKeys, func(m *libconfig.Setting) error {
		switch m.Name {
		case "max_connections":
			return d.int(m, &l.MaxConnections)
		case "max_sessions_per_application":
			return d.int(m, &l.MaxSessionsPerApplication)
		case "max_frame_size":
			return d.int(m, &l.MaxFrameSize)
		case "handshake_timeout":
			return d.duration(m, &l.HandshakeTimeout)
		}
		return d.duration(m, &l.LeasePeriod)
	})
}

func (d *decoder) auth(g *libconfig.Setting) error {
	a := &d.cfg.Auth
	return d.members(g, authKeys, func(m *libconfig.Setting) error {
		switch m.Name {
		case "setup_password_validity":
			return d.duration(m, &a.SetupPasswordValidity)
		case "max_failed_tries":
			return d.int(m, &a.MaxFailedTries)
		case "lockout_duration":
			return d.duration(m, &a.LockoutDuration)
		}
		return d.members(m, argonKeys, func(m *libconfig.Setting) error {
			var v int
			if err := d.int(m, &v); err != nil {
				return err
			}
			// Ranges are Validate's job; here only what fits the field.
			switch m.Name {
			case "time":
				if v < 0 || v > math.MaxUint32 {
					return d.errorf(m, "must be %d to %d, not %d", rangeArgonTime.lo, rangeArgonTime.hi, v)
				}
				a.Argon2.Time = uint32(v)
			case "memory_kib":
				if v < 0 || v > math.MaxUint32 {
					return d.errorf(m, "must be %d to %d, not %d", rangeArgonMemory.lo, rangeArgonMemory.hi, v)
				}
				a.Argon2.MemoryKiB = uint32(v)
			default:
				if v < 0 || v > math.MaxUint8 {
					return d.errorf(m, "must be %d to %d, not %d", rangeArgonThread.lo, rangeArgonThread.hi, v)
				}
				a.Argon2.Threads = uint8(v)
			}
			return nil
		})
	})
}

func (d *decoder) str(m *libconfig.Setting, dst *string) error {
	s, ok := m.Str()
	if !ok {
		return d.errorf(m, "must be a string, not a %s", m.Kind)
	}
	*dst = s
	return nil
}

func (d *decoder) path(m *libconfig.Setting, dst *string) error {
	if err := d.str(m, dst); err != nil {
		return err
	}
	d.given[dst] = true
	return nil
}

func (d *decoder) int(m *libconfig.Setting, dst *int) error {
	v, ok := m.Int()
	if !ok {
		return d.errorf(m, "must be an integer, not a %s", m.Kind)
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return d.errorf(m, "%d is out of range", v)
	}
	*dst = int(v)
	return nil
}

// duration reads a number of seconds or a string such as "15m" or "7d".
func (d *decoder) duration(m *libconfig.Setting, dst *time.Duration) error {
	if v, ok := m.Int(); ok {
		if v < 0 || v > int64(math.MaxInt64/time.Second) {
			return d.errorf(m, "%d seconds is out of range", v)
		}
		*dst = time.Duration(v) * time.Second
		return nil
	}
	s, ok := m.Str()
	if !ok {
		return d.errorf(m, "must be a number of seconds or a string such as \"15m\" or \"7d\", not a %s", m.Kind)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return d.errorf(m, "%v", err)
	}
	*dst = v
	return nil
}

// resolvePaths makes relative paths the file gave relative to its folder.
func (d *decoder) resolvePaths(dir string) {
	for p := range d.given {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}
