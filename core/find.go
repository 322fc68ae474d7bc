package core

import (
	"slices"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// search is a session's active C_FindObjects operation.
//
// With a server that serves fused messages, C_FindObjectsInit checks the
// template and, when every attribute is one every token knows
// (searchFits: a token may refuse others at C_FindObjectsInit), sends
// nothing; the first C_FindObjects sends
// FindObjectsOnce, which runs init, a search for up to fusedFindMax
// objects and final in one round trip. When the server found fewer than
// that, the search is complete: the handles are kept here and every later
// C_FindObjects and C_FindObjectsFinal is answered locally. Otherwise the
// search runs again on the server the classic way (init, then each
// C_FindObjects), so an application sees every object whatever it asks
// for at a time. The objects found are those that matched when the first
// C_FindObjects ran rather than at C_FindObjectsInit; PKCS#11 leaves
// objects created in between unspecified.
type search struct {
	template []ck.Attribute
	remote   bool              // the server holds the search (its init was sent)
	found    []ck.ObjectHandle // the library's handles of a complete fused search, not handed out yet
	complete bool              // found holds the whole result
}

// fusedFindMax is how many objects one FindObjectsOnce asks for: enough
// for the keys and certificates of a partition in the common case, small
// enough for any frame.
const fusedFindMax = 256

// FindObjectsInit is C_FindObjectsInit (§5.7).
func (l *Library) FindObjectsInit(h ck.SessionHandle, t []ck.Attribute) error {
	const fn = "C_FindObjectsInit"
	return l.withSession(fn, h, func(s *session) error {
		if s.find != nil {
			return rvErr(ck.CKR_OPERATION_ACTIVE, fn)
		}
		if err := checkTemplate(fn, t); err != nil {
			return err
		}
		f := &search{template: cloneTemplate(t)}
		if !s.epoch.caps.Has(transport.CapFused) || !searchFits(t) {
			if err := l.sendFindInit(fn, s, f); err != nil {
				return err
			}
		}
		s.find = f
		return nil
	})
}

func (l *Library) sendFindInit(fn string, s *session, f *search) error {
	ctx, cancel := s.epoch.callContext()
	defer cancel()
	if _, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn,
		&transport.FindObjectsInitRequest{Session: s.remote, Template: f.template}); err != nil {
		return err
	}
	f.remote = true
	return nil
}

// FindObjects is C_FindObjects (§5.7): at most max handles, none when the
// search is exhausted.
func (l *Library) FindObjects(h ck.SessionHandle, max int) (out []ck.ObjectHandle, err error) {
	const fn = "C_FindObjects"
	err = l.withSession(fn, h, func(s *session) error {
		f := s.find
		if f == nil {
			return rvErr(ck.CKR_OPERATION_NOT_INITIALIZED, fn)
		}
		if max < 0 {
			return rvErr(ck.CKR_ARGUMENTS_BAD, fn)
		}
		if !f.remote && !f.complete {
			if err := l.findOnce(fn, s, f); err != nil {
				s.find = nil
				return err
			}
		}
		if f.complete {
			n := min(max, len(f.found))
			out = slices.Clone(f.found[:n])
			f.found = f.found[n:]
			return nil
		}
		if max == 0 {
			return nil
		}
		limit := min(max, maxHandlesPerFrame(s.epoch))
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		resp, err := invoke[*transport.FindObjectsResponse](ctx, s.epoch, fn,
			&transport.FindObjectsRequest{Session: s.remote, Max: uint32(limit)})
		if err != nil {
			return err
		}
		if len(resp.Objects) > limit {
			return errf(ck.CKR_DEVICE_ERROR, fn, "the server answered %d objects for at most %d", len(resp.Objects), limit)
		}
		out = l.internAll(s, resp.Objects)
		return nil
	})
	return out, err
}

// findOnce runs the fused search; when it is not complete it starts the
// search again on the server.
func (l *Library) findOnce(fn string, s *session, f *search) error {
	want := min(fusedFindMax, maxHandlesPerFrame(s.epoch))
	ctx, cancel := s.epoch.callContext()
	defer cancel()
	resp, err := invoke[*transport.FindObjectsOnceResponse](ctx, s.epoch, fn,
		&transport.FindObjectsOnceRequest{Session: s.remote, Template: f.template, Max: uint32(want)})
	if err != nil {
		return err
	}
	if len(resp.Objects) > want {
		return errf(ck.CKR_DEVICE_ERROR, fn, "the server answered %d objects for at most %d", len(resp.Objects), want)
	}
	if resp.Complete {
		f.found = l.internAll(s, resp.Objects)
		f.complete = true
		return nil
	}
	return l.sendFindInit(fn, s, f)
}

// maxHandlesPerFrame bounds one C_FindObjects answer to what the frame
// carries (8 bytes a handle, some room for the rest).
func maxHandlesPerFrame(e *epoch) int {
	frame := int(e.maxFrame)
	if frame < transport.MinMaxFrame {
		frame = transport.MinMaxFrame
	}
	return (frame - 64) / 8
}

func (l *Library) internAll(s *session, remote []ck.ObjectHandle) []ck.ObjectHandle {
	out := make([]ck.ObjectHandle, len(remote))
	for i, r := range remote {
		out[i] = l.objects.intern(s.epoch, r, 0).handle
	}
	return out
}

// FindObjectsFinal is C_FindObjectsFinal (§5.7).
func (l *Library) FindObjectsFinal(h ck.SessionHandle) error {
	const fn = "C_FindObjectsFinal"
	return l.withSession(fn, h, func(s *session) error {
		f := s.find
		if f == nil {
			return rvErr(ck.CKR_OPERATION_NOT_INITIALIZED, fn)
		}
		s.find = nil
		if !f.remote {
			return nil
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		_, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn, &transport.FindObjectsFinalRequest{Session: s.remote})
		return err
	})
}

// cloneTemplate deep-copies a template: the caller's slices may be reused
// after the call returns.
func cloneTemplate(t []ck.Attribute) []ck.Attribute {
	out := make([]ck.Attribute, len(t))
	for i, a := range t {
		out[i] = ck.Attribute{Type: a.Type, Value: slices.Clone(a.Value), Len: a.Len, Query: a.Query}
		if a.Template != nil {
			out[i].Template = cloneTemplate(a.Template)
		}
	}
	return out
}
