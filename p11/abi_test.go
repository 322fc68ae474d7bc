package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// The tests of this file build libcloudp11.so once, with the Makefile's own
// target (so that they test the flags the product is built with), and
// examine it from outside.

var built struct {
	once sync.Once
	path string
	err  error
}

// TestMain removes what testenv built (hsmd, and the library beside it)
// when the tests end.
func TestMain(m *testing.M) { testenv.Main(m) }

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// library builds build/libcloudp11.so with "make lib" once per test binary,
// into the folder where testenv builds hsmd: testenv.Main removes it, and
// the operations test needs hsmd anyway.
func library(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds libcloudp11.so (a minute or two); skipped with -short")
	}
	for _, tool := range []string{"make", "gcc", "nm", "readelf"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	hsmd := testenv.Binary(t, "hsmd")
	built.once.Do(func() {
		dir := filepath.Join(filepath.Dir(hsmd), "make-lib")
		cmd := exec.Command("make", "--no-print-directory", "lib", "BUILD="+dir)
		cmd.Dir = repoRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("make lib: %v\n%s", err, out)
			return
		}
		built.path = filepath.Join(dir, "libcloudp11.so")
	})
	require.NoError(t, built.err)
	return built.path
}

// pkcs11Functions are the names of every function of pkcs11f.h, in order.
func pkcs11Functions(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "include", "pkcs11f.h"))
	require.NoError(t, err)
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^CK_PKCS11_FUNCTION\((C_\w+),`).FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	require.Len(t, names, 92, "68 functions of v2.40 and 24 of v3.0")
	return names
}

// The .so exports every C_* function and nothing else: not the goXxx
// exports, not the Go runtime, not cgo's helpers.
func TestLibraryExportsOnlyPKCS11Functions(t *testing.T) {
	lib := library(t)
	out, err := exec.Command("nm", "-D", "--defined-only", lib).Output()
	require.NoError(t, err)
	var exported []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		require.Len(t, fields, 3, "nm line %q", line)
		exported = append(exported, fields[2])
	}
	want := pkcs11Functions(t)
	sort.Strings(want)
	sort.Strings(exported)
	assert.Equal(t, want, exported)
}

// A Go runtime must never be unloaded: dlclose would leave its threads
// running in unmapped memory.
func TestLibraryIsNodelete(t *testing.T) {
	lib := library(t)
	out, err := exec.Command("readelf", "-d", lib).Output()
	require.NoError(t, err)
	assert.Regexp(t, `\(FLAGS_1\)\s+Flags:.*\bNODELETE\b`, string(out))
}

// writeConfig writes a primus.cfg with one slot (id 7) on a member nobody
// listens on, and connect_on_init = false: nothing here needs a server.
func writeConfig(t *testing.T) (cfg, logFile string) {
	t.Helper()
	dir := t.TempDir()
	cfg = filepath.Join(dir, "primus.cfg")
	logFile = filepath.Join(dir, "primus.log")
	require.NoError(t, os.WriteFile(cfg, []byte(`version = "1.0";
primus: {
  connect_on_init = false;
  hsms: {
    hsm0: {
      host = "127.0.0.1";
      port = 1;
      slots: { slot0: { client_id = "abi-test"; user_name = "ABI_USER"; id = 7; }; };
    };
  };
  log: { file = "primus.log"; write_log_file = true; trace_level = 7; };
};
`), 0o600))
	return cfg, logFile
}

// TestCABI runs testdata/abi.c against the built library: the function
// lists, NULL arguments of every function, calls before C_Initialize,
// CK_C_INITIALIZE_ARGS, concurrent C_Initialize, C_Finalize then
// C_Initialize in a loop, fork() before and after C_Initialize, and dlclose
// then dlopen.
func TestCABI(t *testing.T) {
	lib := library(t)
	bin := abiProgram(t)

	cfg, logFile := writeConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, lib)
	cmd.Env = append(os.Environ(), "CLOUDP11_CONF="+cfg, "SECUROSYS_PKCS11_CONF=", "CLOUDP11_SECRETS=", "SECUROSYS_SECRETS_CONF=",
		"ABI_MISSING_CONF="+filepath.Join(t.TempDir(), "missing.cfg"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	reportFailures(t, stdout.String())
	require.NoError(t, runErr, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	for _, check := range []string{
		"ok before C_Initialize: 88 functions",
		"ok zero arguments: NULL pointers are CKR_ARGUMENTS_BAD, nothing crashes",
		"ok C_Initialize from 16 threads at once: one succeeds, the others are told",
		"ok C_Initialize and C_Finalize 30 times while 8 threads call",
		"ok forked child: 88 functions",
		"ok fork before C_Initialize: the child is answered at once, without Go",
		"ok fork after C_Initialize: the child is answered at once, without Go",
		"ok the parent's C_GetSlotList after the child exited",
		"ok environment set after dlopen is read at C_Initialize",
		"ok still loaded after dlclose (-z nodelete)",
		"0 failures",
	} {
		assert.Contains(t, stdout.String(), check+"\n")
	}
	// Each forked child says once why its C_Initialize failed.
	assert.Equal(t, 2, strings.Count(stderr.String(), "libcloudp11: C_Initialize in a child forked after the module was loaded"), "stderr:\n%s", stderr.String())

	logged, err := os.ReadFile(logFile)
	require.NoError(t, err, "primus.cfg's log file")
	assert.Contains(t, string(logged), "C_Initialize")
}

// abiProgram compiles testdata/abi.c and abi_operations.c.
func abiProgram(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	testdata := filepath.Join(root, "p11", "testdata")
	bin := filepath.Join(t.TempDir(), "abi")
	cc := exec.Command("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1",
		"-I", filepath.Join(root, "include"), "-I", testdata, "-o", bin,
		filepath.Join(testdata, "abi.c"), filepath.Join(testdata, "abi_operations.c"), "-ldl", "-lpthread")
	out, err := cc.CombinedOutput()
	require.NoError(t, err, "gcc: %s", out)
	return bin
}

// reportFailures fails t once per "FAIL" line of the C program's output.
func reportFailures(t *testing.T, stdout string) {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "FAIL") {
			t.Error(line)
		}
	}
}
