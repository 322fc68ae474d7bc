package main

/*
#include "p11.h"
*/
import "C"

import (
	"unsafe"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// C_GetAttributeValue (v2.40 section 5.7) in two halves around core's one
// round trip: attributeQueries reads what the caller asks, writeAttributes
// writes the answers into the caller's template.

// maxQueryAttributes bounds one C_GetAttributeValue. Core asks the server
// ck.MaxTemplateLen attributes per round trip, so more are allowed here;
// the bound only keeps a wrong ulCount from walking gigabytes of memory.
const maxQueryAttributes = 64 * ck.MaxTemplateLen

// attributeQueries reads the caller's template: for each attribute its type,
// and whether it asks for the length only (pValue NULL). A template
// attribute with a buffer asks for the whole nested template, whose
// attributes are then written by the caller's nested pValue/ulValueLen.
func attributeQueries(op string, p *C.CK_ATTRIBUTE, n C.CK_ULONG) ([]C.CK_ATTRIBUTE, []transport.AttributeQuery, error) {
	if n == 0 {
		return nil, nil, nil
	}
	if p == nil {
		return nil, nil, argumentsBad(op, "template is NULL with %d attributes", uint64(n))
	}
	if uint64(n) > maxQueryAttributes {
		return nil, nil, argumentsBad(op, "template of %d attributes, at most %d", uint64(n), maxQueryAttributes)
	}
	tmpl := unsafe.Slice(p, int(n))
	queries := make([]transport.AttributeQuery, len(tmpl))
	for i := range tmpl {
		queries[i] = transport.AttributeQuery{Type: ck.AttributeType(tmpl[i]._type), LengthOnly: tmpl[i].pValue == nil}
	}
	return tmpl, queries, nil
}

// attributeRank orders the outcomes of C_GetAttributeValue for the return
// value when several attributes fail. The specification lets a module return
// any of them; this one returns the one the caller can least fix by retrying:
// a sensitive attribute stays sensitive and an invalid type stays invalid,
// while CKR_BUFFER_TOO_SMALL invites a retry with larger buffers, which would
// then meet the other failure anyway. Anything else (a malformed answer) is a
// real error and outranks all three.
func attributeRank(rv ck.RV) int {
	switch rv {
	case ck.CKR_OK:
		return 0
	case ck.CKR_BUFFER_TOO_SMALL:
		return 1
	case ck.CKR_ATTRIBUTE_TYPE_INVALID:
		return 2
	case ck.CKR_ATTRIBUTE_SENSITIVE:
		return 3
	}
	return 4
}

// isAttributeStatus reports whether rv is one of the three codes that
// "do not denote true errors" (v2.40 5.7): the template was still processed.
func isAttributeStatus(rv ck.RV) bool {
	r := attributeRank(rv)
	return r >= 1 && r <= 3
}

// attributeOutcome collects the per-attribute codes into the return value.
type attributeOutcome struct {
	op  string
	err error
}

func (o *attributeOutcome) note(err error) {
	if err != nil && attributeRank(ck.RVOf(err)) > attributeRank(ck.RVOf(o.err)) {
		o.err = err
	}
}

// writeAttributes writes core's results into the caller's template, to the
// letter of v2.40 5.7: every attribute is processed whatever happens to the
// others; an attribute the server refused (sensitive, unextractable, unknown
// type) gets CK_UNAVAILABLE_INFORMATION and its code; pValue NULL gets the
// length; a buffer too small gets CK_UNAVAILABLE_INFORMATION and
// CKR_BUFFER_TOO_SMALL; otherwise the value, in the host's layout, and its
// length. A template attribute's value is written into the caller's
// CK_ATTRIBUTE array by the same rules, attribute by attribute (v3.0 5.7).
// An answer that does not match the questions is CKR_DEVICE_ERROR, and then
// nothing is written.
func writeAttributes(op string, tmpl []C.CK_ATTRIBUTE, results []transport.AttributeResult) error {
	if err := checkAttributeResults(op, tmpl, results); err != nil {
		return err
	}
	layout := ck.NativeLayout()
	outcome := attributeOutcome{op: op}
	for i := range tmpl {
		a, r := &tmpl[i], &results[i]
		t := ck.AttributeType(a._type)
		aop := op + " " + t.String()
		switch {
		case r.Status != ck.CKR_OK:
			a.ulValueLen = unavailableInformation
			outcome.note(r.Status.Err(aop))
		case a.pValue == nil:
			a.ulValueLen = C.CK_ULONG(layout.HostLen(t, r.Attribute.Len))
		case ck.AttributeKind(t) == ck.KindTemplate:
			outcome.note(writeNestedTemplate(aop, a, r.Attribute.Template))
		default:
			outcome.note(writeValue(aop, a, t, r.Attribute.Value))
		}
	}
	return outcome.err
}

// checkAttributeResults verifies that the server answered each question in
// the form asked, so that the writers can trust the shapes.
func checkAttributeResults(op string, tmpl []C.CK_ATTRIBUTE, results []transport.AttributeResult) error {
	if len(results) != len(tmpl) {
		return ck.Errorf(ck.CKR_DEVICE_ERROR, op, "the server answered %d attributes for %d asked", len(results), len(tmpl))
	}
	for i := range tmpl {
		t := ck.AttributeType(tmpl[i]._type)
		r := &results[i]
		if r.Attribute.Type != t {
			return ck.Errorf(ck.CKR_DEVICE_ERROR, op, "answer %d is for %s, asked %s", i, r.Attribute.Type, t)
		}
		if r.Status != ck.CKR_OK {
			continue
		}
		want := ck.FormValue
		switch {
		case tmpl[i].pValue == nil:
			want = ck.FormLength
		case ck.AttributeKind(t) == ck.KindTemplate:
			want = ck.FormTemplate
			for _, n := range r.Attribute.Template {
				if n.Form() != ck.FormValue {
					return ck.Errorf(ck.CKR_DEVICE_ERROR, op, "%s/%s answered without a value", t, n.Type)
				}
			}
		}
		if r.Attribute.Form() != want {
			return ck.Errorf(ck.CKR_DEVICE_ERROR, op, "%s answered in form %d, asked %d", t, r.Attribute.Form(), want)
		}
	}
	return nil
}

// writeValue writes one wire value into the caller's attribute.
func writeValue(op string, a *C.CK_ATTRIBUTE, t ck.AttributeType, wire []byte) error {
	host, err := ck.NativeLayout().FromWire(t, wire)
	if err != nil {
		a.ulValueLen = unavailableInformation
		return ck.Errorf(ck.CKR_DEVICE_ERROR, op, "the server's value does not fit this host: %w", err)
	}
	if uint64(len(host)) > uint64(a.ulValueLen) {
		a.ulValueLen = unavailableInformation
		return ck.CKR_BUFFER_TOO_SMALL.Err(op)
	}
	copy(unsafe.Slice((*byte)(a.pValue), len(host)), host)
	a.ulValueLen = C.CK_ULONG(len(host))
	return nil
}

// writeNestedTemplate writes a template attribute's value: the caller's
// buffer is an array of CK_ATTRIBUTE whose type fields are set here and whose
// pValue/ulValueLen follow the rules of the outer template. ulValueLen ends
// as the array's size in bytes; too few elements is CKR_BUFFER_TOO_SMALL with
// CK_UNAVAILABLE_INFORMATION.
func writeNestedTemplate(op string, a *C.CK_ATTRIBUTE, nested []ck.Attribute) error {
	if uint64(len(nested)) > uint64(a.ulValueLen/sizeofAttribute) {
		a.ulValueLen = unavailableInformation
		return ck.CKR_BUFFER_TOO_SMALL.Err(op)
	}
	outcome := attributeOutcome{op: op}
	if len(nested) > 0 {
		elems := unsafe.Slice((*C.CK_ATTRIBUTE)(a.pValue), len(nested))
		for j := range nested {
			e := &elems[j]
			e._type = C.CK_ATTRIBUTE_TYPE(nested[j].Type)
			if e.pValue == nil {
				host, err := ck.NativeLayout().FromWire(nested[j].Type, nested[j].Value)
				if err != nil {
					e.ulValueLen = unavailableInformation
					outcome.note(ck.Errorf(ck.CKR_DEVICE_ERROR, op, "the server's value does not fit this host: %w", err))
					continue
				}
				e.ulValueLen = C.CK_ULONG(len(host))
				continue
			}
			outcome.note(writeValue(op+"/"+nested[j].Type.String(), e, nested[j].Type, nested[j].Value))
		}
	}
	a.ulValueLen = C.CK_ULONG(len(nested)) * sizeofAttribute
	return outcome.err
}
