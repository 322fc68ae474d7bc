package core

import (
	"slices"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// object returns the object of handle h for session s: it must be a handle
// the library gave out in s's binding. invalid is the CK_RV for a bad
// handle: CKR_OBJECT_HANDLE_INVALID, or CKR_KEY_HANDLE_INVALID where the
// handle is a key argument.
func (l *Library) object(fn string, s *session, h ck.ObjectHandle, invalid ck.RV) (*object, error) {
	o := l.objects.get(h)
	if o == nil || o.epoch != s.epoch {
		return nil, rvErr(invalid, fn)
	}
	return o, nil
}

// ownerOf is the session that owns an object created from template t in
// session s: s when the object is a session object (CKA_TOKEN false or
// absent, its default), none for a token object.
func ownerOf(s *session, t []ck.Attribute) ck.SessionHandle {
	for _, a := range t {
		if a.Type == ck.CKA_TOKEN {
			if token, err := a.Bool(); err == nil && token {
				return 0
			}
			return s.handle
		}
	}
	return s.handle
}

// checkTemplate refuses locally a template the wire cannot carry or that
// holds length-only attributes where values are needed.
func checkTemplate(fn string, t []ck.Attribute) error {
	if err := ck.CheckTemplate(t); err != nil {
		return &ck.Error{RV: ck.RVOf(err), Op: fn, Err: err}
	}
	if err := ck.CheckValues(t); err != nil {
		return &ck.Error{RV: ck.RVOf(err), Op: fn, Err: err}
	}
	return nil
}

// CreateObject is C_CreateObject (§5.7).
func (l *Library) CreateObject(h ck.SessionHandle, t []ck.Attribute) (out ck.ObjectHandle, err error) {
	const fn = "C_CreateObject"
	err = l.withSession(fn, h, func(s *session) error {
		if err := checkTemplate(fn, t); err != nil {
			return err
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		resp, err := invoke[*transport.ObjectResponse](ctx, s.epoch, fn, &transport.CreateObjectRequest{Session: s.remote, Template: t})
		if err != nil {
			return err
		}
		out = l.objects.intern(s.epoch, resp.Object, ownerOf(s, t)).handle
		return nil
	})
	return out, err
}

// CopyObject is C_CopyObject (§5.7). The copy of a session object the
// library saw created is owned by s unless t makes it a token object.
func (l *Library) CopyObject(h ck.SessionHandle, o ck.ObjectHandle, t []ck.Attribute) (out ck.ObjectHandle, err error) {
	const fn = "C_CopyObject"
	err = l.withSession(fn, h, func(s *session) error {
		src, err := l.object(fn, s, o, ck.CKR_OBJECT_HANDLE_INVALID)
		if err != nil {
			return err
		}
		if err := checkTemplate(fn, t); err != nil {
			return err
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		resp, err := invoke[*transport.ObjectResponse](ctx, s.epoch, fn,
			&transport.CopyObjectRequest{Session: s.remote, Object: src.remote, Template: t})
		if err != nil {
			return err
		}
		owner := ck.SessionHandle(0)
		if src.owner != 0 {
			owner = ownerOf(s, t)
		} else if slices.ContainsFunc(t, func(a ck.Attribute) bool { return a.Type == ck.CKA_TOKEN }) {
			owner = ownerOf(s, t)
		}
		out = l.objects.intern(s.epoch, resp.Object, owner).handle
		return nil
	})
	return out, err
}

// DestroyObject is C_DestroyObject (§5.7). The handle is forgotten when
// the server destroyed the object or no longer knew it.
// Inits deferred with the object as their key are sent first
// (fuse_hold.go): the backend then holds those operations, as it would if
// they had not been deferred.
func (l *Library) DestroyObject(h ck.SessionHandle, o ck.ObjectHandle) error {
	const fn = "C_DestroyObject"
	defer l.holdFusing(fn, h, usesKey(l.objects.get(o)))()
	return l.withSession(fn, h, func(s *session) error {
		obj, err := l.object(fn, s, o, ck.CKR_OBJECT_HANDLE_INVALID)
		if err != nil {
			return err
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		_, err = invoke[*transport.StatusResponse](ctx, s.epoch, fn, &transport.DestroyObjectRequest{Session: s.remote, Object: obj.remote})
		switch ck.RVOf(err) {
		case ck.CKR_OK, ck.CKR_OBJECT_HANDLE_INVALID:
			l.objects.remove(obj)
		}
		return err
	})
}

// ObjectSize is C_GetObjectSize (§5.7).
func (l *Library) ObjectSize(h ck.SessionHandle, o ck.ObjectHandle) (size uint64, err error) {
	const fn = "C_GetObjectSize"
	err = l.withSession(fn, h, func(s *session) error {
		obj, err := l.object(fn, s, o, ck.CKR_OBJECT_HANDLE_INVALID)
		if err != nil {
			return err
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		resp, err := invoke[*transport.ObjectSizeResponse](ctx, s.epoch, fn, &transport.GetObjectSizeRequest{Session: s.remote, Object: obj.remote})
		if err != nil {
			return err
		}
		size = resp.Size
		return nil
	})
	return size, err
}

// GetAttributeValue is C_GetAttributeValue (§5.7) in one round trip (one
// per 1024 attributes, the protocol's limit, for longer templates). The
// results answer the queries index by index in wire form; the boundary
// converts them to host layout, checks them against the caller's buffers
// and works out the overall CK_RV by the specification's precedence. When
// the server answered per attribute (CKR_ATTRIBUTE_SENSITIVE,
// CKR_ATTRIBUTE_TYPE_INVALID), the results come with that CK_RV as the
// error; on other errors the results are nil.
func (l *Library) GetAttributeValue(h ck.SessionHandle, o ck.ObjectHandle, q []transport.AttributeQuery) (results []transport.AttributeResult, err error) {
	const fn = "C_GetAttributeValue"
	err = l.withSession(fn, h, func(s *session) error {
		obj, err := l.object(fn, s, o, ck.CKR_OBJECT_HANDLE_INVALID)
		if err != nil {
			return err
		}
		var perAttribute error
		results = make([]transport.AttributeResult, 0, len(q))
		for start := 0; ; start += ck.MaxTemplateLen {
			end := min(start+ck.MaxTemplateLen, len(q))
			got, err := l.getAttributes(fn, s, obj, q[start:end])
			if got == nil {
				results = nil
				return err
			}
			if err != nil && perAttribute == nil {
				perAttribute = err
			}
			results = append(results, got...)
			if end == len(q) {
				break
			}
		}
		return perAttribute
	})
	return results, err
}

// getAttributes asks for at most ck.MaxTemplateLen attributes.
func (l *Library) getAttributes(fn string, s *session, obj *object, q []transport.AttributeQuery) ([]transport.AttributeResult, error) {
	ctx, cancel := s.epoch.callContext()
	defer cancel()
	resp, err := invoke[*transport.GetAttributeValueResponse](ctx, s.epoch, fn,
		&transport.GetAttributeValueRequest{Session: s.remote, Object: obj.remote, Queries: q})
	if resp == nil {
		return nil, err
	}
	if len(resp.Results) != len(q) {
		return nil, errf(ck.CKR_DEVICE_ERROR, fn, "the server answered %d attributes for %d queries", len(resp.Results), len(q))
	}
	switch resp.RV {
	case ck.CKR_OK, ck.CKR_ATTRIBUTE_SENSITIVE, ck.CKR_ATTRIBUTE_TYPE_INVALID:
		return resp.Results, err
	}
	return nil, err
}

// SetAttributeValue is C_SetAttributeValue (§5.7). Inits deferred with
// the object as their key are sent first (fuse_hold.go), and what core
// knows of the object is dropped, so the next init reads it again.
func (l *Library) SetAttributeValue(h ck.SessionHandle, o ck.ObjectHandle, t []ck.Attribute) error {
	const fn = "C_SetAttributeValue"
	defer l.holdFusing(fn, h, usesKey(l.objects.get(o)))()
	return l.withSession(fn, h, func(s *session) error {
		obj, err := l.object(fn, s, o, ck.CKR_OBJECT_HANDLE_INVALID)
		if err != nil {
			return err
		}
		if err := checkTemplate(fn, t); err != nil {
			return err
		}
		s.epoch.forgetAttrs(obj)
		defer s.epoch.forgetAttrs(obj)
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		_, err = invoke[*transport.StatusResponse](ctx, s.epoch, fn,
			&transport.SetAttributeValueRequest{Session: s.remote, Object: obj.remote, Template: t})
		return err
	})
}
