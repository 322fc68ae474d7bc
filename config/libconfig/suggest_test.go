package libconfig

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSuggest(t *testing.T) {
	known := []string{"host", "port", "priority", "slots", "id", "user_name"}
	for name, want := range map[string]string{
		"hots": "host", "prot": "port", "PORT": "port", "priorty": "priority", "slot": "slots",
		"di": "id", "username": "user_name", "user-name": "user_name",
	} {
		got, ok := Suggest(name, known)
		assert.True(t, ok, name)
		assert.Equal(t, want, got, name)
	}
	for _, name := range []string{"x", "ab", "hostname_of_server", "colour", ""} {
		got, ok := Suggest(name, known)
		assert.False(t, ok, "%s gave %s", name, got)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"abc", "xbc", 1},
		{"kitten", "sitten", 1}, {"ca", "abc", 3}, {"prioriy", "priority", 1}, {"abcdef", "badcfe", 3},
	} {
		assert.Equal(t, min(tc.want, 3), editDistance(tc.a, tc.b, 2), "%s/%s", tc.a, tc.b)
	}
	assert.Equal(t, 3, editDistance(string(make([]byte, 10000)), "abc", 2), "long names stop early")
}

func TestSuggestHsmdNames(t *testing.T) {
	known := []string{"listen", "state_dir", "tls", "backend"}
	hint, ok := Suggest("STATE_DIR", known)
	assert.True(t, ok)
	assert.Equal(t, "state_dir", hint)
	_, ok = Suggest(strings.Repeat("a", 10000), known)
	assert.False(t, ok)
}
