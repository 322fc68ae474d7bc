//go:build libconfigref

package libconfig_test

// Differential tests: every file of testdata/corpus is parsed by our parser
// and by the reference C library (libconfig 1.5, through
// internal/libconfigref), and the two must agree. The corpus file name says
// what is expected:
//
//	valid-*    both accept and build identical trees
//	invalid-*  both reject, on the same line when the reference names one
//	v17-*      libconfig 1.7 syntax (0b..., 0o...): the reference rejects,
//	           ours accepts
//	diverge-*  a deliberate, documented difference from 1.5: the exact
//	           outcome of each side is in the divergences table below
//
// The prefix is checked against the reference too, so a mislabelled file
// fails instead of testing the wrong thing.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
	"github.com/cloudp11/cloudp11/config/libconfig/internal/libconfigref"
)

const (
	corpusDir = "testdata/corpus"
	// The corpus is meant to stay broad; shrinking it below this is a
	// mistake worth a failure.
	minCorpusEntries = 120
)

// divergence is the expected outcome of both parsers for a diverge-* file,
// each written as outcome.String gives it.
type divergence struct {
	why  string
	ref  string
	ours string
}

// divergences holds the differences from libconfig 1.5 that our parser
// makes on purpose. An entry belongs here only when the parser's own
// documentation declares the difference; anything else is a disagreement
// to fix.
var divergences = map[string]divergence{
	"diverge-comment-eof-no-newline.cfg": {
		why:  "a # or // comment on a last line without a newline is accepted",
		ref:  errorAt(1),
		ours: tree("<root> group (1)", "a int 1"),
	},
	"diverge-float-overflow.cfg": {
		why:  "a float beyond the float64 range is an error; 1.5 saturates to inf",
		ref:  tree("<root> group (2)", "a float +Inf bits=0x7ff0000000000000", "b float -Inf bits=0xfff0000000000000"),
		ours: errorAt(1),
	},
	"diverge-hex-0x100000000-no-suffix.cfg": {
		why:  "an unsuffixed integer beyond 32 bits is an int64; 1.5 keeps the low 32 bits",
		ref:  tree("<root> group (1)", "a int 0 hex"),
		ours: tree("<root> group (1)", "a int64 4294967296 hex"),
	},
	"diverge-hex-0x80000000-no-suffix.cfg": {
		why:  "an unsuffixed integer beyond 32 bits is an int64; 1.5 keeps the low 32 bits",
		ref:  tree("<root> group (1)", "a int -2147483648 hex"),
		ours: tree("<root> group (1)", "a int64 2147483648 hex"),
	},
	"diverge-hex-0xffffffff-no-suffix.cfg": {
		why:  "an unsuffixed integer beyond 32 bits is an int64; 1.5 keeps the low 32 bits",
		ref:  tree("<root> group (1)", "a int -1 hex"),
		ours: tree("<root> group (1)", "a int64 4294967295 hex"),
	},
	"diverge-hex64-beyond-64-bits.cfg": {
		why:  "an integer beyond 64 bits is an error; 1.5 saturates",
		ref:  tree("<root> group (1)", "a int64 -1 hex"),
		ours: errorAt(1),
	},
	"diverge-include-comment-runs-out-of-file.cfg": {
		why:  "a /* comment may not run past the end of an @include file; 1.5 continues it in the including file",
		ref:  tree("<root> group (2)", "x int 1", "y int 2"),
		ours: errorAt(2),
	},
	"diverge-include-nested-relative-to-includer.cfg": {
		why:  "@include paths are relative to the including file; 1.5 resolves every one against the top-level directory",
		ref:  errorAt(2),
		ours: tree("<root> group (3)", "top int 0", "outer int 1", "inner int 2"),
	},
	"diverge-include-string-runs-out-of-file.cfg": {
		why:  "a string may not run past the end of an @include file; 1.5 continues it in the including file",
		ref:  tree("<root> group (1)", `s string "abc\n\ndef"`),
		ours: errorAt(1),
	},
	"diverge-int-beyond-64-bits-no-suffix.cfg": {
		why:  "an integer beyond 64 bits is an error; 1.5 saturates, then keeps the low 32 bits",
		ref:  tree("<root> group (1)", "a int -1"),
		ours: errorAt(1),
	},
	"diverge-int32-above-max-in-array.cfg": {
		why:  "2147483648 is an int64, which does not mix with int in an array; 1.5 truncates it to an int",
		ref:  tree("<root> group (1)", "a array (2)", "a.[0] int 1", "a.[1] int -2147483648"),
		ours: errorAt(1),
	},
	"diverge-int32-above-max-no-suffix.cfg": {
		why:  "an unsuffixed integer beyond 32 bits is an int64; 1.5 keeps the low 32 bits",
		ref:  tree("<root> group (1)", "a int -2147483648"),
		ours: tree("<root> group (1)", "a int64 2147483648"),
	},
	"diverge-int32-below-min-no-suffix.cfg": {
		why:  "an unsuffixed integer beyond 32 bits is an int64; 1.5 keeps the low 32 bits",
		ref:  tree("<root> group (1)", "a int 2147483647"),
		ours: tree("<root> group (1)", "a int64 -2147483649"),
	},
	"diverge-int64-above-max-L.cfg": {
		why:  "an integer beyond 64 bits is an error; 1.5 saturates",
		ref:  tree("<root> group (1)", "a int64 9223372036854775807"),
		ours: errorAt(1),
	},
	"diverge-string-hex-escape-nul.cfg": {
		why:  "\\x00 in a string is an error; 1.5 drops it",
		ref:  tree("<root> group (1)", `a string "ab"`),
		ours: errorAt(1),
	},
	"diverge-string-raw-nul.cfg": {
		why:  "a raw NUL in a string is an error; 1.5 cuts the string there",
		ref:  tree("<root> group (2)", `a string "x"`, "b int 1"),
		ours: errorAt(1),
	},
	"diverge-unterminated-string.cfg": {
		why:  "an unterminated string is reported at its opening quote; 1.5 names the line where the input ends",
		ref:  errorAt(2),
		ours: errorAt(1),
	},
	"diverge-unterminated-string-multiline.cfg": {
		why:  "an unterminated string is reported at its opening quote; 1.5 names the line where the input ends",
		ref:  errorAt(5),
		ours: errorAt(2),
	},
	"diverge-unterminated-comment-at-eof.cfg": {
		why:  "an unterminated /* comment is an error; 1.5 ignores it at the end of the input",
		ref:  tree("<root> group (1)", "a int 1"),
		ours: errorAt(2),
	},
}

// tree joins the lines of a Dump.
func tree(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// errorAt is outcome.String of a rejection at line.
func errorAt(line int) string { return fmt.Sprintf("error at line %d", line) }

// reportedDisagreements names corpus files where the parsers disagree and
// the disagreement has been reported to the parser's owner. The files still
// fail: this table only adds the report to the failure message.
var reportedDisagreements = map[string]string{}

// outcome is what one parser made of one file.
type outcome struct {
	ok   bool
	dump string // the tree, by libconfigref.Node.Dump, when ok
	err  error
	line int    // the error's line; 0 when the parser gave none
	file string // the file the error blames
}

func (o outcome) String() string {
	if o.ok {
		return o.dump
	}
	return fmt.Sprintf("error at line %d", o.line)
}

// detail is String plus the error text, for failure messages.
func (o outcome) detail() string {
	if o.ok {
		return "accepted:\n" + o.dump
	}
	return fmt.Sprintf("rejected: %v", o.err)
}

func referenceOutcome(t testing.TB, path string) outcome {
	t.Helper()
	root, err := libconfigref.ParseFile(path, "")
	if err == nil {
		return outcome{ok: true, dump: root.Dump()}
	}
	var refErr *libconfigref.Error
	require.ErrorAs(t, err, &refErr, "the reference library failed outside parsing")
	require.False(t, refErr.IO, "the reference could not read %s: %v", path, err)
	return outcome{err: err, line: refErr.Line, file: refErr.File}
}

func ourOutcome(t testing.TB, path string) (outcome, *libconfig.Setting) {
	t.Helper()
	root, err := libconfig.ParseFile(path, nil)
	if err == nil {
		require.NotNil(t, root)
		return outcome{ok: true, dump: toNode(root).Dump()}, root
	}
	var ourErr *libconfig.Error
	require.ErrorAs(t, err, &ourErr, "ParseFile must return *libconfig.Error, got %T", err)
	return outcome{err: err, line: ourErr.Pos.Line, file: ourErr.Pos.File}, nil
}

// toNode converts our tree to the reference's shape, so both print with the
// same Dump.
func toNode(s *libconfig.Setting) *libconfigref.Node {
	n := &libconfigref.Node{Name: s.Name, Kind: libconfigref.Kind(s.Kind.String())}
	switch s.Kind {
	case libconfig.KindGroup, libconfig.KindArray, libconfig.KindList:
		n.Children = make([]*libconfigref.Node, 0, s.Len())
		for _, c := range s.Children() {
			n.Children = append(n.Children, toNode(c))
		}
	case libconfig.KindInt, libconfig.KindInt64:
		n.Int, _ = s.Int()
		n.Hex = s.Format == libconfig.FormatHex
	case libconfig.KindFloat:
		n.Float, _ = s.Float()
	case libconfig.KindBool:
		n.Bool, _ = s.Bool()
	case libconfig.KindString:
		n.Str, _ = s.Str()
	}
	return n
}

// corpusEntries lists the top-level corpus files; testdata/corpus/include
// holds the files they include.
func corpusEntries(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".cfg") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func requireReference(t *testing.T) {
	t.Helper()
	if !libconfigref.Available {
		t.Skip("the reference libconfig is not compiled in: build with -tags libconfigref and libconfig-dev installed")
	}
}

func TestCorpusIsWellFormed(t *testing.T) {
	names := corpusEntries(t)
	require.GreaterOrEqual(t, len(names), minCorpusEntries)
	var valid, invalid int
	for _, name := range names {
		switch {
		case strings.HasPrefix(name, "valid-"):
			valid++
		case strings.HasPrefix(name, "invalid-"):
			invalid++
		case strings.HasPrefix(name, "v17-"):
		case strings.HasPrefix(name, "diverge-"):
			assert.Contains(t, divergences, name, "a diverge-* file needs an entry in the divergences table")
		default:
			t.Errorf("%s: corpus names start with valid-, invalid-, v17- or diverge-", name)
		}
	}
	for name := range divergences {
		assert.FileExists(t, filepath.Join(corpusDir, name), "divergences table entry without a corpus file")
	}
	for name := range reportedDisagreements {
		assert.FileExists(t, filepath.Join(corpusDir, name), "reported disagreement without a corpus file")
	}
	assert.Greater(t, valid, minCorpusEntries/3, "too few valid entries")
	assert.Greater(t, invalid, minCorpusEntries/3, "too few invalid entries")
}

func TestCorpusAgainstReference(t *testing.T) {
	requireReference(t)
	for _, name := range corpusEntries(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(corpusDir, name)
			ref := referenceOutcome(t, path)
			ours, _ := ourOutcome(t, path)
			if report, ok := reportedDisagreements[name]; ok {
				t.Logf("known disagreement, reported to the parser's owner: %s", report)
			}
			switch {
			case strings.HasPrefix(name, "valid-"):
				require.True(t, ref.ok, "corpus label: the reference must accept a valid-* file: %s", ref.detail())
				require.True(t, ours.ok, "the reference accepts %s, ours rejects it: %v\nreference tree:\n%s", name, ours.err, ref.dump)
				assert.Equal(t, ref.dump, ours.dump, "trees differ (expected: reference, actual: ours)")
			case strings.HasPrefix(name, "invalid-"):
				require.False(t, ref.ok, "corpus label: the reference must reject an invalid-* file: %s", ref.detail())
				require.False(t, ours.ok, "the reference rejects %s (%v), ours accepts it:\n%s", name, ref.err, ours.dump)
				assertSameErrorPlace(t, ref, ours)
			case strings.HasPrefix(name, "v17-"):
				require.False(t, ref.ok, "corpus label: libconfig 1.5 must reject 1.7 syntax: %s", ref.detail())
				assert.True(t, ours.ok, "ours must accept libconfig 1.7 syntax: %v", ours.err)
			case strings.HasPrefix(name, "diverge-"):
				want, ok := divergences[name]
				require.True(t, ok, "no divergences entry for %s", name)
				assert.Equal(t, want.ref, ref.String(), "reference outcome changed (%s): %s", want.why, ref.detail())
				assert.Equal(t, want.ours, ours.String(), "our outcome is not the documented one (%s): %s", want.why, ours.detail())
			default:
				t.Fatalf("unknown corpus prefix")
			}
		})
	}
}

// assertSameErrorPlace compares where two rejections point: the line, when
// the reference gives one, and the file, when it names one (an error inside
// an included file must blame that file).
func assertSameErrorPlace(t *testing.T, ref, ours outcome) {
	t.Helper()
	if ref.line == 0 {
		return
	}
	assert.Equal(t, ref.line, ours.line, "error lines differ\nreference: %v\nours:      %v", ref.err, ours.err)
	if ref.file != "" {
		assert.Equal(t, filepath.Base(ref.file), filepath.Base(ours.file),
			"errors blame different files\nreference: %v\nours:      %v", ref.err, ours.err)
	}
}

// TestFormatAcceptedByReference checks the printer against the reference:
// whatever our parser accepts, Format must print as a file that libconfig
// 1.5 reads back into the same tree.
func TestFormatAcceptedByReference(t *testing.T) {
	requireReference(t)
	dir := t.TempDir()
	for _, name := range corpusEntries(t) {
		if !strings.HasPrefix(name, "valid-") && !strings.HasPrefix(name, "diverge-") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			ours, root := ourOutcome(t, filepath.Join(corpusDir, name))
			if !ours.ok {
				t.Skipf("our parser rejects it (TestCorpusAgainstReference reports that): %v", ours.err)
			}
			var written bytes.Buffer
			require.NoError(t, libconfig.Write(&written, root), "Write refused a tree the parser built")
			printed := libconfig.Format(root)
			require.Equal(t, written.String(), string(printed), "Format and Write disagree")
			out := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(out, printed, 0o600))
			back, err := libconfigref.ParseFile(out, dir)
			var refErr *libconfigref.Error
			if errors.As(err, &refErr) {
				t.Fatalf("the reference rejects Format's output at line %d (%s):\n%s", refErr.Line, refErr.Text, numberLines(printed))
			}
			require.NoError(t, err)
			assert.Equal(t, ours.dump, back.Dump(), "the reference reads Format's output as another tree (expected: ours, actual: reference)\n%s", numberLines(printed))
		})
	}
}

func numberLines(text []byte) string {
	var b strings.Builder
	for i, line := range strings.Split(string(text), "\n") {
		fmt.Fprintf(&b, "%4d | %s\n", i+1, line)
	}
	return b.String()
}
