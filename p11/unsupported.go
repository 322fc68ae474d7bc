package main

/*
#include "p11.h"
*/
import "C"

import (
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// goUnsupported answers the functions of unsupported.c.
//
//export goUnsupported
func goUnsupported() (rv C.CK_RV) {
	defer recoverPanic("unsupported function", &rv)
	return rvFor(module.call(func(*core.Library) error {
		return ck.CKR_FUNCTION_NOT_SUPPORTED.Err("")
	}))
}

// goNotParallel answers C_GetFunctionStatus and C_CancelFunction (v2.40 5.16).
//
//export goNotParallel
func goNotParallel() (rv C.CK_RV) {
	defer recoverPanic("C_GetFunctionStatus/C_CancelFunction", &rv)
	return rvFor(module.call(func(*core.Library) error {
		return ck.CKR_FUNCTION_NOT_PARALLEL.Err("")
	}))
}
