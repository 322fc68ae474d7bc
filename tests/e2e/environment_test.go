package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// TestEnvironmentSetByTheApplication has a C program set the module's
// variables with setenv(3) before it loads the module, as applications do
// in their own code (Python's os.environ, PHP's putenv, nginx's
// "env CLOUDP11_CONF=/path;" for its workers), and checks that
// C_Initialize finds the configuration. The variables are not in the
// program's starting environment at all.
func TestEnvironmentSetByTheApplication(t *testing.T) {
	gcc := needTool(t, "gcc", "gcc")
	prog := filepath.Join(t.TempDir(), "setenv_init")
	out, err := exec.Command(gcc, "-o", prog, filepath.Join("testdata", "setenv_init.c"), "-ldl").CombinedOutput()
	require.NoError(t, err, "gcc: %s", out)
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		args := []string{m.Path}
		for k, v := range m.Env {
			args = append(args, k+"="+v)
		}
		sort.Strings(args[1:])
		ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, prog, args...)
		cmd.Env = environWithout(m.Env)
		out, err := cmd.CombinedOutput()
		require.NoError(t, ctx.Err())
		require.NoError(t, err, "C_Initialize after setenv of %s: %s", strings.Join(args[1:], " "), out)
		require.Equal(t, "rv 0x0\n", string(out))
	})
}

// environWithout is this process's environment without the names in
// vars (MainLibrary put the library's variables in it).
func environWithout(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if _, drop := vars[name]; !drop {
			env = append(env, kv)
		}
	}
	return env
}
