package main

/*
#include "p11.h"
*/
import "C"

import (
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// C_Initialize (v2.40 5.4). CK_C_INITIALIZE_ARGS is honoured as 5.4 and
// 2.6.5 describe:
//
//   - NULL arguments: fine;
//   - pReserved must be NULL (an NSS-layout structure with
//     LibraryParameters set lands there too, and is refused the same way);
//   - the four mutex functions are all set or all NULL;
//   - CKF_LIBRARY_CANT_CREATE_OS_THREADS: CKR_NEED_TO_CREATE_THREADS, since
//     the Go runtime runs on threads of its own and core dials in the
//     background;
//   - every combination of CKF_OS_LOCKING_OK and mutex functions is
//     accepted, and the functions are never called. The module serialises
//     with Go's own primitives (atomics and futexes, not the thread library's
//     mutexes), which work whatever threading the application uses: the
//     application's own locks are not needed for the module to be safe.
//
//export goInitialize
func goInitialize(pInitArgs C.CK_VOID_PTR) (rv C.CK_RV) {
	defer recoverPanic("C_Initialize", &rv)
	if err := checkInitArgs((*C.CK_C_INITIALIZE_ARGS)(pInitArgs)); err != nil {
		return rvFor(err)
	}
	return rvFor(module.initialize())
}

func checkInitArgs(args *C.CK_C_INITIALIZE_ARGS) error {
	const op = "C_Initialize"
	if args == nil {
		return nil
	}
	if args.pReserved != nil {
		return argumentsBad(op, "pReserved is not NULL")
	}
	set := 0
	for _, fn := range []bool{args.CreateMutex != nil, args.DestroyMutex != nil, args.LockMutex != nil, args.UnlockMutex != nil} {
		if fn {
			set++
		}
	}
	if set != 0 && set != 4 {
		return argumentsBad(op, "%d of the 4 mutex functions are set: give all or none", set)
	}
	if args.flags&C.CKF_LIBRARY_CANT_CREATE_OS_THREADS != 0 {
		return ck.Errorf(ck.CKR_NEED_TO_CREATE_THREADS, op, "the module needs threads of its own (the Go runtime's)")
	}
	return nil
}

// C_Finalize (v2.40 5.4): closes every session of the application (core)
// and drops the state, so that C_Initialize starts afresh.
//
//export goFinalize
func goFinalize(pReserved C.CK_VOID_PTR) (rv C.CK_RV) {
	defer recoverPanic("C_Finalize", &rv)
	return rvFor(module.finalize(func() error {
		if pReserved != nil {
			return argumentsBad("C_Finalize", "pReserved is not NULL")
		}
		return nil
	}))
}

// C_GetInfo (v2.40 5.4).
//
//export goGetInfo
func goGetInfo(pInfo C.CK_INFO_PTR) (rv C.CK_RV) {
	defer recoverPanic("C_GetInfo", &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if pInfo == nil {
			return argumentsBad("C_GetInfo", "pInfo is NULL")
		}
		fillInfo(pInfo, lib.Info())
		return nil
	}))
}
