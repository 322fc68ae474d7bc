package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cloudp11/cloudp11/cmd/internal/prompt"
	"github.com/cloudp11/cloudp11/server/hsmdconfig"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// ConfigEnv names the configuration file when --config is not given.
const ConfigEnv = "HSMD_CONFIG"

const usageText = `hsmd: the HSM service of cloudp11

Usage:
  hsmd init --state DIR --name NAME [--name NAME]... [--force]
  hsmd user add NAME [--token LABEL]
  hsmd user list
  hsmd user remove NAME
  hsmd user unlock NAME
  hsmd user reset-setup NAME
  hsmd proxy-user add NAME
  hsmd proxy-user list
  hsmd proxy-user remove NAME
  hsmd proxy-user unlock NAME
  hsmd secrets list [NAME]
  hsmd secrets revoke NAME ID
  hsmd serve
  hsmd version
  hsmd help

Every command takes:
  -c, --config FILE  the configuration (default: $HSMD_CONFIG, else
                     /etc/hsmd/hsmd.cfg if it exists, else the defaults)
  --state DIR        the state folder, in place of the configuration's state_dir

user add and reset-setup print the new setup password alone on standard
output (notes go to standard error), so scripts can capture it. proxy-user
add reads the password twice without echo from a terminal, or one line from
standard input otherwise.

Exit status: 0 success, 1 failure, 2 usage error.
`

// app is one run of hsmd; fields are the process's streams and
// environment, replaced in tests.
type app struct {
	stdout, stderr io.Writer
	passwords      *prompt.Reader
	getenv         func(string) string
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// command is a subcommand: its flags are added to fs, then run gets the
// positional arguments.
type command struct {
	flags func(fs *flag.FlagSet)
	run   func(ctx context.Context, e *env, args []string) error
}

func (a *app) commands() map[string]command {
	return map[string]command{
		"init":              a.initCommand(),
		"user add":          a.userAdd(),
		"user list":         a.userList(),
		"user remove":       a.userRemove(),
		"user unlock":       a.userUnlock(),
		"user reset-setup":  a.userResetSetup(),
		"proxy-user add":    a.proxyAdd(),
		"proxy-user list":   a.proxyList(),
		"proxy-user remove": a.proxyRemove(),
		"proxy-user unlock": a.proxyUnlock(),
		"secrets list":      a.secretsList(),
		"secrets revoke":    a.secretsRevoke(),
		"serve":             a.serveCommand(),
		"worker":            a.workerCommand(), // hidden: started by serve
	}
}

// groups are the first words that take a second one.
var groups = map[string]bool{"user": true, "proxy-user": true, "secrets": true}

func (a *app) run(args []string) int {
	err := a.dispatch(args)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(a.stderr, "hsmd: %s\nRun 'hsmd help' for usage.\n", ue.msg)
		return exitUsage
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	fmt.Fprintf(a.stderr, "hsmd: %v\n", err)
	return exitFailure
}

func (a *app) dispatch(args []string) error {
	if len(args) == 0 {
		return usagef("no command given")
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(a.stdout, usageText)
		return nil
	case "version", "-v", "--version":
		fmt.Fprintf(a.stdout, "hsmd %s\n", version)
		return nil
	}
	name, rest := args[0], args[1:]
	if groups[name] {
		if len(rest) == 0 {
			return usagef("%s needs a subcommand", name)
		}
		name, rest = name+" "+rest[0], rest[1:]
	}
	cmd, ok := a.commands()[name]
	if !ok {
		return usagef("unknown command %q", name)
	}
	fs := flag.NewFlagSet("hsmd "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e := &env{app: a}
	fs.StringVar(&e.configPath, "config", "", "")
	fs.StringVar(&e.configPath, "c", "", "")
	fs.StringVar(&e.stateDir, "state", "", "")
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	positional, err := parseInterspersed(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(a.stdout, usageText)
			return err
		}
		return usagef("%s: %v", name, err)
	}
	return cmd.run(context.Background(), e, positional)
}

// parseInterspersed parses flags wherever they are among the arguments
// ("user add NAME --token T"), the standard flag package stopping at the
// first positional one. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		consumed := len(args) - fs.NArg()
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, fs.Args()...), nil
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// env is what a command runs with: the resolved configuration.
type env struct {
	app        *app
	configPath string
	stateDir   string
}

// config loads the configuration: --config, else $HSMD_CONFIG, else the
// default path when it exists, else the defaults; --state overrides
// state_dir. Warnings go to standard error.
func (e *env) config() (*hsmdconfig.Config, error) {
	path := e.configPath
	if path == "" {
		path = e.app.getenv(ConfigEnv)
	}
	if path == "" {
		if _, err := os.Stat(hsmdconfig.DefaultPath); err == nil {
			path = hsmdconfig.DefaultPath
		}
	}
	cfg := hsmdconfig.Default()
	if path != "" {
		loaded, warnings, err := hsmdconfig.Load(path)
		for _, w := range warnings {
			fmt.Fprintf(e.app.stderr, "hsmd: warning: %s\n", w)
		}
		if err != nil {
			return nil, err
		}
		cfg = loaded
	}
	if e.stateDir != "" {
		cfg.StateDir = e.stateDir
	}
	return cfg, nil
}

// wantArgs checks the number of positional arguments.
func wantArgs(args []string, min, max int, names string) error {
	if len(args) < min {
		return usagef("missing %s", names)
	}
	if len(args) > max {
		return usagef("unexpected argument %q", strings.Join(args[max:], " "))
	}
	return nil
}
