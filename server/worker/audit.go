package worker

import (
	"encoding/binary"

	"github.com/miekg/pkcs11"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// writeAudit appends e to the partition's audit log. A record that cannot
// be written is logged, not answered to the client: the key operation has
// already happened on the backend.
func (s *Server) writeAudit(e audit.Event) {
	if s.audit == nil {
		return
	}
	if err := s.audit.Write(s.user, e); err != nil {
		s.log.Error().Err(err).Str("event", string(e.Type)).Msg("audit record not written")
	}
}

// keyInfo describes object h for the audit log when it is a key, reading
// its class, key type, label and id (never its value); nil otherwise.
func (s *Server) keyInfo(sess *session, h ck.ObjectHandle) *audit.Key {
	get := func(t ck.AttributeType) []byte {
		attrs, err := s.b.ctx.GetAttributeValue(pkcs11.SessionHandle(sess.handle), pkcs11.ObjectHandle(h), []*pkcs11.Attribute{{Type: uint(t)}})
		if err != nil || len(attrs) != 1 {
			return nil
		}
		return attrs[0].Value
	}
	ulong := func(b []byte) (ck.ULONG, bool) {
		switch len(b) {
		case 8:
			return ck.ULONG(binary.NativeEndian.Uint64(b)), true
		case 4:
			return ck.ULONG(binary.NativeEndian.Uint32(b)), true
		}
		return 0, false
	}
	class, ok := ulong(get(ck.CKA_CLASS))
	if !ok {
		return nil
	}
	switch ck.ObjectClass(class) {
	case ck.CKO_SECRET_KEY, ck.CKO_PRIVATE_KEY, ck.CKO_PUBLIC_KEY:
	default:
		return nil
	}
	k := &audit.Key{Handle: uint64(h), Class: ck.ObjectClass(class).String(), Label: string(get(ck.CKA_LABEL)), ID: get(ck.CKA_ID)}
	if kt, ok := ulong(get(ck.CKA_KEY_TYPE)); ok {
		k.KeyType = ck.KeyType(kt).String()
	}
	return k
}

// auditCreated records the keys among objects just created.
func (s *Server) auditCreated(sess *session, handles ...ck.ObjectHandle) {
	if s.audit == nil {
		return
	}
	for _, h := range handles {
		if k := s.keyInfo(sess, h); k != nil {
			s.writeAudit(audit.Event{Type: audit.KeyCreated, Peer: s.peer, Key: k})
		}
	}
}
