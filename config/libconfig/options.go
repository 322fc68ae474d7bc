package libconfig

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Default limits, used where an Options field is zero or negative.
const (
	DefaultMaxFileSize     = 16 << 20
	DefaultMaxTotalSize    = 64 << 20
	DefaultMaxDepth        = 200
	DefaultMaxIncludeDepth = 10
	DefaultMaxSettings     = 100_000
	DefaultMaxStringLen    = 1 << 20
)

// Options bounds what a parse may consume. The zero value (and a nil
// *Options) means the defaults above; any field left at zero or below takes
// its default. Options are read, never written.
type Options struct {
	// MaxFileSize is the largest file, in bytes, that is read: the main
	// file and each included one.
	MaxFileSize int64
	// MaxTotalSize caps the bytes of all files of one parse together, so
	// that a file included many times cannot multiply the work.
	MaxTotalSize int64
	// MaxDepth is the deepest nesting of groups, arrays and lists below
	// the root.
	MaxDepth int
	// MaxIncludeDepth is how many @include files may be open inside each
	// other (the reference library allows 10).
	MaxIncludeDepth int
	// MaxSettings caps the number of settings (every group member and
	// every array or list element) of one parse.
	MaxSettings int
	// MaxStringLen is the longest string value in bytes, after adjacent
	// literals are joined.
	MaxStringLen int
	// ReadFile reads the main file of ParseFile and every @include file.
	// Nil means the operating system's files, refusing a file above
	// MaxFileSize before reading it. A ReadFile that returns more than
	// MaxFileSize bytes still gets the file refused.
	ReadFile func(path string) ([]byte, error)
}

// limits is Options with the defaults filled in; the parser works from a
// copy so the caller's struct is never touched.
type limits struct {
	maxFileSize     int64
	maxTotalSize    int64
	maxDepth        int
	maxIncludeDepth int
	maxSettings     int
	maxStringLen    int
	readFile        func(path string) ([]byte, error)
}

func (o *Options) resolve() limits {
	var in Options
	if o != nil {
		in = *o
	}
	l := limits{
		maxFileSize:     orDefault(in.MaxFileSize, DefaultMaxFileSize),
		maxTotalSize:    orDefault(in.MaxTotalSize, DefaultMaxTotalSize),
		maxDepth:        orDefault(in.MaxDepth, DefaultMaxDepth),
		maxIncludeDepth: orDefault(in.MaxIncludeDepth, DefaultMaxIncludeDepth),
		maxSettings:     orDefault(in.MaxSettings, DefaultMaxSettings),
		maxStringLen:    orDefault(in.MaxStringLen, DefaultMaxStringLen),
		readFile:        in.ReadFile,
	}
	if l.readFile == nil {
		maxSize := l.maxFileSize
		l.readFile = func(path string) ([]byte, error) { return readFileLimited(path, maxSize) }
	}
	return l
}

func orDefault[T int | int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// ErrFileTooLarge is wrapped by the error of the default reader for a file
// above MaxFileSize; errors.Is finds it through *Error.
var ErrFileTooLarge = errors.New("file too large")

// readFileLimited reads a regular file of at most limit bytes. The size is
// checked with Stat before reading so that a huge file costs no memory, and
// the read itself is bounded too, for a file that grows meanwhile. Anything
// but a regular file is refused: a FIFO, a terminal or a device named in an
// @include would block the parse or never end. The open is non-blocking so
// that opening a FIFO with no writer cannot hang before the check.
func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return nil, errors.New("is a directory")
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fileKind(info.Mode()))
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrFileTooLarge, info.Size(), limit)
	}
	// One byte more than expected lets the read see EOF without growing.
	buf := make([]byte, 0, info.Size()+1)
	data, err := readAllInto(buf, io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrFileTooLarge, limit)
	}
	return data, nil
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	default:
		return m.Type().String()
	}
}

// readAllInto is io.ReadAll starting from a caller-sized buffer.
func readAllInto(b []byte, r io.Reader) ([]byte, error) {
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
