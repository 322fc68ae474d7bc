package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/tests/testenv"
)

// maxThreads bounds -bench.threads: each goroutine holds a session and an
// OS thread while it is in a module.
const maxThreads = 1024

// BenchmarkModules measures every case through every module and prints the
// table; with -bench.report it also writes the table into that file. It
// ignores b.N: each case runs for a fixed window (see the package doc), so
// run it with -benchtime=1x, as "make bench" does.
func BenchmarkModules(b *testing.B) {
	if b.N > 1 {
		b.Skip("each case runs for -bench.window; run with -benchtime=1x")
	}
	workDir := os.Getenv(envWorkDir)
	if workDir == "" {
		reexec(b)
		return
	}
	loads, err := selectWorkloads(*flagOps)
	require.NoError(b, err)
	threads, err := parseThreads(*flagThreads)
	require.NoError(b, err)
	wanted, err := selectModules(*flagModules)
	require.NoError(b, err)
	require.Positive(b, *flagRounds, "-bench.rounds")
	require.Positive(b, *flagWindow, "-bench.window")

	facts := Facts{
		Date: time.Now().UTC().Format(time.RFC3339), Version: *flagVersion, GoVersion: runtime.Version(),
		Kernel: Kernel(), CPU: CPUModel(), NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		LoadStart: ReadLoadavg(), Warmup: flagWarmup.String(), Window: flagWindow.String(), Rounds: *flagRounds,
		Connections: *flagConnections,
	}
	var perf *perfRecorder
	if *flagPerf != "" {
		require.NoError(b, os.MkdirAll(*flagPerf, 0o755))
		perf = &perfRecorder{dir: *flagPerf, logf: b.Logf}
	}

	env := setUp(b, wanted, workDir)
	for _, id := range Modules() {
		if m := env.modules[id]; m != nil {
			facts.Modules[id] = m.path + " (" + m.info + ")"
		}
	}

	var rows []Row
	for _, w := range loads {
		// Whether each module can do the operation at all, judged once.
		var verdict [moduleCount]Outcome
		for _, id := range wanted {
			verdict[id] = env.judge(id, w)
		}
		for _, n := range threads {
			row := Row{Operation: w.id, Title: w.title, Threads: n, Outcomes: verdict}
			for round := range *flagRounds {
				for _, id := range rotate(wanted, round) {
					out := &row.Outcomes[id]
					if out.Unsupported != "" || out.Failed != "" {
						continue
					}
					ms := measurement{module: env.modules[id], load: w, threads: n, warmup: *flagWarmup, window: *flagWindow,
						clientPids: []int{os.Getpid()}, serverPids: env.serverPids(id)}
					if perf != nil && round == 0 {
						name, pids := fmt.Sprintf("%s-%d-%s", w.id, n, id), append(ms.clientPids, ms.serverPids...)
						ms.profile = func() func() { return perf.start(name, pids) }
					}
					res, err := ms.run()
					if err != nil {
						out.Failed = err.Error()
						progress("%-28s %2d threads  %-15s round %d: failed: %v", w.title, n, id.Title(), round+1, err)
						continue
					}
					out.Rounds, out.Costs = append(out.Rounds, res.rate), append(out.Costs, res.cost)
					progress("%-28s %2d threads  %-15s round %d: %s ops/s, %.0f + %.0f µs and %.1f context switches per op",
						w.title, n, id.Title(), round+1, formatRate(res.rate), res.cost.ClientCPU, res.cost.ServerCPU, res.cost.Switches)
				}
			}
			rows = append(rows, row)
		}
	}
	facts.LoadEnd = ReadLoadavg()
	md := Report{Facts: facts, Rows: rows, Notes: env.notes}.Markdown()
	fmt.Println(md)
	if *flagReport != "" {
		require.NoError(b, writeReport(*flagReport, md))
		progress("wrote the table into %s", *flagReport)
	}
}

// envWorkDir names the folder of primus.cfg and .secrets.cfg in the
// process that measures.
const envWorkDir = "CLOUDP11_BENCH_DIR"

// reexec runs this benchmark again in a child process whose environment
// names primus.cfg and .secrets.cfg from the start, and waits for it.
//
// Why: libcloudp11.so is a Go c-shared library, and a Go runtime reads the
// environment only once, from the process's initial stack. The
// CLOUDP11_CONF that this process would set with os.Setenv before loading
// the module is visible to SoftHSM and p11-kit (C getenv) but never to
// libcloudp11.so, so it must be in the environment the process starts
// with.
func reexec(b *testing.B) {
	dir := b.TempDir()
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(),
		envWorkDir+"="+dir,
		config.EnvConfig+"="+filepath.Join(dir, primusConfigName),
		config.EnvSecrets+"="+filepath.Join(dir, secretsName))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	require.NoError(b, cmd.Run(), "the benchmark in a child process")
}

// benchEnv is the token and the modules that reach it.
type benchEnv struct {
	keys    *benchKeys
	modules [moduleCount]*loadedModule
	// setupErr says why a wanted module could not be set up; its cells
	// show it.
	setupErr [moduleCount]error
	p11kit   *p11KitServer
	cloud    *cloudEnv
	notes    []string
}

// setUp makes the token, imports the keys through SoftHSM loaded directly
// (which every run needs, measured or not), and sets up the other wanted
// modules. A module that fails to set up is reported, not fatal: the run
// goes on with the others.
func setUp(b *testing.B, wanted []Module, workDir string) *benchEnv {
	env := &benchEnv{}
	var err error
	env.keys, err = newBenchKeys()
	require.NoError(b, err)
	soft := testenv.NewSoftHSM(b)
	soft.InitToken(b, tokenLabel, soPIN, userPIN)

	for k, v := range soft.Env {
		b.Setenv(k, v)
	}
	direct, err := loadModule(SoftHSM, soft.ModulePath)
	b.Cleanup(direct.close)
	require.NoError(b, err, "SoftHSM loaded directly")
	require.NoError(b, env.keys.importInto(direct.ctx, direct.anchor))
	require.NoError(b, direct.findKeys())
	env.modules[SoftHSM] = direct

	for _, id := range wanted {
		switch id {
		case P11Kit:
			env.setupErr[id] = env.setUpP11Kit(b, soft)
		case CloudP11:
			env.setupErr[id] = env.setUpCloud(b, soft, workDir)
		}
		if err := env.setupErr[id]; err != nil {
			env.notes = append(env.notes, fmt.Sprintf("%s could not be set up: %v", id.Title(), err))
			progress("%s could not be set up: %v", id.Title(), err)
		}
	}
	return env
}

func (env *benchEnv) setUpP11Kit(b *testing.B, soft *testenv.SoftHSM) error {
	srv, err := startP11KitServer(b, soft)
	if err != nil {
		return err
	}
	env.p11kit = srv
	b.Setenv("P11_KIT_SERVER_ADDRESS", srv.Address)
	return env.load(b, P11Kit, srv.Client)
}

func (env *benchEnv) setUpCloud(b *testing.B, soft *testenv.SoftHSM, workDir string) error {
	cloud, err := startCloud(b, soft, workDir, *flagConnections)
	if err != nil {
		return err
	}
	env.cloud = cloud
	lib, err := filepath.Abs(libcloudp11Path())
	if err != nil {
		return err
	}
	if _, err := os.Stat(lib); err != nil {
		return fmt.Errorf("%w (make lib builds it)", err)
	}
	return env.load(b, CloudP11, lib)
}

func (env *benchEnv) load(b *testing.B, id Module, path string) error {
	m, err := loadModule(id, path)
	b.Cleanup(m.close)
	if err != nil {
		return err
	}
	if err := m.findKeys(); err != nil {
		return err
	}
	env.modules[id] = m
	return nil
}

// judge is whether module id can run w: an Outcome with Unsupported or
// Failed set when it cannot, the zero Outcome when the check passed.
func (env *benchEnv) judge(id Module, w *workload) Outcome {
	if err := env.setupErr[id]; err != nil {
		return Outcome{Failed: "setup: " + err.Error()}
	}
	m := env.modules[id]
	listed := w.mechanism == 0 || m.mechanisms[w.mechanism]
	s, err := m.ctx.OpenSession(m.slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return Outcome{Failed: fmt.Sprintf("C_OpenSession: %v", err)}
	}
	defer func() { _ = m.ctx.CloseSession(s) }()
	// The operation is tried even when the mechanism is not listed, so the
	// table can say how the module refuses it.
	err = w.check(m, s, env.keys)
	switch {
	case err != nil && !listed:
		return Outcome{Unsupported: fmt.Sprintf("%s is not in C_GetMechanismList, and %v", mechanismName(w.mechanism), err)}
	case err != nil && unsupported(err):
		return Outcome{Unsupported: err.Error()}
	case err != nil:
		return Outcome{Failed: "check: " + err.Error()}
	case !listed:
		env.notes = append(env.notes, fmt.Sprintf("%s does %s although %s is not in its C_GetMechanismList; measured anyway",
			id.Title(), w.title, mechanismName(w.mechanism)))
	}
	return Outcome{}
}

// serverPids are the processes serving module id: p11-kit server and the
// child it forked for this process; hsmd serve and its worker. Looked up
// anew for each measurement, as a server may have replaced its child.
func (env *benchEnv) serverPids(id Module) []int {
	switch {
	case id == P11Kit && env.p11kit != nil:
		return descendants(env.p11kit.Pid)
	case id == CloudP11 && env.cloud != nil:
		return descendants(env.cloud.Hsmd.Pid())
	}
	return nil
}

// rotate is modules starting at the round's index, so that no module is
// always measured first or last.
func rotate(modules []Module, round int) []Module {
	if len(modules) == 0 {
		return nil
	}
	k := round % len(modules)
	return append(append([]Module(nil), modules[k:]...), modules[:k]...)
}

func parseThreads(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > maxThreads {
			return nil, fmt.Errorf("-bench.threads: %q is not a goroutine count from 1 to %d", f, maxThreads)
		}
		out = append(out, n)
	}
	return out, nil
}

func selectModules(list string) ([]Module, error) {
	if list == "" {
		return Modules(), nil
	}
	var out []Module
	for _, f := range strings.Split(list, ",") {
		found := false
		for _, m := range Modules() {
			if m.String() == strings.TrimSpace(f) {
				out, found = append(out, m), true
			}
		}
		if !found {
			return nil, fmt.Errorf("-bench.modules: unknown module %q (known: softhsm, p11kit, cloudp11)", f)
		}
	}
	return out, nil
}

// writeReport splices md into the file's generated section, making the
// file when it does not exist, and replaces the file atomically.
func writeReport(path, md string) error {
	doc, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		doc = []byte("# Benchmarks\n\n" + BeginMarker + "\n" + EndMarker + "\n")
	} else if err != nil {
		return err
	}
	out, err := Splice(string(doc), md)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".benchmarks-*.md")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// progress prints a line on standard error as the run goes: b.Log would
// hold everything back until the end.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
