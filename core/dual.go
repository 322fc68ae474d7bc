package core

import (
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// dualCall runs a dual-function update (§5.13): both operations must be
// active; the output belongs to outKind's operation, which keeps the
// output of a size query; an error ends both.
func (l *Library) dualCall(fn string, h ck.SessionHandle, outKind, other opKind, data []byte, out Output,
	request func(transport.DataPart) transport.Request) (res []byte, n uint64, err error) {
	err = l.withSession(fn, h, func(s *session) error {
		otherOp, err := s.activeOp(fn, other)
		if err != nil {
			return err
		}
		outOp, err := s.activeOp(fn, outKind)
		if err != nil {
			return err
		}
		if p := outOp.pending; p != nil && !p.matches(fn, data) {
			// outputCall refuses the call without the server, which
			// holds both operations still: end the other one there too.
			s.abortOp(fn, other)
		}
		res, n, err = s.outputCall(fn, outKind, data, false, out, func(op *operation) ([]byte, error) {
			if err := l.materialize(fn, s, otherOp); err != nil {
				return nil, err
			}
			if err := l.materialize(fn, s, op); err != nil {
				return nil, err
			}
			ctx, cancel := s.epoch.callContext()
			defer cancel()
			resp, err := invoke[*transport.OutputResponse](ctx, s.epoch, fn, request(transport.DataPart{Session: s.remote, Data: data}))
			if err != nil {
				return nil, err
			}
			return resp.Out.Data, nil
		})
		if err != nil && ck.RVOf(err) != ck.CKR_BUFFER_TOO_SMALL {
			s.endOp(other)
			s.endOp(outKind)
		}
		return err
	})
	return res, n, err
}

// DigestEncryptUpdate is C_DigestEncryptUpdate (§5.13).
func (l *Library) DigestEncryptUpdate(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.dualCall("C_DigestEncryptUpdate", h, opEncrypt, opDigest, data, out, func(p transport.DataPart) transport.Request {
		return &transport.DigestEncryptUpdateRequest{DataPart: p}
	})
}

// DecryptDigestUpdate is C_DecryptDigestUpdate (§5.13).
func (l *Library) DecryptDigestUpdate(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.dualCall("C_DecryptDigestUpdate", h, opDecrypt, opDigest, data, out, func(p transport.DataPart) transport.Request {
		return &transport.DecryptDigestUpdateRequest{DataPart: p}
	})
}

// SignEncryptUpdate is C_SignEncryptUpdate (§5.13).
func (l *Library) SignEncryptUpdate(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.dualCall("C_SignEncryptUpdate", h, opEncrypt, opSign, data, out, func(p transport.DataPart) transport.Request {
		return &transport.SignEncryptUpdateRequest{DataPart: p}
	})
}

// DecryptVerifyUpdate is C_DecryptVerifyUpdate (§5.13).
func (l *Library) DecryptVerifyUpdate(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.dualCall("C_DecryptVerifyUpdate", h, opDecrypt, opVerify, data, out, func(p transport.DataPart) transport.Request {
		return &transport.DecryptVerifyUpdateRequest{DataPart: p}
	})
}
