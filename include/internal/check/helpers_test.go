package check

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// namedConstant is one entry of a constant table (see zmiekg_test.go).
type namedConstant struct {
	name  string
	value uint64
}

// toolTimeout bounds one compiler or program run: a hung tool fails the test instead of the CI job.
const toolTimeout = 2 * time.Minute

// strictC and strictCXX are the flags the headers must pass without a single warning.
var (
	strictC   = []string{"-Wall", "-Wextra", "-Werror", "-pedantic", "-Wundef", "-Wstrict-prototypes"}
	strictCXX = []string{"-Wall", "-Wextra", "-Werror", "-pedantic", "-Wundef"}
)

// headers are the files under test.
var headers = []string{"pkcs11.h", "pkcs11t.h", "pkcs11f.h"}

// includeDir is the absolute path of include/, two levels above this package. It reads the
// headers itself: go test caches a result until a file the test opened changes, and gcc's reads
// do not count.
func includeDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	for _, h := range headers {
		_, err := os.ReadFile(filepath.Join(dir, h))
		require.NoError(t, err)
	}
	return dir
}

// ourHeader is the program prefix that includes our headers (compiled with -I include/).
const ourHeader = "#include \"pkcs11.h\"\n"

// requireLP64 skips checks whose expected values assume 64-bit CK_ULONG and natural alignment.
func requireLP64(t *testing.T) {
	t.Helper()
	if strconv.IntSize != 64 || runtime.GOOS == "windows" {
		t.Skipf("layout and values are checked on LP64 Unix only, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
}

// tool returns the path of gcc or g++, failing the test when it is missing: cgo needs the same
// compiler, so a machine without it cannot build the module anyway.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	require.NoErrorf(t, err, "%s is needed to check the headers (Debian: apt-get install build-essential)", name)
	return path
}

// program is a C or C++ translation unit to compile.
type program struct {
	cxx    bool     // C++ (g++) rather than C (gcc)
	flags  []string // -std, warnings, -I
	source string
}

func (p program) compiler(t *testing.T) (string, string) {
	if p.cxx {
		return tool(t, "g++"), "prog.cpp"
	}
	return tool(t, "gcc"), "prog.c"
}

// compile compiles p into dir; with link false it only checks the syntax. It returns the
// compiler's diagnostics and its error.
func (p program) compile(t *testing.T, dir string, link bool) (string, error) {
	t.Helper()
	cc, name := p.compiler(t)
	src := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(src, []byte(p.source), 0o600))
	args := append([]string{}, p.flags...)
	if link {
		args = append(args, "-o", filepath.Join(dir, "prog"), src)
	} else {
		args = append(args, "-fsyntax-only", src)
	}
	ctx, cancel := context.WithTimeout(t.Context(), toolTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, cc, args...).CombinedOutput()
	return string(out), err
}

// run compiles and runs p, which must succeed, and returns what it printed.
func (p program) run(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	diag, err := p.compile(t, dir, true)
	require.NoErrorf(t, err, "compiling:\n%s\n--- source ---\n%s", diag, numbered(p.source))
	ctx, cancel := context.WithTimeout(t.Context(), toolTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "prog")).Output()
	require.NoError(t, err, "running the compiled check")
	return string(out)
}

// numbered prefixes each line with its number, to read compiler diagnostics against the source.
func numbered(src string) string {
	var b strings.Builder
	for i, line := range strings.Split(src, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, line)
	}
	return b.String()
}

// checkProgram is a program whose body is a list of independent one-line checks, so that the
// checks a header cannot compile (a name it does not define, a static_assert it fails) can be
// told apart by the line the compiler names.
type checkProgram struct {
	cxx    bool
	flags  []string
	head   string   // includes and helpers, ending in a newline
	open   string   // line opening the body, e.g. "int main(void) {"; may be empty
	checks []string // one line each
	close  string   // line closing the body; may be empty
}

func (p checkProgram) render(dropped map[int]bool) (string, int) {
	var b strings.Builder
	b.WriteString(p.head)
	b.WriteString(p.open + "\n")
	first := strings.Count(p.head, "\n") + 2 // 1-based line of checks[0]
	for i, c := range p.checks {
		if !dropped[i] {
			b.WriteString(c)
		}
		b.WriteString("\n")
	}
	b.WriteString(p.close + "\n")
	return b.String(), first
}

var diagnosticLine = regexp.MustCompile(`(?m)prog\.(?:c|cpp):(\d+):\d+: (?:fatal )?error:`)

// failingChecks compiles p again and again, leaving out the checks the compiler reports an error
// on, until the rest compiles. It returns the indexes left out and the final program, which
// compiles. An error outside the check lines (in a header, say) fails the test.
func (p checkProgram) failingChecks(t *testing.T) (map[int]bool, program) {
	t.Helper()
	dropped := map[int]bool{}
	dir := t.TempDir()
	for round := 0; ; round++ {
		src, first := p.render(dropped)
		prog := program{cxx: p.cxx, flags: p.flags, source: src}
		diag, err := prog.compile(t, dir, true)
		if err == nil {
			return dropped, prog
		}
		newlyDropped := 0
		for _, m := range diagnosticLine.FindAllStringSubmatch(diag, -1) {
			line, _ := strconv.Atoi(m[1])
			i := line - first
			if i >= 0 && i < len(p.checks) && !dropped[i] {
				dropped[i] = true
				newlyDropped++
			}
		}
		require.NotZerof(t, newlyDropped, "round %d: an error outside the check lines:\n%s\n--- source ---\n%s",
			round, diag, numbered(src))
	}
}

// keyValues parses the "key value" lines printed by a check program.
func keyValues(t *testing.T, out string) map[string]uint64 {
	t.Helper()
	values := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		require.Lenf(t, fields, 2, "check output line %q", sc.Text())
		v, err := strconv.ParseUint(fields[1], 10, 64)
		require.NoErrorf(t, err, "check output line %q", sc.Text())
		_, dup := values[fields[0]]
		require.Falsef(t, dup, "check output names %s twice", fields[0])
		values[fields[0]] = v
	}
	require.NoError(t, sc.Err())
	return values
}

// sortedKeys returns the keys of m in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cString quotes s as a C string literal; the names it is used for are plain identifiers.
func cString(s string) string {
	return strconv.Quote(s)
}
