package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseArgsAccepts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		command   string // canonical name
		user      string
		passwords []string
		check     func(t *testing.T, inv *invocation)
	}{
		{name: "help", args: []string{"-h"}, command: "-h"},
		{name: "help long", args: []string{"--help"}, command: "-h"},
		{name: "list with config", args: []string{"-c", "x.cfg", "-l"}, command: "-l",
			check: func(t *testing.T, inv *invocation) { assert.Equal(t, "x.cfg", inv.configPath) }},
		{name: "attached values", args: []string{"-cx.cfg", "-sy.cfg", "-l"}, command: "-l",
			check: func(t *testing.T, inv *invocation) {
				assert.Equal(t, "x.cfg", inv.configPath)
				assert.Equal(t, "y.cfg", inv.secretsPath)
			}},
		{name: "long values with =", args: []string{"--config=x.cfg", "--secrets=y.cfg", "--list"}, command: "-l",
			check: func(t *testing.T, inv *invocation) {
				assert.Equal(t, "x.cfg", inv.configPath)
				assert.Equal(t, "y.cfg", inv.secretsPath)
			}},
		{name: "add combined", args: []string{"-ae", "HSM_USERNAME", "FXAJX-XWVQ3-DC0O5-3SLQF-LJ9L3", "1234"},
			command: "-a", user: "HSM_USERNAME", passwords: []string{"FXAJX-XWVQ3-DC0O5-3SLQF-LJ9L3", "1234"}},
		{name: "add without passwords", args: []string{"-a", "-e", "U"}, command: "-a", user: "U"},
		{name: "add setup only", args: []string{"--add", "--user", "U", "S"}, command: "-a", user: "U", passwords: []string{"S"}},
		{name: "options after passwords", args: []string{"-pe", "P", "pw", "-s", "s.cfg"}, command: "-p", user: "P",
			passwords: []string{"pw"}},
		{name: "proxy attached user", args: []string{"-peP", "pw"}, command: "-p", user: "P", passwords: []string{"pw"}},
		{name: "dash password after --", args: []string{"-pe", "P", "--", "-pw"}, command: "-p", user: "P",
			passwords: []string{"-pw"}},
		{name: "single dash is a password", args: []string{"-pe", "P", "-"}, command: "-p", user: "P",
			passwords: []string{"-"}},
		{name: "remove proxy long", args: []string{"--remove-proxy", "--user=P"}, command: "-x", user: "P"},
		{name: "test filters", args: []string{"-t", "--user", "U", "--hsm", "hsm1", "--slot", "slot0", "--slotid", "7"},
			command: "-t", user: "U", check: func(t *testing.T, inv *invocation) {
				assert.Equal(t, "hsm1", inv.hsm)
				assert.Equal(t, "slot0", inv.slot)
				assert.Equal(t, uint64(7), inv.slotID)
				assert.True(t, inv.given["--slotid"])
			}},
		{name: "test with -e", args: []string{"-te", "U"}, command: "-t", user: "U"},
		{name: "fetchlog", args: []string{"--fetchlog", "--user", "U", "--hsm", "hsm0", "--reverse", "--since", "2024-02-29", "--out=f.log"},
			command: "--fetchlog", user: "U", check: func(t *testing.T, inv *invocation) {
				assert.Equal(t, "hsm0", inv.hsm)
				assert.True(t, inv.reverse)
				assert.Equal(t, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), inv.since)
				assert.Equal(t, "f.log", inv.out)
			}},
		{name: "user with spaces and unicode", args: []string{"-re", "Zoë Ops"}, command: "-r", user: "Zoë Ops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := parseArgs(tc.args)
			require.NoError(t, err)
			assert.Equal(t, tc.command, inv.command.name())
			assert.Equal(t, tc.user, inv.user)
			assert.Equal(t, len(tc.passwords), len(inv.passwords))
			if len(tc.passwords) > 0 {
				assert.Equal(t, tc.passwords, inv.passwords)
			}
			if tc.check != nil {
				tc.check(t, inv)
			}
		})
	}
}

func TestParseArgsRejects(t *testing.T) {
	long := strings.Repeat("u", maxUserNameLen+1)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"nothing", nil, "no command given"},
		{"unknown short in cluster", []string{"-pz"}, `unknown option "-z"`},
		{"unknown long, value hidden", []string{"--pass=hunter2"}, `unknown option "--pass"`},
		{"invalid UTF-8 short", []string{"-\xff"}, `unknown option "-\xff"`},
		{"non-ASCII short", []string{"-lé"}, `unknown option "-é"`},
		{"value to a flag", []string{"--reverse=yes", "--fetchlog"}, "--reverse takes no value"},
		{"missing value at end", []string{"-l", "-s"}, "-s needs a value: -s FILE"},
		{"value looks like an option", []string{"-c", "-l"}, "-c needs a value: -c FILE"},
		{"empty config name", []string{"--config=", "-l"}, "-c needs a file name"},
		{"control character in user", []string{"-re", "a\x1b[2Jb"}, "-e: the name must be valid UTF-8 without control characters"},
		{"invalid UTF-8 in user", []string{"-re", "a\xffb"}, "-e: the name must be valid UTF-8 without control characters"},
		{"long user", []string{"-re", long}, "-e: the name is longer than 256 bytes"},
		{"user twice", []string{"-re", "a", "-e", "b"}, "-e given twice"},
		{"command twice", []string{"-pp", "-e", "a"}, "-p given twice"},
		{"help and version", []string{"-hv"}, "-h and -v cannot be used together"},
		{"long password", []string{"-pe", "P", strings.Repeat("p", maxPasswordLen+1)}, "the proxy password is longer than 1024 bytes"},
		{"NUL in password", []string{"-pe", "P", "a\x00b"}, "the proxy password must not contain NUL or line breaks"},
		{"newline in PIN", []string{"-ae", "U", "S", "1\n2"}, "the PKCS11 password must not contain NUL or line breaks"},
		{"negative slot id", []string{"-t", "--slotid", "-1"}, "--slotid needs a value: --slotid N"},
		{"slot id too large", []string{"-t", "--slotid=18446744073709551616"}, `--slotid: want a slot id (a decimal number), got "18446744073709551616"`},
		{"long bad date is shortened", []string{"--fetchlog", "--since=" + strings.Repeat("9", 100)},
			`--since: want a date YYYY-MM-DD, got "` + strings.Repeat("9", 40) + `..."`},
		{"hsm on proxy", []string{"-pe", "P", "--hsm", "hsm0"}, "--hsm does not apply to -p"},
		{"reverse on test", []string{"-t", "--reverse"}, "--reverse does not apply to -t"},
		{"since on test", []string{"-t", "--since", "2024-01-01"}, "--since does not apply to -t"},
		{"user on version", []string{"-v", "-e", "x"}, "-e does not apply to -v"},
		{"fetchlog without anything", []string{"--fetchlog"}, "--fetchlog needs --user USER"},
		{"remove without user", []string{"--remove"}, "-r needs -e USER"},
		{"remove proxy without user", []string{"-x"}, "-x needs -e PROXYUSER"},
		{"list with argument", []string{"-l", "x"}, "-l takes no further arguments"},
		{"update with three", []string{"-ue", "U", "a", "b", "c"}, "-u takes at most 2 password arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := parseArgs(tc.args)
			require.Error(t, err)
			assert.Nil(t, inv)
			var usage *usageError
			require.True(t, errors.As(err, &usage), "want a *usageError, got %T", err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

// FuzzParseArgs checks that no command line crashes the parser, that what it
// accepts is consistent, and that no password given after "--" ever shows
// in an error message. The fuzzed input is the arguments separated by NUL
// bytes (which cannot occur in real arguments).
func FuzzParseArgs(f *testing.F) {
	for _, seed := range []string{
		"-h", "-l", "-pe\x00P\x00pw", "-ae\x00U\x00S\x00P", "--fetchlog\x00--user\x00U\x00--hsm\x00h",
		"-t\x00--slotid\x0012", "--config=x\x00-l", "-re\x00U", "-xeP", "-", "--", "-e", "-pe\x00U\x00a\x00b",
	} {
		f.Add(seed)
	}
	const marker = "MarkerPassw0rd"
	f.Fuzz(func(t *testing.T, input string) {
		args := strings.Split(input, "\x00")
		if inv, err := parseArgs(args); err == nil {
			checkInvocation(t, inv)
		}
		// The marker is an argument after "--": a password or an extra
		// argument, never an option or a value.
		withMarker := append(append(args[:len(args):len(args)], "--"), marker)
		inv, err := parseArgs(withMarker)
		if err != nil {
			assert.NotContains(t, err.Error(), marker)
			return
		}
		checkInvocation(t, inv)
	})
}

func checkInvocation(t *testing.T, inv *invocation) {
	t.Helper()
	require.NotNil(t, inv.command)
	assert.LessOrEqual(t, len(inv.passwords), len(inv.command.passwords))
	for _, p := range inv.passwords {
		assert.NoError(t, checkPassword("password", p))
	}
	for _, r := range inv.command.requires {
		assert.True(t, inv.given[r.option], "%s accepted without %s", inv.command.name(), r.option)
	}
	for name := range inv.given {
		if name == "-c" || name == "-s" {
			continue
		}
		assert.True(t, inv.command.accepts(name), "%s accepted with %s", name, inv.command.name())
	}
	if inv.hasUser() {
		assert.NoError(t, checkName("-e", inv.user))
	}
}
