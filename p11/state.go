package main

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// moduleState is what C_Initialize creates and C_Finalize drops. Its zero
// value is "not initialised"; nothing sets it at load time.
//
// mu serialises C_Initialize and C_Finalize: two C_Initialize calls at once
// are taken in turn and the second answers CKR_CRYPTOKI_ALREADY_INITIALIZED;
// a C_Initialize waits for a C_Finalize in progress to finish. Every other
// call only loads lib, without a lock, and does not hold it: C_Finalize
// does not wait for calls in flight (an application shutting down must not
// hang on a dead network for a call timeout). core.Library is made for
// that: Finalize cancels the calls in flight, which fail, and any later
// call on the old library answers CKR_CRYPTOKI_NOT_INITIALIZED.
//
// Lock order: mu, then core's locks.
type moduleState struct {
	mu  sync.Mutex
	lib atomic.Pointer[core.Library]
}

// module is the module's one state: PKCS#11 has one per process.
var module moduleState

func notInitialized() error {
	return ck.CKR_CRYPTOKI_NOT_INITIALIZED.Err("")
}

// initialize is C_Initialize once the arguments are checked.
func (m *moduleState) initialize() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lib.Load() != nil {
		return ck.CKR_CRYPTOKI_ALREADY_INITIALIZED.Err("C_Initialize")
	}
	lib, err := core.Initialize(core.InitOptions{Getenv: processGetenv, ProcessName: processName()})
	if err != nil {
		return err
	}
	m.lib.Store(lib)
	return nil
}

// finalize is C_Finalize: checkArgs runs once the module is known to be
// initialised. The state is dropped before core finalises, so that no new
// call reaches the library being closed, and even when core reports an
// error, so that the application can initialise again.
func (m *moduleState) finalize(checkArgs func() error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	lib := m.lib.Load()
	if lib == nil {
		return notInitialized()
	}
	if err := checkArgs(); err != nil {
		return err
	}
	m.lib.Store(nil)
	return lib.Finalize()
}

// call runs fn with the library, or answers CKR_CRYPTOKI_NOT_INITIALIZED.
// Argument checks happen inside fn, so that an uninitialised module says so
// whatever the arguments.
func (m *moduleState) call(fn func(*core.Library) error) error {
	lib := m.lib.Load()
	if lib == nil {
		return notInitialized()
	}
	return fn(lib)
}

// processName is the base name of the program, for core's log lines. In a
// shared library os.Args comes from the loader's argv (glibc passes it to
// initialisers); a host without it gets the name from /proc.
func processName() string {
	if len(os.Args) > 0 && os.Args[0] != "" {
		return filepath.Base(os.Args[0])
	}
	if comm, err := os.ReadFile("/proc/self/comm"); err == nil {
		return string(trimNewline(comm))
	}
	return "unknown"
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
