package libconfig_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// renderTree writes a tree on one line, with every value's kind, so that a
// table test states the whole expected tree:
//
//	{a=int(1); b=[int64(5L)]; c=string("x")}
func renderTree(s *libconfig.Setting) string {
	var b strings.Builder
	renderValue(&b, s)
	return b.String()
}

func renderValue(b *strings.Builder, s *libconfig.Setting) {
	switch s.Kind {
	case libconfig.KindGroup:
		b.WriteByte('{')
		for i, c := range s.Children() {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(c.Name)
			b.WriteByte('=')
			renderValue(b, c)
		}
		b.WriteByte('}')
	case libconfig.KindArray, libconfig.KindList:
		open, close := "[", "]"
		if s.Kind == libconfig.KindList {
			open, close = "(", ")"
		}
		b.WriteString(open)
		for i, c := range s.Children() {
			if i > 0 {
				b.WriteString(", ")
			}
			renderValue(b, c)
		}
		b.WriteString(close)
	case libconfig.KindInt, libconfig.KindInt64:
		v, _ := s.Int()
		text := strconv.FormatInt(v, 10)
		switch s.Format {
		case libconfig.FormatHex:
			text = fmt.Sprintf("0x%X", uint64(v))
		case libconfig.FormatBinary:
			text = fmt.Sprintf("0b%b", uint64(v))
		case libconfig.FormatOctal:
			text = fmt.Sprintf("0o%o", uint64(v))
		}
		if s.Kind == libconfig.KindInt {
			if s.Format != libconfig.FormatDecimal && v < 0 {
				text = fmt.Sprintf("0x%X", uint32(v))
			}
			fmt.Fprintf(b, "int(%s)", text)
		} else {
			fmt.Fprintf(b, "int64(%s)", text)
		}
	case libconfig.KindFloat:
		v, _ := s.Float()
		fmt.Fprintf(b, "float(%s)", strconv.FormatFloat(v, 'g', -1, 64))
	case libconfig.KindBool:
		v, _ := s.Bool()
		fmt.Fprintf(b, "bool(%t)", v)
	case libconfig.KindString:
		v, _ := s.Str()
		fmt.Fprintf(b, "string(%q)", v)
	default:
		fmt.Fprintf(b, "?%s", s.Kind)
	}
}

// mustParse parses src as file "t.cfg" with default options.
func mustParse(t testing.TB, src string) *libconfig.Setting {
	t.Helper()
	root, err := libconfig.Parse("t.cfg", []byte(src), nil)
	require.NoError(t, err, "input:\n%s", src)
	require.NotNil(t, root)
	return root
}

// parseError parses src as file "t.cfg" and returns the *Error it must fail
// with.
func parseError(t testing.TB, src string, opts *libconfig.Options) *libconfig.Error {
	t.Helper()
	root, err := libconfig.Parse("t.cfg", []byte(src), opts)
	require.Error(t, err, "input:\n%s", src)
	require.Nil(t, root)
	var perr *libconfig.Error
	require.ErrorAs(t, err, &perr)
	return perr
}

// mapReader serves files from a map, as Options.ReadFile, and counts reads.
type mapReader struct {
	files map[string]string
	reads int
}

func (m *mapReader) read(path string) ([]byte, error) {
	m.reads++
	text, ok := m.files[path]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", path, errNotInMap)
	}
	return []byte(text), nil
}

var errNotInMap = fmt.Errorf("no such file in the test's map")

func repeat(s string, n int) string { return strings.Repeat(s, n) }

func fmtInt(v int64) string { return strconv.FormatInt(v, 10) }
