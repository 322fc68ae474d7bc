package prompt

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAskReadsOneLineEach(t *testing.T) {
	var out strings.Builder
	r := NewLines(strings.NewReader("setup-pw\r\npin pw\nrest"), &out, 1024)

	got, err := r.Ask("setup password", "Provide setup password for 'U': ")
	require.NoError(t, err)
	assert.Equal(t, "setup-pw", got, "CR LF is stripped")

	got, err = r.Ask("PKCS11 password", "Provide PKCS11 password for 'U': ")
	require.NoError(t, err)
	assert.Equal(t, "pin pw", got, "inner spaces are kept")

	got, err = r.Ask("third", "> ")
	require.NoError(t, err)
	assert.Equal(t, "rest", got, "a last line without newline counts")

	_, err = r.Ask("fourth", "> ")
	require.EqualError(t, err, "no fourth on standard input")

	assert.Equal(t, "Provide setup password for 'U': \nProvide PKCS11 password for 'U': \n> \n> \n", out.String())
	assert.False(t, r.Terminal())
}

func TestAskBoundsTheLine(t *testing.T) {
	var out strings.Builder
	exact := strings.Repeat("p", 1024)
	got, err := NewLines(strings.NewReader(exact+"\r\n"), &out, 1024).Ask("pw", "")
	require.NoError(t, err)
	assert.Equal(t, exact, got)

	_, err = NewLines(strings.NewReader(exact+"pp\n"), &out, 1024).Ask("pw", "")
	require.EqualError(t, err, "the pw is longer than 1024 bytes")

	// An endless line stops at the limit; the error does not hold the input.
	endless := strings.NewReader(strings.Repeat("secretsecret", 1<<20))
	_, err = NewLines(endless, &out, 1024).Ask("proxy password", "")
	require.EqualError(t, err, "the proxy password is longer than 1024 bytes")
	assert.Greater(t, endless.Len(), 1<<20, "reading stopped early")
}
