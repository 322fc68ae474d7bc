package auth

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateSetupPasswordFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		s, err := GenerateSetupPassword(rand.Reader)
		require.NoError(t, err)
		assert.Regexp(t, `^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$`, s)
		assert.True(t, ValidSetupPasswordFormat(s))
		seen[s] = true
	}
	assert.Len(t, seen, 50)
}

func TestGenerateSetupPasswordRejectsBiasedBytes(t *testing.T) {
	// 252..255 would favour the first four symbols: they must be skipped.
	in := bytes.Repeat([]byte{255, 254, 253, 252, 0, 35, 36, 26}, 32)
	s, err := GenerateSetupPassword(bytes.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, "A9A0A-9A0A9-A0A9A-0A9A0-A9A0A", s)
	_, err = GenerateSetupPassword(bytes.NewReader([]byte{255, 255}))
	assert.Error(t, err, "a short random source is an error, not a short password")
}

func TestGenerateSetupPasswordIsUniform(t *testing.T) {
	counts := map[rune]int{}
	const samples = 2000
	for range samples {
		s, err := GenerateSetupPassword(rand.Reader)
		require.NoError(t, err)
		for _, r := range strings.ReplaceAll(s, "-", "") {
			counts[r]++
		}
	}
	require.Len(t, counts, 36)
	// 50000 symbols, 1389 expected each, σ ≈ 37: ±6σ never fails by chance.
	for r, n := range counts {
		assert.InDelta(t, samples*25/36, n, 230, "symbol %c", r)
	}
}

func TestValidSetupPasswordFormat(t *testing.T) {
	assert.True(t, ValidSetupPasswordFormat(" fxajx-xwvq3-dc0o5-3slqf-lj9l3\n"))
	for _, bad := range []string{"", "FXAJX-XWVQ3-DC0O5-3SLQF-LJ9L", "FXAJX XWVQ3 DC0O5 3SLQF LJ9L3", "FXAJX-XWVQ3-DC0O5-3SLQF-LJ9L!", "FXAJXX-WVQ3-DC0O5-3SLQF-LJ9L3"} {
		assert.False(t, ValidSetupPasswordFormat(bad), bad)
	}
	assert.Equal(t, HashSetupPassword("FXAJX-XWVQ3-DC0O5-3SLQF-LJ9L3"), HashSetupPassword(" fxajx-xwvq3-dc0o5-3slqf-lj9l3 "))
}

func TestHashProxyPassword(t *testing.T) {
	h, err := HashProxyPassword(rand.Reader, "pw", testArgon2)
	require.NoError(t, err)
	assert.Len(t, h.Salt, 16)
	assert.Len(t, h.Hash, 32)
	assert.True(t, argon2Matches(h, "pw"))
	assert.False(t, argon2Matches(h, "pW"))
	h2, err := HashProxyPassword(rand.Reader, "pw", testArgon2)
	require.NoError(t, err)
	assert.NotEqual(t, h.Salt, h2.Salt)
	_, err = HashProxyPassword(rand.Reader, "", testArgon2)
	assert.Error(t, err)
	_, err = HashProxyPassword(rand.Reader, strings.Repeat("x", MaxCredentialLen+1), testArgon2)
	assert.Error(t, err)
	assert.NoError(t, RFC9106Params.Validate())
}
