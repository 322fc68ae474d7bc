package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on values from the command line, so that a hostile or mistaken
// argument gives a clear error instead of a file full of garbage.
const (
	maxUserNameLen = 256
	maxPasswordLen = 1024
)

// invocation is a parsed command line.
type invocation struct {
	command     *commandSpec
	configPath  string // -c; empty: config.Locate decides
	secretsPath string // -s; empty: config.LocateSecrets decides
	user        string // -e / --user
	passwords   []string

	// Filters of -t and --fetchlog.
	hsm, slot string
	slotID    uint64
	reverse   bool
	since     time.Time
	out       string

	given map[string]bool // canonical names of the options seen, e.g. "-c", "--hsm"
}

// hasUser reports whether -e / --user was given.
func (inv *invocation) hasUser() bool { return inv.given["-e"] }

// optionSpec describes one option of the command line. An option either
// selects the command (command != nil) or sets a value of the invocation.
type optionSpec struct {
	short       byte   // 0 when the option has no short form
	long        string // without the leading "--"
	valueName   string // non-empty when the option takes a value
	command     *commandSpec
	set         func(inv *invocation, value string) error
	commonToAll bool // -c and -s: accepted with every command
}

// name is how messages refer to the option: its short form when it has one.
func (o *optionSpec) name() string {
	if o.short != 0 {
		return "-" + string(o.short)
	}
	return "--" + o.long
}

// usageError is a mistake on the command line: ppin prints it with a hint
// to run 'ppin -h' and exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// options is the table of every option ppin knows, built from the command
// table so that adding a command is one entry there.
func options() []*optionSpec {
	opts := []*optionSpec{
		{short: 'c', long: "config", valueName: "FILE", commonToAll: true,
			set: func(inv *invocation, v string) error {
				if v == "" {
					return usagef("-c needs a file name")
				}
				inv.configPath = v
				return nil
			}},
		{short: 's', long: "secrets", valueName: "FILE", commonToAll: true,
			set: func(inv *invocation, v string) error {
				if v == "" {
					return usagef("-s needs a file name")
				}
				inv.secretsPath = v
				return nil
			}},
		{short: 'e', long: "user", valueName: "NAME", set: setUser},
		{long: "hsm", valueName: "HSM", set: func(inv *invocation, v string) error {
			if err := checkName("--hsm", v); err != nil {
				return err
			}
			inv.hsm = v
			return nil
		}},
		{long: "slot", valueName: "SLOT", set: func(inv *invocation, v string) error {
			if err := checkName("--slot", v); err != nil {
				return err
			}
			inv.slot = v
			return nil
		}},
		{long: "slotid", valueName: "N", set: func(inv *invocation, v string) error {
			id, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return usagef("--slotid: want a slot id (a decimal number), got %s", quoteArg(v))
			}
			inv.slotID = id
			return nil
		}},
		{long: "reverse", set: func(inv *invocation, _ string) error {
			inv.reverse = true
			return nil
		}},
		{long: "since", valueName: "YYYY-MM-DD", set: func(inv *invocation, v string) error {
			day, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return usagef("--since: want a date YYYY-MM-DD, got %s", quoteArg(v))
			}
			inv.since = day
			return nil
		}},
		{long: "out", valueName: "FILE", set: func(inv *invocation, v string) error {
			if v == "" {
				return usagef("--out needs a file name")
			}
			inv.out = v
			return nil
		}},
	}
	for _, cmd := range commands() {
		opts = append(opts, &optionSpec{short: cmd.short, long: cmd.long, command: cmd})
	}
	return opts
}

func setUser(inv *invocation, v string) error {
	if err := checkName("-e", v); err != nil {
		return err
	}
	inv.user = v
	return nil
}

// checkName rejects names that would be invisible or misleading when printed
// (control characters can rewrite a terminal) and absurdly long ones. The
// name itself is not repeated: it may be a password typed in the wrong place.
func checkName(option, v string) error {
	switch {
	case v == "":
		return usagef("%s needs a name", option)
	case len(v) > maxUserNameLen:
		return usagef("%s: the name is longer than %d bytes", option, maxUserNameLen)
	case !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0:
		return usagef("%s: the name must be valid UTF-8 without control characters", option)
	}
	return nil
}

// quoteArg quotes a command-line value for an error message, shortened so
// that a long mistaken argument does not flood the terminal.
func quoteArg(v string) string {
	const maxShown = 40
	if len(v) > maxShown {
		v = v[:maxShown] + "..."
	}
	return strconv.Quote(v)
}

// parseArgs parses the command line (without the program name). Options
// and their values may come in any order; "-xyz" is "-x -y -z", and an
// option that takes a value takes the rest of its cluster or the next
// argument ("-ae USER", "-eUSER"). Arguments that are not options are the
// passwords of the command; "--" ends the options, for passwords that start
// with '-'. Every error is a *usageError.
func parseArgs(args []string) (*invocation, error) {
	inv := &invocation{given: map[string]bool{}}
	opts := options()
	var positionals []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			positionals = append(positionals, args[i+1:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			positionals = append(positionals, arg)
			continue
		}
		// nextValue takes the following argument as the value of opt.
		nextValue := func(opt *optionSpec) (string, error) {
			if i+1 >= len(args) || strings.HasPrefix(args[i+1], "-") && args[i+1] != "-" {
				return "", usagef("%s needs a value: %s %s", opt.name(), opt.name(), opt.valueName)
			}
			i++
			return args[i], nil
		}
		if strings.HasPrefix(arg, "--") {
			name, value, hasValue := strings.Cut(arg[2:], "=")
			opt := findLong(opts, name)
			if opt == nil {
				return nil, usagef("unknown option %s", quoteArg("--"+name))
			}
			switch {
			case opt.valueName == "" && hasValue:
				return nil, usagef("%s takes no value", opt.name())
			case opt.valueName != "" && !hasValue:
				v, err := nextValue(opt)
				if err != nil {
					return nil, err
				}
				value = v
			}
			if err := inv.apply(opt, value); err != nil {
				return nil, err
			}
			continue
		}
		cluster := arg[1:]
		for j := 0; j < len(cluster); j++ {
			opt := findShort(opts, cluster[j])
			if opt == nil {
				letter := cluster[j : j+1]
				if r, size := utf8.DecodeRuneInString(cluster[j:]); r != utf8.RuneError {
					letter = cluster[j : j+size]
				}
				return nil, usagef("unknown option %s", quoteArg("-"+letter))
			}
			if opt.valueName == "" {
				if err := inv.apply(opt, ""); err != nil {
					return nil, err
				}
				continue
			}
			value := cluster[j+1:]
			if value == "" {
				v, err := nextValue(opt)
				if err != nil {
					return nil, err
				}
				value = v
			}
			if err := inv.apply(opt, value); err != nil {
				return nil, err
			}
			break
		}
	}
	if err := inv.check(opts, positionals); err != nil {
		return nil, err
	}
	return inv, nil
}

func findLong(opts []*optionSpec, name string) *optionSpec {
	for _, o := range opts {
		if o.long == name {
			return o
		}
	}
	return nil
}

func findShort(opts []*optionSpec, c byte) *optionSpec {
	for _, o := range opts {
		if o.short != 0 && o.short == c {
			return o
		}
	}
	return nil
}

// apply records one option.
func (inv *invocation) apply(opt *optionSpec, value string) error {
	if opt.command != nil {
		if inv.command != nil {
			if inv.command == opt.command {
				return usagef("%s given twice", opt.name())
			}
			return usagef("%s and %s cannot be used together", inv.command.name(), opt.command.name())
		}
		inv.command = opt.command
		return nil
	}
	if inv.given[opt.name()] {
		return usagef("%s given twice", opt.name())
	}
	inv.given[opt.name()] = true
	return opt.set(inv, value)
}

// check applies the rules that need the whole command line.
func (inv *invocation) check(opts []*optionSpec, positionals []string) error {
	cmd := inv.command
	if cmd == nil {
		return usagef("no command given")
	}
	for _, o := range opts {
		if o.command != nil || o.commonToAll || !inv.given[o.name()] {
			continue
		}
		if !cmd.accepts(o.name()) {
			return usagef("%s does not apply to %s", o.name(), cmd.name())
		}
	}
	for _, r := range cmd.requires {
		if !inv.given[r.option] {
			return usagef("%s needs %s", cmd.name(), r.usage)
		}
	}
	if len(positionals) > len(cmd.passwords) {
		// The extra arguments are not repeated: they may be passwords.
		switch len(cmd.passwords) {
		case 0:
			return usagef("%s takes no further arguments", cmd.name())
		case 1:
			return usagef("%s takes at most one password argument", cmd.name())
		default:
			return usagef("%s takes at most %d password arguments", cmd.name(), len(cmd.passwords))
		}
	}
	for i, p := range positionals {
		if err := checkPassword(cmd.passwords[i], p); err != nil {
			return &usageError{msg: err.Error()}
		}
	}
	inv.passwords = positionals
	return nil
}

// checkPassword applies the rules every password obeys, wherever it comes
// from. what names the password ("proxy password"); the message never
// contains the password.
func checkPassword(what, password string) error {
	switch {
	case password == "":
		return fmt.Errorf("the %s must not be empty", what)
	case len(password) > maxPasswordLen:
		return fmt.Errorf("the %s is longer than %d bytes", what, maxPasswordLen)
	case strings.ContainsAny(password, "\x00\n\r"):
		return errors.New("the " + what + " must not contain NUL or line breaks")
	}
	return nil
}
