package main

/*
#include "p11.h"
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// rvFor maps err to the CK_RV a C_* function returns. It is the only such
// mapping in p11: every export ends in it, and it defers to ck.RVOf, which
// documents the order (a *ck.Error's RV, a transport error's table entry,
// deadlines, else CKR_FUNCTION_FAILED).
func rvFor(err error) C.CK_RV { return C.CK_RV(ck.RVOf(err)) }

// argumentsBad is the error of an argument the caller got wrong: a NULL
// pointer where one is required, a length that cannot be right.
func argumentsBad(op, format string, args ...any) error {
	return ck.Errorf(ck.CKR_ARGUMENTS_BAD, op, format, args...)
}

// recoverPanic is deferred first in every export: a panic must never unwind
// into C and kill the host process (nginx, a JVM). The caller gets
// CKR_GENERAL_ERROR and standard error gets a line naming the function and
// where it failed.
func recoverPanic(fn string, rv *C.CK_RV) {
	r := recover()
	if r == nil {
		return
	}
	*rv = C.CK_RV(ck.CKR_GENERAL_ERROR)
	fmt.Fprintf(os.Stderr, "libcloudp11: %s: internal error, answered CKR_GENERAL_ERROR: %s\n%s", fn, panicText(r), callers())
}

// panicText describes a recovered value without printing what an arbitrary
// value might hold: errors (runtime errors included) by their message, which
// by this project's rules never holds a secret, anything else by its type.
func panicText(r any) string {
	if err, ok := r.(error); ok {
		return err.Error()
	}
	return fmt.Sprintf("panic with a value of type %T", r)
}

// callers lists the functions and lines of the panicking goroutine.
// runtime/debug.Stack would also print argument words, which can hold the
// bytes of small arrays passed by value.
func callers() string {
	pcs := make([]uintptr, 32)
	// Skip runtime.Callers, callers, recoverPanic and the runtime's panic frames
	// by starting at 3 and filtering the runtime package below.
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			fmt.Fprintf(&b, "\t%s (%s:%d)\n", f.Function, f.File, f.Line)
		}
		if !more {
			return b.String()
		}
	}
}
