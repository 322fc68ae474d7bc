package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRotate(t *testing.T) {
	all := Modules()
	assert.Equal(t, []Module{SoftHSM, P11Kit, CloudP11}, rotate(all, 0))
	assert.Equal(t, []Module{P11Kit, CloudP11, SoftHSM}, rotate(all, 1))
	assert.Equal(t, []Module{CloudP11, SoftHSM, P11Kit}, rotate(all, 2))
	assert.Equal(t, rotate(all, 0), rotate(all, 3))
	assert.Equal(t, []Module{SoftHSM, P11Kit, CloudP11}, all, "rotate must not change its argument")
	assert.Nil(t, rotate(nil, 1))
}

func TestParseThreads(t *testing.T) {
	n, err := parseThreads("1, 8,64")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 8, 64}, n)
	for _, bad := range []string{"", "0", "-1", "8,", "x", "1025"} {
		_, err := parseThreads(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestSelectModulesAndWorkloads(t *testing.T) {
	m, err := selectModules("")
	require.NoError(t, err)
	assert.Equal(t, Modules(), m)
	m, err = selectModules("cloudp11,softhsm")
	require.NoError(t, err)
	assert.Equal(t, []Module{CloudP11, SoftHSM}, m)
	_, err = selectModules("softhsm,pkcs11-proxy")
	assert.ErrorContains(t, err, `unknown module "pkcs11-proxy"`)

	w, err := selectWorkloads("")
	require.NoError(t, err)
	var ids []string
	for _, x := range w {
		ids = append(ids, x.id)
		assert.NotNil(t, x.newOp, x.id)
		assert.NotNil(t, x.check, x.id)
	}
	assert.Equal(t, []string{OpECDSA, OpRSA, OpGCM, OpRandom, OpSession}, ids)
	w, err = selectWorkloads(OpRandom)
	require.NoError(t, err)
	require.Len(t, w, 1)
	assert.Equal(t, OpRandom, w[0].id)
	_, err = selectWorkloads("ecdsa")
	assert.ErrorContains(t, err, `unknown operation "ecdsa"`)
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "benchmarks.md")
	require.NoError(t, writeReport(path, "table 1\n"))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "# Benchmarks\n\n"+BeginMarker+"\ntable 1\n"+EndMarker+"\n", string(b), "a missing file is made with the markers")

	require.NoError(t, os.WriteFile(path, []byte("# Mine\n"+BeginMarker+"\nold\n"+EndMarker+"\nnotes\n"), 0o644))
	require.NoError(t, writeReport(path, "table 2\n"))
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "# Mine\n"+BeginMarker+"\ntable 2\n"+EndMarker+"\nnotes\n", string(b))

	require.NoError(t, os.WriteFile(path, []byte("# Prose only\n"), 0o644))
	assert.ErrorIs(t, writeReport(path, "table 3\n"), ErrMarkers)
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "# Prose only\n", string(b), "a file without markers is left alone")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")
}

func TestBenchKeysCheckAnswers(t *testing.T) {
	k, err := newBenchKeys()
	require.NoError(t, err)
	// The checks must refuse what a wrong module would answer.
	assert.Error(t, k.verifyECDSA(benchDigest[:], make([]byte, 64)))
	assert.Error(t, k.verifyECDSA(benchDigest[:], make([]byte, 63)))
	assert.Error(t, k.verifyRSA(benchDigest[:], make([]byte, 256)))
	_, err = k.openGCM(make([]byte, gcmIVSize), make([]byte, 1024+16))
	assert.Error(t, err)
	assert.Len(t, benchDigestInfo, 51, "SHA-256 DigestInfo is 19 bytes of prefix and 32 of digest")
	assert.Len(t, benchPlaintext, 1024)
}
