//go:build linux

package prompt

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// TestPromptOnTerminalDoesNotEcho types a password into a pseudo-terminal
// once the Reader has turned echo off, and checks that nothing of it comes
// back on the terminal and that echo is on again afterwards.
func TestPromptOnTerminalDoesNotEcho(t *testing.T) {
	master, slave := testenv.OpenPTY(t)
	require.True(t, testenv.EchoOn(t, slave), "a fresh terminal echoes")

	var prompts strings.Builder
	p := New(slave, &prompts, 1024)
	require.True(t, p.Terminal(), "a terminal on stdin is read as a terminal")

	type result struct {
		answer string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		answer, err := p.Ask("proxy password", "Provide proxy password for 'P' : ")
		done <- result{answer, err}
	}()

	// Wait until the Reader has switched echo off, then type.
	deadline := time.Now().Add(10 * time.Second)
	for testenv.EchoOn(t, slave) {
		require.True(t, time.Now().Before(deadline), "echo was never switched off")
		select {
		case r := <-done:
			t.Fatalf("ask returned before reading: %q, %v", r.answer, r.err)
		case <-time.After(time.Millisecond):
		}
	}
	_, err := master.Write([]byte("hidden-pass\n"))
	require.NoError(t, err)
	r := <-done
	require.NoError(t, r.err)
	assert.Equal(t, "hidden-pass", r.answer)
	assert.Equal(t, "Provide proxy password for 'P' : \n", prompts.String())
	assert.True(t, testenv.EchoOn(t, slave), "echo is restored")

	// With echo back on, a marker comes back; nothing before it may hold
	// the password.
	_, err = master.Write([]byte("END\n"))
	require.NoError(t, err)
	var echoed []byte
	buf := make([]byte, 256)
	for !strings.Contains(string(echoed), "END") {
		n, err := master.Read(buf)
		require.NoError(t, err)
		echoed = append(echoed, buf[:n]...)
	}
	assert.NotContains(t, string(echoed), "hidden")
}
