package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeFile writes text to name in a fresh temporary folder and returns the
// path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// loadText loads text as a primus.cfg in a temporary folder.
func loadText(t *testing.T, text string) (*Config, string, error) {
	t.Helper()
	path := writeFile(t, "primus.cfg", text)
	c, err := Load(path)
	return c, path, err
}

// mustLoad is loadText for files that must be valid.
func mustLoad(t *testing.T, text string) *Config {
	t.Helper()
	c, _, err := loadText(t, text)
	require.NoError(t, err)
	return c
}

// withoutPositions returns a copy of the HSMs with positions cleared, for
// comparisons of content.
func withoutPositions(hs []HSM) []HSM {
	out := make([]HSM, len(hs))
	for i, h := range hs {
		h.Pos.File, h.Pos.Line, h.Pos.Column = "", 0, 0
		h.Slots = append([]Slot(nil), h.Slots...)
		for j := range h.Slots {
			h.Slots[j].Pos.File, h.Slots[j].Pos.Line, h.Slots[j].Pos.Column = "", 0, 0
		}
		out[i] = h
	}
	return out
}

func writeAt(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }

func sprintf(format string, v any) string { return fmt.Sprintf(format, v) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func regexpQuote(s string) string { return regexp.QuoteMeta(s) }

func replaceFile(s, path string) string { return strings.ReplaceAll(s, "FILE", path) }

func dirOf(path string) string { return filepath.Dir(path) }
