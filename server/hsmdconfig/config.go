package hsmdconfig

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/registry"
)

// Config is the configuration of hsmd. The zero value is not valid: start
// from Default.
type Config struct {
	// Listen is the TCP address served, host:port.
	Listen string
	// StateDir is the state folder made by hsmd init.
	StateDir string
	TLS      TLS
	Backend  Backend
	// Partitions are static partitions: HSM user → backend token label,
	// for users registered without --token.
	Partitions []Partition
	Limits     Limits
	Auth       Auth
	Log        Log
}

// TLS names the server's certificate and key; empty means those hsmd init
// made in the state folder.
type TLS struct {
	Certificate string
	Key         string
}

// Backend is the PKCS#11 module partitions are served from.
type Backend struct {
	Module string
	// Environment is set for the worker processes that load the module
	// (SOFTHSM2_CONF, a vendor's configuration variable).
	Environment map[string]string
}

// Partition maps an HSM user to a backend token label.
type Partition struct {
	User  string
	Token string
}

// Limits bound what clients may use.
type Limits struct {
	MaxConnections            int
	MaxSessionsPerApplication int
	MaxFrameSize              int
	HandshakeTimeout          time.Duration
	// LeasePeriod is how long the sessions of a disconnected application
	// are kept for it to reconnect.
	LeasePeriod time.Duration
}

// Auth is the authentication policy.
type Auth struct {
	SetupPasswordValidity time.Duration
	MaxFailedTries        int
	LockoutDuration       time.Duration
	Argon2                auth.Argon2Params
}

// Log configures the service log (not the audit log).
type Log struct {
	Level  string // trace, debug, info, warn, error
	Format string // json, console
	File   string // empty: standard error
}

// Defaults.
const (
	DefaultListen   = ":2310"
	DefaultStateDir = "/var/lib/hsmd"
	DefaultPath     = "/etc/hsmd/hsmd.cfg"
)

// SoftHSMModulePaths are where Debian and others install SoftHSMv2's
// module; Default picks the first that exists.
var softHSMModulePaths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// softHSMMultiarchGlob finds the module under any Debian multiarch triplet
// the list above does not name (arm-linux-gnueabihf, riscv64-linux-gnu...).
const softHSMMultiarchGlob = "/usr/lib/*-linux-gnu*/softhsm/libsofthsm2.so"

// DefaultModule returns the first SoftHSMv2 module found, or the Debian
// path when none is installed (the error then names that path).
func DefaultModule() string {
	for _, p := range softHSMModulePaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if found, _ := filepath.Glob(softHSMMultiarchGlob); len(found) > 0 {
		return found[0]
	}
	return softHSMModulePaths[0]
}

// Default returns a Config with every default filled in.
func Default() *Config {
	return &Config{
		Listen:   DefaultListen,
		StateDir: DefaultStateDir,
		Backend:  Backend{Module: DefaultModule(), Environment: map[string]string{}},
		Limits: Limits{
			MaxConnections:            1024,
			MaxSessionsPerApplication: 1024,
			MaxFrameSize:              1 << 20,
			HandshakeTimeout:          10 * time.Second,
			LeasePeriod:               time.Minute,
		},
		Auth: Auth{
			SetupPasswordValidity: 7 * 24 * time.Hour,
			MaxFailedTries:        5,
			LockoutDuration:       15 * time.Minute,
			Argon2:                auth.RFC9106Params,
		},
		Log: Log{Level: "info", Format: "json"},
	}
}

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	d := *c
	d.Backend.Environment = maps.Clone(c.Backend.Environment)
	d.Partitions = slices.Clone(c.Partitions)
	return &d
}

// CertFile is the server certificate: TLS.Certificate, or server.pem in
// the state folder.
func (c *Config) CertFile() string {
	if c.TLS.Certificate != "" {
		return c.TLS.Certificate
	}
	return filepath.Join(c.StateDir, "server.pem")
}

// KeyFile is the server key: TLS.Key, or server.key in the state folder.
func (c *Config) KeyFile() string {
	if c.TLS.Key != "" {
		return c.TLS.Key
	}
	return filepath.Join(c.StateDir, "server.key")
}

// PartitionMap returns the static partitions as user → token.
func (c *Config) PartitionMap() map[string]string {
	m := make(map[string]string, len(c.Partitions))
	for _, p := range c.Partitions {
		m[p.User] = p.Token
	}
	return m
}

// AuthPolicy is the policy for auth.New.
func (c *Config) AuthPolicy() auth.Policy {
	return auth.Policy{
		SetupValidity:   c.Auth.SetupPasswordValidity,
		MaxFailures:     c.Auth.MaxFailedTries,
		LockoutDuration: c.Auth.LockoutDuration,
		Argon2:          c.Auth.Argon2,
	}
}

// Ranges of the numeric settings.
var (
	rangeConnections = intRange{1, 1_000_000}
	rangeSessions    = intRange{1, 1_000_000}
	rangeFrameSize   = intRange{4096, 64 << 20}
	rangeTries       = intRange{1, 1000}
	rangeHandshake   = durRange{100 * time.Millisecond, 5 * time.Minute}
	rangeLease       = durRange{0, 24 * time.Hour}
	rangeValidity    = durRange{time.Minute, 365 * 24 * time.Hour}
	rangeLockout     = durRange{time.Second, 30 * 24 * time.Hour}
	rangeArgonTime   = intRange{1, registry.MaxArgon2Time}
	rangeArgonMemory = intRange{8, registry.MaxArgon2Memory}
	rangeArgonThread = intRange{1, registry.MaxArgon2Threads}
)

type intRange struct{ lo, hi int }

func (r intRange) check(v int) error {
	if v < r.lo || v > r.hi {
		return fmt.Errorf("must be %d to %d, not %d", r.lo, r.hi, v)
	}
	return nil
}

type durRange struct{ lo, hi time.Duration }

func (r durRange) check(v time.Duration) error {
	if v < r.lo || v > r.hi {
		return fmt.Errorf("must be %s to %s, not %s", FormatDuration(r.lo), FormatDuration(r.hi), FormatDuration(v))
	}
	return nil
}

var (
	logLevels  = []string{"trace", "debug", "info", "warn", "error"}
	logFormats = []string{"json", "console"}
)

// Validate checks every setting. It returns an *Error naming the setting
// path (without a position: Load adds it).
func (c *Config) Validate() error {
	bad := func(path string, err error) error {
		if err == nil {
			return nil
		}
		return &Error{Path: path, Msg: err.Error()}
	}
	checks := []error{
		bad("listen", checkListen(c.Listen)),
		bad("state_dir", checkPath(c.StateDir, true)),
		bad("tls.certificate", checkPath(c.TLS.Certificate, false)),
		bad("tls.key", checkPath(c.TLS.Key, false)),
		bad("backend.module", checkPath(c.Backend.Module, true)),
		bad("limits.max_connections", rangeConnections.check(c.Limits.MaxConnections)),
		bad("limits.max_sessions_per_application", rangeSessions.check(c.Limits.MaxSessionsPerApplication)),
		bad("limits.max_frame_size", rangeFrameSize.check(c.Limits.MaxFrameSize)),
		bad("limits.handshake_timeout", rangeHandshake.check(c.Limits.HandshakeTimeout)),
		bad("limits.lease_period", rangeLease.check(c.Limits.LeasePeriod)),
		bad("auth.setup_password_validity", rangeValidity.check(c.Auth.SetupPasswordValidity)),
		bad("auth.max_failed_tries", rangeTries.check(c.Auth.MaxFailedTries)),
		bad("auth.lockout_duration", rangeLockout.check(c.Auth.LockoutDuration)),
		bad("auth.argon2.time", rangeArgonTime.check(int(c.Auth.Argon2.Time))),
		bad("auth.argon2.threads", rangeArgonThread.check(int(c.Auth.Argon2.Threads))),
		bad("auth.argon2.memory_kib", rangeArgonMemory.check(int(c.Auth.Argon2.MemoryKiB))),
		bad("auth.argon2.memory_kib", c.Auth.Argon2.Validate()),
		bad("log.level", oneOf(c.Log.Level, logLevels)),
		bad("log.format", oneOf(c.Log.Format, logFormats)),
		bad("log.file", checkPath(c.Log.File, false)),
	}
	if (c.TLS.Certificate == "") != (c.TLS.Key == "") {
		checks = append(checks, &Error{Path: "tls", Msg: "set both certificate and key, or neither (then hsmd uses those of hsmd init)"})
	}
	for _, name := range slices.Sorted(maps.Keys(c.Backend.Environment)) {
		checks = append(checks, bad("backend.environment."+name, checkEnvName(name)))
	}
	seen := map[string]bool{}
	for i, p := range c.Partitions {
		path := fmt.Sprintf("partitions.[%d]", i)
		if err := registry.ValidateUserName(p.User); err != nil {
			checks = append(checks, bad(path+".user", err))
		} else if seen[p.User] {
			checks = append(checks, &Error{Path: path + ".user", Msg: fmt.Sprintf("HSM user %q has two partitions", p.User)})
		}
		seen[p.User] = true
		checks = append(checks, bad(path+".token", registry.ValidateTokenLabel(p.Token)))
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	return nil
}

// CheckRegistry reports HSM users that the registry and the static
// partitions map to different tokens.
func (c *Config) CheckRegistry(r *registry.Registry) error {
	var errs []error
	for _, p := range c.Partitions {
		if u := r.HSMUser(p.User); u != nil && u.Token != "" && u.Token != p.Token {
			errs = append(errs, fmt.Errorf("HSM user %q has token %q in the registry but %q in the configuration's partitions", p.User, u.Token, p.Token))
		}
	}
	return errors.Join(errs...)
}

func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port (\":2310\", \"127.0.0.1:2310\", \"[::1]:2310\"): %v", err)
	}
	if strings.ContainsAny(host, " \t/") {
		return fmt.Errorf("host %q is not a host name or address", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q must be a number from 0 to 65535", port)
	}
	return nil
}

func checkPath(p string, required bool) error {
	if p == "" {
		if required {
			return errors.New("must not be empty")
		}
		return nil
	}
	if strings.ContainsRune(p, 0) {
		return errors.New("contains a NUL byte")
	}
	return nil
}

func checkEnvName(name string) error {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return fmt.Errorf("%q is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)", name)
		}
	}
	return nil
}

func oneOf(v string, allowed []string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return fmt.Errorf("must be one of %s, not %q", strings.Join(allowed, ", "), v)
}
