package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpliceReplacesOnlyTheGeneratedSection(t *testing.T) {
	doc := "# Benchmarks\n\nprose before\n" + BeginMarker + "\nold table\nold line\n" + EndMarker + "\n\n## Where the time goes\nprose after\n"
	out, err := Splice(doc, "new table")
	require.NoError(t, err)
	assert.Equal(t, "# Benchmarks\n\nprose before\n"+BeginMarker+"\nnew table\n"+EndMarker+"\n\n## Where the time goes\nprose after\n", out)

	again, err := Splice(out, "new table\n")
	require.NoError(t, err)
	assert.Equal(t, out, again, "splicing the same text twice changes nothing")

	empty, err := Splice(out, "")
	require.NoError(t, err)
	assert.Equal(t, "# Benchmarks\n\nprose before\n"+BeginMarker+"\n"+EndMarker+"\n\n## Where the time goes\nprose after\n", empty)
}

func TestSpliceKeepsCRLFAndAFinalLineWithoutNewline(t *testing.T) {
	doc := "a\r\n" + BeginMarker + "\r\nx\r\n" + EndMarker
	out, err := Splice(doc, "y\n")
	require.NoError(t, err)
	assert.Equal(t, "a\r\n"+BeginMarker+"\r\ny\n"+EndMarker, out)
}

func TestSpliceRefusesBadMarkers(t *testing.T) {
	for name, tc := range map[string]struct{ doc, want string }{
		"no markers":         {"# Benchmarks\n", "no begin marker"},
		"no end":             {"a\n" + BeginMarker + "\nb\n", "line 2: generated-section markers: the begin marker has no end marker"},
		"end first":          {EndMarker + "\n" + BeginMarker + "\n", "line 1: generated-section markers: the end marker comes before any begin marker"},
		"two begins":         {BeginMarker + "\n" + BeginMarker + "\n" + EndMarker + "\n", "line 2: generated-section markers: a second begin marker (the first is on line 1)"},
		"two ends":           {BeginMarker + "\n" + EndMarker + "\n" + EndMarker + "\n", "line 3: generated-section markers: a second end marker (the first is on line 2)"},
		"marker inside text": {"see " + BeginMarker + " here\n" + EndMarker + "\n", "line 1: generated-section markers: a marker must be alone on its line"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Splice(tc.doc, "table")
			require.ErrorIs(t, err, ErrMarkers)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func FuzzSplice(f *testing.F) {
	f.Add("# B\n"+BeginMarker+"\nold\n"+EndMarker+"\ntail\n", "new\n")
	f.Add(BeginMarker+"\r\n"+EndMarker, "")
	f.Add("no markers", "x")
	f.Fuzz(func(t *testing.T, doc, generated string) {
		out, err := Splice(doc, generated)
		if err != nil {
			require.ErrorIs(t, err, ErrMarkers)
			return
		}
		// What lies outside the markers is kept byte for byte, and the
		// result splices again to itself.
		begin := strings.Index(doc, BeginMarker)
		end := strings.LastIndex(doc, EndMarker)
		require.True(t, strings.HasPrefix(out, doc[:begin+len(BeginMarker)]))
		require.True(t, strings.HasSuffix(out, doc[end:]))
		require.Contains(t, out, generated)
		again, err := Splice(out, generated)
		if strings.Contains(generated, BeginMarker) || strings.Contains(generated, EndMarker) {
			return // generated text with markers of its own is the caller's mistake
		}
		require.NoError(t, err)
		require.Equal(t, out, again)
	})
}
