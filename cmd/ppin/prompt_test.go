package main

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func linePrompter(input string, out *strings.Builder) *prompter {
	return &prompter{out: out, lines: bufio.NewReader(strings.NewReader(input))}
}

func TestPromptReadsOneLineEach(t *testing.T) {
	var out strings.Builder
	p := linePrompter("setup-pw\r\npin pw\nrest", &out)

	got, err := p.ask("setup password", "Provide setup password for 'U': ")
	require.NoError(t, err)
	assert.Equal(t, "setup-pw", got, "CR LF is stripped")

	got, err = p.ask("PKCS11 password", "Provide PKCS11 password for 'U': ")
	require.NoError(t, err)
	assert.Equal(t, "pin pw", got, "inner spaces are kept")

	got, err = p.ask("third", "> ")
	require.NoError(t, err)
	assert.Equal(t, "rest", got, "a last line without newline counts")

	_, err = p.ask("fourth", "> ")
	require.EqualError(t, err, "no fourth on standard input")

	assert.Equal(t, "Provide setup password for 'U': \nProvide PKCS11 password for 'U': \n> \n> \n", out.String())
}

func TestPromptBoundsTheLine(t *testing.T) {
	var out strings.Builder
	exact := strings.Repeat("p", maxPasswordLen)
	got, err := linePrompter(exact+"\r\n", &out).ask("pw", "")
	require.NoError(t, err)
	assert.Equal(t, exact, got)

	// An endless line stops at the limit; the error does not hold the input.
	endless := strings.NewReader(strings.Repeat("secretsecret", 1<<20))
	p := &prompter{out: &out, lines: bufio.NewReader(endless)}
	_, err = p.ask("proxy password", "")
	require.EqualError(t, err, "the proxy password is longer than 1024 bytes")
	assert.Greater(t, endless.Len(), 1<<20, "reading stopped early")
}
