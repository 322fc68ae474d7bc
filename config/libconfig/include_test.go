package libconfig_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// writeFiles creates files under dir from a map of relative path to content.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	}
}

func TestIncludeRelativeToIncludingFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"main.cfg":      "first = 1;\n@include \"sub/a.cfg\"\nlast = 4;\n",
		"sub/a.cfg":     "a = 2;\n  \t@include  \"b.cfg\"\n",
		"sub/b.cfg":     "b = { c = 3; };",
		"b.cfg":         "wrong = 1;", // would be picked if paths were relative to main.cfg
		"sub/other.cfg": "",
	})
	root, err := libconfig.ParseFile(filepath.Join(dir, "main.cfg"), nil)
	require.NoError(t, err)
	assert.Equal(t, "{first=int(1); a=int(2); b={c=int(3)}; last=int(4)}", renderTree(root))
	assert.Equal(t, libconfig.Position{File: filepath.Join(dir, "sub", "b.cfg"), Line: 1, Column: 7}, root.Lookup("b.c").Pos)
	assert.Equal(t, libconfig.Position{File: filepath.Join(dir, "main.cfg"), Line: 3, Column: 1}, root.Lookup("last").Pos)
}

func TestIncludeSplicesTokens(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"inside a group", map[string]string{"main.cfg": "g = {\n  @include \"m.cfg\"\n};", "m.cfg": "x = 1;"}, "{g={x=int(1)}}"},
		{"deep inside a list", map[string]string{"main.cfg": "l = ( {\n@include \"m.cfg\"\n} );", "m.cfg": "x = 1;"}, "{l=({x=int(1)})}"},
		{"a bare value", map[string]string{"main.cfg": "a =\n@include \"v.cfg\"\n;", "v.cfg": "5"}, "{a=int(5)}"},
		{"string literals join across files", map[string]string{"main.cfg": "a = \"x\"\n@include \"v.cfg\"\n\"z\";", "v.cfg": `"y"`}, `{a=string("xyz")}`},
		{"rest of the line follows the file", map[string]string{"main.cfg": "@include \"one.cfg\" a = 1;", "one.cfg": "x = 1;\n"}, "{x=int(1); a=int(1)}"},
		{"at the end of input without newline", map[string]string{"main.cfg": "@include \"one.cfg\"", "one.cfg": "x = 1;"}, "{x=int(1)}"},
		{"empty included file", map[string]string{"main.cfg": "@include \"e.cfg\"\na = 1;", "e.cfg": ""}, "{a=int(1)}"},
		{"comment ending an included file", map[string]string{"main.cfg": "@include \"c.cfg\"\na = 1;", "c.cfg": "x = 1; # no newline"}, "{x=int(1); a=int(1)}"},
		{"escaped quote in the name", map[string]string{"main.cfg": `@include "we\"ird.cfg"` + "\n", `we"ird.cfg`: "w = 1;"}, "{w=int(1)}"},
		{"escaped backslash in the name", map[string]string{"main.cfg": `@include "back\\slash.cfg"` + "\n", `back\slash.cfg`: "s = 1;"}, "{s=int(1)}"},
		{"nested includes", map[string]string{"main.cfg": "@include \"a.cfg\"\n", "a.cfg": "@include \"b.cfg\"\na = 1;", "b.cfg": "b = 1;"}, "{b=int(1); a=int(1)}"},
		{"same file twice", map[string]string{"main.cfg": "g = {\n@include \"x.cfg\"\n};\nh = {\n@include \"x.cfg\"\n};", "x.cfg": "x = 1;"}, "{g={x=int(1)}; h={x=int(1)}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := &mapReader{files: map[string]string{}}
			for name, content := range tt.files {
				files.files[filepath.Join("/cfg", name)] = content
			}
			root, err := libconfig.ParseFile("/cfg/main.cfg", &libconfig.Options{ReadFile: files.read})
			require.NoError(t, err)
			assert.Equal(t, tt.want, renderTree(root))
		})
	}
}

func TestIncludeErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"missing file", map[string]string{"main.cfg": "a = 1;\n  @include \"nope.cfg\"\n"},
			`/cfg/main.cfg:2:3: cannot read @include file "/cfg/nope.cfg": open /cfg/nope.cfg: no such file in the test's map`},
		{"unterminated name", map[string]string{"main.cfg": "@include \"x.cfg\n"}, `/cfg/main.cfg:1:1: unterminated file name in @include`},
		{"empty name", map[string]string{"main.cfg": "@include \"\"\n"}, `/cfg/main.cfg:1:1: empty file name in @include`},
		{"invalid escape", map[string]string{"main.cfg": `@include "a\n.cfg"` + "\n"}, `/cfg/main.cfg:1:1: invalid escape in @include file name: only \\ and \" are allowed`},
		{"NUL in name", map[string]string{"main.cfg": "@include \"a\x00\"\n"}, `/cfg/main.cfg:1:1: NUL byte in @include file name`},
		{"self include", map[string]string{"main.cfg": "@include \"main.cfg\"\n"},
			`/cfg/main.cfg:1:1: @include cycle: /cfg/main.cfg -> /cfg/main.cfg`},
		{"cycle through another file", map[string]string{"main.cfg": "@include \"sub/a.cfg\"\n", "sub/a.cfg": "x = 1;\n@include \"../main.cfg\"\n"},
			`/cfg/sub/a.cfg:2:1: @include cycle: /cfg/main.cfg -> /cfg/sub/a.cfg -> /cfg/main.cfg`},
		{"error in included file", map[string]string{"main.cfg": "@include \"bad.cfg\"\n", "bad.cfg": "\n  x = ;"},
			`/cfg/bad.cfg:2:7: expected a value for setting "x", found ';'`},
		{"string does not run out of an included file", map[string]string{"main.cfg": "a =\n@include \"s.cfg\"\n\";", "s.cfg": `"abc`},
			`/cfg/s.cfg:1:1: unterminated string`},
		{"comment does not run out of an included file", map[string]string{"main.cfg": "@include \"c.cfg\"\n*/", "c.cfg": `/* abc`},
			`/cfg/c.cfg:1:1: unterminated comment: '/*' without '*/'`},
		{"duplicate across files", map[string]string{"main.cfg": "a = 1;\n@include \"d.cfg\"\n", "d.cfg": "a = 2;"},
			`/cfg/d.cfg:1:1: duplicate setting name "a" (first set at /cfg/main.cfg:1:1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := &mapReader{files: map[string]string{}}
			for name, content := range tt.files {
				files.files[filepath.Join("/cfg", name)] = content
			}
			_, err := libconfig.ParseFile("/cfg/main.cfg", &libconfig.Options{ReadFile: files.read})
			require.Error(t, err)
			var perr *libconfig.Error
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

// includeChain makes c0.cfg ... c<n>.cfg where each includes the next.
func includeChain(n int) map[string]string {
	files := map[string]string{}
	for i := range n {
		files["/cfg/c"+strconv.Itoa(i)+".cfg"] = "v" + strconv.Itoa(i) + " = 1;\n@include \"c" + strconv.Itoa(i+1) + ".cfg\"\n"
	}
	files["/cfg/c"+strconv.Itoa(n)+".cfg"] = "last = 1;\n"
	return files
}

func TestIncludeDepth(t *testing.T) {
	// The reference allows ten files open inside the main one.
	ok := &mapReader{files: includeChain(10)}
	root, err := libconfig.ParseFile("/cfg/c0.cfg", &libconfig.Options{ReadFile: ok.read})
	require.NoError(t, err)
	assert.NotNil(t, root.Member("last"))
	assert.Equal(t, 11, ok.reads)

	deep := &mapReader{files: includeChain(11)}
	_, err = libconfig.ParseFile("/cfg/c0.cfg", &libconfig.Options{ReadFile: deep.read})
	require.Error(t, err)
	assert.Equal(t, "/cfg/c10.cfg:2:1: @include nested deeper than 10 files: /cfg/c0.cfg -> /cfg/c1.cfg -> /cfg/c2.cfg -> /cfg/c3.cfg -> "+
		"/cfg/c4.cfg -> /cfg/c5.cfg -> /cfg/c6.cfg -> /cfg/c7.cfg -> /cfg/c8.cfg -> /cfg/c9.cfg -> /cfg/c10.cfg -> /cfg/c11.cfg", err.Error())

	_, err = libconfig.ParseFile("/cfg/c0.cfg", &libconfig.Options{ReadFile: deep.read, MaxIncludeDepth: 2})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/cfg/c2.cfg:2:1: @include nested deeper than 2 files")
}

func TestIncludeFromRealFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"main.cfg": "@include \"missing.cfg\"\n", "abs.cfg": "x = 1;"})
	_, err := libconfig.ParseFile(filepath.Join(dir, "main.cfg"), nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Equal(t, filepath.Join(dir, "main.cfg")+`:1:1: cannot read @include file "`+filepath.Join(dir, "missing.cfg")+`": no such file or directory`, err.Error())

	// An absolute path is taken as it is, wherever the including file is.
	src := "@include \"" + filepath.Join(dir, "abs.cfg") + "\"\n"
	root, err := libconfig.Parse("elsewhere/in.cfg", []byte(src), nil)
	require.NoError(t, err)
	assert.Equal(t, "{x=int(1)}", renderTree(root))

	_, err = libconfig.ParseFile(filepath.Join(dir, "nope.cfg"), nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Equal(t, filepath.Join(dir, "nope.cfg")+": cannot read: no such file or directory", err.Error())

	_, err = libconfig.ParseFile(dir, nil)
	require.Error(t, err)
	assert.Equal(t, dir+": cannot read: is a directory", err.Error())
}

func TestIncludeFromParseWithoutDirectory(t *testing.T) {
	files := &mapReader{files: map[string]string{"x.cfg": "x = 1;"}}
	root, err := libconfig.Parse("", []byte("@include \"x.cfg\"\n"), &libconfig.Options{ReadFile: files.read})
	require.NoError(t, err)
	assert.Equal(t, "{x=int(1)}", renderTree(root))
	assert.Equal(t, "x.cfg", root.Member("x").Pos.File)
}

func TestIncludeManyTimesIsBoundedByTotalSize(t *testing.T) {
	// Each level includes the next twice: 2^10 reads of c10 without a
	// total limit. The total size stops it early.
	files := map[string]string{}
	for i := range 10 {
		next := "@include \"l" + strconv.Itoa(i+1) + ".cfg\"\n"
		files["/cfg/l"+strconv.Itoa(i)+".cfg"] = "g" + strconv.Itoa(i) + "a = {\n" + next + "};\ng" + strconv.Itoa(i) + "b = {\n" + next + "};\n"
	}
	files["/cfg/l10.cfg"] = "pad = \"" + strings.Repeat("x", 1000) + "\";\n"
	reader := &mapReader{files: files}
	_, err := libconfig.ParseFile("/cfg/l0.cfg", &libconfig.Options{ReadFile: reader.read, MaxTotalSize: 100_000})
	require.Error(t, err)
	assert.ErrorIs(t, err, libconfig.ErrFileTooLarge)
	assert.Contains(t, err.Error(), "the files of this configuration total more than 100000 bytes")
	assert.Less(t, reader.reads, 200)
}
