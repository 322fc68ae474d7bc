package bench

import (
	"errors"
	"fmt"
	"strings"
)

// The markers around the generated section of docs/benchmarks.md. Each
// stands alone on its line; everything outside them is written by hand and
// kept.
const (
	BeginMarker = "<!-- BEGIN make bench: generated, edits between the markers are overwritten -->"
	EndMarker   = "<!-- END make bench -->"
)

// ErrMarkers is wrapped by Splice's errors about the markers.
var ErrMarkers = errors.New("generated-section markers")

// Splice replaces what lies between the begin and end markers of doc with
// generated, and returns the new document. Each marker must appear exactly
// once, on a line of its own, the begin marker first; otherwise Splice
// returns an error naming the line, and the document must be fixed by
// hand, because guessing could overwrite prose.
func Splice(doc, generated string) (string, error) {
	lines := strings.SplitAfter(doc, "\n")
	begin, end := -1, -1
	for i, l := range lines {
		text := strings.TrimRight(l, "\r\n")
		switch {
		case text == BeginMarker:
			if begin >= 0 {
				return "", fmt.Errorf("line %d: %w: a second begin marker (the first is on line %d)", i+1, ErrMarkers, begin+1)
			}
			begin = i
		case text == EndMarker:
			if end >= 0 {
				return "", fmt.Errorf("line %d: %w: a second end marker (the first is on line %d)", i+1, ErrMarkers, end+1)
			}
			if begin < 0 {
				return "", fmt.Errorf("line %d: %w: the end marker comes before any begin marker", i+1, ErrMarkers)
			}
			end = i
		case strings.Contains(text, BeginMarker) || strings.Contains(text, EndMarker):
			return "", fmt.Errorf("line %d: %w: a marker must be alone on its line", i+1, ErrMarkers)
		}
	}
	if begin < 0 {
		return "", fmt.Errorf("%w: no begin marker line %q", ErrMarkers, BeginMarker)
	}
	if end < 0 {
		return "", fmt.Errorf("line %d: %w: the begin marker has no end marker %q after it", begin+1, ErrMarkers, EndMarker)
	}
	if generated != "" && !strings.HasSuffix(generated, "\n") {
		generated += "\n"
	}
	var b strings.Builder
	for _, l := range lines[:begin+1] {
		b.WriteString(l)
	}
	b.WriteString(generated)
	for _, l := range lines[end:] {
		b.WriteString(l)
	}
	return b.String(), nil
}
