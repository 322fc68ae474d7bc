package bench

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Module is one of the three ways to the token that are compared.
type Module int

// The modules, in the order of the table's columns.
const (
	SoftHSM Module = iota
	P11Kit
	CloudP11
	moduleCount
)

// Modules lists every Module in column order.
func Modules() []Module { return []Module{SoftHSM, P11Kit, CloudP11} }

// String is the module's short name, used in flags and file names.
func (m Module) String() string {
	switch m {
	case SoftHSM:
		return "softhsm"
	case P11Kit:
		return "p11kit"
	case CloudP11:
		return "cloudp11"
	}
	return "module(" + strconv.Itoa(int(m)) + ")"
}

// Title is the module's name in the table.
func (m Module) Title() string {
	switch m {
	case SoftHSM:
		return "SoftHSM direct"
	case P11Kit:
		return "p11-kit remote"
	case CloudP11:
		return "cloudp11"
	}
	return m.String()
}

// Outcome is what one module did in one case.
type Outcome struct {
	// Rounds holds ops/s of each round that completed.
	Rounds []float64
	// Unsupported says why the module cannot do the operation at all
	// (a mechanism missing from its list, CKR_MECHANISM_INVALID...).
	Unsupported string
	// Failed says why the measurement failed (an error from the module).
	Failed string
	// Costs holds the cost per op of each round, in the order of Rounds.
	Costs []Cost
}

// Cost is what one operation cost the machine, averaged over a round.
type Cost struct {
	// ClientCPU and ServerCPU are CPU microseconds per op: of the process
	// that calls the module (the harness's own work included, the same for
	// every module), and of the module's server processes (p11-kit server
	// and its child; hsmd's front and worker).
	ClientCPU, ServerCPU float64
	// Switches is context switches per op, all processes together.
	Switches float64
}

// MedianCost is the median of each field of Costs on its own.
func (o Outcome) MedianCost() Cost {
	var c, s, sw []float64
	for _, x := range o.Costs {
		c, s, sw = append(c, x.ClientCPU), append(s, x.ServerCPU), append(sw, x.Switches)
	}
	return Cost{ClientCPU: median(c), ServerCPU: median(s), Switches: median(sw)}
}

// Measured reports whether the outcome has a figure.
func (o Outcome) Measured() bool {
	return o.Unsupported == "" && o.Failed == "" && len(o.Rounds) > 0
}

// Median is the median of the rounds' ops/s, 0 without rounds.
func (o Outcome) Median() float64 { return median(o.Rounds) }

// Spread is half the range of the rounds relative to the median: 0.05
// means the rounds were within ±5% of the median's scale.
func (o Outcome) Spread() float64 {
	med := o.Median()
	if len(o.Rounds) < 2 || med == 0 {
		return 0
	}
	lo, hi := o.Rounds[0], o.Rounds[0]
	for _, r := range o.Rounds[1:] {
		lo, hi = math.Min(lo, r), math.Max(hi, r)
	}
	return (hi - lo) / 2 / med
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Row is one case: an operation at a number of threads, through every
// module.
type Row struct {
	// Operation is the workload's identifier (see Targets).
	Operation string
	// Title names the operation in the table.
	Title    string
	Threads  int
	Outcomes [moduleCount]Outcome
}

// Ratio is cloudp11's median over the other module's, and false when
// either has no figure.
func (r Row) Ratio(against Module) (float64, bool) {
	c, o := r.Outcomes[CloudP11], r.Outcomes[against]
	if !c.Measured() || !o.Measured() || o.Median() == 0 {
		return 0, false
	}
	return c.Median() / o.Median(), true
}

// Target is a goal of issue 4: cloudp11's throughput at least Min times
// that of Against.
type Target struct {
	Against Module
	Min     float64
}

// Operation identifiers shared by the harness and Targets.
const (
	OpECDSA   = "ecdsa-p256"
	OpRSA     = "rsa2048"
	OpGCM     = "aes256-gcm"
	OpRandom  = "random32"
	OpSession = "session"
)

// Targets are issue 4's goals for an operation at a number of threads: at
// 8 threads ECDSA at least 60% of SoftHSM direct and RSA at least 90%; at
// 1 and 8 threads at least twice p11-kit on every operation (a goal that
// does not apply where p11-kit cannot do the operation; Verdict says so).
func Targets(operation string, threads int) []Target {
	var out []Target
	if threads == 8 {
		switch operation {
		case OpECDSA:
			out = append(out, Target{Against: SoftHSM, Min: 0.6})
		case OpRSA:
			out = append(out, Target{Against: SoftHSM, Min: 0.9})
		}
	}
	if threads == 1 || threads == 8 {
		out = append(out, Target{Against: P11Kit, Min: 2})
	}
	return out
}

// Verdict is a target's outcome in a row.
type Verdict int

// The verdicts.
const (
	// NotApplicable: the other module cannot do the operation.
	NotApplicable Verdict = iota
	Met
	Missed
	// Unknown: a figure is missing because a measurement failed.
	Unknown
)

// Judge says whether row meets target.
func Judge(row Row, target Target) Verdict {
	if row.Outcomes[target.Against].Unsupported != "" {
		return NotApplicable
	}
	ratio, ok := row.Ratio(target.Against)
	switch {
	case !ok:
		return Unknown
	case ratio >= target.Min:
		return Met
	default:
		return Missed
	}
}

// describe is a target and its verdict in a table cell.
func describe(row Row, target Target) string {
	goal := fmt.Sprintf("≥ %s× %s", trimFloat(target.Min), target.Against.Title())
	switch Judge(row, target) {
	case Met:
		return goal + ": **met**"
	case Missed:
		return goal + ": **missed**"
	case NotApplicable:
		return goal + ": n/a (unsupported there)"
	default:
		return goal + ": unknown (no figure)"
	}
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Facts describe the machine and the run, printed above the table.
type Facts struct {
	Date        string // UTC, RFC 3339
	Version     string // cloudp11's git describe
	GoVersion   string
	Kernel      string
	CPU         string
	NumCPU      int
	GOMAXPROCS  int
	LoadStart   Loadavg
	LoadEnd     Loadavg
	Modules     [moduleCount]string // path and library version of each module
	Warmup      string
	Window      string
	Rounds      int
	Connections int // primus.cfg's connections for the hsmd member
}

// Report is everything the generated section of docs/benchmarks.md shows.
type Report struct {
	Facts Facts
	Rows  []Row
	// Notes are lines about modules that could not be set up or measured.
	Notes []string
}

// Markdown renders the report: the facts, the table, the targets' summary
// and the notes. The output ends with a newline.
func (r Report) Markdown() string {
	var b strings.Builder
	f := r.Facts
	fmt.Fprintf(&b, "Run of %s, cloudp11 %s, %s.\n\n", orUnknown(f.Date), orUnknown(f.Version), orUnknown(f.GoVersion))
	b.WriteString("| machine | |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| CPU | %s |\n", cell(orUnknown(f.CPU)))
	fmt.Fprintf(&b, "| nproc / GOMAXPROCS | %d / %d |\n", f.NumCPU, f.GOMAXPROCS)
	fmt.Fprintf(&b, "| load average at start (1, 5, 15 min) | %s |\n", f.LoadStart)
	fmt.Fprintf(&b, "| load average at end | %s |\n", f.LoadEnd)
	fmt.Fprintf(&b, "| kernel | %s |\n", cell(orUnknown(f.Kernel)))
	for _, m := range Modules() {
		fmt.Fprintf(&b, "| %s | %s |\n", m.Title(), cell(orUnknown(f.Modules[m])))
	}
	fmt.Fprintf(&b, "| method | %d rounds per case, modules in rotated order; each round %s warm-up, then ops counted over %s |\n",
		f.Rounds, orUnknown(f.Warmup), orUnknown(f.Window))
	fmt.Fprintf(&b, "| cloudp11 connections | %d per cluster member (primus.cfg `connections`) |\n\n", f.Connections)

	b.WriteString("ops/s: median of the rounds, ± half their range. Ratios: cloudp11's median over the other's.\n\n")
	b.WriteString("| operation | threads |")
	for _, m := range Modules() {
		fmt.Fprintf(&b, " %s |", m.Title())
	}
	b.WriteString(" cloudp11 / SoftHSM | cloudp11 / p11-kit | targets (issue 4) |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	var met, missed, unknown, na int
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %d |", cell(row.Title), row.Threads)
		for _, m := range Modules() {
			fmt.Fprintf(&b, " %s |", formatOutcome(row.Outcomes[m]))
		}
		for _, against := range []Module{SoftHSM, P11Kit} {
			if ratio, ok := row.Ratio(against); ok {
				fmt.Fprintf(&b, " %.2f |", ratio)
			} else {
				b.WriteString(" – |")
			}
		}
		var goals []string
		for _, t := range Targets(row.Operation, row.Threads) {
			goals = append(goals, describe(row, t))
			switch Judge(row, t) {
			case Met:
				met++
			case Missed:
				missed++
			case NotApplicable:
				na++
			default:
				unknown++
			}
		}
		if len(goals) == 0 {
			goals = []string{"–"}
		}
		fmt.Fprintf(&b, " %s |\n", strings.Join(goals, "; "))
	}
	fmt.Fprintf(&b, "\nTargets: %d met, %d missed, %d without a figure, %d not applicable.\n", met, missed, unknown, na)

	b.WriteString("\nCost per operation, which the load of other processes disturbs far less than ops/s: CPU time of the client process ")
	b.WriteString("(the harness's own share included, alike for every module) + of the server processes, in µs, and context switches of all of them; medians of the rounds.\n\n")
	b.WriteString("| operation | threads |")
	for _, m := range Modules() {
		fmt.Fprintf(&b, " %s |", m.Title())
	}
	b.WriteString("\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %d |", cell(row.Title), row.Threads)
		for _, m := range Modules() {
			fmt.Fprintf(&b, " %s |", formatCost(m, row.Outcomes[m]))
		}
		b.WriteString("\n")
	}
	if notes := append(r.Footnotes(), r.Notes...); len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", cell(n))
		}
	}
	return b.String()
}

// formatOutcome is an outcome's table cell.
func formatOutcome(o Outcome) string {
	switch {
	case o.Unsupported != "":
		return "unsupported¹"
	case o.Failed != "":
		return "failed²"
	case len(o.Rounds) == 0:
		return "–"
	}
	s := formatRate(o.Median())
	if len(o.Rounds) > 1 {
		s += fmt.Sprintf(" ±%.0f%%", 100*o.Spread())
	}
	return s
}

// formatCost is an outcome's cell in the cost table.
func formatCost(m Module, o Outcome) string {
	if !o.Measured() || len(o.Costs) == 0 {
		return "–"
	}
	c := o.MedianCost()
	if m == SoftHSM {
		return fmt.Sprintf("%.0f µs, %.1f cs", c.ClientCPU, c.Switches)
	}
	return fmt.Sprintf("%.0f + %.0f µs, %.1f cs", c.ClientCPU, c.ServerCPU, c.Switches)
}

// formatRate prints ops/s with thousands separators, and one decimal below
// 100 where the digits still mean something.
func formatRate(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	digits := strconv.FormatInt(int64(math.Round(v)), 10)
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// cell keeps text from outside (a CPU name, an error) from breaking the
// table: no pipes, no line breaks.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "/")
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

// Footnotes says why outcomes are unsupported (¹) or failed (²): one
// line per module and reason, naming the cases it applies to.
func (r Report) Footnotes() []string {
	type key struct {
		mark   string
		module Module
		reason string
	}
	type where struct {
		title   string
		threads []string
	}
	var order []key
	cases := map[key][]where{}
	for _, row := range r.Rows {
		for _, m := range Modules() {
			o := row.Outcomes[m]
			var k key
			switch {
			case o.Unsupported != "":
				k = key{"¹", m, o.Unsupported}
			case o.Failed != "":
				k = key{"²", m, o.Failed}
			default:
				continue
			}
			list, seen := cases[k]
			if !seen {
				order = append(order, k)
			}
			n := strconv.Itoa(row.Threads)
			if len(list) > 0 && list[len(list)-1].title == row.Title {
				list[len(list)-1].threads = append(list[len(list)-1].threads, n)
			} else {
				list = append(list, where{row.Title, []string{n}})
			}
			cases[k] = list
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		var at []string
		for _, w := range cases[k] {
			at = append(at, fmt.Sprintf("%s at %s threads", w.title, strings.Join(w.threads, ", ")))
		}
		out = append(out, fmt.Sprintf("%s %s: %s (%s)", k.mark, k.module.Title(), k.reason, strings.Join(at, "; ")))
	}
	return out
}
