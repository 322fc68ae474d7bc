// Package libconfig reads and writes the configuration syntax of the
// hyperrealm libconfig C library (version 1.5), in which primus.cfg and
// .secrets.cfg are written.
//
// # Grammar
//
// A file is a sequence of settings, the members of an unnamed root group:
//
//	setting = name ( '=' | ':' ) value [ ';' | ',' ]
//	value   = scalar | group | array | list
//	group   = '{' { setting } '}'
//	array   = '[' [ scalar { ',' scalar } ] ']'    scalars of one kind
//	list    = '(' [ value { ',' value } ] ')'      any values
//	name    = [A-Za-z*][-A-Za-z0-9_*]*             not true or false
//
// Scalars are integers (decimal, 0x hex, with an optional L or LL suffix for
// 64 bits), floats (1.5, 1., .5, 1e10, -2.5E-3), booleans (true and false in
// any case) and strings ("..." with the escapes \\ \" \n \r \t \f \xNN; any
// other backslash stands for itself; adjacent literals join, across lines
// and comments). Comments are # and // to the end of the line, and /* */.
// Names are unique within a group. There is no trailing comma in arrays and
// lists. An integer without suffix that does not fit 32 bits is an int64;
// in arrays, int and int64 are different kinds and do not mix.
//
// A line consisting of `@include "file"` (blanks before and between
// allowed, in the file name only \\ and \" escaped) is replaced by the
// tokens of that file, at any nesting level: the included file need not
// hold whole settings. The path is resolved relative to the directory of
// the file that holds the directive. Includes nest at most MaxIncludeDepth
// deep and a file that includes itself, directly or not, is an error naming
// the chain.
//
// Strings are byte strings: bytes from 0x80 up are taken as they are,
// whether or not they are valid UTF-8. A NUL byte, raw or as \x00, is an
// error, because the C library cannot hold one in a string.
//
// # Differences from libconfig 1.5
//
// Deliberate, and what the differential tests must expect:
//
//   - Binary 0b1010 and octal 0o17 integers (with optional L) are accepted,
//     as libconfig 1.7 does.
//   - An integer without suffix that does not fit 32 bits (decimal, hex,
//     binary or octal) is an int64, as in libconfig 1.6 and later; 1.5
//     silently truncates it to 32 bits (0x80000000 reads as -2147483648).
//   - An integer beyond 64 bits or a float beyond the float64 range is an
//     error; 1.5 saturates them (to -1 after truncation, or to inf).
//   - \x00 and raw NUL bytes in strings are errors; 1.5 drops \x00 and
//     truncates at a raw NUL.
//   - An unterminated string or /* comment is an error, and neither may run
//     past the end of an @include file; 1.5 ignores an unterminated one at
//     the end of the input and continues one from an included file into
//     the including file.
//   - A # or // comment on a last line without a newline is accepted; 1.5
//     reports a syntax error.
//   - @include paths are relative to the including file, not to the working
//     directory (or config_set_include_dir); an escape other than \\ and \"
//     in an @include file name is an error.
//   - Errors carry a column and say what was found and what was expected;
//     1.5 says "syntax error" with a line number. An unterminated string or
//     comment is reported where it starts; 1.5, when it reports one at all,
//     names the line where the input ends.
//   - The limits below.
//
// # Positions
//
// Every Setting records where it was written: the file, line and column of
// its name, or of its value for array and list elements. The root group has
// only the file. Lines are counted by '\n' alone and columns in bytes,
// starting at 1; for settings from an @include file the file is the
// included one.
//
// # Printing
//
// Format and Write produce text that Parse reads back to an Equal tree
// (same names, kinds, values and order) and that the C library reads too.
// Hex integers are written back in hex; binary and octal ones are written
// in hex too, so that libconfig 1.5 reads the output.
//
// # Limits
//
// Input is treated as hostile. Every parse is bounded by Options, whose
// zero value means: files of at most 16 MiB each (DefaultMaxFileSize) and
// 64 MiB together (DefaultMaxTotalSize), nesting of groups, arrays and lists
// at most 200 deep (DefaultMaxDepth), @include at most 10 deep
// (DefaultMaxIncludeDepth), at most 100,000 settings (DefaultMaxSettings),
// strings of at most 1 MiB (DefaultMaxStringLen). A file above the size
// limit is refused before it is read, and the default reader takes regular
// files only (a FIFO, terminal or device in an @include would block or never
// end). The parser recurses once per nesting
// level and checks the depth before it does, so no input can exhaust the
// stack. Error messages never quote string values or unexpected words,
// which may be passwords.
//
// # Concurrency
//
// Parse and ParseFile may be called from any number of goroutines; they
// share nothing. A Setting tree may be read concurrently, but must not be
// read while it is being changed (Set, Append, Remove).
package libconfig
