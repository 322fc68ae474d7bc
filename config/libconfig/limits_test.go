package libconfig_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

func TestDeepNestingIsAnErrorNotAStackOverflow(t *testing.T) {
	const n = 100_000
	tests := []struct {
		name, src, want string
	}{
		{"groups", "a = " + strings.Repeat("{ b = ", n), `t.cfg:1:1205: groups, arrays and lists nested deeper than 200 levels`},
		{"lists", "a = " + strings.Repeat("(", n), `t.cfg:1:205: groups, arrays and lists nested deeper than 200 levels`},
		{"lists of groups", "a = " + strings.Repeat("({ b = ", n), `t.cfg:1:705: groups, arrays and lists nested deeper than 200 levels`},
		{"arrays", "a = " + strings.Repeat("[", n), `t.cfg:1:6: array "a" can hold only scalar values (int, int64, float, bool, string), found '['; use a list ( ) instead`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseError(t, tt.src, nil).Error())
		})
	}
}

func TestMaxDepthExact(t *testing.T) {
	nested := func(depth int) string {
		return "a = " + strings.Repeat("(", depth) + strings.Repeat(")", depth) + ";"
	}
	mustParse(t, nested(200))
	assert.Equal(t, "t.cfg:1:205: groups, arrays and lists nested deeper than 200 levels", parseError(t, nested(201), nil).Error())

	opts := &libconfig.Options{MaxDepth: 2}
	_, err := libconfig.Parse("t.cfg", []byte("a = { b = { c = 1; }; };"), opts)
	require.NoError(t, err)
	assert.Equal(t, "t.cfg:1:17: groups, arrays and lists nested deeper than 2 levels",
		parseError(t, "a = { b = { c = { d = 1; }; }; };", opts).Error())
}

// TestHugeFileRefusedWithoutReading uses a sparse 1 GiB file of one line:
// the default reader must refuse it from its size, not after reading it.
func TestHugeFileRefusedWithoutReading(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.cfg")
	f, err := os.Create(huge)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(1<<30))
	require.NoError(t, f.Close())

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = libconfig.ParseFile(huge, nil)
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	assert.ErrorIs(t, err, libconfig.ErrFileTooLarge)
	assert.Equal(t, huge+": cannot read: file too large: 1073741824 bytes, the limit is 16777216", err.Error())
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated while refusing the file")

	// The same file as an @include.
	main := filepath.Join(dir, "main.cfg")
	require.NoError(t, os.WriteFile(main, []byte("@include \"huge.cfg\"\n"), 0o600))
	_, err = libconfig.ParseFile(main, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, libconfig.ErrFileTooLarge)
	assert.Equal(t, main+`:1:1: cannot read @include file "`+huge+`": file too large: 1073741824 bytes, the limit is 16777216`, err.Error())
}

// TestDeviceIsRefused reads /dev/zero, which would never end: only regular
// files are configuration files.
func TestDeviceIsRefused(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero on this system")
	}
	_, err := libconfig.ParseFile("/dev/zero", &libconfig.Options{MaxFileSize: 1 << 16})
	require.Error(t, err)
	assert.Equal(t, "/dev/zero: cannot read: not a regular file (a character device)", err.Error())
}

// TestIncludedFIFODoesNotBlock names a FIFO without a writer in @include:
// opening it must neither block nor read it.
func TestIncludedFIFODoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe.cfg"), 0o600))
	main := filepath.Join(dir, "main.cfg")
	require.NoError(t, os.WriteFile(main, []byte("@include \"pipe.cfg\"\n"), 0o600))
	_, err := libconfig.ParseFile(main, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a regular file (a named pipe)")
}

func TestFileSizeLimitAppliesToAnyReader(t *testing.T) {
	// A custom ReadFile that ignores the limit, serving one long line.
	long := "a = \"" + strings.Repeat("x", 2000) + "\";"
	reader := &mapReader{files: map[string]string{"/cfg/long.cfg": long, "/cfg/main.cfg": "@include \"long.cfg\"\n"}}
	opts := &libconfig.Options{MaxFileSize: 1000, ReadFile: reader.read}

	_, err := libconfig.ParseFile("/cfg/long.cfg", opts)
	require.Error(t, err)
	assert.ErrorIs(t, err, libconfig.ErrFileTooLarge)
	assert.Equal(t, `/cfg/long.cfg: file "/cfg/long.cfg" is 2007 bytes, larger than the limit of 1000`, err.Error())

	_, err = libconfig.ParseFile("/cfg/main.cfg", opts)
	require.Error(t, err)
	assert.Equal(t, `/cfg/main.cfg:1:1: file "/cfg/long.cfg" is 2007 bytes, larger than the limit of 1000`, err.Error())

	assert.Equal(t, `t.cfg: file "t.cfg" is 2007 bytes, larger than the limit of 1000`, parseError(t, long, opts).Error())
	_, err = libconfig.Parse("", []byte(long), opts)
	assert.EqualError(t, err, `<input>: the input is 2007 bytes, larger than the limit of 1000`)
}

func TestMaxSettings(t *testing.T) {
	opts := &libconfig.Options{MaxSettings: 5}
	_, err := libconfig.Parse("t.cfg", []byte("a = [1, 2, 3, 4];"), opts)
	require.NoError(t, err, "five settings: a and its four elements")
	assert.Equal(t, "t.cfg:1:19: more than 5 settings", parseError(t, "a = [1, 2, 3, 4]; b = 1;", opts).Error())
	assert.Equal(t, "t.cfg:1:18: more than 5 settings", parseError(t, "a = (1, 2, 3, 4, (5));", opts).Error())

	// The default stops a flood of tiny elements.
	flood := "a = [" + strings.Repeat("1,", libconfig.DefaultMaxSettings) + "1];"
	assert.Contains(t, parseError(t, flood, nil).Error(), "more than 100000 settings")
}

func TestMaxStringLen(t *testing.T) {
	opts := &libconfig.Options{MaxStringLen: 10}
	root, err := libconfig.Parse("t.cfg", []byte(`a = "0123456789"; b = "01234" "56789";`), opts)
	require.NoError(t, err)
	assert.Equal(t, `{a=string("0123456789"); b=string("0123456789")}`, renderTree(root))

	assert.Equal(t, "t.cfg:1:5: string longer than 10 bytes", parseError(t, `a = "0123456789A";`, opts).Error())
	assert.Equal(t, "t.cfg:1:5: string longer than 10 bytes", parseError(t, `a = "\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41";`, opts).Error())
	assert.Equal(t, "t.cfg:1:19: string longer than 10 bytes", parseError(t, `a = "01234" "567" "89A";`, opts).Error())
}

// TestManySmallLiteralsAreLinear joins a million one-byte literals; a
// quadratic join would take minutes.
func TestManySmallLiteralsAreLinear(t *testing.T) {
	src := "a = " + strings.Repeat(`"x" `, 1_000_000) + ";"
	root := mustParse(t, src)
	v, ok := root.Member("a").Str()
	require.True(t, ok)
	assert.Len(t, v, 1_000_000)
}

func TestLargeGroupIsLinear(t *testing.T) {
	var b strings.Builder
	for i := range 90_000 {
		b.WriteString("s")
		b.WriteString(fmtInt(int64(i)))
		b.WriteString(" = 1;\n")
	}
	root := mustParse(t, b.String())
	assert.Equal(t, 90_000, root.Len())
}
