package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func measured(rounds ...float64) Outcome { return Outcome{Rounds: rounds} }

func TestOutcomeMedianAndSpread(t *testing.T) {
	o := measured(90, 110, 100)
	assert.InDelta(t, 100, o.Median(), 1e-9)
	assert.InDelta(t, 0.10, o.Spread(), 1e-9, "(110-90)/2/100")
	assert.InDelta(t, 150, measured(100, 200).Median(), 1e-9, "even count: mean of the middle two")
	assert.Zero(t, measured(42).Spread(), "one round has no spread")
	assert.Zero(t, Outcome{}.Median())
	assert.False(t, Outcome{}.Measured(), "no rounds")
	assert.False(t, Outcome{Rounds: []float64{1}, Failed: "x"}.Measured(), "a failed case has no figure even with rounds")
	rounds := []float64{3, 1, 2}
	measured(rounds...).Median()
	assert.Equal(t, []float64{3, 1, 2}, rounds, "Median must not sort the caller's slice")
}

func TestTargetsAreIssue4s(t *testing.T) {
	assert.Equal(t, []Target{{SoftHSM, 0.6}, {P11Kit, 2}}, Targets(OpECDSA, 8))
	assert.Equal(t, []Target{{SoftHSM, 0.9}, {P11Kit, 2}}, Targets(OpRSA, 8))
	assert.Equal(t, []Target{{P11Kit, 2}}, Targets(OpECDSA, 1))
	assert.Equal(t, []Target{{P11Kit, 2}}, Targets(OpGCM, 8))
	assert.Equal(t, []Target{{P11Kit, 2}}, Targets(OpSession, 1))
	assert.Empty(t, Targets(OpECDSA, 64), "64 threads have no target")
	assert.Empty(t, Targets(OpRandom, 64))
}

func TestJudge(t *testing.T) {
	row := Row{Operation: OpECDSA, Threads: 8}
	row.Outcomes[SoftHSM] = measured(1000)
	row.Outcomes[P11Kit] = measured(400)
	row.Outcomes[CloudP11] = measured(700)
	assert.Equal(t, Met, Judge(row, Target{SoftHSM, 0.6}))
	assert.Equal(t, Missed, Judge(row, Target{P11Kit, 2}), "700/400 = 1.75")
	row.Outcomes[CloudP11] = measured(800)
	assert.Equal(t, Met, Judge(row, Target{P11Kit, 2}), "exactly twice meets the target")

	row.Outcomes[P11Kit] = Outcome{Unsupported: "no GCM"}
	assert.Equal(t, NotApplicable, Judge(row, Target{P11Kit, 2}))
	row.Outcomes[CloudP11] = Outcome{Failed: "CKR_DEVICE_ERROR"}
	assert.Equal(t, Unknown, Judge(row, Target{SoftHSM, 0.6}))
	_, ok := row.Ratio(SoftHSM)
	assert.False(t, ok)
}

func TestFormatRate(t *testing.T) {
	for in, want := range map[float64]string{
		0: "0.0", 12.345: "12.3", 99.94: "99.9", 100: "100", 999.6: "1,000",
		1234: "1,234", 19022.4: "19,022", 1974545: "1,974,545", 123456789: "123,456,789",
	} {
		assert.Equal(t, want, formatRate(in), "%v", in)
	}
}

func sampleReport() Report {
	ecdsa8 := Row{Operation: OpECDSA, Title: "ECDSA P-256 sign", Threads: 8}
	ecdsa8.Outcomes[SoftHSM] = measured(19000, 20000, 21000)
	ecdsa8.Outcomes[SoftHSM].Costs = []Cost{{ClientCPU: 100}, {ClientCPU: 104, Switches: 0.5}, {ClientCPU: 90, Switches: 0.25}}
	ecdsa8.Outcomes[P11Kit] = measured(4000, 4000, 4000)
	ecdsa8.Outcomes[CloudP11] = measured(10000, 10500, 11000)
	ecdsa8.Outcomes[CloudP11].Costs = []Cost{{40, 80, 12}, {45, 70, 14}, {50, 75, 13}}
	gcm1 := Row{Operation: OpGCM, Title: "AES-256-GCM encrypt 1 KiB", Threads: 1}
	gcm1.Outcomes[SoftHSM] = measured(50000)
	gcm1.Outcomes[P11Kit] = Outcome{Unsupported: "CKM_AES_GCM is not in C_GetMechanismList"}
	gcm1.Outcomes[CloudP11] = Outcome{Failed: "C_Encrypt: pkcs11: 0x30: CKR_DEVICE_ERROR | lost"}
	gcm8 := gcm1
	gcm8.Threads = 8
	return Report{
		Facts: Facts{Date: "2026-01-02T03:04:05Z", Version: "v1-3-gabc", GoVersion: "go1.26", CPU: "Xeon | fast",
			NumCPU: 2, GOMAXPROCS: 2, LoadStart: Loadavg{1.5, 2, 2.25, true}, Rounds: 3, Warmup: "400ms", Window: "2s", Connections: 2},
		Rows:  []Row{ecdsa8, gcm1, gcm8},
		Notes: []string{"p11-kit remote could not\nbe set up"},
	}
}

func TestMarkdown(t *testing.T) {
	md := sampleReport().Markdown()
	lines := strings.Split(md, "\n")
	assert.Contains(t, lines, "| nproc / GOMAXPROCS | 2 / 2 |")
	assert.Contains(t, lines, "| load average at start (1, 5, 15 min) | 1.50, 2.00, 2.25 |")
	assert.Contains(t, lines, "| load average at end | unknown |")
	assert.Contains(t, lines, "| CPU | Xeon / fast |", "a pipe from outside must not split the cell")
	assert.Contains(t, lines,
		"| ECDSA P-256 sign | 8 | 20,000 ±5% | 4,000 ±0% | 10,500 ±5% | 0.53 | 2.62 | ≥ 0.6× SoftHSM direct: **missed**; ≥ 2× p11-kit remote: **met** |")
	assert.Contains(t, lines,
		"| AES-256-GCM encrypt 1 KiB | 1 | 50,000 | unsupported¹ | failed² | – | – | ≥ 2× p11-kit remote: n/a (unsupported there) |")
	assert.Contains(t, lines, "Targets: 1 met, 1 missed, 0 without a figure, 2 not applicable.")
	assert.Contains(t, lines, "- ¹ p11-kit remote: CKM_AES_GCM is not in C_GetMechanismList (AES-256-GCM encrypt 1 KiB at 1, 8 threads)")
	assert.Contains(t, lines, "- ² cloudp11: C_Encrypt: pkcs11: 0x30: CKR_DEVICE_ERROR / lost (AES-256-GCM encrypt 1 KiB at 1, 8 threads)")
	assert.Contains(t, lines, "- p11-kit remote could not be set up", "a note must stay on one line")
	assert.Contains(t, lines, "| ECDSA P-256 sign | 8 | 100 µs, 0.2 cs | – | 45 + 75 µs, 13.0 cs |",
		"costs: each field's median; no costs, no cell")
	assert.Contains(t, lines, "| AES-256-GCM encrypt 1 KiB | 1 | – | – | – |")
	assert.True(t, strings.HasSuffix(md, "\n"))

	// Every table row has as many cells as its header.
	var header int
	for _, l := range lines {
		if strings.HasPrefix(l, "| operation |") {
			header = strings.Count(l, "|")
		}
		if header > 0 && strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| machine") {
			require.Equal(t, header, strings.Count(l, "|"), "row %q", l)
		}
	}
	require.Positive(t, header, "the table has a header")
}

func TestModuleNames(t *testing.T) {
	names := map[string]bool{}
	for _, m := range Modules() {
		assert.NotContains(t, m.String(), "(", "every module has a short name")
		names[m.String()] = true
	}
	assert.Len(t, names, int(moduleCount))
	assert.Equal(t, "module(7)", Module(7).String())
}
