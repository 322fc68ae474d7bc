package libconfig

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
)

// newSource makes a source for a file's contents, checking them against the
// size limits.
func (lx *lexer) newSource(file string, data []byte, at Position) (*source, *Error) {
	if int64(len(data)) > lx.lim.maxFileSize {
		e := errorf(at, "%s is %d bytes, larger than the limit of %d", quoteFile(file), len(data), lx.lim.maxFileSize)
		e.Err = ErrFileTooLarge
		return nil, e
	}
	lx.total += int64(len(data))
	if lx.total > lx.lim.maxTotalSize {
		e := errorf(at, "the files of this configuration total more than %d bytes", lx.lim.maxTotalSize)
		e.Err = ErrFileTooLarge
		return nil, e
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = filepath.Clean(file)
	}
	return &source{file: file, dir: filepath.Dir(file), abs: abs, data: data, line: 1}, nil
}

func quoteFile(file string) string {
	if file == "" {
		return "the input"
	}
	return "file " + `"` + file + `"`
}

// include handles an @include directive if one starts at the current offset,
// which is at the start of a line. The reference recognises
// ^[ \t]*@include[ \t]+" only there; the file name ends at the next
// unescaped quote, with \\ and \" as its only escapes. The included file's
// tokens come next, then the rest of the line after the directive.
func (lx *lexer) include(src *source) (bool, *Error) {
	data := src.data
	i := src.off
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	const directive = "@include"
	if !bytes.HasPrefix(data[i:], []byte(directive)) {
		return false, nil
	}
	at := src.pos(i)
	j := i + len(directive)
	for j < len(data) && (data[j] == ' ' || data[j] == '\t') {
		j++
	}
	if j == i+len(directive) || j >= len(data) || data[j] != '"' {
		return false, nil // lexed as a stray '@', which reports it
	}

	var name []byte
	k := j + 1
	for ; ; k++ {
		if k >= len(data) {
			return false, errorf(at, "unterminated file name in @include")
		}
		c := data[k]
		if c == '"' {
			break
		}
		if c == 0 {
			return false, errorf(at, "NUL byte in @include file name")
		}
		if c == '\\' {
			if k+1 < len(data) && (data[k+1] == '\\' || data[k+1] == '"') {
				k++
				c = data[k]
			} else {
				return false, errorf(at, `invalid escape in @include file name: only \\ and \" are allowed`)
			}
		}
		name = append(name, c)
	}
	src.advance(k + 1)
	if len(name) == 0 {
		return false, errorf(at, "empty file name in @include")
	}

	path := string(name)
	if !filepath.IsAbs(path) {
		path = filepath.Join(src.dir, path)
	}
	if len(lx.stack) > lx.lim.maxIncludeDepth {
		return false, errorf(at, "@include nested deeper than %d files: %s", lx.lim.maxIncludeDepth, lx.chain(path))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	for _, open := range lx.stack {
		if open.abs == abs {
			return false, errorf(at, "@include cycle: %s", lx.chain(path))
		}
	}
	contents, err := lx.lim.readFile(path)
	if err != nil {
		return false, &Error{Pos: at, Msg: "cannot read @include file " + `"` + path + `": ` + describeReadError(err), Err: err}
	}
	next, perr := lx.newSource(path, contents, at)
	if perr != nil {
		return false, perr
	}
	lx.stack = append(lx.stack, next)
	return true, nil
}

// chain lists the open files and the next one, for messages.
func (lx *lexer) chain(next string) string {
	var b strings.Builder
	for _, s := range lx.stack {
		b.WriteString(s.file)
		if s.file == "" {
			b.WriteString("<input>")
		}
		b.WriteString(" -> ")
	}
	b.WriteString(next)
	return b.String()
}

// describeReadError drops the path an *fs.PathError repeats.
func describeReadError(err error) string {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err.Error()
	}
	return err.Error()
}
