package core

import (
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// This file holds what encryption, decryption, digests and signatures
// share: the single-part call (fused with a deferred init), updates split
// to fit the frame, and finals.

// chunkLimit is the most data one update message carries: the frame less
// room for the header fields.
func chunkLimit(e *epoch) int {
	frame := int(e.maxFrame)
	if frame < transport.MinMaxFrame {
		frame = transport.MinMaxFrame
	}
	return frame - 256
}

// chunks splits data into pieces of at most limit bytes; empty data is
// one empty piece, so an empty update still reaches the server.
func chunks(data []byte, limit int) [][]byte {
	if len(data) <= limit {
		return [][]byte{data}
	}
	var out [][]byte
	for len(data) > 0 {
		n := min(limit, len(data))
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// onceRequest is the fused message of a deferred init and its
// single-part call.
func onceRequest(s *session, op *operation, data []byte) transport.Request {
	once := transport.OnceRequest{Session: s.remote, Mechanism: op.mech, Data: data}
	if op.key != nil {
		once.Key = op.key.remote
	}
	switch op.kind {
	case opEncrypt:
		return &transport.EncryptOnceRequest{OnceRequest: once}
	case opDecrypt:
		return &transport.DecryptOnceRequest{OnceRequest: once}
	case opSign:
		return &transport.SignOnceRequest{OnceRequest: once}
	}
	return &transport.DigestOnceRequest{Session: s.remote, Mechanism: op.mech, Data: data}
}

// singleRequest is the plain single-part call of an operation.
func singleRequest(s *session, k opKind, data []byte) transport.Request {
	part := transport.DataPart{Session: s.remote, Data: data}
	switch k {
	case opEncrypt:
		return &transport.EncryptRequest{DataPart: part}
	case opDecrypt:
		return &transport.DecryptRequest{DataPart: part}
	case opSign:
		return &transport.SignRequest{DataPart: part}
	case opDigest:
		return &transport.DigestRequest{DataPart: part}
	case opSignRecover:
		return &transport.SignRecoverRequest{DataPart: part}
	}
	return &transport.VerifyRecoverRequest{Session: s.remote, Signature: data}
}

// updateRequest is an update with output (encryption, decryption) or
// without (digest, signature, verification).
func updateRequest(s *session, k opKind, data []byte) transport.Request {
	switch k {
	case opEncrypt:
		return &transport.EncryptUpdateRequest{DataPart: transport.DataPart{Session: s.remote, Data: data}}
	case opDecrypt:
		return &transport.DecryptUpdateRequest{DataPart: transport.DataPart{Session: s.remote, Data: data}}
	case opDigest:
		return &transport.DigestUpdateRequest{DataInput: transport.DataInput{Session: s.remote, Data: data}}
	case opSign:
		return &transport.SignUpdateRequest{DataInput: transport.DataInput{Session: s.remote, Data: data}}
	}
	return &transport.VerifyUpdateRequest{DataInput: transport.DataInput{Session: s.remote, Data: data}}
}

func finalRequest(s *session, k opKind) transport.Request {
	final := transport.FinalPart{Session: s.remote}
	switch k {
	case opEncrypt:
		return &transport.EncryptFinalRequest{FinalPart: final}
	case opDecrypt:
		return &transport.DecryptFinalRequest{FinalPart: final}
	case opDigest:
		return &transport.DigestFinalRequest{FinalPart: final}
	}
	return &transport.SignFinalRequest{FinalPart: final}
}

// single computes the whole output of a single-part call: fused with the
// init when it was deferred, as updates and a final when the data does
// not fit one frame (signatures and digests, for which the specification
// makes the two equivalent), else the plain call.
func (l *Library) single(fn string, s *session, op *operation, data []byte) ([]byte, error) {
	e := s.epoch
	if len(data) > chunkLimit(e) && (op.kind == opSign || op.kind == opDigest) {
		if err := l.update(fn, s, op, data); err != nil {
			return nil, err
		}
		return l.final(fn, s, op)
	}
	ctx, cancel := e.callContext()
	defer cancel()
	if !op.remote {
		resp, err := invoke[*transport.FusedOutputResponse](ctx, e, fn, onceRequest(s, op, data))
		if err != nil {
			if resp != nil && resp.Stage == transport.StageInit {
				return nil, l.fusedInitFailed(fn, s, op, err)
			}
			return nil, err
		}
		return resp.Out.Data, nil
	}
	resp, err := invoke[*transport.OutputResponse](ctx, e, fn, singleRequest(s, op.kind, data))
	if err != nil {
		return nil, err
	}
	return resp.Out.Data, nil
}

// update sends data as one or more updates, after the deferred init;
// the outputs (encryption, decryption) are concatenated.
func (l *Library) update(fn string, s *session, op *operation, data []byte) error {
	_, err := l.updateOutput(fn, s, op, data)
	return err
}

func (l *Library) updateOutput(fn string, s *session, op *operation, data []byte) ([]byte, error) {
	if err := l.materialize(fn, s, op); err != nil {
		return nil, err
	}
	var out []byte
	for _, part := range chunks(data, chunkLimit(s.epoch)) {
		ctx, cancel := s.epoch.callContext()
		req := updateRequest(s, op.kind, part)
		var err error
		switch op.kind {
		case opEncrypt, opDecrypt:
			var resp *transport.OutputResponse
			resp, err = invoke[*transport.OutputResponse](ctx, s.epoch, fn, req)
			if err == nil {
				out = append(out, resp.Out.Data...)
			}
		default:
			_, err = invoke[*transport.StatusResponse](ctx, s.epoch, fn, req)
		}
		cancel()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// final computes the whole output of a final, after the deferred init.
func (l *Library) final(fn string, s *session, op *operation) ([]byte, error) {
	if err := l.materialize(fn, s, op); err != nil {
		return nil, err
	}
	ctx, cancel := s.epoch.callContext()
	defer cancel()
	resp, err := invoke[*transport.OutputResponse](ctx, s.epoch, fn, finalRequest(s, op.kind))
	if err != nil {
		return nil, err
	}
	return resp.Out.Data, nil
}

// singleCall is C_Encrypt, C_Decrypt, C_Digest, C_Sign: the output
// convention around single.
func (l *Library) singleCall(fn string, h ck.SessionHandle, k opKind, data []byte, out Output) (res []byte, n uint64, err error) {
	err = l.withSession(fn, h, func(s *session) error {
		res, n, err = s.outputCall(fn, k, data, true, out, func(op *operation) ([]byte, error) {
			return l.single(fn, s, op, data)
		})
		return err
	})
	return res, n, err
}

// updateCall is C_EncryptUpdate and C_DecryptUpdate.
func (l *Library) updateCall(fn string, h ck.SessionHandle, k opKind, data []byte, out Output) (res []byte, n uint64, err error) {
	err = l.withSession(fn, h, func(s *session) error {
		res, n, err = s.outputCall(fn, k, data, false, out, func(op *operation) ([]byte, error) {
			return l.updateOutput(fn, s, op, data)
		})
		return err
	})
	return res, n, err
}

// updateNoOutput is C_DigestUpdate, C_SignUpdate and C_VerifyUpdate. An
// error ends the operation.
func (l *Library) updateNoOutput(fn string, h ck.SessionHandle, k opKind, data []byte) error {
	return l.withSession(fn, h, func(s *session) error {
		op, err := s.activeOp(fn, k)
		if err != nil {
			return err
		}
		if op.pending != nil {
			s.abortOp(fn, k)
			return errf(ck.CKR_ARGUMENTS_BAD, fn, "the operation's output computed by %s was not collected", op.pending.fn)
		}
		if err := l.update(fn, s, op, data); err != nil {
			s.endOp(k)
			return err
		}
		return nil
	})
}

// finalCall is C_EncryptFinal, C_DecryptFinal, C_DigestFinal and
// C_SignFinal.
func (l *Library) finalCall(fn string, h ck.SessionHandle, k opKind, out Output) (res []byte, n uint64, err error) {
	err = l.withSession(fn, h, func(s *session) error {
		res, n, err = s.outputCall(fn, k, nil, true, out, func(op *operation) ([]byte, error) {
			return l.final(fn, s, op)
		})
		return err
	})
	return res, n, err
}

// EncryptInit is C_EncryptInit (§5.8).
func (l *Library) EncryptInit(h ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.initOp("C_EncryptInit", h, opEncrypt, m, key)
}

// Encrypt is C_Encrypt (§5.8).
func (l *Library) Encrypt(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.singleCall("C_Encrypt", h, opEncrypt, data, out)
}

// EncryptUpdate is C_EncryptUpdate (§5.8).
func (l *Library) EncryptUpdate(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.updateCall("C_EncryptUpdate", h, opEncrypt, data, out)
}

// EncryptFinal is C_EncryptFinal (§5.8).
func (l *Library) EncryptFinal(h ck.SessionHandle, out Output) ([]byte, uint64, error) {
	return l.finalCall("C_EncryptFinal", h, opEncrypt, out)
}

// DecryptInit is C_DecryptInit (§5.9).
func (l *Library) DecryptInit(h ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.initOp("C_DecryptInit", h, opDecrypt, m, key)
}

// Decrypt is C_Decrypt (§5.9).
func (l *Library) Decrypt(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.singleCall("C_Decrypt", h, opDecrypt, data, out)
}

// DecryptUpdate is C_DecryptUpdate (§5.9).
func (l *Library) DecryptUpdate(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.updateCall("C_DecryptUpdate", h, opDecrypt, data, out)
}

// DecryptFinal is C_DecryptFinal (§5.9).
func (l *Library) DecryptFinal(h ck.SessionHandle, out Output) ([]byte, uint64, error) {
	return l.finalCall("C_DecryptFinal", h, opDecrypt, out)
}

// DigestInit is C_DigestInit (§5.10).
func (l *Library) DigestInit(h ck.SessionHandle, m ck.Mechanism) error {
	return l.initOp("C_DigestInit", h, opDigest, m, 0)
}

// Digest is C_Digest (§5.10).
func (l *Library) Digest(h ck.SessionHandle, data []byte, out Output) ([]byte, uint64, error) {
	return l.singleCall("C_Digest", h, opDigest, data, out)
}

// DigestUpdate is C_DigestUpdate (§5.10).
func (l *Library) DigestUpdate(h ck.SessionHandle, data []byte) error {
	return l.updateNoOutput("C_DigestUpdate", h, opDigest, data)
}

// DigestKey is C_DigestKey (§5.10).
func (l *Library) DigestKey(h ck.SessionHandle, key ck.ObjectHandle) error {
	const fn = "C_DigestKey"
	return l.withSession(fn, h, func(s *session) error {
		op, err := s.activeOp(fn, opDigest)
		if err != nil {
			return err
		}
		o, err := l.object(fn, s, key, ck.CKR_KEY_HANDLE_INVALID)
		if err != nil {
			s.abortOp(fn, opDigest)
			return err
		}
		if err := l.materialize(fn, s, op); err != nil {
			return err
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		if _, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn,
			&transport.DigestKeyRequest{Session: s.remote, Key: o.remote}); err != nil {
			s.endOp(opDigest)
			return keyHandleError(fn, err)
		}
		return nil
	})
}

// DigestFinal is C_DigestFinal (§5.10).
func (l *Library) DigestFinal(h ck.SessionHandle, out Output) ([]byte, uint64, error) {
	return l.finalCall("C_DigestFinal", h, opDigest, out)
}
