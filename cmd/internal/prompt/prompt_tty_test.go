//go:build linux

package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair, or skips the test where there is none.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	require.NoError(t, unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	require.NoError(t, err)
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

func echoOn(t *testing.T, tty *os.File) bool {
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	require.NoError(t, err)
	return tio.Lflag&unix.ECHO != 0
}

// TestPromptOnTerminalDoesNotEcho types a password into a pseudo-terminal
// once the prompter has turned echo off, and checks that nothing of it comes
// back on the terminal and that echo is on again afterwards.
func TestPromptOnTerminalDoesNotEcho(t *testing.T) {
	master, slave := openPTY(t)
	require.True(t, echoOn(t, slave), "a fresh terminal echoes")

	var prompts strings.Builder
	p := newPrompter(slave, &prompts)
	require.NotNil(t, p.terminal, "a terminal on stdin is read as a terminal")

	type result struct {
		answer string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		answer, err := p.ask("proxy password", "Provide proxy password for 'P' : ")
		done <- result{answer, err}
	}()

	// Wait until the prompter has switched echo off, then type.
	deadline := time.Now().Add(10 * time.Second)
	for echoOn(t, slave) {
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
	assert.True(t, echoOn(t, slave), "echo is restored")

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
