package worker

import (
	"context"
	"runtime"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Objects, docs/protocol.md 5.5 (PKCS#11 v2.40 §5.7).
func (s *Server) registerObjects() {
	handle(s, s.createObject)
	handle(s, s.copyObject)
	handle(s, s.destroyObject)
	handle(s, s.getObjectSize)
	handle(s, s.getAttributeValue)
	handle(s, s.setAttributeValue)
	handle(s, s.findObjectsInit)
	handle(s, s.findObjects)
	handle(s, s.findObjectsFinal)
	handle(s, s.findObjectsOnce)
}

func (s *Server) createObject(_ context.Context, _ *transport.Inbound, req *transport.CreateObjectRequest) (*transport.ObjectResponse, error) {
	resp := &transport.ObjectResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		var pin runtime.Pinner
		defer pin.Unpin()
		tmpl, err := backendTemplate(req.Template, &pin)
		if err != nil {
			return err
		}
		h, err := s.b.ctx.CreateObject(pkcs11.SessionHandle(sess.handle), tmpl)
		if err != nil {
			return backendErr("C_CreateObject", err)
		}
		resp.Object = ck.ObjectHandle(h)
		s.addCreated(sess, resp.Object)
		s.auditCreated(sess, resp.Object)
		return nil
	})
}

func (s *Server) copyObject(_ context.Context, _ *transport.Inbound, req *transport.CopyObjectRequest) (*transport.ObjectResponse, error) {
	resp := &transport.ObjectResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		if err := s.checkObject(req.Object, ck.CKR_OBJECT_HANDLE_INVALID); err != nil {
			return err
		}
		var pin runtime.Pinner
		defer pin.Unpin()
		tmpl, err := backendTemplate(req.Template, &pin)
		if err != nil {
			return err
		}
		h, err := s.b.ctx.CopyObject(pkcs11.SessionHandle(sess.handle), pkcs11.ObjectHandle(req.Object), tmpl)
		if err != nil {
			return backendErr("C_CopyObject", err)
		}
		resp.Object = ck.ObjectHandle(h)
		s.addCreated(sess, resp.Object)
		s.auditCreated(sess, resp.Object)
		return nil
	})
}

func (s *Server) destroyObject(_ context.Context, _ *transport.Inbound, req *transport.DestroyObjectRequest) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		if err := s.checkObject(req.Object, ck.CKR_OBJECT_HANDLE_INVALID); err != nil {
			return err
		}
		var key *audit.Key
		if s.audit != nil {
			key = s.keyInfo(sess, req.Object)
		}
		if err := s.b.ctx.DestroyObject(pkcs11.SessionHandle(sess.handle), pkcs11.ObjectHandle(req.Object)); err != nil {
			return backendErr("C_DestroyObject", err)
		}
		s.dropObject(req.Object)
		if key != nil {
			s.writeAudit(audit.Event{Type: audit.KeyDestroyed, Peer: s.peer, Key: key})
		}
		return nil
	})
}

func (s *Server) getObjectSize(_ context.Context, _ *transport.Inbound, req *transport.GetObjectSizeRequest) (*transport.ObjectSizeResponse, error) {
	resp := &transport.ObjectSizeResponse{}
	return resp, s.withSession(req.Session, func(sess *session) error {
		if err := s.checkObject(req.Object, ck.CKR_OBJECT_HANDLE_INVALID); err != nil {
			return err
		}
		size, err := s.b.ctx.GetObjectSize(pkcs11.SessionHandle(sess.handle), pkcs11.ObjectHandle(req.Object))
		if err != nil {
			return backendErr("C_GetObjectSize", err)
		}
		resp.Size = ck.ULONG(size)
		return nil
	})
}

func (s *Server) setAttributeValue(_ context.Context, _ *transport.Inbound, req *transport.SetAttributeValueRequest) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		if err := s.checkObject(req.Object, ck.CKR_OBJECT_HANDLE_INVALID); err != nil {
			return err
		}
		var pin runtime.Pinner
		defer pin.Unpin()
		tmpl, err := backendTemplate(req.Template, &pin)
		if err != nil {
			return err
		}
		if len(tmpl) == 0 {
			return nil // nothing to set; miekg would pass a NULL template
		}
		return backendErr("C_SetAttributeValue", s.b.ctx.SetAttributeValue(pkcs11.SessionHandle(sess.handle), pkcs11.ObjectHandle(req.Object), tmpl))
	})
}

func (s *Server) findObjectsInit(_ context.Context, _ *transport.Inbound, req *transport.FindObjectsInitRequest) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		return s.findInitLocked(sess, req.Template)
	})
}

func (s *Server) findInitLocked(sess *session, template []ck.Attribute) error {
	var pin runtime.Pinner
	defer pin.Unpin()
	tmpl, err := backendTemplate(template, &pin)
	if err != nil {
		return err
	}
	return backendErr("C_FindObjectsInit", s.b.ctx.FindObjectsInit(pkcs11.SessionHandle(sess.handle), tmpl))
}

// maxFound bounds one FindObjects answer so that it fits the frame; the
// specification lets C_FindObjects return fewer handles than asked.
func maxFound(ctx context.Context, asked uint32) int {
	return min(int(asked), responseRoom(ctx)/8)
}

func (s *Server) findLocked(ctx context.Context, sess *session, max int) ([]ck.ObjectHandle, error) {
	if max <= 0 {
		return nil, nil // miekg would allocate nothing and hand the module a NULL array
	}
	found, _, err := s.b.ctx.FindObjects(pkcs11.SessionHandle(sess.handle), max)
	if err != nil {
		return nil, backendErr("C_FindObjects", err)
	}
	if len(found) > max {
		return nil, ck.Errorf(ck.CKR_DEVICE_ERROR, "C_FindObjects", "the backend returned %d handles for at most %d", len(found), max)
	}
	out := make([]ck.ObjectHandle, len(found))
	for i, h := range found {
		out[i] = ck.ObjectHandle(h)
	}
	s.addFound(out)
	return out, nil
}

func (s *Server) findObjects(ctx context.Context, _ *transport.Inbound, req *transport.FindObjectsRequest) (*transport.FindObjectsResponse, error) {
	resp := &transport.FindObjectsResponse{}
	return resp, s.withSession(req.Session, func(sess *session) (err error) {
		resp.Objects, err = s.findLocked(ctx, sess, maxFound(ctx, req.Max))
		return err
	})
}

func (s *Server) findObjectsFinal(_ context.Context, _ *transport.Inbound, req *transport.FindObjectsFinalRequest) (*transport.StatusResponse, error) {
	return &transport.StatusResponse{}, s.withSession(req.Session, func(sess *session) error {
		return backendErr("C_FindObjectsFinal", s.b.ctx.FindObjectsFinal(pkcs11.SessionHandle(sess.handle)))
	})
}

// findObjectsOnce is FindObjectsInit + FindObjects + FindObjectsFinal. The
// search is ended even when FindObjects failed, as the client will not
// send a Final for it.
func (s *Server) findObjectsOnce(ctx context.Context, _ *transport.Inbound, req *transport.FindObjectsOnceRequest) (*transport.FindObjectsOnceResponse, error) {
	resp := &transport.FindObjectsOnceResponse{}
	err := s.withSession(req.Session, func(sess *session) error {
		if err := s.findInitLocked(sess, req.Template); err != nil {
			resp.RV, resp.Stage = ck.RVOf(err), transport.StageInit
			return nil
		}
		max := maxFound(ctx, req.Max)
		found, err := s.findLocked(ctx, sess, max)
		ferr := s.b.ctx.FindObjectsFinal(pkcs11.SessionHandle(sess.handle))
		switch {
		case err != nil:
			resp.RV, resp.Stage = ck.RVOf(err), transport.StageOperation
		case ferr != nil:
			resp.RV, resp.Stage = rvOf(ferr), transport.StageFinal
		default:
			resp.Stage = transport.StageFinal
			resp.Objects = found
			resp.Complete = len(found) < max
		}
		return nil
	})
	if err != nil {
		// The session was refused before the init: the init's error.
		return &transport.FindObjectsOnceResponse{RV: ck.RVOf(err), Stage: transport.StageInit}, nil
	}
	return resp, nil
}
