package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include -Wall
#include "p11.h"
*/
import "C"

// main is required by -buildmode=c-shared and never runs: the host application
// calls the C_* functions.
func main() {}
