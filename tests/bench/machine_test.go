package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLoadavg(t *testing.T) {
	l, err := ParseLoadavg("4.17 7.43 7.91 5/116 8384\n")
	require.NoError(t, err)
	assert.Equal(t, Loadavg{One: 4.17, Five: 7.43, Fifteen: 7.91, Known: true}, l)
	assert.Equal(t, "4.17, 7.43, 7.91", l.String())
	assert.Equal(t, "unknown", Loadavg{}.String())

	for text, want := range map[string]string{
		"":                       "0 fields",
		"1.0 2.0":                "2 fields",
		"1.0 x 3.0 1/2 3":        `field 2 (5 minute average) "x"`,
		"1.0 2.0 -3 1/2 3":       `field 3 (15 minute average) "-3"`,
		"NaN 2.0 3.0":            `field 1 (1 minute average) "NaN"`,
		"+Inf 2.0 3.0":           `field 1`,
		strings.Repeat("1", 300): "more than the 256",
	} {
		_, err := ParseLoadavg(text)
		require.Error(t, err, "%q", text)
		assert.Contains(t, err.Error(), want, "%q", text)
	}
}

func TestReadLoadavgOnThisMachine(t *testing.T) {
	l := ReadLoadavg()
	if !l.Known {
		t.Skip("/proc/loadavg is not readable here")
	}
	assert.GreaterOrEqual(t, l.One, 0.0)
}

func TestParseShellAssignment(t *testing.T) {
	name, value, err := ParseShellAssignment("P11_KIT_SERVER_ADDRESS=unix:path=/tmp/x/p11-kit.sock; export P11_KIT_SERVER_ADDRESS;\n")
	require.NoError(t, err)
	assert.Equal(t, "P11_KIT_SERVER_ADDRESS", name)
	assert.Equal(t, "unix:path=/tmp/x/p11-kit.sock", value)

	name, value, err = ParseShellAssignment("P11_KIT_SERVER_PID=15144; export P11_KIT_SERVER_PID;")
	require.NoError(t, err)
	assert.Equal(t, "P11_KIT_SERVER_PID", name)
	assert.Equal(t, "15144", value)

	for _, line := range []string{
		"",
		"hello",
		"setenv P11_KIT_SERVER_PID 15144;", // the C-shell form (-c)
		"P11_KIT_SERVER_PID=15144; export OTHER;",
		"P11_KIT_SERVER_PID=15144;",
		"P11_KIT_SERVER_PID=; export P11_KIT_SERVER_PID;",
		"1ABC=1; export 1ABC;",
		"A-B=1; export A-B;",
		"A='x y'; export A;",
		"A=$(rm -rf /); export A;",
		"A=" + strings.Repeat("x", 5000) + "; export A;",
	} {
		_, _, err := ParseShellAssignment(line)
		require.ErrorIs(t, err, ErrNotAssignment, "%q", line)
	}
}

func FuzzParseLoadavg(f *testing.F) {
	f.Add("4.17 7.43 7.91 5/116 8384\n")
	f.Add("0.00 0.00 0.00 1/1 1")
	f.Add("1e308 1e308 1e308")
	f.Fuzz(func(t *testing.T, text string) {
		l, err := ParseLoadavg(text)
		if err != nil {
			require.False(t, l.Known)
			return
		}
		require.True(t, l.Known)
		for _, v := range []float64{l.One, l.Five, l.Fifteen} {
			require.GreaterOrEqual(t, v, 0.0)
		}
		require.NotEmpty(t, l.String())
	})
}

func FuzzParseShellAssignment(f *testing.F) {
	f.Add("P11_KIT_SERVER_ADDRESS=unix:path=/tmp/x/p11-kit.sock; export P11_KIT_SERVER_ADDRESS;\n")
	f.Add("P11_KIT_SERVER_PID=15144; export P11_KIT_SERVER_PID;")
	f.Add("A=; export A;")
	f.Fuzz(func(t *testing.T, line string) {
		name, value, err := ParseShellAssignment(line)
		if err != nil {
			require.ErrorIs(t, err, ErrNotAssignment)
			return
		}
		// What parses prints back to a line that parses to the same.
		n2, v2, err := ParseShellAssignment(name + "=" + value + "; export " + name + ";")
		require.NoError(t, err)
		require.Equal(t, name, n2)
		require.Equal(t, value, v2)
		require.NotContains(t, value, "; ")
	})
}
