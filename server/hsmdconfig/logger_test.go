package hsmdconfig

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewLogger(t *testing.T) {
	var stderr bytes.Buffer
	log, closer, err := Log{Level: "warn", Format: "json"}.NewLogger(&stderr)
	require.NoError(t, err)
	log.Info().Msg("hidden")
	log.Warn().Str("k", "v").Msg("shown")
	require.NoError(t, closer.Close())
	assert.NotContains(t, stderr.String(), "hidden")
	assert.Regexp(t, `^\{"level":"warn","k":"v","time":"[^"]+","message":"shown"\}\n$`, stderr.String())

	stderr.Reset()
	log, _, err = Log{Level: "debug", Format: "console"}.NewLogger(&stderr)
	require.NoError(t, err)
	log.Debug().Msg("console line")
	assert.Contains(t, stderr.String(), "DBG console line")

	file := filepath.Join(t.TempDir(), "hsmd.log")
	log, closer, err = Log{Level: "info", Format: "json", File: file}.NewLogger(&stderr)
	require.NoError(t, err)
	log.Info().Msg("to file")
	require.NoError(t, closer.Close())
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(data), "\"message\":\"to file\"}\n"))
	st, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	_, _, err = Log{Level: "loud", Format: "json"}.NewLogger(&stderr)
	assert.Error(t, err)
	_, _, err = Log{Level: "info", Format: "xml"}.NewLogger(&stderr)
	assert.Error(t, err)
	_, _, err = Log{Level: "info", Format: "json", File: filepath.Join(t.TempDir(), "no", "such", "dir", "f")}.NewLogger(&stderr)
	assert.Error(t, err)
}
