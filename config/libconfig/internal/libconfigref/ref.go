//go:build libconfigref

package libconfigref

/*
#cgo pkg-config: libconfig
#include <stdlib.h>
#include <libconfig.h>

// Field accessors: several libconfig "functions" are macros, and a struct
// field named type is awkward from Go.
static int ref_type(const config_setting_t *s) { return s->type; }
static const char *ref_name(const config_setting_t *s) { return s->name; }
static unsigned int ref_line(const config_setting_t *s) { return s->line; }
static const char *ref_file(const config_setting_t *s) { return s->file; }
static int ref_error_is_io(const config_t *c) { return c->error_type == CONFIG_ERR_FILE_IO; }
static const char *ref_error_text(const config_t *c) { return c->error_text; }
static const char *ref_error_file(const config_t *c) { return c->error_file; }
static int ref_error_line(const config_t *c) { return c->error_line; }
static config_setting_t *ref_root(const config_t *c) { return c->root; }
*/
import "C"

import (
	"fmt"
	"path/filepath"
	"unsafe"
)

// Available reports whether the reference library is compiled in.
const Available = true

// ParseFile parses the file at path with config_read_file. @include paths
// are resolved against includeDir, or against the directory of path when
// includeDir is empty (see the package doc for nested includes). A failed
// parse returns an *Error carrying the reference's text, file and line.
func ParseFile(path string, includeDir string) (*Node, error) {
	if includeDir == "" {
		includeDir = filepath.Dir(path)
	}
	// The config_t lives in C memory: every setting keeps a pointer back to
	// it, and C must not hold Go pointers past a call.
	cfg := (*C.config_t)(C.malloc(C.size_t(unsafe.Sizeof(C.config_t{}))))
	if cfg == nil {
		return nil, fmt.Errorf("libconfig reference: out of memory")
	}
	defer C.free(unsafe.Pointer(cfg))
	C.config_init(cfg)
	defer C.config_destroy(cfg)

	cPath := C.CString(path)
	defer C.free(unsafe.Pointer(cPath))
	// config_set_include_dir copies the string.
	cDir := C.CString(includeDir)
	defer C.free(unsafe.Pointer(cDir))
	C.config_set_include_dir(cfg, cDir)

	if C.config_read_file(cfg, cPath) != C.CONFIG_TRUE {
		// Copy everything now: error_file points into memory that
		// config_destroy frees.
		return nil, &Error{
			IO:   C.ref_error_is_io(cfg) != 0,
			File: goStringOrEmpty(C.ref_error_file(cfg)),
			Line: int(C.ref_error_line(cfg)),
			Text: goStringOrEmpty(C.ref_error_text(cfg)),
		}
	}
	root := C.ref_root(cfg)
	if root == nil {
		return nil, &Error{Text: "no root setting after a successful parse"}
	}
	return walk(root)
}

func goStringOrEmpty(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// walk copies the C setting s and its children into Go memory. Recursion is
// bounded by the reference parser's own nesting limit.
func walk(s *C.config_setting_t) (*Node, error) {
	n := &Node{
		Name: goStringOrEmpty(C.ref_name(s)),
		Line: int(C.ref_line(s)),
		File: goStringOrEmpty(C.ref_file(s)),
	}
	switch t := C.ref_type(s); t {
	case C.CONFIG_TYPE_GROUP, C.CONFIG_TYPE_ARRAY, C.CONFIG_TYPE_LIST:
		n.Kind = map[C.int]Kind{C.CONFIG_TYPE_GROUP: KindGroup, C.CONFIG_TYPE_ARRAY: KindArray, C.CONFIG_TYPE_LIST: KindList}[t]
		count := int(C.config_setting_length(s))
		n.Children = make([]*Node, 0, count)
		for i := 0; i < count; i++ {
			elem := C.config_setting_get_elem(s, C.uint(i))
			if elem == nil {
				return nil, fmt.Errorf("libconfig reference: %s has no element %d of %d", n.Name, i, count)
			}
			child, err := walk(elem)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, child)
		}
	case C.CONFIG_TYPE_INT:
		n.Kind = KindInt
		n.Int = int64(C.config_setting_get_int(s))
		n.Hex = C.config_setting_get_format(s) == C.CONFIG_FORMAT_HEX
	case C.CONFIG_TYPE_INT64:
		n.Kind = KindInt64
		n.Int = int64(C.config_setting_get_int64(s))
		n.Hex = C.config_setting_get_format(s) == C.CONFIG_FORMAT_HEX
	case C.CONFIG_TYPE_FLOAT:
		n.Kind = KindFloat
		n.Float = float64(C.config_setting_get_float(s))
	case C.CONFIG_TYPE_BOOL:
		n.Kind = KindBool
		n.Bool = C.config_setting_get_bool(s) != 0
	case C.CONFIG_TYPE_STRING:
		n.Kind = KindString
		n.Str = goStringOrEmpty(C.config_setting_get_string(s))
	default:
		return nil, fmt.Errorf("libconfig reference: setting %q has unknown type %d", n.Name, int(t))
	}
	return n, nil
}
