package hsmdconfig

import (
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"
)

// nopCloser closes nothing: the logger writes to standard error.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// NewLogger builds the service logger the log settings describe. stderr is
// used when File is empty; the returned Closer closes the file. The level
// is set on the logger, never through zerolog's global level.
func (l Log) NewLogger(stderr io.Writer) (zerolog.Logger, io.Closer, error) {
	level, err := zerolog.ParseLevel(l.Level)
	if err != nil || oneOf(l.Level, logLevels) != nil {
		return zerolog.Nop(), nil, fmt.Errorf("log.level: must be one of %v, not %q", logLevels, l.Level)
	}
	var out io.Writer = stderr
	var closer io.Closer = nopCloser{}
	if l.File != "" {
		f, err := os.OpenFile(l.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return zerolog.Nop(), nil, fmt.Errorf("log.file: %w", err)
		}
		out, closer = f, f
	}
	switch l.Format {
	case "json":
	case "console":
		out = zerolog.ConsoleWriter{Out: out, NoColor: true}
	default:
		closer.Close()
		return zerolog.Nop(), nil, fmt.Errorf("log.format: must be json or console, not %q", l.Format)
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), closer, nil
}
