package main

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// captureStderr runs fn with os.Stderr sent to a pipe and returns what was
// written.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	saved := os.Stderr
	os.Stderr = w
	defer func() { os.Stderr = saved }()
	fn()
	require.NoError(t, w.Close())
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(out)
}

func panicking(value any) (rv ckRV) {
	defer recoverPanic("C_Test", &rv)
	panic(value)
}

func TestRecoverPanicAnswersGeneralError(t *testing.T) {
	var rv ckRV
	out := captureStderr(t, func() { rv = panicking(errors.New("index out of range")) })
	assert.Equal(t, ckRV(ck.CKR_GENERAL_ERROR), rv)
	assert.Contains(t, out, "libcloudp11: C_Test: internal error, answered CKR_GENERAL_ERROR: index out of range")
	assert.Regexp(t, `panicking \(.*errors_test.go:\d+\)`, out, "the line where it failed")
	assert.NotContains(t, out, "runtime.gopanic", "the runtime's own frames are left out")
}

// A panic value that is not an error is described by its type: it might
// hold anything, a PIN included.
func TestRecoverPanicDoesNotPrintArbitraryValues(t *testing.T) {
	out := captureStderr(t, func() { panicking("PIN 123456") })
	assert.Contains(t, out, "panic with a value of type string")
	assert.NotContains(t, out, "123456")
}

func TestRecoverPanicWithoutPanic(t *testing.T) {
	calm := func() (rv ckRV) {
		defer recoverPanic("C_Test", &rv)
		return ckRV(ck.CKR_OK)
	}
	assert.Equal(t, ckRV(ck.CKR_OK), calm())
}

func TestRVForUsesCKRVOf(t *testing.T) {
	assert.Equal(t, ckRV(ck.CKR_OK), rvFor(nil))
	assert.Equal(t, ckRV(ck.CKR_KEY_HANDLE_INVALID), rvFor(ck.CKR_KEY_HANDLE_INVALID.Err("C_SignInit")))
	assert.Equal(t, ckRV(ck.CKR_FUNCTION_FAILED), rvFor(errors.New("anything else")))
}
