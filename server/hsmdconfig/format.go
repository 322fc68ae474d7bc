package hsmdconfig

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// Format writes c in libconfig syntax, every setting explicit, so that
// Parse(Format(c)) gives c back. It fails only for a Config whose names
// libconfig cannot write (an environment variable name that is not a
// libconfig name); Validate-d Configs always format.
func (c *Config) Format() ([]byte, error) {
	b := &builder{}
	root := libconfig.NewGroup()
	b.str(root, "listen", c.Listen)
	b.str(root, "state_dir", c.StateDir)
	if c.TLS.Certificate != "" || c.TLS.Key != "" {
		tls := b.group(root, "tls")
		b.str(tls, "certificate", c.TLS.Certificate)
		b.str(tls, "key", c.TLS.Key)
	}
	backend := b.group(root, "backend")
	b.str(backend, "module", c.Backend.Module)
	env := b.group(backend, "environment")
	for _, k := range slices.Sorted(maps.Keys(c.Backend.Environment)) {
		b.str(env, k, c.Backend.Environment[k])
	}
	parts := libconfig.NewAggregate(libconfig.KindList)
	b.set(root, "partitions", parts)
	for _, p := range c.Partitions {
		g := libconfig.NewGroup()
		b.str(g, "user", p.User)
		b.str(g, "token", p.Token)
		if b.err == nil {
			b.err = parts.Append(g)
		}
	}
	limits := b.group(root, "limits")
	b.int(limits, "max_connections", c.Limits.MaxConnections)
	b.int(limits, "max_sessions_per_application", c.Limits.MaxSessionsPerApplication)
	b.int(limits, "max_frame_size", c.Limits.MaxFrameSize)
	b.dur(limits, "handshake_timeout", c.Limits.HandshakeTimeout)
	b.dur(limits, "lease_period", c.Limits.LeasePeriod)
	a := b.group(root, "auth")
	b.dur(a, "setup_password_validity", c.Auth.SetupPasswordValidity)
	b.int(a, "max_failed_tries", c.Auth.MaxFailedTries)
	b.dur(a, "lockout_duration", c.Auth.LockoutDuration)
	argon := b.group(a, "argon2")
	b.int(argon, "time", int(c.Auth.Argon2.Time))
	b.int(argon, "memory_kib", int(c.Auth.Argon2.MemoryKiB))
	b.int(argon, "threads", int(c.Auth.Argon2.Threads))
	log := b.group(root, "log")
	b.str(log, "level", c.Log.Level)
	b.str(log, "format", c.Log.Format)
	b.str(log, "file", c.Log.File)
	if b.err != nil {
		return nil, b.err
	}
	return libconfig.Format(root), nil
}

// builder adds settings and keeps the first error, so Format reads as a
// list of settings.
type builder struct{ err error }

func (b *builder) set(g *libconfig.Setting, name string, v *libconfig.Setting) {
	if b.err == nil {
		_, b.err = g.Set(name, v)
	}
}

func (b *builder) group(g *libconfig.Setting, name string) *libconfig.Setting {
	s := libconfig.NewGroup()
	b.set(g, name, s)
	return s
}

func (b *builder) str(g *libconfig.Setting, name, v string) {
	b.set(g, name, libconfig.NewString(v))
}

func (b *builder) int(g *libconfig.Setting, name string, v int) {
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		b.set(g, name, libconfig.NewInt(int32(v)))
		return
	}
	b.set(g, name, libconfig.NewInt64(int64(v)))
}

func (b *builder) dur(g *libconfig.Setting, name string, d time.Duration) {
	b.str(g, name, FormatDuration(d))
}
