package core

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// version is the library's version, set at link time with
// -ldflags "-X github.com/cloudp11/cloudp11/core.version=1.2.3".
var version = "dev"

// Version is the library's version string.
func Version() string { return version }

// InitOptions are what C_Initialize passes to Initialize once the boundary
// has validated CK_C_INITIALIZE_ARGS.
type InitOptions struct {
	Getenv      func(string) string // nil: os.Getenv
	ProcessName string              // for log lines (argv[0] base name); "": os.Args[0]'s
	// Stderr receives the lines of a C_Initialize that fails before the
	// log of primus.cfg is set up (they go to syslog too); nil: os.Stderr.
	Stderr io.Writer
}

// Library is one initialised instance of the PKCS#11 library: between
// C_Initialize and C_Finalize. Its methods implement the C_* functions and
// are safe for concurrent use.
type Library struct {
	cfg      *config.Config
	log      *logger
	slots    map[ck.SlotID]*slot
	slotIDs  []ck.SlotID // sorted
	sessions *sessionTable
	objects  *objectTable

	// ctx ends at C_Finalize: calls in flight and background
	// connections stop.
	ctx    context.Context
	cancel context.CancelFunc

	bgMu       sync.Mutex // guards finalizing; taken to start background work
	finalizing bool
	background sync.WaitGroup

	closed atomic.Bool
}

// Initialize is C_Initialize once the boundary has validated its
// arguments: it finds and reads primus.cfg (the only time it is read), the
// secrets of .secrets.cfg, sets up logging from primus.cfg's log group and,
// with connect_on_init, connects every slot's cluster (failures are logged,
// not fatal: a slot whose members are all down answers
// CKR_TOKEN_NOT_PRESENT when used).
//
// A missing or invalid primus.cfg or .secrets.cfg, or a log file that
// cannot be opened, fails with CKR_GENERAL_ERROR ("some horrible,
// unrecoverable error has occurred": nothing the application can change
// by calling again) and a line on standard error and syslog naming the
// file, line, column and setting. A missing permanent secret or proxy
// password is not fatal: it is logged with the ppin command that fixes it,
// and the slot answers CKR_TOKEN_NOT_RECOGNIZED until it is fixed.
func Initialize(opts InitOptions) (*Library, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	proc := opts.ProcessName
	if proc == "" && len(os.Args) > 0 {
		proc = filepath.Base(os.Args[0])
	}
	fail := func(err error) (*Library, error) {
		boot := newBootstrapLogger(stderrOf(opts), proc)
		boot.at(sevError, "C_Initialize").Msgf("rv: 0x%x (%s): %v", uint64(ck.CKR_GENERAL_ERROR), ck.CKR_GENERAL_ERROR, err)
		boot.close()
		return nil, &ck.Error{RV: ck.CKR_GENERAL_ERROR, Op: "C_Initialize", Err: err}
	}

	path, source, err := locateConfig(getenv)
	if err != nil {
		return fail(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		return fail(err)
	}
	secretsPath, secretsSource := locateSecrets(getenv, path)
	secrets, err := config.LoadSecrets(secretsPath)
	if err != nil {
		return fail(err)
	}
	log, logWarnings, err := newLogger(cfg.Log, proc, strings.Join(clientIDs(cfg), ","))
	if err != nil {
		return fail(fmt.Errorf("%s: %w", cfg.Path, err))
	}
	for _, w := range logWarnings {
		if log.level >= sevWarning {
			log.at(sevWarning, "C_Initialize").Msg(w)
		} else {
			boot := newBootstrapLogger(stderrOf(opts), proc)
			boot.at(sevWarning, "C_Initialize").Msg(w)
			boot.close()
		}
	}
	instance, err := transport.NewInstanceID()
	if err != nil {
		log.close()
		return fail(fmt.Errorf("cannot make an instance id: %w", err))
	}

	ctx, cancel := context.WithCancel(context.Background())
	l := &Library{
		cfg:      cfg,
		log:      log,
		slots:    make(map[ck.SlotID]*slot),
		sessions: newSessionTable(),
		objects:  newObjectTable(),
		ctx:      ctx,
		cancel:   cancel,
	}
	for _, w := range cfg.Warnings {
		log.at(sevWarning, "C_Initialize").Msg(w.String())
	}
	for _, w := range secrets.Warnings {
		log.at(sevWarning, "C_Initialize").Str("file", secrets.Path).Msg(w)
	}
	if err := l.buildSlots(instance, secrets); err != nil {
		cancel()
		log.close()
		return fail(err)
	}
	log.at(sevInfo, "C_Initialize").Str("config", path).Str("config_from", source).
		Str("secrets", secretsPath).Str("secrets_from", secretsSource).Int("slots", len(l.slotIDs)).Msg("configuration read")
	if cfg.ConnectOnInit {
		l.connectAll()
	}
	log.at(sevNotice, "C_Initialize").Msg("rv: 0x0")
	return l, nil
}

func stderrOf(opts InitOptions) io.Writer {
	if opts.Stderr != nil {
		return opts.Stderr
	}
	return os.Stderr
}

// clientIDs are the distinct client_id values, for lines about no slot.
func clientIDs(cfg *config.Config) []string {
	var ids []string
	for _, h := range cfg.HSMs {
		for _, s := range h.Slots {
			if s.ClientID != "" && !slices.Contains(ids, s.ClientID) {
				ids = append(ids, s.ClientID)
			}
		}
	}
	return ids
}

// buildSlots makes a slot, its members and cluster for every logical slot
// of primus.cfg.
func (l *Library) buildSlots(instance [16]byte, secrets *config.Secrets) error {
	tlsByHSM := map[*config.HSM]*tls.Config{}
	reported := map[string]bool{}
	for _, ls := range l.cfg.LogicalSlots() {
		id := ck.SlotID(ls.ID)
		clientID := ""
		if len(ls.Members) > 0 {
			clientID = ls.Members[0].Slot.ClientID
		}
		slog := l.log.forClient(clientID)
		c := &cluster{
			lib:       l,
			slot:      id,
			log:       slog,
			waitDelay: l.cfg.WaitDelay,
			waitTries: l.cfg.WaitMaxTries,
			bindSem:   make(chan struct{}, 1),
			dialer: &Dialer{
				InstanceID:      slotInstanceID(instance, id),
				SoftwareVersion: "libcloudp11 " + version,
				// Not CapRetryMemory: core never resends an
				// object-creating request, so the server need not
				// remember answers for it.
				Capabilities: transport.CapFused,
				Client:       transport.ClientConfig{RequestIDs: new(transport.RequestIDs)},
			},
		}
		var priorities []int
		for _, cm := range ls.Members {
			tlsCfg, ok := tlsByHSM[cm.HSM]
			if !ok {
				var err error
				if tlsCfg, err = TLSConfig(cm.HSM); err != nil {
					return err
				}
				tlsByHSM[cm.HSM] = tlsCfg
			}
			m := &Member{HSM: cm.HSM, Slot: cm.Slot, TLS: tlsCfg}
			creds, err := Credentials(m, secrets)
			if err != nil && !reported[err.Error()] {
				// The error names the ppin command that fixes it.
				reported[err.Error()] = true
				slog.at(sevError, "C_Initialize").Uint64("slot", ls.ID).Str("member", cm.HSM.Name).Msg(err.Error())
			}
			c.members = append(c.members, m)
			c.creds = append(c.creds, credentials{creds: creds, err: err})
			priorities = append(priorities, cm.HSM.Priority)
		}
		c.sel = newSelector(priorities, rand.IntN)
		l.slots[id] = &slot{
			id:          id,
			userName:    ls.UserName,
			clientID:    clientID,
			description: slotDescription(ls),
			cluster:     c,
			log:         slog,
		}
		l.slotIDs = append(l.slotIDs, id)
	}
	slices.Sort(l.slotIDs)
	return nil
}

// slotInstanceID is the instance id a slot's connections send (before
// PartitionInstanceID mixes in the user). Each slot gets its own, so each
// slot is its own application on the server (its own worker, sessions and
// login state) even when two slot ids name one partition, as PKCS#11 has
// it for two tokens.
func slotInstanceID(instance [16]byte, slot ck.SlotID) [16]byte {
	h := sha256.New()
	h.Write([]byte("cloudp11 slot instance id\x00"))
	h.Write(instance[:])
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(slot)))
	var id [16]byte
	copy(id[:], h.Sum(nil))
	return id
}

// connectAll binds every slot at once (connect_on_init) and waits.
func (l *Library) connectAll() {
	var wg sync.WaitGroup
	for _, id := range l.slotIDs {
		c := l.slots[id].cluster
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(l.ctx, connectOnInitTimeout(c))
			defer cancel()
			// Errors are logged by bind.
			_, _ = c.epoch(ctx, "C_Initialize")
		}()
	}
	wg.Wait()
}

// connectOnInitTimeout bounds connect_on_init for one slot: every member
// tried wait_max_tries times.
func connectOnInitTimeout(c *cluster) time.Duration {
	var d time.Duration
	for _, m := range c.members {
		d += time.Duration(max(c.waitTries, 1)) * (m.HSM.ConnectTimeout + m.HSM.CallTimeout + c.waitDelay)
	}
	return d
}

// startBackground registers background work (a connection being opened),
// unless the library is being finalized.
func (l *Library) startBackground() bool {
	l.bgMu.Lock()
	defer l.bgMu.Unlock()
	if l.finalizing {
		return false
	}
	l.background.Add(1)
	return true
}

// Finalize is C_Finalize: it closes the sessions on the servers (so the
// workers do not keep them for their lease), the connections, and the log.
// Calls in flight on other threads fail; later calls on l answer
// CKR_CRYPTOKI_NOT_INITIALIZED.
func (l *Library) Finalize() error {
	if !l.closed.CompareAndSwap(false, true) {
		return errNotInitialized("C_Finalize")
	}
	l.bgMu.Lock()
	l.finalizing = true
	l.bgMu.Unlock()
	var wg sync.WaitGroup
	for _, id := range l.slotIDs {
		c := l.slots[id].cluster
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.closeAll(l.ctx)
		}()
	}
	wg.Wait()
	// Calls that entered before C_Finalize may still be binding a member:
	// with the context cancelled they cannot connect any more; wait for
	// each cluster's bind to finish and drop whatever it bound.
	l.cancel()
	for _, id := range l.slotIDs {
		c := l.slots[id].cluster
		_ = c.acquire(context.Background())
		c.unbindCurrent(errFinalized)
		c.release()
	}
	l.background.Wait()
	l.log.at(sevNotice, "C_Finalize").Msg("rv: 0x0")
	l.log.close()
	return nil
}

// Info is C_GetInfo (PKCS#11 v2.40 §5.4).
func (l *Library) Info() ck.Info {
	return ck.Info{
		CryptokiVersion:    ck.Version{Major: 2, Minor: 40},
		ManufacturerID:     manufacturer,
		LibraryDescription: "cloudp11 network HSM client",
		LibraryVersion:     libraryVersion(),
	}
}

const manufacturer = "cloudp11"

// libraryVersion is the major.minor of version ("1.2.3" → 1.2); 0.0 for
// development builds.
func libraryVersion() ck.Version {
	var major, minor int
	if _, err := fmt.Sscanf(strings.TrimPrefix(version, "v"), "%d.%d", &major, &minor); err != nil {
		return ck.Version{}
	}
	return ck.Version{Major: byte(min(major, 255)), Minor: byte(min(minor, 255))}
}

// enter refuses calls after Finalize, and writes the entry line of
// trace_inout.
func (l *Library) enter(fn string) error {
	if l.closed.Load() {
		return errNotInitialized(fn)
	}
	if l.log != nil && l.log.inout {
		l.log.at(sevDebug, fn).Msg("enter")
	}
	return nil
}

// trace writes the line of a function's return: debug when it succeeded,
// more when it failed in a way someone should look at.
func (l *Library) trace(fn string, err error) {
	rv := ck.RVOf(err)
	sev := rvSeverity(rv)
	if l.log == nil || sev > l.log.level {
		return
	}
	if rv == ck.CKR_OK {
		l.log.at(sev, fn).Msg("rv: 0x0")
		return
	}
	l.log.at(sev, fn).Err(err).Msgf("rv: 0x%x (%s)", uint64(rv), rv)
}

// rvSeverity is the severity of a function's return line.
func rvSeverity(rv ck.RV) severity {
	switch rv {
	case ck.CKR_OK:
		return sevDebug
	case ck.CKR_GENERAL_ERROR, ck.CKR_FUNCTION_FAILED, ck.CKR_DEVICE_ERROR, ck.CKR_DEVICE_MEMORY,
		ck.CKR_TOKEN_NOT_PRESENT, ck.CKR_TOKEN_NOT_RECOGNIZED, ck.CKR_DEVICE_REMOVED:
		return sevError
	case ck.CKR_PIN_INCORRECT, ck.CKR_PIN_LOCKED, ck.CKR_PIN_EXPIRED, ck.CKR_SESSION_COUNT:
		return sevWarning
	}
	return sevInfo
}
