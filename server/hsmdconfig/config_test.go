package hsmdconfig

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/registry"
)

func TestLoadFull(t *testing.T) {
	path, err := filepath.Abs("testdata/full.cfg")
	require.NoError(t, err)
	c, warnings, err := Load(path)
	require.NoError(t, err)
	assert.Empty(t, warnings)
	assert.Equal(t, &Config{
		Listen:   "127.0.0.1:2310",
		StateDir: filepath.Join(filepath.Dir(path), "state"),
		TLS:      TLS{Certificate: "/etc/hsmd/tls/server.pem", Key: "/etc/hsmd/tls/server.key"},
		Backend:  Backend{Module: "/usr/lib/softhsm/libsofthsm2.so", Environment: map[string]string{"SOFTHSM2_CONF": "/etc/softhsm/softhsm2.conf"}},
		Partitions: []Partition{
			{User: "HSM_USERNAME", Token: "partition-1"},
			{User: "other.user", Token: "Token Two"},
		},
		Limits: Limits{MaxConnections: 64, MaxSessionsPerApplication: 256, MaxFrameSize: 65536, HandshakeTimeout: 5 * time.Second, LeasePeriod: 2 * time.Minute},
		Auth: Auth{SetupPasswordValidity: 7 * 24 * time.Hour, MaxFailedTries: 3, LockoutDuration: 90 * time.Minute,
			Argon2: auth.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}},
		Log: Log{Level: "debug", Format: "console", File: "/var/log/hsmd.log"},
	}, c)
	assert.Equal(t, "/etc/hsmd/tls/server.pem", c.CertFile())
	assert.Equal(t, map[string]string{"HSM_USERNAME": "partition-1", "other.user": "Token Two"}, c.PartitionMap())
	assert.Equal(t, auth.Policy{SetupValidity: 7 * 24 * time.Hour, MaxFailures: 3, LockoutDuration: 90 * time.Minute, Argon2: c.Auth.Argon2}, c.AuthPolicy())
}

func TestEmptyFileGivesDefaults(t *testing.T) {
	c, warnings, err := Parse("/etc/hsmd/hsmd.cfg", []byte("# nothing\n"))
	require.NoError(t, err)
	assert.Empty(t, warnings)
	assert.Equal(t, Default(), c)
	require.NoError(t, c.Validate())
	assert.Equal(t, "/var/lib/hsmd/server.pem", c.CertFile())
	assert.Equal(t, "/var/lib/hsmd/server.key", c.KeyFile())
	assert.Equal(t, auth.RFC9106Params, c.Auth.Argon2)
	_, statErr := os.Stat(c.Backend.Module)
	if statErr == nil {
		assert.Contains(t, softHSMModulePaths, c.Backend.Module)
	}
}

func TestUnknownSettingsWarnWithHint(t *testing.T) {
	src := "listen = \":1\";\nlimts: { x = 1; };\nlimits: { max_conections = 5; };\nauth: { argon2: { memory = 8; }; };\nwhatever = 1;\n"
	_, warnings, err := Parse("h.cfg", []byte(src))
	require.NoError(t, err)
	var got []string
	for _, w := range warnings {
		got = append(got, w.String())
	}
	assert.Equal(t, []string{
		"h.cfg:2:1: unknown setting limts, ignored; did you mean 'limits'?",
		"h.cfg:3:11: unknown setting limits.max_conections, ignored; did you mean 'max_connections'?",
		"h.cfg:4:19: unknown setting auth.argon2.memory, ignored",
		"h.cfg:5:1: unknown setting whatever, ignored",
	}, got)
}

func TestErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"listen = 2310;", "h.cfg:1:1: listen: must be a string, not a int"},
		{"listen = \"localhost\";", "h.cfg:1:1: listen: want host:port"},
		{"listen = \"x:99999\";", `h.cfg:1:1: listen: port "99999" must be a number from 0 to 65535`},
		{"\n  limits: { max_connections = 0; };", "h.cfg:2:13: limits.max_connections: must be 1 to 1000000, not 0"},
		{"limits: { max_frame_size = 10000000000; };", "h.cfg:1:11: limits.max_frame_size: 10000000000 is out of range"},
		{"limits: { handshake_timeout = \"soon\"; };", `limits.handshake_timeout: want a duration such as "30s", "15m", "7d" or a number of seconds`},
		{"limits: { handshake_timeout = 1.5; };", `limits.handshake_timeout: must be a number of seconds or a string such as "15m" or "7d", not a float`},
		{"limits: { lease_period = -1; };", "limits.lease_period: -1 seconds is out of range"},
		{"limits: { lease_period = \"2d\"; };", "limits.lease_period: must be 0s to 1d, not 2d"},
		{"limits = 5;", "h.cfg:1:1: limits: must be a group { ... }, not a int"},
		{"auth: { setup_password_validity = \"30s\"; };", "auth.setup_password_validity: must be 1m0s to 365d, not 30s"},
		{"auth: { max_failed_tries = 0; };", "auth.max_failed_tries: must be 1 to 1000, not 0"},
		{"auth: { argon2: { threads = 300; }; };", "auth.argon2.threads: must be 1 to 64, not 300"},
		{"auth: { argon2: { threads = 4; memory_kib = 16; }; };", "h.cfg:1:32: auth.argon2.memory_kib: argon2 memory must be 8×threads (32) to 1048576 KiB, not 16"},
		{"auth: { argon2: { time = 0; }; };", "auth.argon2.time: must be 1 to 100, not 0"},
		{"log: { level = \"verbose\"; };", `log.level: must be one of trace, debug, info, warn, error, not "verbose"`},
		{"log: { format = \"xml\"; };", `log.format: must be one of json, console, not "xml"`},
		{"tls: { certificate = \"/c.pem\"; };", "h.cfg:1:1: tls: set both certificate and key, or neither"},
		{"backend: { module = \"\"; };", "backend.module: must not be empty"},
		{"backend: { environment: { A-B = \"x\"; }; };", `h.cfg:1:27: backend.environment.A-B: "A-B" is not an environment variable name`},
		{"backend: { environment: { A = 1; }; };", "h.cfg:1:27: backend.environment.A: must be a string, not a int"},
		{"backend: { environment = [\"A=1\"]; };", "backend.environment: must be a group of NAME"},
		{"partitions: { u = \"t\"; };", `partitions: must be a list of groups: ( { user = "NAME"; token = "LABEL"; }, ... ), not a group`},
		{"partitions = ( { user = \"u\"; } );", "h.cfg:1:16: partitions.[0]: needs both user and token"},
		{"partitions = ( { user = \"../u\"; token = \"t\"; } );", `partitions.[0].user: user name "../u"`},
		{"partitions = ( { user = \"u\"; token = \"t\"; }, { user = \"u\"; token = \"s\"; } );", `h.cfg:1:48: partitions.[1].user: HSM user "u" has two partitions`},
		{"partitions = ( { user = \"u\"; token = \"123456789012345678901234567890123\"; } );", "partitions.[0].token: token label is 33 bytes long, PKCS#11 labels hold 32"},
		{"listen = \":1\";\nlisten = \":2\";", `h.cfg:2:1: duplicate setting name "listen" (first set at h.cfg:1:1)`},
		{"listen = \":1\";\nlimits: {", "h.cfg:2:10"},
		{"state_dir = \"a\\x00b\";", "h.cfg:1:15: \\x00 in string: strings cannot hold NUL bytes"},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			_, _, err := Parse("h.cfg", []byte(c.src))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			var ce *Error
			assert.ErrorAs(t, err, &ce)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, _, err := Load(filepath.Join(t.TempDir(), "nope.cfg"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "nope.cfg")
}

func TestValidateOnCodeBuiltConfigDoesNotMutate(t *testing.T) {
	c := Default()
	c.Limits.MaxConnections = 0
	before := c.Clone()
	err := c.Validate()
	assert.EqualError(t, err, "limits.max_connections: must be 1 to 1000000, not 0")
	assert.Equal(t, before, c)
}

func TestFormatRoundTrip(t *testing.T) {
	path, err := filepath.Abs("testdata/full.cfg")
	require.NoError(t, err)
	c, _, err := Load(path)
	require.NoError(t, err)
	for _, cfg := range []*Config{c, Default()} {
		out, err := cfg.Format()
		require.NoError(t, err)
		back, warnings, err := Parse("/x/round.cfg", out)
		require.NoError(t, err, string(out))
		assert.Empty(t, warnings)
		assert.Equal(t, cfg, back, string(out))
	}
	out, err := c.Format()
	require.NoError(t, err)
	assert.Contains(t, string(out), `setup_password_validity = "7d";`)
	assert.Contains(t, string(out), `lockout_duration = "1h30m0s";`)
}

func TestDurations(t *testing.T) {
	for s, want := range map[string]time.Duration{"7d": 7 * day, "1d12h": 36 * time.Hour, "90s": 90 * time.Second, "0s": 0, "100ms": 100 * time.Millisecond} {
		got, err := ParseDuration(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
		back, err := ParseDuration(FormatDuration(got))
		require.NoError(t, err)
		assert.Equal(t, got, back)
	}
	for _, bad := range []string{"", "d", "-5s", "1.5d", "7days", "99999999d", "5"} {
		_, err := ParseDuration(bad)
		assert.Error(t, err, bad)
	}
}

func TestCheckRegistry(t *testing.T) {
	c := Default()
	c.Partitions = []Partition{{User: "a", Token: "t1"}, {User: "b", Token: "t2"}, {User: "c", Token: "t3"}}
	r := &registry.Registry{}
	require.NoError(t, r.AddHSMUser(registry.HSMUser{Name: "a", Token: "t1"}))
	require.NoError(t, r.AddHSMUser(registry.HSMUser{Name: "b", Token: "other"}))
	require.NoError(t, r.AddHSMUser(registry.HSMUser{Name: "c"}))
	err := c.CheckRegistry(r)
	require.Error(t, err)
	assert.Equal(t, `HSM user "b" has token "other" in the registry but "t2" in the configuration's partitions`, err.Error())
	r.HSMUser("b").Token = "t2"
	assert.NoError(t, c.CheckRegistry(r))
}
