package main

/*
#include <stdlib.h>
*/
import "C"

import "unsafe"

// processGetenv reads a variable from the process's environment as it is
// now, through the C library. The Go runtime of a c-shared library copies
// the environment once, when the library is loaded, so os.Getenv misses
// what the application set since (setenv("CLOUDP11_CONF", ...) before
// C_Initialize, as SoftHSM and p11-kit honour). Only C_Initialize calls it.
func processGetenv(name string) string {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	value := C.getenv(cname)
	if value == nil {
		return ""
	}
	return C.GoString(value)
}
