package main

/*
#include "p11.h"
*/
import "C"

import (
	"unsafe"

	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Random number generation (v2.40 5.15).

// C_SeedRandom (v2.40 5.15).
//
//export goSeedRandom
func goSeedRandom(hSession C.CK_SESSION_HANDLE, pSeed C.CK_BYTE_PTR, ulSeedLen C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_SeedRandom"
	defer recoverPanic(op, &rv)
	return consume(op, ck.CKR_ARGUMENTS_BAD, hSession, pSeed, ulSeedLen, (*core.Library).SeedRandom)
}

// C_GenerateRandom fills the caller's buffer of ulRandomLen bytes. At most
// maxInputLen bytes per call: the answer has to fit one frame.
//
//export goGenerateRandom
func goGenerateRandom(hSession C.CK_SESSION_HANDLE, RandomData C.CK_BYTE_PTR, ulRandomLen C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_GenerateRandom"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if RandomData == nil && ulRandomLen > 0 {
			return argumentsBad(op, "RandomData is NULL with ulRandomLen %d", uint64(ulRandomLen))
		}
		if uint64(ulRandomLen) > maxInputLen {
			return argumentsBad(op, "%d bytes asked, at most %d per call", uint64(ulRandomLen), maxInputLen)
		}
		random, err := lib.GenerateRandom(ck.SessionHandle(hSession), int(ulRandomLen))
		if err != nil {
			return err
		}
		if len(random) != int(ulRandomLen) {
			return ck.Errorf(ck.CKR_DEVICE_ERROR, op, "%d random bytes answered for %d asked", len(random), uint64(ulRandomLen))
		}
		if len(random) == 0 {
			return nil
		}
		copy(unsafe.Slice((*byte)(unsafe.Pointer(RandomData)), len(random)), random)
		return nil
	}))
}
