package audit

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzReadAuditLog feeds arbitrary files to the reader: it must not fail,
// must keep records in time order of the file, and must honour the limit.
func FuzzReadAuditLog(f *testing.F) {
	f.Add([]byte(`{"time":"2025-01-01T00:00:00.000Z","event":"login","user":"a"}`+"\n"), int64(0), uint8(0))
	f.Add([]byte("x\n\n{\"time\":\"2025-01-01T00:00:00Z\"}"), int64(1735689600), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, since int64, limit uint8) {
		q := Query{Since: time.Unix(since, 0), Limit: int(limit)}
		res, err := scan(bytes.NewReader(data), q)
		require.NoError(t, err)
		if limit > 0 {
			require.LessOrEqual(t, len(res.Records), int(limit))
		}
		for _, r := range res.Records {
			require.False(t, r.Time.Before(q.Since))
			require.LessOrEqual(t, len(r.Line), MaxLineLen)
			require.NotContains(t, string(r.Line), "\n")
		}
	})
}
