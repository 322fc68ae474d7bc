package front

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeSeedCorpus writes seeds as the fuzz corpus files of fuzzName under
// testdata/fuzz, in go test's format. Tests call it when
// CLOUDP11_WRITE_FUZZ_SEEDS is set, to refresh the committed seeds.
func writeSeedCorpus(t testing.TB, fuzzName string, seeds [][]byte) {
	dir := filepath.Join("testdata", "fuzz", fuzzName)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for i, seed := range seeds {
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(seed)))
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(data), 0o644))
	}
}

// readSeedCorpus reads back n seeds writeSeedCorpus wrote.
func readSeedCorpus(t testing.TB, fuzzName string, n int) [][]byte {
	var seeds [][]byte
	for i := range n {
		data, err := os.ReadFile(filepath.Join("testdata", "fuzz", fuzzName, fmt.Sprintf("seed-%02d", i)))
		require.NoError(t, err)
		text, ok := strings.CutPrefix(string(data), "go test fuzz v1\n[]byte(")
		require.True(t, ok, "seed-%02d: not a []byte corpus file", i)
		text, ok = strings.CutSuffix(text, ")\n")
		require.True(t, ok, "seed-%02d: not a []byte corpus file", i)
		seed, err := strconv.Unquote(text)
		require.NoError(t, err)
		seeds = append(seeds, []byte(seed))
	}
	return seeds
}
