package libconfig

import (
	"fmt"
	"strconv"
)

// Error is a parse error: where it happened and what was wrong. Parse and
// ParseFile return only *Error values (check with errors.As), and stop at the
// first error, as the reference library does. Messages never quote the text
// of a string or of an unexpected word, because configuration files hold
// passwords; they quote setting names, file names, single characters and
// out-of-range numbers, and otherwise name the kind of token found.
type Error struct {
	Pos Position
	Msg string
	// Err is the underlying cause when there is one, such as the error of
	// reading a file (errors.Is(err, fs.ErrNotExist) works through it).
	Err error
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns the underlying cause, or nil.
func (e *Error) Unwrap() error { return e.Err }

func errorf(pos Position, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// describeByte names a byte for a message: printable ASCII quoted, anything
// else by its value.
func describeByte(c byte) string {
	switch {
	case c == 0:
		return "NUL byte"
	case c == '\'':
		return `"'"`
	case c > ' ' && c < 0x7f:
		return "'" + string(c) + "'"
	default:
		return fmt.Sprintf("byte 0x%02X", c)
	}
}

// clip shortens a number's text for a message; a number can be as long as
// the file.
func clip(text string) string {
	const max = 40
	if len(text) <= max {
		return text
	}
	return text[:max] + "..." + " (" + strconv.Itoa(len(text)) + " characters)"
}
