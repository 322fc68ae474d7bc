package registry

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeRegistry checks that Decode never panics and that whatever it
// accepts encodes and decodes back to the same registry.
func FuzzDecodeRegistry(f *testing.F) {
	f.Add([]byte(`{"version":1,"hsm_users":[],"proxy_users":[]}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"hsm_users":[{"name":"a","token":"t","setup":{"sha256":"0000000000000000000000000000000000000000000000000000000000000001","issued":"2025-01-01T00:00:00Z","first_use":"2025-01-02T00:00:00Z"},"secrets":[{"id":"0123456789abcdef","sha256":"0000000000000000000000000000000000000000000000000000000000000002","created":"2025-01-01T00:00:00Z","revoked":"2025-01-03T00:00:00Z"}],"lockout":{"failures":3,"until":"2025-01-01T00:15:00Z"}}],"proxy_users":[{"name":"p","argon2id":{"salt":"AAAAAAAAAAAAAAAAAAAAAA==","hash":"AAAAAAAAAAAAAAAAAAAAAA==","time":1,"memory_kib":64,"threads":1},"created":"2025-01-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			return
		}
		out, err := r.Encode()
		require.NoError(t, err)
		back, err := Decode(out)
		require.NoError(t, err)
		again, err := back.Encode()
		require.NoError(t, err)
		require.Equal(t, string(out), string(again))
	})
}
