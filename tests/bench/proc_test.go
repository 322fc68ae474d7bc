package bench

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleStat = "4105 (cat) R 4103 4103 4444 0 -1 4194304 98 0 0 0 250 17 0 0 20 0 1 0 526728 3133440 390 18446744073709551615 0 0 0\n"

func TestParseProcStat(t *testing.T) {
	cpu, err := ParseProcStat(sampleStat)
	require.NoError(t, err)
	assert.Equal(t, 2670*time.Millisecond, cpu, "(250 + 17) ticks of 10 ms")

	// A command name with spaces and parentheses of its own.
	cpu, err = ParseProcStat("77 (a) b (c) S 1 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1")
	require.NoError(t, err)
	assert.Equal(t, 70*time.Millisecond, cpu)

	for text, want := range map[string]string{
		"":                                    "no ')'",
		"1 (x) S 1 2 3":                       "4 fields after the command name",
		"1 (x) S 1 1 1 0 -1 0 0 0 0 0 -3 4 0": `field 14 "-3"`,
		"1 (x) S 1 1 1 0 -1 0 0 0 0 0 3 z 0":  `field 15 "z"`,
		"1 (x) S 1 1 1 0 -1 0 0 0 0 0 " + strings.Repeat("9", 30) + " 1 0": "field 14",
		"1 (x) S 1 1 1 0 -1 0 0 0 0 0 9223372036854775807 1 0":             "overflows",
		strings.Repeat("x", maxProcText+1):                                 "stat of",
	} {
		_, err := ParseProcStat(text)
		require.ErrorIs(t, err, ErrProcFormat, "%q", text)
		assert.Contains(t, err.Error(), want, "%q", text)
	}
}

func TestParseContextSwitches(t *testing.T) {
	n, err := ParseContextSwitches("Name:\tcat\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n")
	require.NoError(t, err)
	assert.Equal(t, uint64(15), n)

	for status, want := range map[string]string{
		"Name:\tcat\n":                   "0 of the 2",
		"voluntary_ctxt_switches:\t12\n": "1 of the 2",
		"voluntary_ctxt_switches:\t1\nvoluntary_ctxt_switches:\t2\n":    "voluntary_ctxt_switches twice",
		"voluntary_ctxt_switches:\tx\nnonvoluntary_ctxt_switches:\t3\n": `voluntary_ctxt_switches "x"`,
		strings.Repeat("y", maxProcText+1):                              "status of",
	} {
		_, err := ParseContextSwitches(status)
		require.ErrorIs(t, err, ErrProcFormat, "%q", status)
		assert.Contains(t, err.Error(), want, "%q", status)
	}
}

func TestReadUsageOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	before, err := ReadUsage([]int{os.Getpid()})
	require.NoError(t, err)
	// Burn CPU until the kernel's tick-granular counter moves: waits on
	// the condition, not on a clock.
	var after Usage
	for x := uint64(1); ; x++ {
		if x%(1<<20) == 0 {
			after, err = ReadUsage([]int{os.Getpid()})
			require.NoError(t, err)
			if after.CPU > before.CPU {
				break
			}
		}
	}
	d := after.Sub(before)
	assert.Positive(t, d.CPU)
	_, err = ReadUsage([]int{-1})
	assert.Error(t, err, "a process that does not exist")
	zero, err := ReadUsage(nil)
	require.NoError(t, err)
	assert.Equal(t, Usage{}, zero)
}

func FuzzParseProcStat(f *testing.F) {
	f.Add(sampleStat)
	f.Add("77 (a) b (c) S 1 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1")
	f.Add("1 (x) S")
	f.Fuzz(func(t *testing.T, text string) {
		cpu, err := ParseProcStat(text)
		if err != nil {
			require.ErrorIs(t, err, ErrProcFormat)
			return
		}
		require.GreaterOrEqual(t, cpu, time.Duration(0))
	})
}

func FuzzParseContextSwitches(f *testing.F) {
	f.Add("Name:\tcat\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n")
	f.Add("voluntary_ctxt_switches:\t12\n")
	f.Add("voluntary_ctxt_switches: 1\nvoluntary_ctxt_switches: 2\n")
	f.Fuzz(func(t *testing.T, status string) {
		n, err := ParseContextSwitches(status)
		if err != nil {
			require.ErrorIs(t, err, ErrProcFormat)
			return
		}
		require.Less(t, n, uint64(1)<<63, "two counts below 2^62 cannot overflow")
	})
}
