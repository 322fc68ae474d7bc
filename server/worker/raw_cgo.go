package worker

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

// The few PKCS#11 declarations this file needs, for the Unix ABI (no
// packing): miekg/pkcs11 keeps its function list private, and the nested
// template read below is the one call miekg cannot make.
typedef unsigned long cp11_ulong;
typedef struct { cp11_ulong type; void *pValue; cp11_ulong ulValueLen; } cp11_attribute;
typedef cp11_ulong (*cp11_get_attribute_value)(cp11_ulong, cp11_ulong, cp11_attribute *, cp11_ulong);
typedef struct {
	unsigned char major, minor;
	void *before[24]; // C_Initialize ... C_GetObjectSize, in the order of the specification
	cp11_get_attribute_value get_attribute_value;
} cp11_function_list;
typedef cp11_ulong (*cp11_get_function_list)(cp11_function_list **);

static void *cp11_open(const char *path, cp11_function_list **list) {
	// RTLD_NOLOAD: the module is loaded already (by miekg/pkcs11); this
	// only takes a reference, it never loads a second copy.
	void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (h == NULL) return NULL;
	cp11_get_function_list get = (cp11_get_function_list)dlsym(h, "C_GetFunctionList");
	if (get == NULL || get(list) != 0 || *list == NULL || (*list)->get_attribute_value == NULL) {
		dlclose(h);
		return NULL;
	}
	return h;
}

static cp11_ulong cp11_get_attrs(cp11_function_list *list, cp11_ulong s, cp11_ulong o, cp11_attribute *t, cp11_ulong n) {
	return list->get_attribute_value(s, o, t, n);
}
*/
import "C"

import (
	"errors"
	"unsafe"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// rawModule calls the module's C_GetAttributeValue directly, for the
// three-step read of an array attribute (CKA_WRAP_TEMPLATE...): its length,
// then the types and lengths of its elements, then their values. miekg's
// GetAttributeValue always passes fresh zeroed buffers, so it stops after
// the second step.
type rawModule struct {
	handle unsafe.Pointer
	list   *C.cp11_function_list
}

func openRawModule(path string) (*rawModule, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var list *C.cp11_function_list
	h := C.cp11_open(cpath, &list)
	if h == nil {
		return nil, errors.New("cannot reach the module's function list")
	}
	return &rawModule{handle: h, list: list}, nil
}

func (r *rawModule) close() {
	if r.handle != nil {
		C.dlclose(r.handle)
		r.handle = nil
	}
}

var attrSize = C.size_t(unsafe.Sizeof(C.cp11_attribute{}))

// readTemplate reads the nested template attribute t of object o. It
// returns the backend's CK_RV when a step fails (CKR_ATTRIBUTE_SENSITIVE,
// CKR_ATTRIBUTE_TYPE_INVALID...).
func (r *rawModule) readTemplate(session ck.SessionHandle, o ck.ObjectHandle, t ck.AttributeType) ([]ck.Attribute, error) {
	const op = "C_GetAttributeValue"
	outer := (*C.cp11_attribute)(C.calloc(1, attrSize))
	defer C.free(unsafe.Pointer(outer))
	outer._type = C.cp11_ulong(t)
	call := func() ck.RV {
		return ck.RV(C.cp11_get_attrs(r.list, C.cp11_ulong(session), C.cp11_ulong(o), outer, 1))
	}
	if rv := call(); rv != ck.CKR_OK {
		return nil, rv.Err(op)
	}
	n := int(outer.ulValueLen) / int(attrSize)
	if int(outer.ulValueLen)%int(attrSize) != 0 || n > ck.MaxTemplateLen {
		return nil, ck.Errorf(ck.CKR_DEVICE_ERROR, op, "%s: the backend announced %d bytes, not a template this protocol carries", t, outer.ulValueLen)
	}
	if n == 0 {
		return []ck.Attribute{}, nil
	}
	arr := C.calloc(C.size_t(n), attrSize)
	defer C.free(arr)
	elems := unsafe.Slice((*C.cp11_attribute)(arr), n)
	outer.pValue = arr
	outer.ulValueLen = C.cp11_ulong(n) * C.cp11_ulong(attrSize)
	if rv := call(); rv != ck.CKR_OK {
		return nil, rv.Err(op)
	}
	var bufs []unsafe.Pointer
	defer func() {
		for _, b := range bufs {
			C.free(b)
		}
	}()
	for i := range elems {
		if elems[i].ulValueLen == C.cp11_ulong(ck.CK_UNAVAILABLE_INFORMATION) || elems[i].ulValueLen > 1<<20 {
			return nil, ck.Errorf(ck.CKR_DEVICE_ERROR, op, "%s: element %d has no readable length", t, i)
		}
		if elems[i].ulValueLen > 0 {
			b := C.calloc(1, C.size_t(elems[i].ulValueLen))
			bufs = append(bufs, b)
			elems[i].pValue = b
		}
	}
	if rv := call(); rv != ck.CKR_OK {
		return nil, rv.Err(op)
	}
	out := make([]ck.Attribute, n)
	for i := range elems {
		et := ck.AttributeType(elems[i]._type)
		if ck.AttributeKind(et) == ck.KindTemplate {
			return nil, ck.Errorf(ck.CKR_DEVICE_ERROR, op, "%s holds a nested template deeper than the protocol carries", t)
		}
		var native []byte
		if elems[i].pValue != nil {
			native = C.GoBytes(elems[i].pValue, C.int(elems[i].ulValueLen))
		}
		a, err := wireValue(et, native)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}
