package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// The peer suite is crypto11 v1.6.2's own tests, shipped in its module.
const (
	crypto11Module = "github.com/ThalesGroup/crypto11"
	// peerSuiteTimeout bounds one run of the suite: it takes about 35 s on
	// SoftHSM on two cores, most of it TestThreadedRSA's pauses.
	peerSuiteTimeout = 3 * time.Minute
)

// crypto11Deps are the modules crypto11's tests need; their versions are
// taken from this module's build list, which has them in the module cache.
var crypto11Deps = []string{
	"github.com/miekg/pkcs11",
	"github.com/pkg/errors",
	"github.com/stretchr/testify",
	"github.com/thales-e-security/pool",
	"go.yaml.in/yaml/v3",
}

// TestCrypto11Suite runs crypto11 v1.6.2's own test suite (its *_test.go
// files ship in the module) in a writable copy of the module, with the
// JSON "config" file its tests read naming the module and the token: once
// on SoftHSM directly and once through the library. Every crypto11 test
// that passes directly must pass through the library. The copy's go.mod
// takes this module's versions of crypto11's dependencies (testify
// v1.12.1 for v1.11.1), so the suite builds offline from the module cache.
func TestCrypto11Suite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs crypto11's test suite twice (-short)")
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	src, requires := crypto11Source(t, goTool)
	results := map[string]map[string]string{}
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		dir := filepath.Join(m.Dir, "crypto11")
		require.NoError(t, os.CopyFS(dir, os.DirFS(src)))
		goMod := "module " + crypto11Module + "\n\ngo 1.26\n\nrequire (\n" + requires + ")\n"
		require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644))
		sums, err := os.ReadFile(filepath.Join(moduleRoot(t), "go.sum"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sums, 0o644))
		// MaxSessions: crypto11's pool (first in, first out) grows to its
		// capacity, 1024 sessions by default or the token's
		// ulMaxRwSessionCount, per Context; hsmd allows an application 1024
		// sessions in all, and crypto11's tests keep several Contexts open
		// (TestThreadedRSA then fails with CKR_SESSION_COUNT in goroutines
		// and waits for ever). 64 is what a deployment on a network HSM sets.
		cfg, err := json.Marshal(map[string]any{"Path": m.Path, "TokenLabel": m.TokenLabel, "Pin": m.UserPIN, "MaxSessions": 64})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), cfg, 0o600))

		ctx, cancel := context.WithTimeout(context.Background(), peerSuiteTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool, "test", "-count=1", "-json", "-timeout", peerSuiteTimeout.String(), ".")
		cmd.Dir = dir
		cmd.Env = append(m.Environ(), "GOFLAGS=", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off", "CRYPTO11_SKIP=")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		runErr := cmd.Run()
		res, output := parseTestEvents(t, out.Bytes())
		t.Logf("crypto11's suite on %s: %s", m.Name, summarise(res))
		for _, name := range sortedKeys(res) {
			if res[name] == "fail" && !strings.Contains(name, "/") {
				t.Logf("  fail %s:\n%s", name, indentText(output[name]))
			}
		}
		if ctx.Err() != nil {
			var hung []string
			for _, name := range sortedKeys(res) {
				if res[name] == "run" {
					hung = append(hung, name)
					t.Logf("  unfinished %s:\n%s", name, indentText(output[name]))
				}
			}
			t.Fatalf("crypto11's suite on %s did not end within %s; unfinished: %s (%s)", m.Name, peerSuiteTimeout,
				strings.Join(hung, " "), summarise(res))
		}
		require.NotEmpty(t, res, "crypto11's suite on %s ran no test (%v):\n%s\n%s", m.Name, runErr, errOut.String(), out.String())
		results[m.Name] = res
	})
	direct, lib := results[testenv.ModuleSoftHSM], results[testenv.ModuleCloudP11]
	if direct == nil || lib == nil {
		return
	}
	t.Run("passes-where-softhsm-passes", func(t *testing.T) {
		var passedBoth, regressions, others []string
		for _, name := range sortedKeys(direct) {
			switch {
			case direct[name] == "pass" && lib[name] == "pass":
				passedBoth = append(passedBoth, name)
			case direct[name] == "pass" && explainedBySubtest(name, direct, lib):
				others = append(others, fmt.Sprintf("%s (softhsm pass, cloudp11 %s: a subtest SoftHSM skipped failed)", name, orMissing(lib[name])))
			case direct[name] == "pass":
				regressions = append(regressions, fmt.Sprintf("%s (cloudp11: %s)", name, orMissing(lib[name])))
			case direct[name] != lib[name]:
				others = append(others, fmt.Sprintf("%s (softhsm %s, cloudp11 %s)", name, direct[name], orMissing(lib[name])))
			}
		}
		t.Logf("%d crypto11 tests pass on both: %s", len(passedBoth), strings.Join(passedBoth, " "))
		if len(others) > 0 {
			t.Logf("other differences: %s", strings.Join(others, "; "))
		}
		assert.Empty(t, regressions, "crypto11 tests that pass on SoftHSM directly but not through the library")
		assert.Greater(t, len(passedBoth), 100, "crypto11's suite exercised the library")
	})
}

// explainedBySubtest says whether parent failed through the library only
// because of subtests that did not pass on SoftHSM directly (or failed
// only because of such subtests of theirs): crypto11 skips some subtests
// when C_GetInfo names SoftHSM (OAEP with SHA-2 or a label, HMAC key
// types) and runs them through the library, on the same backend.
func explainedBySubtest(parent string, direct, lib map[string]string) bool {
	if lib[parent] != "fail" {
		return false
	}
	explained := false
	for name, res := range lib {
		child, ok := strings.CutPrefix(name, parent+"/")
		if !ok || strings.Contains(child, "/") || res != "fail" {
			continue
		}
		if direct[name] == "pass" && !explainedBySubtest(name, direct, lib) {
			return false // a real regression, reported on its own line
		}
		explained = true
	}
	return explained
}

// crypto11Source is the folder of crypto11 in the module cache and the
// require lines of its dependencies at this module's versions.
func crypto11Source(t testing.TB, goTool string) (dir, requires string) {
	t.Helper()
	args := append([]string{"list", "-m", "-f", "{{.Path}} {{.Version}} {{.Dir}}", crypto11Module}, crypto11Deps...)
	cmd := exec.Command(goTool, args...)
	cmd.Dir = moduleRoot(t)
	out, err := cmd.Output()
	require.NoError(t, err, "go list -m %s", crypto11Module)
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		require.Len(t, f, 3, "go list -m: %q", line)
		if f[0] == crypto11Module {
			dir = f[2]
			continue
		}
		fmt.Fprintf(&b, "\t%s %s\n", f[0], f[1])
	}
	require.NotEmpty(t, dir, "%s is not in the module cache", crypto11Module)
	return dir, b.String()
}

// moduleRoot is the folder of this module's go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	return dir
}

// testEvent is a line of go test -json (cmd/test2json).
type testEvent struct {
	Action string
	Test   string
	Output string
}

// parseTestEvents returns each test's last action (pass, fail, skip, or
// run for a test that never ended) and its output.
func parseTestEvents(t testing.TB, data []byte) (results, output map[string]string) {
	t.Helper()
	results, output = map[string]string{}, map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var e testEvent
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Test == "" {
			continue
		}
		switch e.Action {
		case "run", "pass", "fail", "skip":
			results[e.Test] = e.Action
		case "output":
			output[e.Test] += e.Output
		}
	}
	require.NoError(t, sc.Err())
	return results, output
}

func summarise(res map[string]string) string {
	counts := map[string]int{}
	for _, r := range res {
		counts[r]++
	}
	return fmt.Sprintf("%d pass, %d fail, %d skip", counts["pass"], counts["fail"], counts["skip"])
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func orMissing(s string) string {
	if s == "" {
		return "not run"
	}
	return s
}

func indentText(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// TestExplainedBySubtest checks the rule that excuses a parent test.
func TestExplainedBySubtest(t *testing.T) {
	direct := map[string]string{"A": "pass", "A/x": "pass", "A/x/1": "skip", "A/x/2": "pass", "A/y": "pass",
		"B": "pass", "B/x": "pass", "B/x/1": "pass", "C": "pass"}
	lib := map[string]string{"A": "fail", "A/x": "fail", "A/x/1": "fail", "A/x/2": "pass", "A/y": "pass",
		"B": "fail", "B/x": "fail", "B/x/1": "fail", "C": "fail"}
	assert.True(t, explainedBySubtest("A", direct, lib), "A fails only through A/x/1, skipped directly")
	assert.True(t, explainedBySubtest("A/x", direct, lib))
	assert.False(t, explainedBySubtest("B", direct, lib), "B/x/1 passed directly")
	assert.False(t, explainedBySubtest("C", direct, lib), "C has no failing subtest")
	assert.False(t, explainedBySubtest("A/y", direct, lib), "A/y passed")
}
