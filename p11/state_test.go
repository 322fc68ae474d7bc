package main

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// useConfig points core at a primus.cfg that needs no server, for the
// length of the test, and makes sure the module ends finalised.
func useConfig(t *testing.T) {
	cfg, _ := writeConfig(t)
	t.Setenv("CLOUDP11_CONF", cfg)
	t.Setenv("SECUROSYS_PKCS11_CONF", "")
	t.Setenv("CLOUDP11_SECRETS", "")
	t.Setenv("SECUROSYS_SECRETS_CONF", "")
	t.Cleanup(func() { _ = module.finalize(func() error { return nil }) })
}

func slotList(lib *core.Library) error {
	_, err := lib.SlotList(false)
	return err
}

func TestModuleStateLifecycle(t *testing.T) {
	useConfig(t)
	noArgs := func() error { return nil }

	requireRV(t, ck.CKR_CRYPTOKI_NOT_INITIALIZED, module.call(slotList))
	requireRV(t, ck.CKR_CRYPTOKI_NOT_INITIALIZED, module.finalize(noArgs))
	require.NoError(t, module.initialize())
	require.NoError(t, module.call(slotList))
	requireRV(t, ck.CKR_CRYPTOKI_ALREADY_INITIALIZED, module.initialize())

	refused := func() error { return argumentsBad("C_Finalize", "pReserved is not NULL") }
	requireRV(t, ck.CKR_ARGUMENTS_BAD, module.finalize(refused))
	require.NoError(t, module.call(slotList), "a refused C_Finalize leaves the module initialised")

	require.NoError(t, module.finalize(noArgs))
	requireRV(t, ck.CKR_CRYPTOKI_NOT_INITIALIZED, module.call(slotList))
	require.NoError(t, module.initialize(), "C_Initialize after C_Finalize starts afresh")
	require.NoError(t, module.finalize(noArgs))
}

func TestModuleStateConcurrentInitialize(t *testing.T) {
	useConfig(t)
	var ok, already atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch err := module.initialize(); ck.RVOf(err) {
			case ck.CKR_OK:
				ok.Add(1)
			case ck.CKR_CRYPTOKI_ALREADY_INITIALIZED:
				already.Add(1)
			default:
				t.Errorf("C_Initialize: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), ok.Load())
	assert.Equal(t, int32(15), already.Load())
}

// C_Initialize and C_Finalize while other threads call: every call answers
// CKR_OK or CKR_CRYPTOKI_NOT_INITIALIZED. Run with -race.
func TestModuleStateFinalizeDuringCalls(t *testing.T) {
	useConfig(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var calls atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				err := module.call(slotList)
				if rv := ck.RVOf(err); rv != ck.CKR_OK && rv != ck.CKR_CRYPTOKI_NOT_INITIALIZED {
					t.Errorf("C_GetSlotList: %v", err)
					return
				}
				calls.Add(1)
			}
		}()
	}
	for range 20 {
		require.NoError(t, module.initialize())
		require.NoError(t, module.finalize(func() error { return nil }))
	}
	stop.Store(true)
	wg.Wait()
	assert.Positive(t, calls.Load())
}
