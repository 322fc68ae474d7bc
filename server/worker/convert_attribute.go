package worker

import (
	"runtime"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// backendTemplate converts a wire template (values and nested templates)
// to miekg attributes in the backend's native layout. A nested template
// (CKA_WRAP_TEMPLATE...) becomes the bytes of a CK_ATTRIBUTE array whose
// values are pinned Go memory (see cstruct). Length-form attributes have no
// place in a template that gives values: CKR_ATTRIBUTE_VALUE_INVALID.
func backendTemplate(t []ck.Attribute, pin *runtime.Pinner) ([]*pkcs11.Attribute, error) {
	if err := ck.CheckTemplate(t); err != nil {
		return nil, err
	}
	out := make([]*pkcs11.Attribute, len(t))
	for i, a := range t {
		v, err := backendValue(a, pin)
		if err != nil {
			return nil, err
		}
		out[i] = &pkcs11.Attribute{Type: uint(a.Type), Value: v}
	}
	return out, nil
}

func backendValue(a ck.Attribute, pin *runtime.Pinner) ([]byte, error) {
	switch a.Form() {
	case ck.FormLength:
		return nil, ck.Errorf(ck.CKR_ATTRIBUTE_VALUE_INVALID, "convert template", "%s: a length where a value belongs", a.Type)
	case ck.FormTemplate:
		if ck.AttributeKind(a.Type) != ck.KindTemplate {
			return nil, ck.Errorf(ck.CKR_ATTRIBUTE_VALUE_INVALID, "convert template", "%s does not hold a template", a.Type)
		}
		s := &cstruct{pin: pin}
		for _, inner := range a.Template {
			v, err := backendValue(inner, pin)
			if err != nil {
				return nil, err
			}
			s.ulong(uint64(inner.Type))
			s.ptr(v)
			s.ulong(uint64(len(v)))
		}
		return s.finish(), nil
	}
	if ck.AttributeKind(a.Type) == ck.KindTemplate {
		return nil, ck.Errorf(ck.CKR_ATTRIBUTE_VALUE_INVALID, "convert template", "%s needs a template, not a value", a.Type)
	}
	return hostLayout.FromWire(a.Type, a.Value)
}

// wireValue converts a value read from the backend to the wire. A value
// the backend returned in a shape its kind does not allow is the backend's
// fault: CKR_DEVICE_ERROR, never a malformed frame.
func wireValue(t ck.AttributeType, native []byte) (ck.Attribute, error) {
	v, err := hostLayout.ToWire(t, native)
	if err != nil {
		return ck.Attribute{}, &ck.Error{RV: ck.CKR_DEVICE_ERROR, Op: "C_GetAttributeValue", Err: err}
	}
	if len(v) == 0 {
		v = nil
	}
	return ck.Attribute{Type: t, Value: v, Len: ck.ULONG(len(v))}, nil
}

// wireLen is the wire length of a value of n native bytes (docs/protocol.md
// 2.2): CK_ULONG kinds count 8 bytes per CK_ULONG.
func wireLen(t ck.AttributeType, n int) ck.ULONG {
	switch ck.AttributeKind(t) {
	case ck.KindULONG, ck.KindULONGs:
		return ck.ULONG(n / hostLayout.ULONGSize * 8)
	case ck.KindTemplate:
		return ck.ULONG(n / hostLayout.AttributeSize)
	}
	return ck.ULONG(n)
}
