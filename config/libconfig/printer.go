package libconfig

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Format returns the tree under root as libconfig text, or nil when the tree
// cannot be written; Write says why. Parsed trees can always be written.
func Format(root *Setting) []byte {
	b, err := format(root)
	if err != nil {
		return nil
	}
	return b
}

// Write writes the tree under root, which must be a group, as libconfig text
// that Parse (and the reference library) reads back to an equal tree:
//
//	name = value;
//	group = {
//	  member = 1;
//	};
//	array = [ 1, 2, 3 ];
//	list = ( "a", 2 );
//
// Integers keep their notation, decimal or hex (binary and octal become
// hex, for libconfig 1.5 to read), and int64 values get the L
// suffix; floats are written so that they read back to the same bits and
// as floats. It fails, writing nothing, when the tree holds something
// libconfig cannot express: a NaN or infinite float, a NUL byte in a string,
// an invalid or duplicate member name, an array of mixed or non-scalar
// elements.
func Write(w io.Writer, root *Setting) error {
	b, err := format(root)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func format(root *Setting) ([]byte, error) {
	if root == nil || root.Kind != KindGroup {
		return nil, fmt.Errorf("libconfig: cannot write: the root must be a group")
	}
	pr := &printer{}
	if err := pr.members(root, 0); err != nil {
		return nil, err
	}
	if pr.buf.Len() == 0 {
		return []byte{}, nil // not nil, which Format uses for failure
	}
	return pr.buf.Bytes(), nil
}

type printer struct {
	buf bytes.Buffer
}

func (pr *printer) indent(level int) {
	for range level {
		pr.buf.WriteString("  ")
	}
}

func (pr *printer) members(group *Setting, level int) error {
	seen := make(map[string]bool, len(group.children))
	for _, c := range group.children {
		if !ValidName(c.Name) {
			return writeError(c, "invalid setting name %q", c.Name)
		}
		if seen[c.Name] {
			return writeError(c, "duplicate setting name %q", c.Name)
		}
		seen[c.Name] = true
		pr.indent(level)
		pr.buf.WriteString(c.Name)
		pr.buf.WriteString(" = ")
		if err := pr.value(c, level); err != nil {
			return err
		}
		pr.buf.WriteString(";\n")
	}
	return nil
}

func (pr *printer) value(s *Setting, level int) error {
	switch s.Kind {
	case KindGroup:
		if len(s.children) == 0 {
			pr.buf.WriteString("{ }")
			return nil
		}
		pr.buf.WriteString("{\n")
		if err := pr.members(s, level+1); err != nil {
			return err
		}
		pr.indent(level)
		pr.buf.WriteByte('}')
		return nil
	case KindArray:
		for _, e := range s.children {
			if !e.Kind.IsScalar() || e.Kind != s.children[0].Kind {
				return writeError(s, "an array must hold scalars of one kind, found %s and %s", s.children[0].Kind, e.Kind)
			}
		}
		return pr.inline(s, "[", "]")
	case KindList:
		multiline := false
		for _, e := range s.children {
			multiline = multiline || e.Kind.IsAggregate()
		}
		if !multiline {
			return pr.inline(s, "(", ")")
		}
		pr.buf.WriteString("(\n")
		for i, e := range s.children {
			pr.indent(level + 1)
			if err := pr.value(e, level+1); err != nil {
				return err
			}
			if i < len(s.children)-1 {
				pr.buf.WriteByte(',')
			}
			pr.buf.WriteByte('\n')
		}
		pr.indent(level)
		pr.buf.WriteByte(')')
		return nil
	}
	return pr.scalar(s)
}

// inline writes the scalar elements of an array or list on one line.
func (pr *printer) inline(s *Setting, open, close string) error {
	pr.buf.WriteString(open)
	for i, e := range s.children {
		if i > 0 {
			pr.buf.WriteByte(',')
		}
		pr.buf.WriteByte(' ')
		if err := pr.scalar(e); err != nil {
			return err
		}
	}
	pr.buf.WriteByte(' ')
	pr.buf.WriteString(close)
	return nil
}

func (pr *printer) scalar(s *Setting) error {
	switch s.Kind {
	case KindInt:
		if s.i < math.MinInt32 || s.i > math.MaxInt32 {
			return writeError(s, "int value %d does not fit 32 bits; make it an int64", s.i)
		}
		pr.buf.WriteString(formatInt(s.i, s.Format, false))
	case KindInt64:
		pr.buf.WriteString(formatInt(s.i, s.Format, true))
	case KindFloat:
		if math.IsNaN(s.f) || math.IsInf(s.f, 0) {
			return writeError(s, "libconfig cannot express the float %v", s.f)
		}
		pr.buf.WriteString(formatFloat(s.f))
	case KindBool:
		pr.buf.WriteString(strconv.FormatBool(s.b))
	case KindString:
		if strings.IndexByte(s.s, 0) >= 0 {
			return writeError(s, "a string cannot hold a NUL byte")
		}
		writeQuoted(&pr.buf, s.s)
	default:
		return writeError(s, "unknown kind %s", s.Kind)
	}
	return nil
}

func writeError(s *Setting, format string, args ...any) error {
	where := s.Path()
	if where == "" {
		where = "root"
	}
	return fmt.Errorf("libconfig: cannot write %q: %s", where, fmt.Sprintf(format, args...))
}

// formatInt writes v in decimal or hex. Binary and octal values are written
// in hex, which libconfig 1.5 reads and 0b and 0o are not. A negative 32-bit
// value cannot be written in hex (it would read back as an int64), so it is
// written in decimal; a negative int64 is written as its 64-bit pattern,
// which reads back to the same value.
func formatInt(v int64, f IntFormat, long bool) string {
	var text string
	if f != FormatDecimal && (long || v >= 0) {
		text = "0x" + strings.ToUpper(strconv.FormatUint(uint64(v), 16))
	} else {
		text = strconv.FormatInt(v, 10)
	}
	if long {
		text += "L"
	}
	return text
}

// formatFloat writes the shortest text that reads back to f, with a '.' or
// an exponent so that it reads back as a float.
func formatFloat(f float64) string {
	text := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(text, ".e") {
		text += ".0"
	}
	return text
}

// writeQuoted writes s as a string literal. Control bytes are escaped;
// bytes from 0x80 up are written as they are, which both parsers take
// as they are, so any byte string without NUL survives the round trip.
func writeQuoted(buf *bytes.Buffer, s string) {
	const hexDigits = "0123456789ABCDEF"
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\n':
			buf.WriteString(`\n`)
		case '\r':
			buf.WriteString(`\r`)
		case '\t':
			buf.WriteString(`\t`)
		case '\f':
			buf.WriteString(`\f`)
		default:
			if c < 0x20 || c == 0x7f {
				buf.WriteString(`\x`)
				buf.WriteByte(hexDigits[c>>4])
				buf.WriteByte(hexDigits[c&0xF])
			} else {
				buf.WriteByte(c)
			}
		}
	}
	buf.WriteByte('"')
}
