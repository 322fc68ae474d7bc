package bench

import (
	"flag"
	"testing"
	"time"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// The knobs of BenchmarkModules; "make bench" passes -bench.report and
// -bench.version, the rest have defaults that keep the run under about
// seven minutes on two cores.
var (
	flagReport      = flag.String("bench.report", "", "markdown file whose generated section receives the table (docs/benchmarks.md); empty: print only")
	flagLib         = flag.String("bench.lib", "", "libcloudp11.so to measure (default: build/libcloudp11.so of this module)")
	flagVersion     = flag.String("bench.version", "", "cloudp11 version named in the report (make bench passes git describe)")
	flagWarmup      = flag.Duration("bench.warmup", 400*time.Millisecond, "time each measurement runs before ops are counted")
	flagWindow      = flag.Duration("bench.window", 2*time.Second, "time over which each measurement counts ops")
	flagRounds      = flag.Int("bench.rounds", 3, "rounds per case, the modules in rotated order each round")
	flagThreads     = flag.String("bench.threads", "1,8,64", "comma-separated goroutine counts, each goroutine on its own session")
	flagOps         = flag.String("bench.ops", "", "comma-separated operations to measure (default all: "+allOperations+")")
	flagModules     = flag.String("bench.modules", "", "comma-separated modules to measure (default all: softhsm,p11kit,cloudp11)")
	flagConnections = flag.Int("bench.connections", 2, "primus.cfg connections for the hsmd member (2 is the default users get)")
	flagPerf        = flag.String("bench.perf", "", "folder for a perf record of the first round of every case (needs perf)")
)

func TestMain(m *testing.M) { testenv.Main(m) }
