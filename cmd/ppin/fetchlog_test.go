package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/transport"
)

// auditServer serves AuditLog over net.Pipe from pages, answering the
// request with cursor "i" with pages[i] (cursor "" is page 0).
func auditServer(t *testing.T, pages []*transport.AuditLogResponse) (*transport.Client, *[]*transport.AuditLogRequest) {
	t.Helper()
	var seen []*transport.AuditLogRequest
	d := transport.NewDispatcher()
	transport.Handle(d, func(_ context.Context, _ *transport.Inbound, req *transport.AuditLogRequest) (*transport.AuditLogResponse, error) {
		copied := *req
		copied.Cursor = append([]byte(nil), req.Cursor...)
		seen = append(seen, &copied)
		i := 0
		if len(req.Cursor) > 0 {
			n, err := strconv.Atoi(string(req.Cursor))
			if err != nil || n >= len(pages) {
				return nil, errors.New("bad cursor")
			}
			i = n
		}
		return pages[i], nil
	})
	clientConn, serverConn := net.Pipe()
	sc := transport.NewServerConn(serverConn, d, transport.ServerConfig{MaxInFlight: 1})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = sc.Serve(context.Background())
	}()
	session := transport.Session{Server: transport.HelloResponse{Version: 1, MaxFrame: transport.DefaultMaxFrame, MaxInFlight: 1}}
	client := transport.NewClient(clientConn, session, transport.ClientConfig{})
	t.Cleanup(func() {
		client.Close()
		sc.Close()
		<-served
	})
	return client, &seen
}

func fetchlogEntry() *slotEntry {
	return &slotEntry{hsm: &config.HSM{Name: "hsm0", CallTimeout: 10 * time.Second}, slot: &config.Slot{Name: "slot0"}}
}

func TestCopyAuditLogPages(t *testing.T) {
	client, seen := auditServer(t, []*transport.AuditLogResponse{
		{Entries: []string{`{"n":1}`, `{"n":2}`}, Cursor: []byte("1")},
		{Entries: []string{`{"n":3}`}, Cursor: []byte("2")},
		{Entries: []string{"{\"n\":4,\"evil\":\"\x1b[2J\nforged line\"}"}, Done: true},
	})
	since := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	n, err := copyAuditLog(&out, client, fetchlogEntry(), &invocation{since: since, reverse: true})
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.Equal(t, `{"n":1}`+"\n"+`{"n":2}`+"\n"+`{"n":3}`+"\n"+`{\"n\":4,\"evil\":\"\x1b[2J\nforged line\"}`+"\n", out.String(),
		"control characters from the server are escaped, one entry stays one line")
	require.Len(t, *seen, 3)
	for i, req := range *seen {
		assert.True(t, since.Equal(req.Since), "page %d", i)
		assert.True(t, req.Reverse)
		assert.Equal(t, uint32(fetchlogPageSize), req.MaxEntries)
	}
	assert.Empty(t, (*seen)[0].Cursor)
	assert.Equal(t, "2", string((*seen)[2].Cursor))
}

func TestCopyAuditLogStopsWhenPagingDoesNotAdvance(t *testing.T) {
	client, seen := auditServer(t, []*transport.AuditLogResponse{
		{Entries: []string{"a"}, Cursor: []byte("1")},
		{Entries: []string{"b"}, Cursor: []byte("1")},
	})
	var out bytes.Buffer
	_, err := copyAuditLog(&out, client, fetchlogEntry(), &invocation{})
	require.ErrorContains(t, err, "paging did not advance")
	assert.Len(t, *seen, 2)

	client, _ = auditServer(t, []*transport.AuditLogResponse{{Entries: []string{"a"}}})
	_, err = copyAuditLog(&out, client, fetchlogEntry(), &invocation{})
	require.ErrorContains(t, err, "paging did not advance", "no cursor and not done")
}

func TestWriteFileAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o644))

	err := writeFileAtomically(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("partial"))
		return errors.New("connection lost")
	})
	require.ErrorContains(t, err, "connection lost")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old\n", string(data), "a failed fetch leaves the file as it was")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	require.NoError(t, writeFileAtomically(path, func(w io.Writer) error {
		_, err := w.Write([]byte("new\n"))
		return err
	}))
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new\n", string(data))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	err = writeFileAtomically(filepath.Join(dir, "missing", "log"), func(io.Writer) error { return nil })
	require.ErrorContains(t, err, "--out")
}
