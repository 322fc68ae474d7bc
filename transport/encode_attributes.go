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
	c.enter(field)
	defer c.leave()
	ulong(c, "type", &a.Type)
	if c.err == nil {
		c.nameAttr(a.Type)
	}
	form := uint8(a.Form())
	c.u8("form", &form)
	if c.err != nil {
		return
	}
	kind := ck.AttributeKind(a.Type)
	switch ck.Form(form) {
	case ck.FormValue:
		c.bytes("value", &a.Value, noLimit)
		if c.err != nil {
			return
		}
		if err := kind.CheckValue(a.Value); err != nil {
			c.failAt(start, "", ck.CKR_ATTRIBUTE_VALUE_INVALID, "%v", err)
			return
		}
		a.Len = ck.ULONG(len(a.Value))
	case ck.FormLength:
		ulong(c, "len", &a.Len)
		a.Query = true
	case ck.FormTemplate:
		if kind != ck.KindTemplate {
			c.failAt(start, "", ck.CKR_ATTRIBUTE_VALUE_INVALID, "a nested template for an attribute of kind %s", kind)
			return
		}
		if depth >= ck.MaxTemplateDepth {
			c.failAt(start, "", ck.CKR_TEMPLATE_INCONSISTENT, "templates nest at most %d levels", ck.MaxTemplateDepth)
			return
		}
		c.templateAt("template", &a.Template, depth+1)
		if a.Template == nil {
			a.Template = []ck.Attribute{}
		}
	default:
		c.failAt(start, "form", 0, "unknown attribute form %d", form)
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
		c.enter(field)
		ulong(c, "type", &q.Type)
		if c.err == nil {
			c.nameAttr(q.Type)
		}
		c.boolean("length_only", &q.LengthOnly)
		c.leave()
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
		c.enter(field)
		ulong(c, "status", &r.Status)
		c.attribute("attribute", &r.Attribute, 1)
		c.leave()
	})
}
