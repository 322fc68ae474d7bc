// Package libconfigref parses libconfig files with the reference C library
// (hyperrealm libconfig, as packaged by Debian: libconfig-dev 1.5) and hands
// back a plain Go tree, so tests can compare our parser against it.
//
// It is a test oracle, not a parser for production use: nothing outside
// tests should import it, and it is the only cgo in config/.
//
// # Build
//
// The cgo half is compiled only with the build tag libconfigref (the test
// suite passes -tags libconfigref), so a machine without libconfig-dev still
// builds ./... . Without the tag, Available is false and ParseFile returns
// ErrUnavailable; callers t.Skip on !Available.
//
// # Includes
//
// libconfig 1.5 resolves every @include, nested ones too, against one
// directory: config_set_include_dir, or the process's working directory
// when none is set. ParseFile sets it to includeDir, or to the directory of
// the top-level file when includeDir is empty. For a top-level file and the
// files it includes directly this matches the rule "relative to the
// including file"; a nested include written in a file of another directory
// is still resolved against the top-level file's directory by the reference.
//
// An @include that names a directory makes the reference library exit the
// whole process (flex's YY_FATAL_ERROR after the read fails): never hand it
// such a file. A top-level path that is a directory is a plain I/O error.
//
// # Concurrency
//
// Each ParseFile call has its own config_t and the 1.5 scanner and parser
// are reentrant, so calls may run in parallel.
//
// # Limits
//
// The reference reads the whole file with no size limit of its own; its
// bison parser stops nesting at 10000 levels (YYMAXDEPTH), which bounds the
// recursion of the tree walk. Strings are C strings: the reference cuts
// them at the first NUL byte, and Node.Str shows exactly what it kept.
//
// ParseFile frees everything it allocates on every path (go test -asan
// finds no leak of ours). libconfig 1.5 itself leaks the buffer of a string
// token that a syntax error leaves pending (its grammar has no bison
// %destructor): `"a" = 1;` leaks 64 bytes, which -asan reports against
// strbuf_append.
package libconfigref

import (
	"errors"
	"fmt"
)

// Kind is the type of a reference setting, named as in our parser
// (config.Kind.String): group, array, list, int, int64, float, bool, string.
type Kind string

// The kinds of setting libconfig 1.5 knows.
const (
	KindGroup  Kind = "group"
	KindArray  Kind = "array"
	KindList   Kind = "list"
	KindInt    Kind = "int"
	KindInt64  Kind = "int64"
	KindFloat  Kind = "float"
	KindBool   Kind = "bool"
	KindString Kind = "string"
)

// Node is one setting as the reference library parsed it. Only the value
// field matching Kind is set. The root is a group with an empty name.
type Node struct {
	Name string
	Kind Kind
	// Hex is true for an integer the reference marked
	// CONFIG_FORMAT_HEX (written 0x...).
	Hex      bool
	Int      int64
	Float    float64
	Bool     bool
	Str      string
	Children []*Node
	// Line and File are where the reference says the setting starts;
	// diagnostics only, the reference counts lines from its own lookahead.
	Line int
	File string
}

// Error is the reference library's report of a failed parse.
type Error struct {
	// IO is true when the reference could not open or read the
	// top-level file (CONFIG_ERR_FILE_IO) rather than failing to parse it.
	IO bool
	// File is the file the reference blames, which for errors in an
	// included file is that file; empty when it names none.
	File string
	// Line is 0 when the reference gives no line.
	Line int
	Text string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("libconfig reference: %s:%d: %s", e.File, e.Line, e.Text)
	case e.File != "":
		return fmt.Sprintf("libconfig reference: %s: %s", e.File, e.Text)
	default:
		return "libconfig reference: " + e.Text
	}
}

// ErrUnavailable is what ParseFile returns when the package was built
// without the libconfigref tag.
var ErrUnavailable = errors.New("libconfig reference library not compiled in (build with -tags libconfigref and libconfig-dev installed)")
