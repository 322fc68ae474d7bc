package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/registry"
)

func TestParseInterspersed(t *testing.T) {
	for _, c := range []struct {
		args       []string
		positional []string
		token      string
	}{
		{[]string{"alice", "--token", "t"}, []string{"alice"}, "t"},
		{[]string{"--token=t", "alice"}, []string{"alice"}, "t"},
		{[]string{"a", "b", "-token", "t", "c"}, []string{"a", "b", "c"}, "t"},
		{[]string{"--", "--token", "x"}, []string{"--token", "x"}, ""},
		{[]string{"a", "--", "-b"}, []string{"a", "-b"}, ""},
		{nil, nil, ""},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		token := fs.String("token", "", "")
		got, err := parseInterspersed(fs, c.args)
		require.NoError(t, err, c.args)
		assert.Equal(t, c.positional, got, c.args)
		assert.Equal(t, c.token, *token, c.args)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	_, err := parseInterspersed(fs, []string{"a", "--nope"})
	assert.Error(t, err)
}

// TestConcurrentAdminCommands runs many hsmd processes at once against one
// state folder: the registry lock must keep every change.
func TestConcurrentAdminCommands(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	out, err := exec.Command(hsmdBinary, "init", "--state", state, "--name", "localhost").CombinedOutput()
	require.NoError(t, err, string(out))
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := exec.Command(hsmdBinary, "user", "add", fmt.Sprintf("user%02d", i), "--token", "t", "--state", state).CombinedOutput()
			assert.NoError(t, err, string(out))
		}()
	}
	wg.Wait()
	r, err := registry.NewStore(state).Load()
	require.NoError(t, err)
	assert.Len(t, r.HSMUsers, n)
	entries, err := os.ReadDir(state)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.Contains(e.Name(), ".tmp-"), "temporary file %s left behind", e.Name())
	}
}
