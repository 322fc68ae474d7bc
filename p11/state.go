package main

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// moduleState is what C_Initialize creates and C_Finalize drops. Its zero
// value is "not initialised"; nothing sets it at load time.
//
// Lock order: mu, then whatever core locks. A call holds mu for reading for
// its whole length, so C_Finalize (which holds it for writing) waits for the
// calls in flight to return instead of pulling the library from under them;
// two C_Initialize calls at once are serialised and the second answers
// CKR_CRYPTOKI_ALREADY_INITIALIZED.
type moduleState struct {
	mu  sync.RWMutex
	lib *core.Library
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
	if m.lib != nil {
		return ck.CKR_CRYPTOKI_ALREADY_INITIALIZED.Err("C_Initialize")
	}
	lib, err := core.Initialize(core.InitOptions{ProcessName: processName()})
	if err != nil {
		return err
	}
	m.lib = lib
	return nil
}

// finalize is C_Finalize: checkArgs runs once the module is known to be
// initialised. The state is dropped even when core reports an error, so that
// the application can initialise again.
func (m *moduleState) finalize(checkArgs func() error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lib == nil {
		return notInitialized()
	}
	if err := checkArgs(); err != nil {
		return err
	}
	lib := m.lib
	m.lib = nil
	return lib.Finalize()
}

// call runs fn with the library, or answers CKR_CRYPTOKI_NOT_INITIALIZED.
// Argument checks happen inside fn, so that an uninitialised module says so
// whatever the arguments.
func (m *moduleState) call(fn func(*core.Library) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.lib == nil {
		return notInitialized()
	}
	return fn(m.lib)
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
