package worker

import (
	"context"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// getAttributeValue answers a whole template in one round trip
// (docs/protocol.md 5.5; PKCS#11 v2.40 §5.7 C_GetAttributeValue). The
// backend is asked for the whole template first. When that fails with a
// per-attribute error, one call cannot say which attribute had which
// problem, so each attribute is asked alone and gets its own status; rv is
// then the first failing status, as the specification allows any of them.
func (s *Server) getAttributeValue(_ context.Context, _ *transport.Inbound, req *transport.GetAttributeValueRequest) (*transport.GetAttributeValueResponse, error) {
	resp := &transport.GetAttributeValueResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		if err := s.checkObject(req.Object, ck.CKR_OBJECT_HANDLE_INVALID); err != nil {
			return err
		}
		if len(req.Queries) == 0 {
			resp.Results = []transport.AttributeResult{}
			return nil // miekg cannot pass an empty template
		}
		if len(req.Queries) > ck.MaxTemplateLen {
			return ck.Errorf(ck.CKR_ARGUMENTS_BAD, "C_GetAttributeValue", "%d queries exceed %d", len(req.Queries), ck.MaxTemplateLen)
		}
		results, rv, err := s.readAttributes(sess, req.Object, req.Queries)
		if err != nil {
			return err
		}
		resp.Results, resp.RV = results, rv
		return nil
	})
}

// perAttributeRV are the CK_RVs of C_GetAttributeValue that concern some
// attribute of the template rather than the call.
func perAttributeRV(rv ck.RV) bool {
	switch rv {
	case ck.CKR_ATTRIBUTE_SENSITIVE, ck.CKR_ATTRIBUTE_TYPE_INVALID, ck.CKR_BUFFER_TOO_SMALL:
		return true
	}
	return false
}

func (s *Server) readAttributes(sess *session, o ck.ObjectHandle, queries []transport.AttributeQuery) ([]transport.AttributeResult, ck.RV, error) {
	sh, oh := pkcs11.SessionHandle(sess.handle), pkcs11.ObjectHandle(o)
	tmpl := make([]*pkcs11.Attribute, len(queries))
	for i, q := range queries {
		tmpl[i] = &pkcs11.Attribute{Type: uint(q.Type)}
	}
	values, err := s.b.ctx.GetAttributeValue(sh, oh, tmpl)
	results := make([]transport.AttributeResult, len(queries))
	if err == nil {
		if len(values) != len(queries) {
			return nil, 0, ck.Errorf(ck.CKR_DEVICE_ERROR, "C_GetAttributeValue", "the backend answered %d attributes for %d", len(values), len(queries))
		}
		var first ck.RV
		for i, q := range queries {
			results[i] = s.attributeResult(sess, o, q, values[i].Value)
			if first == ck.CKR_OK && results[i].Status != ck.CKR_OK {
				first = results[i].Status
			}
		}
		return results, first, nil
	}
	if rv := rvOf(err); !perAttributeRV(rv) {
		return nil, 0, backendErr("C_GetAttributeValue", err)
	}
	var first ck.RV
	for i, q := range queries {
		one, err := s.b.ctx.GetAttributeValue(sh, oh, tmpl[i:i+1])
		switch {
		case err == nil && len(one) == 1:
			results[i] = s.attributeResult(sess, o, q, one[0].Value)
		case err == nil:
			results[i] = unavailable(q.Type, ck.CKR_DEVICE_ERROR)
		default:
			results[i] = unavailable(q.Type, rvOf(err))
		}
		if first == ck.CKR_OK && results[i].Status != ck.CKR_OK {
			first = results[i].Status
		}
	}
	return results, first, nil
}

func unavailable(t ck.AttributeType, rv ck.RV) transport.AttributeResult {
	return transport.AttributeResult{Status: rv, Attribute: ck.Attribute{Type: t, Query: true, Len: ck.CK_UNAVAILABLE_INFORMATION}}
}

// attributeResult answers one query from the native value the backend
// gave (for a template attribute, the element array, whose values the raw
// call then reads).
func (s *Server) attributeResult(sess *session, o ck.ObjectHandle, q transport.AttributeQuery, native []byte) transport.AttributeResult {
	if q.LengthOnly {
		return transport.AttributeResult{Attribute: ck.Attribute{Type: q.Type, Query: true, Len: wireLen(q.Type, len(native))}}
	}
	if ck.AttributeKind(q.Type) == ck.KindTemplate {
		inner, err := s.b.raw.readTemplate(sess.handle, o, q.Type)
		if err != nil {
			return unavailable(q.Type, ck.RVOf(err))
		}
		return transport.AttributeResult{Attribute: ck.TemplateAttr(q.Type, inner...)}
	}
	a, err := wireValue(q.Type, native)
	if err != nil {
		return unavailable(q.Type, ck.RVOf(err))
	}
	return transport.AttributeResult{Attribute: a}
}
