package front

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/transport"
)

// auditFixture is a Server whose only job is auditPage, over a state
// folder whose audit log the test writes line by line.
type auditFixture struct {
	t   *testing.T
	srv *Server
	dir string
}

func newAuditFixture(t *testing.T) *auditFixture {
	st := newTestState(t, t.TempDir())
	srv, err := New(Config{StateDir: st.dir, Authority: st.authority})
	require.NoError(t, err)
	f := &auditFixture{t: t, srv: srv, dir: st.dir}
	// Start from an empty log: the state's setup wrote some lines.
	require.NoError(t, os.WriteFile(f.path(), nil, 0o600))
	return f
}

func (f *auditFixture) path() string { return filepath.Join(f.dir, audit.Dir, "alice.log") }

// add appends a record at time at; pad makes the line that much longer.
func (f *auditFixture) add(at time.Time, n int, pad int) {
	line := fmt.Sprintf(`{"time":%q,"event":"login","user":"alice","n":%d,"pad":%q}`+"\n",
		at.UTC().Format(audit.TimeFormat), n, strings.Repeat("x", pad))
	file, err := os.OpenFile(f.path(), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(f.t, err)
	defer file.Close()
	_, err = file.WriteString(line)
	require.NoError(f.t, err)
}

// list pages through the log and returns the n field of every entry, with
// the number of pages.
func (f *auditFixture) list(reverse bool, pageSize uint32, maxFrame uint32, between func(page int)) ([]int, int) {
	var (
		got    []int
		cursor []byte
	)
	for page := 1; ; page++ {
		require.Less(f.t, page, 1000, "paging never ends")
		resp, err := f.srv.auditPage("alice", &transport.AuditLogRequest{Reverse: reverse, Cursor: cursor, MaxEntries: pageSize}, maxFrame)
		require.NoError(f.t, err)
		_, err = transport.AppendFrame(nil, transport.MsgAuditLog, transport.FlagResponse, 1, resp, maxFrame)
		require.NoError(f.t, err, "page %d must fit the frame", page)
		for _, e := range resp.Entries {
			var n int
			_, err := fmt.Sscanf(e[strings.Index(e, `"n":`):], `"n":%d`, &n)
			require.NoError(f.t, err, e)
			got = append(got, n)
		}
		if resp.Done {
			assert.Empty(f.t, resp.Cursor)
			return got, page
		}
		require.NotEmpty(f.t, resp.Entries, "an unfinished page holds something")
		cursor = resp.Cursor
		if between != nil {
			between(page)
		}
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func reversed(s []int) []int {
	out := make([]int, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestAuditPagingWithEqualAndDisorderedTimes(t *testing.T) {
	f := newAuditFixture(t)
	base := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	// Ten records: runs of equal times across page boundaries, and two
	// lines appended out of time order (processes appending at once).
	times := []int{0, 1, 1, 1, 1, 3, 2, 4, 4, 5}
	for i, s := range times {
		f.add(base.Add(time.Duration(s)*time.Millisecond), i+1, 0)
	}
	byTime := []int{1, 2, 3, 4, 5, 7, 6, 8, 9, 10} // stable by time
	for _, size := range []uint32{1, 2, 3, 4, 10, 0} {
		got, _ := f.list(false, size, transport.DefaultMaxFrame, nil)
		assert.Equal(t, byTime, got, "oldest first, page size %d", size)
		got, _ = f.list(true, size, transport.DefaultMaxFrame, nil)
		assert.Equal(t, []int{10, 9, 8, 6, 7, 5, 4, 3, 2, 1}, got, "newest first, page size %d", size)
	}
}

func TestAuditPagingWhileTheLogGrows(t *testing.T) {
	f := newAuditFixture(t)
	base := time.Now().Add(-time.Hour)
	for i := 1; i <= 6; i++ {
		f.add(base.Add(time.Duration(i)*time.Second), i, 0)
	}
	next := 7
	grow := func(int) {
		f.add(time.Now(), next, 0)
		next++
	}
	// Newest first, the listing is of what was there when it started.
	got, _ := f.list(true, 2, transport.DefaultMaxFrame, grow)
	assert.Equal(t, reversed(seq(1, 6)), got)
	// Oldest first, records added meanwhile come at the end.
	got, _ = f.list(false, 4, transport.DefaultMaxFrame, grow)
	assert.Equal(t, seq(1, len(got)), got)
	assert.Greater(t, len(got), 6+3)
}

func TestAuditPagesFitTheFrame(t *testing.T) {
	f := newAuditFixture(t)
	base := time.Now().Add(-time.Hour)
	for i := 1; i <= 5; i++ {
		f.add(base.Add(time.Duration(i)*time.Second), i, 30<<10)
	}
	// One line over what a smallest frame can carry is skipped, not
	// looped on.
	f.add(base.Add(10*time.Second), 99, transport.MinMaxFrame-100)
	got, pages := f.list(false, 100, transport.MinMaxFrame, nil)
	assert.Equal(t, seq(1, 5), got)
	assert.Equal(t, 3, pages, "two 30 KiB entries per 64 KiB frame")
	got, _ = f.list(false, 100, transport.DefaultMaxFrame, nil)
	assert.Equal(t, append(seq(1, 5), 99), got, "a larger frame carries it")
}

func TestAuditPageSince(t *testing.T) {
	f := newAuditFixture(t)
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= 5; i++ {
		f.add(base.Add(time.Duration(i)*24*time.Hour), i, 0)
	}
	resp, err := f.srv.auditPage("alice", &transport.AuditLogRequest{Since: base.Add(3 * 24 * time.Hour)}, transport.DefaultMaxFrame)
	require.NoError(t, err)
	assert.Len(t, resp.Entries, 3)
	assert.True(t, resp.Done)
	resp, err = f.srv.auditPage("nobody", &transport.AuditLogRequest{}, transport.DefaultMaxFrame)
	require.NoError(t, err, "a user without a log has an empty one")
	assert.Empty(t, resp.Entries)
	assert.True(t, resp.Done)
}

func TestAuditCursorRefusals(t *testing.T) {
	f := newAuditFixture(t)
	f.add(time.Now(), 1, 0)
	f.add(time.Now(), 2, 0)
	valid := auditCursor{time: time.Now(), count: 1}.encode()
	mutate := func(fn func(b []byte) []byte) []byte { return fn(bytes.Clone(valid)) }
	for name, cursor := range map[string][]byte{
		"short":      valid[:5],
		"long":       append(bytes.Clone(valid), 0),
		"version":    mutate(func(b []byte) []byte { b[0] = 2; return b }),
		"order flag": mutate(func(b []byte) []byte { b[1] = 7; return b }),
		"count zero": mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[10:], 0); return b }),
		"count huge": mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[10:], 1<<31); return b }),
		"other order": mutate(func(b []byte) []byte {
			b[1] = 1 // a newest-first cursor in an oldest-first listing
			return b
		}),
	} {
		_, err := f.srv.auditPage("alice", &transport.AuditLogRequest{Cursor: cursor}, transport.DefaultMaxFrame)
		var re *transport.RemoteError
		require.ErrorAs(t, err, &re, name)
		assert.Equal(t, transport.CodeMalformed, re.Code, name)
		assert.Contains(t, re.Detail, "cursor", name)
	}
}

// FuzzAuditCursor: a cursor is client input; decoding never panics, and
// what decodes is canonical (it encodes back to the same bytes).
func FuzzAuditCursor(f *testing.F) {
	for _, c := range []auditCursor{
		{time: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC), count: 1},
		{reverse: true, time: time.Unix(0, -1), count: audit.MaxRecords},
	} {
		f.Add(c.encode())
	}
	f.Add([]byte{})
	f.Add([]byte{1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeAuditCursor(b)
		if err != nil {
			return
		}
		assert.Equal(t, b, c.encode())
		assert.NotZero(t, c.count)
	})
}
