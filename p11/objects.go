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

// C_CreateObject (v2.40 5.7).
//
//export goCreateObject
func goCreateObject(hSession C.CK_SESSION_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG, phObject C.CK_OBJECT_HANDLE_PTR) (rv C.CK_RV) {
	const op = "C_CreateObject"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if phObject == nil {
			return argumentsBad(op, "phObject is NULL")
		}
		t, err := templateFromC(op, pTemplate, ulCount)
		if err != nil {
			return err
		}
		h, err := lib.CreateObject(ck.SessionHandle(hSession), t)
		if err != nil {
			return err
		}
		*phObject = C.CK_OBJECT_HANDLE(h)
		return nil
	}))
}

// C_CopyObject (v2.40 5.7).
//
//export goCopyObject
func goCopyObject(hSession C.CK_SESSION_HANDLE, hObject C.CK_OBJECT_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG, phNewObject C.CK_OBJECT_HANDLE_PTR) (rv C.CK_RV) {
	const op = "C_CopyObject"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if phNewObject == nil {
			return argumentsBad(op, "phNewObject is NULL")
		}
		t, err := templateFromC(op, pTemplate, ulCount)
		if err != nil {
			return err
		}
		h, err := lib.CopyObject(ck.SessionHandle(hSession), ck.ObjectHandle(hObject), t)
		if err != nil {
			return err
		}
		*phNewObject = C.CK_OBJECT_HANDLE(h)
		return nil
	}))
}

// C_DestroyObject (v2.40 5.7).
//
//export goDestroyObject
func goDestroyObject(hSession C.CK_SESSION_HANDLE, hObject C.CK_OBJECT_HANDLE) (rv C.CK_RV) {
	defer recoverPanic("C_DestroyObject", &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		return lib.DestroyObject(ck.SessionHandle(hSession), ck.ObjectHandle(hObject))
	}))
}

// C_GetObjectSize (v2.40 5.7).
//
//export goGetObjectSize
func goGetObjectSize(hSession C.CK_SESSION_HANDLE, hObject C.CK_OBJECT_HANDLE, pulSize C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_GetObjectSize"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if pulSize == nil {
			return argumentsBad(op, "pulSize is NULL")
		}
		size, err := lib.ObjectSize(ck.SessionHandle(hSession), ck.ObjectHandle(hObject))
		if err != nil {
			return err
		}
		*pulSize = C.CK_ULONG(size)
		return nil
	}))
}

// C_GetAttributeValue (v2.40 5.7): one round trip for the whole template,
// then every attribute is written by the rules in getattr.go. A failure of
// the whole call (a bad handle, a lost connection) leaves the template as it
// was.
//
//export goGetAttributeValue
func goGetAttributeValue(hSession C.CK_SESSION_HANDLE, hObject C.CK_OBJECT_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_GetAttributeValue"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		tmpl, queries, err := attributeQueries(op, pTemplate, ulCount)
		if err != nil {
			return err
		}
		results, err := lib.GetAttributeValue(ck.SessionHandle(hSession), ck.ObjectHandle(hObject), queries)
		if err != nil && !(isAttributeStatus(ck.RVOf(err)) && len(results) == len(queries)) {
			return err
		}
		return writeAttributes(op, tmpl, results)
	}))
}

// C_SetAttributeValue (v2.40 5.7).
//
//export goSetAttributeValue
func goSetAttributeValue(hSession C.CK_SESSION_HANDLE, hObject C.CK_OBJECT_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_SetAttributeValue"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		t, err := templateFromC(op, pTemplate, ulCount)
		if err != nil {
			return err
		}
		return lib.SetAttributeValue(ck.SessionHandle(hSession), ck.ObjectHandle(hObject), t)
	}))
}

// C_FindObjectsInit (v2.40 5.7). An empty template finds every object.
//
//export goFindObjectsInit
func goFindObjectsInit(hSession C.CK_SESSION_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG) (rv C.CK_RV) {
	const op = "C_FindObjectsInit"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		t, err := templateFromC(op, pTemplate, ulCount)
		if err != nil {
			return err
		}
		return lib.FindObjectsInit(ck.SessionHandle(hSession), t)
	}))
}

// maxFindBatch bounds the handles one C_FindObjects asks core for, whatever
// ulMaxObjectCount says: the caller simply calls again for more.
const maxFindBatch = 4096

// C_FindObjects (v2.40 5.7).
//
//export goFindObjects
func goFindObjects(hSession C.CK_SESSION_HANDLE, phObject C.CK_OBJECT_HANDLE_PTR, ulMaxObjectCount C.CK_ULONG, pulObjectCount C.CK_ULONG_PTR) (rv C.CK_RV) {
	const op = "C_FindObjects"
	defer recoverPanic(op, &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		if pulObjectCount == nil {
			return argumentsBad(op, "pulObjectCount is NULL")
		}
		if phObject == nil && ulMaxObjectCount > 0 {
			return argumentsBad(op, "phObject is NULL with ulMaxObjectCount %d", uint64(ulMaxObjectCount))
		}
		handles, err := lib.FindObjects(ck.SessionHandle(hSession), int(min(uint64(ulMaxObjectCount), maxFindBatch)))
		if err != nil {
			return err
		}
		if uint64(len(handles)) > uint64(ulMaxObjectCount) {
			return ck.Errorf(ck.CKR_GENERAL_ERROR, op, "core returned %d handles for at most %d", len(handles), uint64(ulMaxObjectCount))
		}
		*pulObjectCount = C.CK_ULONG(len(handles))
		if len(handles) > 0 {
			copy(unsafe.Slice(phObject, len(handles)), convertSlice[C.CK_OBJECT_HANDLE](handles))
		}
		return nil
	}))
}

// C_FindObjectsFinal (v2.40 5.7).
//
//export goFindObjectsFinal
func goFindObjectsFinal(hSession C.CK_SESSION_HANDLE) (rv C.CK_RV) {
	defer recoverPanic("C_FindObjectsFinal", &rv)
	return rvFor(module.call(func(lib *core.Library) error {
		return lib.FindObjectsFinal(ck.SessionHandle(hSession))
	}))
}
