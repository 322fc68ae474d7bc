//go:build cgo

package check

// The p11/ package consumes the headers through cgo, which reads them with its own passes (it
// evaluates macros and translates types through DWARF). These functions report what cgo sees,
// for the tests to compare with the specification.

/*
#cgo CFLAGS: -I${SRCDIR}/../..
#include "pkcs11.h"
*/
import "C"

import (
	"reflect"
	"unsafe"
)

// cgoFunctionLists returns the field names of CK_FUNCTION_LIST and CK_FUNCTION_LIST_3_0 in
// order, as cgo translates the structures.
func cgoFunctionLists() (v240, v30 []string) {
	return fieldNames(reflect.TypeFor[C.CK_FUNCTION_LIST]()), fieldNames(reflect.TypeFor[C.CK_FUNCTION_LIST_3_0]())
}

func fieldNames(t reflect.Type) []string {
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = t.Field(i).Name
	}
	return names
}

// cgoConstants evaluates, through cgo, a constant of each form the headers write: plain hex,
// an OR with CKF_ARRAY_ATTRIBUTE, an alias of another constant, ~0UL and the version.
func cgoConstants() map[string]uint64 {
	return map[string]uint64{
		"CKR_OK":                     C.CKR_OK,
		"CKR_VENDOR_DEFINED":         C.CKR_VENDOR_DEFINED,
		"CKA_WRAP_TEMPLATE":          C.CKA_WRAP_TEMPLATE,
		"CKA_ALLOWED_MECHANISMS":     C.CKA_ALLOWED_MECHANISMS,
		"CKA_SUB_PRIME_BITS":         C.CKA_SUB_PRIME_BITS,
		"CKK_ECDSA":                  C.CKK_ECDSA,
		"CKM_EDDSA":                  C.CKM_EDDSA,
		"CK_UNAVAILABLE_INFORMATION": C.CK_UNAVAILABLE_INFORMATION,
		"CK_TRUE":                    C.CK_TRUE,
		"CRYPTOKI_VERSION_MINOR":     C.CRYPTOKI_VERSION_MINOR,
	}
}

// cgoSizes returns unsafe.Sizeof of structures as cgo translates them.
func cgoSizes() map[string]uint64 {
	return map[string]uint64{
		"CK_INFO":              uint64(unsafe.Sizeof(C.CK_INFO{})),
		"CK_TOKEN_INFO":        uint64(unsafe.Sizeof(C.CK_TOKEN_INFO{})),
		"CK_ATTRIBUTE":         uint64(unsafe.Sizeof(C.CK_ATTRIBUTE{})),
		"CK_MECHANISM":         uint64(unsafe.Sizeof(C.CK_MECHANISM{})),
		"CK_C_INITIALIZE_ARGS": uint64(unsafe.Sizeof(C.CK_C_INITIALIZE_ARGS{})),
		"CK_GCM_PARAMS":        uint64(unsafe.Sizeof(C.CK_GCM_PARAMS{})),
		"CK_FUNCTION_LIST":     uint64(unsafe.Sizeof(C.CK_FUNCTION_LIST{})),
		"CK_FUNCTION_LIST_3_0": uint64(unsafe.Sizeof(C.CK_FUNCTION_LIST_3_0{})),
		"CK_INTERFACE":         uint64(unsafe.Sizeof(C.CK_INTERFACE{})),
	}
}
