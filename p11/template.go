package main

/*
#include "p11.h"
*/
import "C"

import (
	"unsafe"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// templateFromC converts the caller's template (C_CreateObject,
// C_GenerateKey, C_FindObjectsInit...) to wire form: CK_ULONG values become 8
// bytes big-endian, CK_BBOOL one byte 0 or 1, and the CK_ATTRIBUTE arrays of
// CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE and CKA_DERIVE_TEMPLATE nested
// templates. A value whose length does not fit its kind (a CKA_CLASS that is
// not sizeof(CK_ULONG) bytes) is CKR_ATTRIBUTE_VALUE_INVALID; NULL where
// values are promised, and counts beyond ck.MaxTemplateLen, are
// CKR_ARGUMENTS_BAD, as is a template of more than maxInputLen bytes in all.
func templateFromC(op string, p *C.CK_ATTRIBUTE, n C.CK_ULONG) ([]ck.Attribute, error) {
	budget := maxInputLen
	attrs, err := attributesFromC(op, p, n, 1, &budget)
	if err != nil {
		return nil, err
	}
	// The rules the wire decoder applies, so that what passes here crosses.
	if err := ck.CheckTemplate(attrs); err != nil {
		return nil, err
	}
	return attrs, nil
}

// attributesFromC converts one level of a template; depth 1 is the top.
// budget is what is left of maxInputLen for values.
func attributesFromC(op string, p *C.CK_ATTRIBUTE, n C.CK_ULONG, depth int, budget *int) ([]ck.Attribute, error) {
	if n == 0 {
		return []ck.Attribute{}, nil
	}
	if p == nil {
		return nil, argumentsBad(op, "template is NULL with %d attributes", uint64(n))
	}
	if uint64(n) > ck.MaxTemplateLen {
		return nil, argumentsBad(op, "template of %d attributes, at most %d", uint64(n), ck.MaxTemplateLen)
	}
	layout := ck.NativeLayout()
	in := unsafe.Slice(p, int(n))
	attrs := make([]ck.Attribute, 0, len(in))
	for i := range in {
		t := ck.AttributeType(in[i]._type)
		aop := op + " " + t.String()
		if ck.AttributeKind(t) == ck.KindTemplate {
			if depth >= ck.MaxTemplateDepth {
				return nil, ck.Errorf(ck.CKR_TEMPLATE_INCONSISTENT, aop, "templates nest at most %d levels", ck.MaxTemplateDepth)
			}
			if in[i].ulValueLen%sizeofAttribute != 0 {
				return nil, ck.Errorf(ck.CKR_ATTRIBUTE_VALUE_INVALID, aop, "length %d is not a multiple of sizeof(CK_ATTRIBUTE) = %d", uint64(in[i].ulValueLen), uint64(sizeofAttribute))
			}
			nested, err := attributesFromC(aop, (*C.CK_ATTRIBUTE)(in[i].pValue), in[i].ulValueLen/sizeofAttribute, depth+1, budget)
			if err != nil {
				return nil, err
			}
			attrs = append(attrs, ck.TemplateAttr(t, nested...))
			continue
		}
		if uint64(in[i].ulValueLen) > uint64(*budget) {
			return nil, argumentsBad(aop, "the template's values exceed %d bytes, more than can cross the wire", maxInputLen)
		}
		native, err := inBytes(aop, (*C.CK_BYTE)(in[i].pValue), in[i].ulValueLen, ck.CKR_ARGUMENTS_BAD)
		if err != nil {
			return nil, err
		}
		*budget -= len(native)
		wire, err := layout.ToWire(t, native)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, ck.BytesAttr(t, wire))
	}
	return attrs, nil
}
