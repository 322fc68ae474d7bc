package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// toolTimeout bounds one run of an external program: generous, it only
// bounds a hang.
const toolTimeout = 3 * time.Minute

// toolResult is what an external program did.
type toolResult struct {
	stdout, stderr string
	exit           int
}

// runTool runs name with args in the module's environment (and extra
// variables) and returns its outputs and exit status; it fails the test
// only when the program cannot run at all or hangs.
func runTool(t testing.TB, m *testenv.Module, extraEnv []string, stdin []byte, name string, args ...string) toolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(m.Environ(), extraEnv...)
	cmd.Dir = m.Dir
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "%s %s did not end within %s", name, strings.Join(args, " "), toolTimeout)
	res := toolResult{stdout: out.String(), stderr: errOut.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.exit = exitErr.ExitCode()
	default:
		require.NoError(t, err, "running %s", name)
	}
	return res
}

// requireOK fails unless the run exited 0, showing its outputs.
func (r toolResult) requireOK(t testing.TB, what string) {
	t.Helper()
	require.Zero(t, r.exit, "%s exited %d\nstdout:\n%s\nstderr:\n%s", what, r.exit, r.stdout, r.stderr)
}

// needTool skips the test when name is not installed.
func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install %s)", name, pkg)
	}
	return path
}
