package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudp11/cloudp11/config"
)

// testVersion is stamped into the test build, which checks that
// -ldflags -X main.version reaches the -v output.
const testVersion = "v0.0.0-ppintest"

// ppinBinary is the ppin built once by TestMain for every end-to-end test.
var ppinBinary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ppin-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ppin tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ppinBinary = filepath.Join(dir, "ppin")
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", ppinBinary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "ppin tests: go build:", err)
		return 1
	}
	return m.Run()
}

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
			"ppin":        scriptPPIN,
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

func scriptPPIN(ts *testscript.TestScript, neg bool, args []string) {
	err := ts.Exec(ppinBinary, args...)
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
