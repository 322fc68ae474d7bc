package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/tests/testenv"
)

// TestMain runs the tests and removes the binaries testenv built (ppin,
// and hsmd for the tests against a real service).
func TestMain(m *testing.M) { testenv.Main(m) }

// ppinBinary is the ppin built once for every end-to-end test. testenv
// stamps it with -X main.version=testenv, which version.txtar checks.
func ppinBinary(t testing.TB) string { return testenv.Binary(t, "ppin") }

// exitStatusKey holds, in a script's Values, the exit status of its last
// "ppin" command.
type exitStatusKey struct{}

// TestScripts runs testdata/script/*.txtar against the built binary. Besides
// the standard testscript commands they have:
//
//	[!] ppin ARGS...             run the built ppin ("!": expect a non-zero status)
//	status N                     the last ppin exited with status N
//	perm MODE FILE               FILE has permission bits MODE (octal)
//	secrets FILE                 print the entries of a secrets file, read
//	                             with config.LoadSecrets, one per line
//	storesecret FILE USER SECRET store the permanent secret of an HSM user
//	                             (what -a will do once the service is there)
//
// and the condition [defaultconfig]: a primus.cfg exists at a default path
// of this machine.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                "testdata/script",
		RequireUniqueNames: true,
		Setup: func(env *testscript.Env) error {
			env.Values[exitStatusKey{}] = new(int)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ppin":        scriptPPIN(ppinBinary(t)),
			"status":      scriptStatus,
			"perm":        scriptPerm,
			"secrets":     scriptSecrets,
			"storesecret": scriptStoreSecret,
		},
		Condition: func(cond string) (bool, error) {
			if cond != "defaultconfig" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			for _, p := range []string{"/etc/primus/primus.cfg", "/usr/local/primus/etc/primus.cfg"} {
				if _, err := os.Stat(p); err == nil {
					return true, nil
				}
			}
			return false, nil
		},
	})
}

// scriptPPIN is the script command that runs the ppin at bin.
func scriptPPIN(bin string) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		runPPIN(ts, bin, neg, args)
	}
}

func runPPIN(ts *testscript.TestScript, bin string, neg bool, args []string) {
	err := ts.Exec(bin, args...)
	status := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		ts.Fatalf("run ppin: %v", err)
	}
	*ts.Value(exitStatusKey{}).(*int) = status
	if neg && status == 0 {
		ts.Fatalf("ppin succeeded unexpectedly")
	}
	if !neg && status != 0 {
		ts.Fatalf("ppin failed unexpectedly: exit status %d", status)
	}
}

func scriptStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: status N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	if got := *ts.Value(exitStatusKey{}).(*int); got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

func scriptPerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: perm MODE FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	info, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := info.Mode().Perm(); got != fs.FileMode(want) {
		ts.Fatalf("%s has mode %#o, want %#o", args[1], got, want)
	}
}

func scriptSecrets(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: secrets FILE")
	}
	out := ts.Stdout() // replaces the previous command's stdout even when there is nothing to print
	s, err := config.LoadSecrets(ts.MkAbs(args[0]))
	ts.Check(err)
	for _, u := range s.HSMUsers {
		fmt.Fprintf(out, "hsm user %s secret %s\n", u.UserName, u.Secret)
	}
	for _, p := range s.ProxyUsers {
		fmt.Fprintf(out, "proxy user %s password %s\n", p.UserName, p.Password)
	}
}

func scriptStoreSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: storesecret FILE USER SECRET")
	}
	_, err := config.UpdateSecrets(ts.MkAbs(args[0]), func(s *config.Secrets) error {
		s.SetHSMUser(config.HSMUserSecret{UserName: args[1], Secret: args[2]})
		return nil
	})
	ts.Check(err)
}
