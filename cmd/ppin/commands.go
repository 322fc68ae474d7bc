package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/cloudp11/cloudp11/cmd/internal/prompt"
)

// commandSpec is one command of ppin: the option that selects it, what else
// it accepts on the command line, and the function that carries it out.
type commandSpec struct {
	short byte   // 0 when the command has only a long form
	long  string // without the leading "--"

	accepted  []string      // options it takes besides -c and -s, by canonical name
	requires  []requirement // options it cannot do without
	passwords []string      // what its positional arguments are, in order

	run func(a *app, inv *invocation) error
}

type requirement struct {
	option string // canonical name, e.g. "-e"
	usage  string // how the error message shows it, e.g. "-e USER"
}

// name is how messages refer to the command: its short form when it has one.
func (c *commandSpec) name() string {
	if c.short != 0 {
		return "-" + string(c.short)
	}
	return "--" + c.long
}

func (c *commandSpec) accepts(option string) bool {
	for _, o := range c.accepted {
		if o == option {
			return true
		}
	}
	return false
}

// commands is the table of every command, in the order of the help text.
// The network commands live in commands_network.go (-a, -u), conntest.go
// (-t) and fetchlog.go (--fetchlog).
func commands() []*commandSpec {
	needUser := func(what string) []requirement { return []requirement{{"-e", "-e " + what}} }
	return []*commandSpec{
		{short: 'h', long: "help", run: (*app).help},
		{short: 'v', long: "version", run: (*app).version},
		{short: 'l', long: "list", run: (*app).list},
		{short: 'a', long: "add", accepted: []string{"-e"}, requires: needUser("USER"),
			passwords: []string{"setup password", "PKCS11 password"}, run: (*app).addSecret},
		{short: 'u', long: "update", accepted: []string{"-e"}, requires: needUser("USER"),
			passwords: []string{"setup password", "PKCS11 password"}, run: (*app).updateSecret},
		{short: 'r', long: "remove", accepted: []string{"-e"}, requires: needUser("USER"),
			run: (*app).removeSecret},
		{short: 'p', long: "proxy", accepted: []string{"-e"}, requires: needUser("PROXYUSER"),
			passwords: []string{"proxy password"}, run: (*app).storeProxyPassword},
		{short: 'x', long: "remove-proxy", accepted: []string{"-e"}, requires: needUser("PROXYUSER"),
			run: (*app).removeProxyPassword},
		{short: 't', long: "test", accepted: []string{"-e", "--hsm", "--slot", "--slotid"},
			run: (*app).testConnection},
		{long: "fetchlog", accepted: []string{"-e", "--hsm", "--reverse", "--since", "--out"},
			requires: []requirement{{"-e", "--user USER"}, {"--hsm", "--hsm HSM"}},
			run:      (*app).fetchLog},
	}
}

// app is one run of ppin with its standard streams.
type app struct {
	stdout, stderr io.Writer
	prompt         *prompt.Reader
}

// Exit statuses, as the help text documents them.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// run carries out the command line args and returns the exit status.
func (a *app) run(args []string) int {
	inv, err := parseArgs(args)
	if err == nil {
		err = inv.command.run(a, inv)
	}
	return a.report(err)
}

// report prints err, if any, and maps it to the exit status. It is the one
// place where errors become exit statuses.
func (a *app) report(err error) int {
	var usage *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(a.stderr, "ppin: %s\nRun 'ppin -h' for usage.\n", usage.msg)
		return exitUsage
	default:
		fmt.Fprintf(a.stderr, "ppin: %s\n", err)
		return exitFailure
	}
}
