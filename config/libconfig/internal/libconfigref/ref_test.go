//go:build libconfigref

package libconfigref

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// strip drops the diagnostic positions so trees compare by content.
func strip(n *Node) *Node {
	n.Line, n.File = 0, ""
	for _, c := range n.Children {
		strip(c)
	}
	return n
}

func TestAvailable(t *testing.T) {
	assert.True(t, Available)
}

func TestParseFileEveryKind(t *testing.T) {
	path := writeFile(t, t.TempDir(), "all.cfg", `
i = 42; h = 0x1F; l = 5L; big = 0x100000000L;
f = 1.5e3; b = TRUE; s = "a\tb" "c";
arr = [1, 2];
lst = ("x", { g = false; }, ());
grp = { inner = -7; };
`)
	root, err := ParseFile(path, "")
	require.NoError(t, err)
	want := &Node{Kind: KindGroup, Children: []*Node{
		{Name: "i", Kind: KindInt, Int: 42},
		{Name: "h", Kind: KindInt, Int: 31, Hex: true},
		{Name: "l", Kind: KindInt64, Int: 5},
		{Name: "big", Kind: KindInt64, Int: 1 << 32, Hex: true},
		{Name: "f", Kind: KindFloat, Float: 1500},
		{Name: "b", Kind: KindBool, Bool: true},
		{Name: "s", Kind: KindString, Str: "a\tbc"},
		{Name: "arr", Kind: KindArray, Children: []*Node{
			{Kind: KindInt, Int: 1}, {Kind: KindInt, Int: 2},
		}},
		{Name: "lst", Kind: KindList, Children: []*Node{
			{Kind: KindString, Str: "x"},
			{Kind: KindGroup, Children: []*Node{{Name: "g", Kind: KindBool}}},
			{Kind: KindList, Children: []*Node{}},
		}},
		{Name: "grp", Kind: KindGroup, Children: []*Node{{Name: "inner", Kind: KindInt, Int: -7}}},
	}}
	assert.Equal(t, want, strip(root))
}

func TestParseFileRecordsPositions(t *testing.T) {
	path := writeFile(t, t.TempDir(), "pos.cfg", "a = 1;\n\nb = 2;\n")
	root, err := ParseFile(path, "")
	require.NoError(t, err)
	require.Len(t, root.Children, 2)
	assert.Equal(t, 3, root.Children[1].Line)
	assert.Equal(t, path, root.Children[1].File)
}

func TestParseFileFloatBits(t *testing.T) {
	path := writeFile(t, t.TempDir(), "f.cfg", "neg0 = -0.0; tiny = 4.9e-324; huge = 1e400;\n")
	root, err := ParseFile(path, "")
	require.NoError(t, err)
	require.Len(t, root.Children, 3)
	assert.Equal(t, math.Float64bits(math.Copysign(0, -1)), math.Float64bits(root.Children[0].Float))
	assert.Equal(t, uint64(1), math.Float64bits(root.Children[1].Float))
	assert.True(t, math.IsInf(root.Children[2].Float, 1), "1.5 reads an overflowing float as +Inf")
}

func TestParseFileSyntaxError(t *testing.T) {
	path := writeFile(t, t.TempDir(), "bad.cfg", "a = 1;\n\nb = ;\n")
	_, err := ParseFile(path, "")
	var refErr *Error
	require.ErrorAs(t, err, &refErr)
	assert.False(t, refErr.IO)
	assert.Equal(t, 3, refErr.Line)
	assert.Equal(t, path, refErr.File)
	assert.Equal(t, "syntax error", refErr.Text)
	assert.Contains(t, err.Error(), "bad.cfg:3: syntax error")
}

func TestParseFileSemanticErrors(t *testing.T) {
	for src, text := range map[string]string{
		"a = 1;\na = 2;\n":   "duplicate setting name",
		"a = [1,\n\"x\"];\n": "mismatched element type in array",
	} {
		path := writeFile(t, t.TempDir(), "bad.cfg", src)
		_, err := ParseFile(path, "")
		var refErr *Error
		require.ErrorAs(t, err, &refErr, src)
		assert.Equal(t, text, refErr.Text, src)
		assert.Equal(t, 2, refErr.Line, src)
	}
}

func TestParseFileMissingFileIsIOError(t *testing.T) {
	_, err := ParseFile(filepath.Join(t.TempDir(), "absent.cfg"), "")
	var refErr *Error
	require.ErrorAs(t, err, &refErr)
	assert.True(t, refErr.IO)
	assert.Zero(t, refErr.Line)
}

func TestParseFileIncludeRelativeToTopLevelFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "inc/part.cfg", "x = 1;\n")
	top := writeFile(t, dir, "top.cfg", "@include \"inc/part.cfg\"\ny = 2;\n")
	// The working directory is not dir: the default include dir must be
	// the top-level file's directory, not the process's.
	root, err := ParseFile(top, "")
	require.NoError(t, err)
	require.Len(t, root.Children, 2)
	assert.Equal(t, "x", root.Children[0].Name)
	assert.Equal(t, "y", root.Children[1].Name)
}

func TestParseFileExplicitIncludeDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "elsewhere/part.cfg", "x = 1;\n")
	top := writeFile(t, dir, "top.cfg", "@include \"part.cfg\"\n")
	_, err := ParseFile(top, "")
	var refErr *Error
	require.ErrorAs(t, err, &refErr)
	assert.Equal(t, "cannot open include file", refErr.Text)
	assert.Equal(t, 1, refErr.Line)

	root, err := ParseFile(top, filepath.Join(dir, "elsewhere"))
	require.NoError(t, err)
	require.Len(t, root.Children, 1)
	assert.Equal(t, "x", root.Children[0].Name)
}

// The documented difference from our parser: 1.5 resolves a nested include
// against the include dir, not against the file that contains it.
func TestParseFileNestedIncludeUsesTopLevelDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "inc/sub.cfg", "z = 3;\n")
	writeFile(t, dir, "inc/mid.cfg", "@include \"sub.cfg\"\n")
	top := writeFile(t, dir, "top.cfg", "@include \"inc/mid.cfg\"\n")
	_, err := ParseFile(top, "")
	var refErr *Error
	require.ErrorAs(t, err, &refErr)
	assert.Equal(t, "cannot open include file", refErr.Text)
	assert.Equal(t, "inc/mid.cfg", refErr.File, "the reference names the included file as written")

	writeFile(t, dir, "sub.cfg", "z = 3;\n")
	root, err := ParseFile(top, "")
	require.NoError(t, err)
	require.Len(t, root.Children, 1)
	assert.Equal(t, "z", root.Children[0].Name)
}

func TestParseFileStringsStopAtNUL(t *testing.T) {
	path := writeFile(t, t.TempDir(), "nul.cfg", "a = \"x\\x00y\"; b = \"p\x00q\";\n")
	root, err := ParseFile(path, "")
	require.NoError(t, err)
	require.Len(t, root.Children, 2)
	assert.Equal(t, "xy", root.Children[0].Str, "1.5 appends an escaped NUL as an empty C string")
	assert.Equal(t, "p", root.Children[1].Str, "1.5 cuts a raw NUL and what follows it in the chunk")
}

func TestParseFileRepeatedCallsAreIndependent(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.cfg", "a = \"value\";\n")
	bad := writeFile(t, dir, "bad.cfg", "a = ;\n")
	for i := 0; i < 200; i++ {
		root, err := ParseFile(good, "")
		require.NoError(t, err)
		require.Equal(t, "value", root.Children[0].Str)
		_, err = ParseFile(bad, "")
		require.Error(t, err)
	}
}
