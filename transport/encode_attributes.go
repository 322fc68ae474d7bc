package transport

import "github.com/cloudp11/cloudp11/transport/ck"

// Smallest encodings, for the count checks of lists: an attribute is a type
// and a form byte followed by at least a 4-byte length or count (the length
// form's 8 bytes are more).
const (
	minAttributeSize = 8 + 1 + 4
	minQuerySize     = 8 + 1
	minResultSize    = 8 + minAttributeSize
)

// template codes a list<attribute> (docs/protocol.md 2.1). The rules of
// ck.CheckTemplate hold for everything decoded and everything encoded:
// forms fit kinds, values have their kind's length, one level of nesting.
func (c *coder) template(field string, v *[]ck.Attribute) {
	c.templateAt(field, v, 1)
}

func (c *coder) templateAt(field string, v *[]ck.Attribute, depth int) {
	if c.decoding || *v != nil {
		list(c, field, v, minAttributeSize, ck.MaxTemplateLen, func(c *coder, a *ck.Attribute) {
			c.attribute(field, a, depth)
		})
		return
	}
	// A nil template encodes as empty; it decodes as an empty, non-nil slice
	// only inside a template attribute, where nil would change the form.
	empty := []ck.Attribute{}
	c.templateAt(field, &empty, depth)
}

func (c *coder) attribute(field string, a *ck.Attribute, depth int) {
	start := c.offset()
	ulong(c, field+".type", &a.Type)
	form := uint8(a.Form())
	c.u8(field+".form", &form)
	if c.err != nil {
		return
	}
	name := field + "[" + a.Type.String() + "]"
	kind := ck.AttributeKind(a.Type)
	switch ck.Form(form) {
	case ck.FormValue:
		c.bytes(name, &a.Value, noLimit)
		if c.err != nil {
			return
		}
		if err := kind.CheckValue(a.Value); err != nil {
			c.failAt(start, name, ck.CKR_ATTRIBUTE_VALUE_INVALID, "%v", err)
			return
		}
		a.Len = ck.ULONG(len(a.Value))
	case ck.FormLength:
		ulong(c, name+".len", &a.Len)
		a.Query = true
	case ck.FormTemplate:
		if kind != ck.KindTemplate {
			c.failAt(start, name, ck.CKR_ATTRIBUTE_VALUE_INVALID, "a nested template for an attribute of kind %s", kind)
			return
		}
		if depth >= ck.MaxTemplateDepth {
			c.failAt(start, name, ck.CKR_TEMPLATE_INCONSISTENT, "templates nest at most %d levels", ck.MaxTemplateDepth)
			return
		}
		c.templateAt(name, &a.Template, depth+1)
		if a.Template == nil {
			a.Template = []ck.Attribute{}
		}
	default:
		c.failAt(start, field+".form", 0, "unknown attribute form %d", form)
	}
}

// AttributeQuery is one entry of C_GetAttributeValue's template: the type,
// and whether only the length is wanted (pValue NULL).
type AttributeQuery struct {
	Type       ck.AttributeType
	LengthOnly bool
}

func (c *coder) queries(field string, v *[]AttributeQuery) {
	list(c, field, v, minQuerySize, ck.MaxTemplateLen, func(c *coder, q *AttributeQuery) {
		ulong(c, field+".type", &q.Type)
		c.boolean(field+".length_only", &q.LengthOnly)
	})
}

// AttributeResult answers one AttributeQuery: Status is CKR_OK,
// CKR_ATTRIBUTE_SENSITIVE or CKR_ATTRIBUTE_TYPE_INVALID; Attribute holds the
// value (or nested template), or the length in the length form, which is
// CK_UNAVAILABLE_INFORMATION when Status is not CKR_OK.
type AttributeResult struct {
	Status    ck.RV
	Attribute ck.Attribute
}

func (c *coder) results(field string, v *[]AttributeResult) {
	list(c, field, v, minResultSize, ck.MaxTemplateLen, func(c *coder, r *AttributeResult) {
		ulong(c, field+".status", &r.Status)
		c.attribute(field, &r.Attribute, 1)
	})
}
