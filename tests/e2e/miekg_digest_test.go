package e2e

import (
	"crypto"
	"encoding/hex"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// TestDigest hashes single-part, multi-part and a key's value
// (C_DigestKey), compared with Go's hashes.
func TestDigest(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		for _, h := range hashMechs {
			for _, size := range []int{0, 1, 64, 10000} {
				data := randomBytes(t, size)
				require.NoError(t, tok.ctx.DigestInit(tok.sh, mech(h.digest, nil)))
				got, err := tok.ctx.Digest(tok.sh, data)
				require.NoError(t, err)
				require.Equal(t, digest(h.hash, data), got, "%v of %d bytes", h.hash, size)

				require.NoError(t, tok.ctx.DigestInit(tok.sh, mech(h.digest, nil)))
				for i := 0; i < size; i += 333 {
					require.NoError(t, tok.ctx.DigestUpdate(tok.sh, data[i:min(i+333, size)]))
				}
				got, err = tok.ctx.DigestFinal(tok.sh)
				require.NoError(t, err)
				require.Equal(t, digest(h.hash, data), got, "%v of %d bytes in parts", h.hash, size)
			}
		}
		t.Run("DigestKey", func(t *testing.T) {
			key, value := tok.secretKey(t, pkcs11.CKM_GENERIC_SECRET_KEY_GEN, 32, "digested")
			prefix := []byte("prefix")
			require.NoError(t, tok.ctx.DigestInit(tok.sh, mech(pkcs11.CKM_SHA256, nil)))
			require.NoError(t, tok.ctx.DigestUpdate(tok.sh, prefix))
			require.NoError(t, tok.ctx.DigestKey(tok.sh, key))
			got, err := tok.ctx.DigestFinal(tok.sh)
			require.NoError(t, err)
			require.Equal(t, digest(crypto.SHA256, append(prefix, value...)), got)
		})
	})
}

// TestRandom draws random bytes of several sizes; two draws never match,
// and seeding is accepted.
func TestRandom(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		for _, size := range []int{1, 32, 4096, 65536} {
			a, err := tok.ctx.GenerateRandom(tok.sh, size)
			require.NoError(t, err)
			require.Len(t, a, size)
			b, err := tok.ctx.GenerateRandom(tok.sh, size)
			require.NoError(t, err)
			if size >= 32 {
				require.NotEqual(t, a, b, "two draws of %d bytes", size)
				require.NotEqual(t, make([]byte, size), a)
			}
		}
		require.NoError(t, tok.ctx.SeedRandom(tok.sh, randomBytes(t, 32)))
		// A session that is not logged in draws too.
		other := tok.session(t)
		r, err := tok.ctx.GenerateRandom(other, 16)
		require.NoError(t, err)
		require.Len(t, r, 16)
	})
}

// hexBytes decodes a hexadecimal test vector.
func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}
