//go:build libconfigref

package libconfig_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig/internal/libconfigref"
)

// FuzzAgainstReference feeds the same bytes to our parser and to libconfig
// 1.5 and requires the same verdict and, when both accept, the same tree.
//
// The differences doc.go declares are taken out of the comparison, each as
// narrowly as it can be:
//   - inputs with @include are skipped: includes need files, and an
//     @include naming a directory makes the C library exit the process;
//   - inputs with 1.7 syntax (0b, 0o), NUL bytes or \x00 escapes, a number
//     beyond 64 bits or float64, or nesting that could pass our depth limit
//     are skipped;
//   - an unsuffixed integer beyond 32 bits gets an L suffix in the copy the
//     reference reads, which gives it the int64 our parser makes;
//   - both copies get a final newline, and an unterminated string or /*
//     comment is closed, because 1.5 rejects a # comment ending the input
//     and ignores a string or /* comment left open there.
//
// Error lines are not compared here; the corpus tests compare them.
func FuzzAgainstReference(f *testing.F) {
	if !libconfigref.Available {
		f.Skip("the reference libconfig is not compiled in: build with -tags libconfigref and libconfig-dev installed")
	}
	for _, name := range corpusEntries(f) {
		data, err := os.ReadFile(filepath.Join(corpusDir, name))
		require.NoError(f, err)
		f.Add(data)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if reason := outOfScopeForReference(data); reason != "" {
			t.Skip(reason)
		}
		forRef, ok := rewriteForReference(data)
		if !ok {
			t.Skip("a number beyond 64 bits or float64: a declared difference")
		}
		ours := closeAtEOF(data)
		forRef = closeAtEOF(forRef)

		ourPath := writeTemp(t, dir, ours)
		refPath := writeTemp(t, dir, forRef)
		ref := referenceOutcome(t, refPath)
		got, _ := ourOutcome(t, ourPath)
		require.Equal(t, ref.ok, got.ok, "verdicts differ on %q\nreference (on %q): %s\nours: %s", ours, forRef, ref.detail(), got.detail())
		if ref.ok {
			assert.Equal(t, ref.dump, got.dump, "trees differ on %q (expected: reference, actual: ours)", ours)
		}
	})
}

func writeTemp(t *testing.T, dir string, data []byte) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "fuzz-*.cfg")
	require.NoError(t, err)
	t.Cleanup(func() { os.Remove(f.Name()) })
	_, err = f.Write(data)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return f.Name()
}

var (
	v17Literal  = regexp.MustCompile(`0[bBoO]`)
	escapedNUL  = regexp.MustCompile(`\\[xX]00`)
	includeWord = []byte("@include")
)

// outOfScopeForReference says why an input cannot be compared, or "".
func outOfScopeForReference(data []byte) string {
	switch {
	case bytes.Contains(data, includeWord):
		return "@include: needs files, and a directory makes the C library exit"
	case v17Literal.Match(data):
		return "libconfig 1.7 syntax (0b, 0o)"
	case bytes.IndexByte(data, 0) >= 0 || escapedNUL.Match(data):
		return "NUL in the input: a declared difference"
	case bytes.Count(data, []byte("{"))+bytes.Count(data, []byte("["))+bytes.Count(data, []byte("(")) >= 200:
		return "could nest deeper than our MaxDepth"
	}
	return ""
}

// closeAtEOF ends the input with a newline, closing first a string or a
// /* comment left open at the end.
func closeAtEOF(data []byte) []byte {
	out := append([]byte(nil), data...)
	scan := scanLiterals(data)
	if scan.openComment {
		out = append(out, "*/"...)
	}
	if scan.openString {
		if scan.danglingBackslash {
			// Without it the closing quote would be read as \".
			out = append(out, '\\')
		}
		out = append(out, '"')
	}
	if len(out) == 0 || out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out
}

// rewriteForReference returns the input with an L after every unsuffixed
// integer literal beyond 32 bits, and false when a literal is beyond 64
// bits (or float64), which our parser rejects and 1.5 saturates.
func rewriteForReference(data []byte) ([]byte, bool) {
	scan := scanLiterals(data)
	var out []byte
	last := 0
	for _, lit := range scan.literals {
		switch lit.classify() {
		case literalBeyond64:
			return nil, false
		case literalNeedsL:
			out = append(out, data[last:lit.end]...)
			out = append(out, 'L')
			last = lit.end
		}
	}
	return append(out, data[last:]...), true
}

type literalClass int

const (
	literalFits literalClass = iota
	literalNeedsL
	literalBeyond64
)

type literal struct {
	start, end int
	text       string
}

// classify applies the number rules of doc.go to one literal.
func (l literal) classify() literalClass {
	text := l.text
	long := strings.HasSuffix(text, "L")
	digits := strings.TrimRight(text, "L")
	if strings.HasPrefix(digits, "0x") || strings.HasPrefix(digits, "0X") {
		u, err := strconv.ParseUint(digits[2:], 16, 64)
		switch {
		case err != nil:
			return literalBeyond64
		case !long && u > math.MaxInt32:
			return literalNeedsL
		}
		return literalFits
	}
	if strings.ContainsAny(digits, ".eE") {
		if !strings.ContainsAny(strings.SplitN(strings.ToLower(digits), "e", 2)[0], "0123456789") {
			return literalFits // "." and ".e5": both read 0
		}
		v, err := strconv.ParseFloat(digits, 64)
		if err != nil || math.IsInf(v, 0) {
			return literalBeyond64
		}
		return literalFits
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	switch {
	case err != nil:
		return literalBeyond64
	case !long && (v < math.MinInt32 || v > math.MaxInt32):
		return literalNeedsL
	}
	return literalFits
}

type literalScan struct {
	literals    []literal
	openComment bool // the input ends inside a /* comment
	openString  bool // the input ends inside a string
	// danglingBackslash: the open string ends with a backslash that
	// would escape a quote written after it.
	danglingBackslash bool
}

// The number patterns of the 1.5 scanner; flex takes the longest match.
var numberPatterns = []*regexp.Regexp{
	longestMatch(`\A(?:[-+]?[0-9]*\.[0-9]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+)`),
	longestMatch(`\A[-+]?[0-9]+(?:LL?)?`),
	longestMatch(`\A0[Xx][0-9A-Fa-f]+(?:LL?)?`),
}

func longestMatch(expr string) *regexp.Regexp {
	re := regexp.MustCompile(expr)
	re.Longest()
	return re
}

// scanLiterals finds the number literals of an input the way the 1.5
// scanner splits it: not inside strings, comments or names.
func scanLiterals(data []byte) literalScan {
	var scan literalScan
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			end, closed, dangling := stringEnd(data, i+1)
			if !closed {
				scan.openString, scan.danglingBackslash = true, dangling
				return scan
			}
			i = end
		case c == '#' || c == '/' && i+1 < len(data) && data[i+1] == '/':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(data) && data[i+1] == '*':
			end := bytes.Index(data[i+2:], []byte("*/"))
			if end < 0 {
				scan.openComment = true
				return scan
			}
			i += 2 + end + 2
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '*':
			for i < len(data) && isNameByte(data[i]) {
				i++
			}
		default:
			n := 0
			for _, p := range numberPatterns {
				if m := p.Find(data[i:]); len(m) > n {
					n = len(m)
				}
			}
			if n == 0 {
				i++
				continue
			}
			scan.literals = append(scan.literals, literal{start: i, end: i + n, text: string(data[i : i+n])})
			i += n
		}
	}
	return scan
}

func isNameByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '*' || c == '-' || c == '_'
}

// stringEnd returns the offset after the closing quote of a string whose
// body starts at i. When the input ends first, it returns len(data), false,
// and whether the input ends in a lone backslash. Only \\ and \" hide a
// quote.
func stringEnd(data []byte, i int) (end int, closed, dangling bool) {
	for i < len(data) {
		switch {
		case data[i] == '\\' && i+1 == len(data):
			return len(data), false, true
		case data[i] == '\\' && (data[i+1] == '\\' || data[i+1] == '"'):
			i += 2
		case data[i] == '"':
			return i + 1, true, false
		default:
			i++
		}
	}
	return i, false, false
}

func TestRewriteForReference(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"a = 2147483648;", "a = 2147483648L;", true},
		{"a = -2147483649;", "a = -2147483649L;", true},
		{"a = 0x80000000;", "a = 0x80000000L;", true},
		{"a = [1, 4294967296, 0XFFFFFFFF];", "a = [1, 4294967296L, 0XFFFFFFFFL];", true},
		{"a = 2147483647; b = -2147483648; c = 0x7fffffff;", "a = 2147483647; b = -2147483648; c = 0x7fffffff;", true},
		{"a = 2147483648L; b = 0x80000000LL;", "a = 2147483648L; b = 0x80000000LL;", true},
		{`a = "2147483648 \" 2147483648";`, `a = "2147483648 \" 2147483648";`, true},
		{"# 2147483648\n// 2147483648\n/* 2147483648 */", "# 2147483648\n// 2147483648\n/* 2147483648 */", true},
		{"n2147483648 = 1;", "n2147483648 = 1;", true},
		{"a = 2147483648a;", "a = 2147483648La;", true},
		{"a = 1e5; b = .; c = -.e5; d = 1.5e308;", "a = 1e5; b = .; c = -.e5; d = 1.5e308;", true},
		{"a = 99999999999999999999;", "", false},
		{"a = 9223372036854775808L;", "", false},
		{"a = 0x1ffffffffffffffffL;", "", false},
		{"a = 1e400;", "", false},
		{"a = -1" + strings.Repeat("0", 400) + ".0;", "", false},
	} {
		got, ok := rewriteForReference([]byte(tc.in))
		assert.Equal(t, tc.ok, ok, tc.in)
		if tc.ok {
			assert.Equal(t, tc.want, string(got), tc.in)
		}
	}
}

func TestCloseAtEOF(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "\n",
		"a = 1;\n":              "a = 1;\n",
		"a = 1; # c":            "a = 1; # c\n",
		"a = 1;\n/* open":       "a = 1;\n/* open*/\n",
		"a = 1; /* c */ /* o\n": "a = 1; /* c */ /* o\n*/\n",
		`a = "/*";`:             "a = \"/*\";\n",
		"# /* in a comment":     "# /* in a comment\n",
		`/* "`:                  "/* \"*/\n",
		`a = "/* x";`:           "a = \"/* x\";\n",
		`a = 1; "open`:          `a = 1; "open"` + "\n",
		`a = 1; "open\`:         `a = 1; "open\\"` + "\n",
		`a = 1; "open\\`:        `a = 1; "open\\"` + "\n",
		`a = 1; "x\"`:           `a = 1; "x\""` + "\n",
	} {
		assert.Equal(t, want, string(closeAtEOF([]byte(in))), in)
	}
}

func TestOutOfScopeForReference(t *testing.T) {
	for in, skipped := range map[string]bool{
		"a = 1;":                          false,
		"@include \"x\"\n":                true,
		"a = 0b1;":                        true,
		"a = 0O7;":                        true,
		"a = \"\\x00\";":                  true,
		"a = \"\\X00\";":                  true,
		"a = 1;\x00":                      true,
		strings.Repeat("(", 200):          true,
		"a = " + strings.Repeat("(", 199): false,
	} {
		assert.Equal(t, skipped, outOfScopeForReference([]byte(in)) != "", "%q", in)
	}
}
