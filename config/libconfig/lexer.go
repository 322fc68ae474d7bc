package libconfig

import (
	"bytes"
	"strings"
)

// source is one file being scanned: the main file or an @include file.
type source struct {
	file      string // as reported in positions
	dir       string // where its @include paths are resolved
	abs       string // absolute path, for cycle detection
	data      []byte
	off       int
	line      int
	lineStart int // offset of the first byte of the current line
}

func (s *source) pos(off int) Position {
	return Position{File: s.file, Line: s.line, Column: off - s.lineStart + 1}
}

// advance moves to off, counting the newlines passed on the way.
func (s *source) advance(off int) {
	for {
		i := bytes.IndexByte(s.data[s.off:off], '\n')
		if i < 0 {
			break
		}
		s.off += i + 1
		s.line++
		s.lineStart = s.off
	}
	s.off = off
}

// lexer turns the main file, with its @include files spliced in where they
// appear, into one stream of tokens, as the reference scanner does: an
// included file may hold any tokens, not only whole settings.
type lexer struct {
	lim   *limits
	stack []*source // the main file first; the top is being scanned
	total int64     // bytes of all files read so far
}

func isNameStart(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '*'
}

func isNameByte(c byte) bool {
	return isNameStart(c) || isDigit(c) || c == '-' || c == '_'
}

// next returns the next token, or an *Error for the first thing that is
// not one.
func (lx *lexer) next() (token, *Error) {
	for {
		src := lx.stack[len(lx.stack)-1]
		if src.off >= len(src.data) {
			if len(lx.stack) > 1 {
				lx.stack = lx.stack[:len(lx.stack)-1]
				continue
			}
			return token{kind: tokEOF, pos: src.pos(src.off)}, nil
		}
		if src.off == 0 || src.data[src.off-1] == '\n' {
			included, err := lx.include(src)
			if err != nil {
				return token{}, err
			}
			if included {
				continue
			}
		}
		data, off := src.data, src.off
		c := data[off]
		switch c {
		case ' ', '\t', '\r', '\f':
			// Only '\n' ends a line, as in the reference (its yylineno).
			src.off++
			continue
		case '\n':
			src.off++
			src.line++
			src.lineStart = src.off
			continue
		case '#':
			src.off = lineEnd(data, off)
			continue
		case '/':
			if off+1 < len(data) && data[off+1] == '/' {
				src.off = lineEnd(data, off)
				continue
			}
			if off+1 < len(data) && data[off+1] == '*' {
				end := bytes.Index(data[off+2:], []byte("*/"))
				if end < 0 {
					return token{}, errorf(src.pos(off), "unterminated comment: '/*' without '*/'")
				}
				src.advance(off + 2 + end + 2)
				continue
			}
		case '"':
			return lx.scanString(src)
		}
		pos := src.pos(off)
		if kind, ok := singleByteTokens[c]; ok {
			src.off++
			return token{kind: kind, pos: pos, text: string(c)}, nil
		}
		if isNameStart(c) {
			end := off + 1
			for end < len(data) && isNameByte(data[end]) {
				end++
			}
			src.off = end
			text := string(data[off:end])
			switch {
			case strings.EqualFold(text, "true"):
				return token{kind: tokBool, pos: pos, boolVal: true}, nil
			case strings.EqualFold(text, "false"):
				return token{kind: tokBool, pos: pos}, nil
			}
			return token{kind: tokName, pos: pos, text: text}, nil
		}
		if isDigit(c) || c == '-' || c == '+' || c == '.' {
			if n, form, long := scanNumber(data, off); n > 0 {
				src.off = off + n
				return numberToken(string(data[off:off+n]), form, long, pos)
			}
		}
		if c == '@' && bytes.HasPrefix(data[off:], []byte("@include")) {
			return token{}, errorf(pos, "misplaced @include: it must start a line and be followed by a blank and a quoted file name")
		}
		return token{}, errorf(pos, "unexpected %s", describeByte(c))
	}
}

var singleByteTokens = map[byte]tokenKind{
	'=': tokEquals, ':': tokEquals, ',': tokComma, ';': tokSemicolon,
	'{': tokGroupStart, '}': tokGroupEnd, '[': tokArrayStart, ']': tokArrayEnd,
	'(': tokListStart, ')': tokListEnd,
}

// lineEnd is the offset of the '\n' ending the line at off, or the end of
// data. A comment on a last line without a newline is accepted, where the
// reference scanner reports a syntax error.
func lineEnd(data []byte, off int) int {
	if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
		return off + i
	}
	return len(data)
}

// scanString reads a string literal starting at its opening quote. The
// escapes are the reference's: \\ \" \n \r \t \f and \xNN; any other
// backslash stands for itself. Strings hold bytes: anything but NUL and an
// unescaped '"' or '\' is taken as is, newlines and invalid UTF-8 included.
func (lx *lexer) scanString(src *source) (token, *Error) {
	data := src.data
	start := src.off
	pos := src.pos(start)
	var buf []byte // nil while the literal has no escape
	seg := start + 1
	for i := seg; ; {
		if i >= len(data) {
			return token{}, errorf(pos, "unterminated string")
		}
		if len(buf)+i-seg > lx.lim.maxStringLen {
			return token{}, errorf(pos, "string longer than %d bytes", lx.lim.maxStringLen)
		}
		switch data[i] {
		case '"':
			var text string
			if buf == nil {
				text = string(data[seg:i])
			} else {
				text = string(append(buf, data[seg:i]...))
			}
			src.advance(i + 1)
			return token{kind: tokString, pos: pos, text: text}, nil
		case 0:
			src.advance(i)
			return token{}, errorf(src.pos(i), "NUL byte in string: strings cannot hold NUL bytes")
		case '\\':
			decoded, width := decodeEscape(data[i:])
			if width == 0 {
				i++ // a lone backslash stands for itself
				continue
			}
			if decoded == 0 {
				src.advance(i)
				return token{}, errorf(src.pos(i), `\x00 in string: strings cannot hold NUL bytes`)
			}
			buf = append(append(buf, data[seg:i]...), decoded)
			i += width
			seg = i
		default:
			i++
		}
	}
}

// decodeEscape decodes the escape at the start of b (which begins with a
// backslash) and returns its byte and length, or width 0 when it is not an
// escape the reference knows.
func decodeEscape(b []byte) (byte, int) {
	if len(b) < 2 {
		return 0, 0
	}
	switch b[1] {
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'f':
		return '\f', 2
	case '\\', '"':
		return b[1], 2
	case 'x', 'X':
		if len(b) >= 4 && isHexDigit(b[2]) && isHexDigit(b[3]) {
			return hexValue(b[2])<<4 | hexValue(b[3]), 4
		}
	}
	return 0, 0
}

func hexValue(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
