// Package rawp11 calls C_GetAttributeValue of a loaded PKCS#11 module
// directly, for the end-to-end tests that must see what
// github.com/miekg/pkcs11 hides: the per-attribute ulValueLen of a call
// that failed (CK_UNAVAILABLE_INFORMATION beside the values that were
// filled in).
//
// # Concurrency
//
// GetAttributeValue may be called from any goroutine; the module's own
// rules apply.
//
// # Limits
//
// The module must already be loaded (by github.com/miekg/pkcs11): it is
// looked up with RTLD_NOLOAD, so the handles of that instance are the
// ones used. Buffers are at most 1 MiB each.
package rawp11

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

// The CK_ATTRIBUTE of the specification, section 3.1 (unpacked on Linux).
typedef struct {
	unsigned long type;
	void *pValue;
	unsigned long ulValueLen;
} rawp11_attr;

typedef unsigned long (*rawp11_getattr)(unsigned long, unsigned long, rawp11_attr *, unsigned long);

static void *rawp11_lookup(const char *path) {
	void *lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (lib == NULL) {
		return NULL;
	}
	void *fn = dlsym(lib, "C_GetAttributeValue");
	// The module stays loaded by its first opener; drop this reference.
	dlclose(lib);
	return fn;
}

static unsigned long rawp11_call(void *fn, unsigned long session, unsigned long object, rawp11_attr *tmpl, unsigned long n) {
	return ((rawp11_getattr)fn)(session, object, tmpl, n);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Unavailable is CK_UNAVAILABLE_INFORMATION.
const Unavailable = ^uint64(0)

// maxBuffer bounds a Query's Size.
const maxBuffer = 1 << 20

// Query is one attribute of the template: Size bytes of buffer, or a NULL
// pValue when Size is negative (a length query).
type Query struct {
	Type uint64
	Size int
}

// Result is what the module left in one CK_ATTRIBUTE: ulValueLen as is,
// and the buffer's first ulValueLen bytes when there was a buffer and the
// length fits it.
type Result struct {
	Len   uint64
	Value []byte
}

// GetAttributeValue calls C_GetAttributeValue of the module loaded from
// path on session and object with the template queries, and returns its
// CK_RV and every attribute as the module left it.
func GetAttributeValue(path string, session, object uint64, queries []Query) (rv uint64, results []Result, err error) {
	if len(queries) == 0 {
		return 0, nil, errors.New("rawp11: empty template")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	fn := C.rawp11_lookup(cpath)
	if fn == nil {
		return 0, nil, fmt.Errorf("rawp11: %s is not loaded or has no C_GetAttributeValue", path)
	}
	n := len(queries)
	tmpl := (*C.rawp11_attr)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(C.rawp11_attr{}))))
	if tmpl == nil {
		return 0, nil, errors.New("rawp11: out of memory")
	}
	defer C.free(unsafe.Pointer(tmpl))
	attrs := unsafe.Slice(tmpl, n)
	for i, q := range queries {
		if q.Size > maxBuffer {
			freeBuffers(attrs[:i])
			return 0, nil, fmt.Errorf("rawp11: buffer of %d bytes for attribute 0x%x", q.Size, q.Type)
		}
		attrs[i]._type = C.ulong(q.Type)
		if q.Size >= 0 {
			// One spare byte: malloc(0) may answer NULL.
			attrs[i].pValue = C.malloc(C.size_t(q.Size + 1))
			attrs[i].ulValueLen = C.ulong(q.Size)
		}
	}
	defer freeBuffers(attrs)
	rv = uint64(C.rawp11_call(fn, C.ulong(session), C.ulong(object), tmpl, C.ulong(n)))
	results = make([]Result, n)
	for i, q := range queries {
		l := uint64(attrs[i].ulValueLen)
		results[i].Len = l
		if q.Size >= 0 && l != Unavailable && l <= uint64(q.Size) {
			results[i].Value = C.GoBytes(attrs[i].pValue, C.int(l))
		}
	}
	return rv, results, nil
}

func freeBuffers(attrs []C.rawp11_attr) {
	for i := range attrs {
		if attrs[i].pValue != nil {
			C.free(attrs[i].pValue)
			attrs[i].pValue = nil
		}
	}
}
