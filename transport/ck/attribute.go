package ck

import (
	"encoding/binary"
	"fmt"
)

// Attribute is one CK_ATTRIBUTE of a template, in one of three forms:
//
//   - a value: Value holds the wire representation (see AttributeKind) and
//     Len is len(Value);
//   - a length (Query true): Value is nil and Len is a length. In a
//     C_GetAttributeValue query it asks for the length only (pValue NULL);
//     in an answer it is that length, or CK_UNAVAILABLE_INFORMATION;
//   - a nested template (Template non-nil, possibly empty): the value of
//     CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE and CKA_DERIVE_TEMPLATE.
type Attribute struct {
	Type     AttributeType
	Value    []byte
	Len      ULONG
	Query    bool
	Template []Attribute
}

// Form names an Attribute's form, as numbered on the wire.
type Form uint8

// Attribute forms (docs/protocol.md 2.1).
const (
	FormValue    Form = 0
	FormLength   Form = 1
	FormTemplate Form = 2
)

// Form reports which form a is in. A template wins over Query.
func (a Attribute) Form() Form {
	switch {
	case a.Template != nil:
		return FormTemplate
	case a.Query:
		return FormLength
	}
	return FormValue
}

// BytesAttr is an attribute with a byte-string value (CKA_ID, CKA_VALUE...).
// An empty value is stored as nil, the form the wire decoder produces.
func BytesAttr(t AttributeType, v []byte) Attribute {
	if len(v) == 0 {
		v = nil
	}
	return Attribute{Type: t, Value: v, Len: ULONG(len(v))}
}

// StringAttr is BytesAttr of a string (CKA_LABEL...).
func StringAttr(t AttributeType, s string) Attribute { return BytesAttr(t, []byte(s)) }

// ULONGAttr is an attribute of kind KindULONG with value v (8 bytes big-endian).
func ULONGAttr[T ~uint64](t AttributeType, v T) Attribute {
	return BytesAttr(t, binary.BigEndian.AppendUint64(nil, uint64(v)))
}

// BoolAttr is an attribute of kind KindBool.
func BoolAttr(t AttributeType, v bool) Attribute {
	b := CK_FALSE
	if v {
		b = CK_TRUE
	}
	return BytesAttr(t, []byte{b})
}

// ULONGsAttr is an attribute of kind KindULONGs (CKA_ALLOWED_MECHANISMS).
func ULONGsAttr[T ~uint64](t AttributeType, vs ...T) Attribute {
	b := make([]byte, 0, 8*len(vs))
	for _, v := range vs {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return BytesAttr(t, b)
}

// TemplateAttr is a nested-template attribute. It is never nil, so an empty
// template stays a template.
func TemplateAttr(t AttributeType, attrs ...Attribute) Attribute {
	if attrs == nil {
		attrs = []Attribute{}
	}
	return Attribute{Type: t, Template: attrs}
}

// QueryAttr asks for the length of t only (pValue NULL in C_GetAttributeValue).
func QueryAttr(t AttributeType) Attribute { return Attribute{Type: t, Query: true} }

// ULONG reads a KindULONG value.
func (a Attribute) ULONG() (ULONG, error) {
	if a.Form() != FormValue || len(a.Value) != 8 {
		return 0, Errorf(CKR_ATTRIBUTE_VALUE_INVALID, "read "+a.Type.String(), "want an 8-byte CK_ULONG value, have %d bytes", len(a.Value))
	}
	return binary.BigEndian.Uint64(a.Value), nil
}

// Bool reads a KindBool value.
func (a Attribute) Bool() (bool, error) {
	if a.Form() != FormValue || len(a.Value) != 1 || a.Value[0] > 1 {
		return false, Errorf(CKR_ATTRIBUTE_VALUE_INVALID, "read "+a.Type.String(), "want a one-byte CK_BBOOL 0 or 1")
	}
	return a.Value[0] == CK_TRUE, nil
}

// ULONGs reads a KindULONGs value.
func (a Attribute) ULONGs() ([]ULONG, error) {
	if a.Form() != FormValue || len(a.Value)%8 != 0 {
		return nil, Errorf(CKR_ATTRIBUTE_VALUE_INVALID, "read "+a.Type.String(), "want a multiple of 8 bytes, have %d", len(a.Value))
	}
	out := make([]ULONG, len(a.Value)/8)
	for i := range out {
		out[i] = binary.BigEndian.Uint64(a.Value[8*i:])
	}
	return out, nil
}

// MaxTemplateLen bounds the attributes of one template (and the queries of
// one C_GetAttributeValue); MaxTemplateDepth the nesting: a template
// attribute may hold a template, whose attributes may not hold another.
const (
	MaxTemplateLen   = 1024
	MaxTemplateDepth = 2
)

// CheckTemplate verifies that every attribute's form fits its kind and its
// value has the length its kind requires, at most MaxTemplateLen attributes
// and MaxTemplateDepth levels. The wire decoder applies the same rules, so a
// template that passes here always crosses the wire. Errors are
// CKR_ATTRIBUTE_VALUE_INVALID or CKR_TEMPLATE_INCONSISTENT and name the
// attribute.
func CheckTemplate(attrs []Attribute) error { return checkTemplate(attrs, 1, "") }

// checkTemplate names a nested attribute by its path, such as
// "CKA_WRAP_TEMPLATE/CKA_KEY_TYPE", so the error points at it.
func checkTemplate(attrs []Attribute, depth int, path string) error {
	if len(attrs) > MaxTemplateLen {
		return Errorf(CKR_TEMPLATE_INCONSISTENT, "check template "+path, "%d attributes, at most %d allowed", len(attrs), MaxTemplateLen)
	}
	for i := range attrs {
		if err := checkAttribute(&attrs[i], depth, path); err != nil {
			return err
		}
	}
	return nil
}

func checkAttribute(a *Attribute, depth int, path string) error {
	kind := AttributeKind(a.Type)
	op := "check " + path + a.Type.String()
	switch a.Form() {
	case FormValue:
		if err := kind.CheckValue(a.Value); err != nil {
			return &Error{RV: CKR_ATTRIBUTE_VALUE_INVALID, Op: op, Err: err}
		}
	case FormTemplate:
		if kind != KindTemplate {
			return Errorf(CKR_ATTRIBUTE_VALUE_INVALID, op, "a nested template given for an attribute of kind %s", kind)
		}
		if depth >= MaxTemplateDepth {
			return Errorf(CKR_TEMPLATE_INCONSISTENT, op, "templates nest at most %d levels", MaxTemplateDepth)
		}
		return checkTemplate(a.Template, depth+1, path+a.Type.String()+"/")
	}
	return nil
}

// CheckValues verifies that a template to act on (C_CreateObject,
// C_GenerateKey, C_FindObjectsInit...) holds values only, nested templates
// included: a length-only attribute there is CKR_ATTRIBUTE_VALUE_INVALID.
// It assumes CheckTemplate's rules, which the wire decoder enforces.
func CheckValues(attrs []Attribute) error {
	for i := range attrs {
		a := &attrs[i]
		switch a.Form() {
		case FormLength:
			return Errorf(CKR_ATTRIBUTE_VALUE_INVALID, "check "+a.Type.String(), "a length without a value")
		case FormTemplate:
			if err := CheckValues(a.Template); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckValue reports whether a wire value has the shape kind k requires.
func (k Kind) CheckValue(v []byte) error {
	switch k {
	case KindULONG:
		if len(v) != 8 {
			return fmt.Errorf("a CK_ULONG value is 8 bytes on the wire, not %d", len(v))
		}
	case KindBool:
		if len(v) != 1 || v[0] > 1 {
			return fmt.Errorf("a CK_BBOOL value is one byte, 0 or 1")
		}
	case KindDate:
		if len(v) != 0 && len(v) != 8 {
			return fmt.Errorf("a CK_DATE value is 8 bytes (or empty), not %d", len(v))
		}
	case KindULONGs:
		if len(v)%8 != 0 {
			return fmt.Errorf("a CK_ULONG array is a multiple of 8 bytes on the wire, not %d", len(v))
		}
	case KindTemplate:
		return fmt.Errorf("a template attribute has no byte value; send it as a nested template")
	}
	return nil
}
