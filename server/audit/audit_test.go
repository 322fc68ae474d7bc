package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func TestWriteAndRead(t *testing.T) {
	state := t.TempDir()
	clock := &fakeClock{now: time.Date(2025, 3, 1, 23, 59, 59, 5e8, time.FixedZone("X", 3600))}
	log, err := Open(state, clock.Now)
	require.NoError(t, err)
	defer log.Close()
	st, err := os.Stat(filepath.Join(state, Dir))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())

	peer := Peer{ClientID: "CLIENT_ID1", AppID: "app-1", Remote: "127.0.0.1:4000"}
	require.NoError(t, log.Write("alice", Event{Type: Login, Peer: peer, SecretID: "0123456789abcdef"}))
	clock.now = clock.now.Add(24 * time.Hour)
	require.NoError(t, log.Write("alice", Event{Type: KeyCreated, Peer: peer, Key: &Key{Handle: 7, Class: "CKO_PRIVATE_KEY", KeyType: "CKK_EC", Label: "web", ID: []byte{0xab, 0x01}}}))
	clock.now = clock.now.Add(time.Hour)
	require.NoError(t, log.Write("alice", Event{Type: LockedOut, Until: clock.now.Add(15 * time.Minute)}))
	require.NoError(t, log.Write("", Event{Type: ProxyLoginFailed, User: "svc", Reason: "bad_password"}))

	data, err := os.ReadFile(filepath.Join(state, Dir, "alice.log"))
	require.NoError(t, err)
	assert.Equal(t, `{"time":"2025-03-01T22:59:59.500Z","event":"login","user":"alice","client_id":"CLIENT_ID1","app":"app-1","remote":"127.0.0.1:4000","secret_id":"0123456789abcdef"}
{"time":"2025-03-02T22:59:59.500Z","event":"key_created","user":"alice","client_id":"CLIENT_ID1","app":"app-1","remote":"127.0.0.1:4000","handle":7,"class":"CKO_PRIVATE_KEY","key_type":"CKK_EC","label":"web","id":"ab01"}
{"time":"2025-03-02T23:59:59.500Z","event":"locked_out","user":"alice","until":"2025-03-03T00:14:59.500Z"}
`, string(data))
	st, err = os.Stat(filepath.Join(state, Dir, "alice.log"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	service, err := os.ReadFile(filepath.Join(state, Dir, "_service.log"))
	require.NoError(t, err)
	assert.Equal(t, `{"time":"2025-03-02T23:59:59.500Z","event":"proxy_login_failed","user":"svc","reason":"bad_password"}`+"\n", string(service))

	res, err := Read(state, "alice", Query{})
	require.NoError(t, err)
	require.Len(t, res.Records, 3)
	assert.Equal(t, "login", eventOf(t, res.Records[0]))

	since, err := ParseDate("2025-03-02")
	require.NoError(t, err)
	res, err = Read(state, "alice", Query{Since: since, Reverse: true})
	require.NoError(t, err)
	require.Len(t, res.Records, 2)
	assert.Equal(t, []string{"locked_out", "key_created"}, []string{eventOf(t, res.Records[0]), eventOf(t, res.Records[1])})

	res, err = Read(state, "nobody", Query{})
	require.NoError(t, err)
	assert.Empty(t, res.Records)
	_, err = Read(state, "../etc/passwd", Query{})
	assert.Error(t, err)
	assert.Error(t, log.Write("../x", Event{Type: Login}), "a user name is a file name: it must be valid")
}

func eventOf(t *testing.T, r Record) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Line, &m))
	return m["event"].(string)
}

func TestParseDate(t *testing.T) {
	d, err := ParseDate("2024-02-29")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), d)
	for _, bad := range []string{"", "2024-13-01", "2023-02-29", "01/02/2024", "2024-1-1"} {
		_, err := ParseDate(bad)
		assert.Error(t, err, bad)
	}
}

func TestPeerTextIsClippedAndEscaped(t *testing.T) {
	state := t.TempDir()
	log, err := Open(state, nil)
	require.NoError(t, err)
	defer log.Close()
	hostile := strings.Repeat("é", 200) + "\n{\"event\":\"forged\"}"
	require.NoError(t, log.Write("", Event{Type: LoginFailed, User: hostile, Peer: Peer{ClientID: "a\nb\x00c"}}))
	data, err := os.ReadFile(filepath.Join(state, Dir, "_service.log"))
	require.NoError(t, err)
	assert.Equal(t, 1, bytes.Count(data, []byte{'\n'}), "one event, one line")
	var m map[string]string
	require.NoError(t, json.Unmarshal(data, &m))
	assert.LessOrEqual(t, len(m["user"]), MaxFieldLen+len("…"))
	assert.Equal(t, "a\nb\x00c", m["client_id"])
}

func TestReadSkipsDamageAndBoundsMemory(t *testing.T) {
	var in bytes.Buffer
	in.WriteString(`{"time":"2025-01-01T00:00:00.000Z","event":"a"}` + "\n")
	in.WriteString("not json\n")
	in.WriteString(`{"event":"no time"}` + "\n")
	in.WriteString(`{"time":"yesterday"}` + "\n")
	in.WriteString(`{"time":"2025-01-01T00:00:01.000Z","event":"` + strings.Repeat("x", MaxLineLen) + `"}` + "\n")
	in.WriteString("\n")
	for i := range 5 {
		fmt.Fprintf(&in, `{"time":"2025-01-02T00:00:0%d.000Z","event":"n%d"}`+"\n", i, i)
	}
	in.WriteString(`{"time":"2025-01-03T00:00:00.000Z","event":"last, no newline"}`)
	res, err := scan(bytes.NewReader(in.Bytes()), Query{Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, 4, res.Skipped)
	assert.True(t, res.Truncated)
	var got []string
	for _, r := range res.Records {
		got = append(got, eventOf(t, r))
	}
	assert.Equal(t, []string{"n3", "n4", "last, no newline"}, got, "the newest records, oldest first")

	res, err = scan(bytes.NewReader(in.Bytes()), Query{Limit: 3, Reverse: true})
	require.NoError(t, err)
	got = got[:0]
	for _, r := range res.Records {
		got = append(got, eventOf(t, r))
	}
	assert.Equal(t, []string{"last, no newline", "n4", "n3"}, got)
}

func TestConcurrentWritersKeepLinesWhole(t *testing.T) {
	state := t.TempDir()
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One Log per writer: separate descriptors, as separate
			// processes would have.
			log, err := Open(state, nil)
			if !assert.NoError(t, err) {
				return
			}
			defer log.Close()
			for i := range each {
				assert.NoError(t, log.Write("bob", Event{Type: KeyDestroyed, Key: &Key{Handle: uint64(w*each + i), Label: strings.Repeat("k", 100)}}))
			}
		}()
	}
	wg.Wait()
	res, err := Read(state, "bob", Query{})
	require.NoError(t, err)
	assert.Zero(t, res.Skipped)
	assert.Len(t, res.Records, writers*each)
}

func TestManyPartitionsStayWithinOpenFileBound(t *testing.T) {
	state := t.TempDir()
	log, err := Open(state, nil)
	require.NoError(t, err)
	defer log.Close()
	for i := range maxOpenFiles * 2 {
		require.NoError(t, log.Write(fmt.Sprintf("user%d", i), Event{Type: Login}))
		assert.LessOrEqual(t, len(log.files), maxOpenFiles)
	}
	require.NoError(t, log.Write("user0", Event{Type: Login}))
	res, err := Read(state, "user0", Query{})
	require.NoError(t, err)
	assert.Len(t, res.Records, 2)
}
