package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/hsmdconfig"
	"github.com/cloudp11/cloudp11/server/registry"
)

const testVersion = "v0.0.0-hsmdtest"

// hsmdBinary is the hsmd built once by TestMain for every end-to-end test.
var hsmdBinary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hsmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "hsmd tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	hsmdBinary = filepath.Join(dir, "hsmd")
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", hsmdBinary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "hsmd tests: go build:", err)
		return 1
	}
	return m.Run()
}

type exitStatusKey struct{}

// TestScripts runs testdata/script/*.txtar against the built binary. Besides
// the standard testscript commands they have:
//
//	[!] hsmd ARGS...                   run the built hsmd ("!": expect a non-zero status)
//	status N                           the last hsmd exited with status N
//	perm MODE PATH                     PATH has permission bits MODE (octal)
//	[!] fetchsecret CFG USER SETUPFILE VAR
//	                                   what a client's ppin -a does through the
//	                                   service: exchange the setup password in
//	                                   SETUPFILE (PIN 1234) for a secret; sets
//	                                   $VAR to its id and $VAR_SECRET to a file
//	                                   holding the secret ("!": expect an error,
//	                                   printed on stdout)
//	login CFG USER SECRETFILE          log in with a permanent secret; prints
//	                                   the outcome (ok TOKEN, or the error)
//	absent FILE DIR                    no file under DIR contains the content of
//	                                   FILE (trimmed), raw, in hex or in base64
//
// The harness environment has no HSMD_CONFIG, and hsmd reads
// /etc/hsmd/hsmd.cfg only when it exists: [!defaultconfig] guards the
// scripts that rely on the built-in defaults.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                "testdata/script",
		RequireUniqueNames: true,
		Setup: func(env *testscript.Env) error {
			env.Values[exitStatusKey{}] = new(int)
			env.Setenv(ConfigEnv, "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"hsmd":        scriptHSMD,
			"status":      scriptStatus,
			"perm":        scriptPerm,
			"fetchsecret": scriptFetchSecret,
			"login":       scriptLogin,
			"absent":      scriptAbsent,
		},
		Condition: func(cond string) (bool, error) {
			if cond != "defaultconfig" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			_, err := os.Stat(hsmdconfig.DefaultPath)
			return err == nil, nil
		},
	})
}

func scriptHSMD(ts *testscript.TestScript, neg bool, args []string) {
	err := ts.Exec(hsmdBinary, args...)
	status := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("hsmd: %v", err)
		}
		status = ee.ExitCode()
	}
	*ts.Value(exitStatusKey{}).(*int) = status
	if neg && status == 0 {
		ts.Fatalf("hsmd succeeded unexpectedly")
	}
	if !neg && status != 0 {
		ts.Fatalf("hsmd failed with status %d", status)
	}
}

func scriptStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: status N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	if got := *ts.Value(exitStatusKey{}).(*int); got != want {
		ts.Fatalf("hsmd exited with status %d, want %d", got, want)
	}
}

func scriptPerm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: perm MODE PATH")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	st, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := st.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %#o, want %#o", args[1], got, want)
	}
}

// authority builds the authentication service the way hsmd serve will,
// from the configuration file cfgPath.
func authority(ts *testscript.TestScript, cfgPath string) *auth.Authority {
	cfg, _, err := hsmdconfig.Load(ts.MkAbs(cfgPath))
	ts.Check(err)
	a, err := auth.New(auth.Options{Store: registry.NewStore(cfg.StateDir), Policy: cfg.AuthPolicy(), Partitions: cfg.PartitionMap()})
	ts.Check(err)
	return a
}

func scriptFetchSecret(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: [!] fetchsecret CFG USER SETUPFILE VAR")
	}
	setup := strings.TrimSpace(ts.ReadFile(args[2]))
	secret, id, err := authority(ts, args[0]).IssueSecret(context.Background(), args[1], setup, "1234", func(_, pin string) error {
		if pin != "1234" {
			return auth.ErrBadPIN
		}
		return nil
	})
	if neg {
		if err == nil {
			ts.Fatalf("fetchsecret succeeded unexpectedly")
		}
		fmt.Fprintf(ts.Stdout(), "%v\n", err)
		return
	}
	ts.Check(err)
	file := ts.MkAbs(args[3] + ".secret")
	ts.Check(os.WriteFile(file, secret, 0o600))
	ts.Setenv(args[3], id)
	ts.Setenv(args[3]+"_SECRET", file)
}

func scriptLogin(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: login CFG USER SECRETFILE")
	}
	secret, err := os.ReadFile(ts.MkAbs(args[2]))
	ts.Check(err)
	part, _, err := authority(ts, args[0]).VerifySecret(context.Background(), args[1], secret)
	if err != nil {
		fmt.Fprintf(ts.Stdout(), "%v\n", err)
		return
	}
	fmt.Fprintf(ts.Stdout(), "ok %s\n", part.Token)
}

func scriptAbsent(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: absent FILE DIR")
	}
	needle := bytes.TrimSpace([]byte(ts.ReadFile(args[0])))
	if len(needle) < 8 {
		ts.Fatalf("%s: %d bytes is too short to search for", args[0], len(needle))
	}
	forms := [][]byte{needle, []byte(hex.EncodeToString(needle)), []byte(base64.StdEncoding.EncodeToString(needle)), []byte(base64.RawURLEncoding.EncodeToString(needle))}
	err := filepath.WalkDir(ts.MkAbs(args[1]), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, f := range forms {
			if bytes.Contains(data, f) {
				return fmt.Errorf("%s contains the content of %s", path, args[0])
			}
		}
		return nil
	})
	ts.Check(err)
}
