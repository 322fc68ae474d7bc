package core

import (
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// opKind names the operations a session can run, one of each at a time.
type opKind int

const (
	opEncrypt opKind = iota
	opDecrypt
	opDigest
	opSign
	opVerify
	opSignRecover
	opVerifyRecover
	opKindCount
)

// operation is an active operation of a session.
type operation struct {
	kind opKind
	mech ck.Mechanism
	key  *object // nil for digests
	// remote is true once the server holds the operation (its init was
	// sent). While false, the init was checked by core and is deferred:
	// the single-part call sends it fused with the operation
	// (docs/protocol.md 5.2), an update sends it first.
	remote bool
	// serverEnded is true once a single-part call or a final computed the
	// whole output for a size query: the server's operation ended then,
	// and core's lives on only until pending is collected.
	serverEnded bool
	// restored marks the kinds after C_SetOperationState: whether the
	// server holds one is its business.
	restored bool
	// pending is an output computed for a size query.
	pending *pendingOutput
}

// endOp ends the operation of kind k. s.mu is held.
func (s *session) endOp(k opKind) { s.ops[k] = nil }

// activeOp returns the operation of kind k, or CKR_OPERATION_NOT_INITIALIZED.
func (s *session) activeOp(fn string, k opKind) (*operation, error) {
	op := s.ops[k]
	if op == nil {
		return nil, rvErr(ck.CKR_OPERATION_NOT_INITIALIZED, fn)
	}
	return op, nil
}

// initRequests are the messages of each kind's init; digests have their
// own (no key).
func initRequest(k opKind, o transport.OperationInit) transport.Request {
	switch k {
	case opEncrypt:
		return &transport.EncryptInitRequest{OperationInit: o}
	case opDecrypt:
		return &transport.DecryptInitRequest{OperationInit: o}
	case opSign:
		return &transport.SignInitRequest{OperationInit: o}
	case opVerify:
		return &transport.VerifyInitRequest{OperationInit: o}
	case opSignRecover:
		return &transport.SignRecoverInitRequest{OperationInit: o}
	case opVerifyRecover:
		return &transport.VerifyRecoverInitRequest{OperationInit: o}
	}
	return &transport.DigestInitRequest{Session: o.Session, Mechanism: o.Mechanism}
}

// initOp is C_xxxInit: it checks what core can (session, an operation
// already active, the mechanism's parameter, the key handle), then either
// defers the init, when core could check all the server would (fuse.go),
// or sends it.
func (l *Library) initOp(fn string, h ck.SessionHandle, k opKind, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.withSession(fn, h, func(s *session) error {
		restored := false
		if op := s.ops[k]; op != nil {
			if !op.restored {
				return rvErr(ck.CKR_OPERATION_ACTIVE, fn)
			}
			restored = true
		}
		if err := checkMechanism(fn, m); err != nil {
			return err
		}
		op := &operation{kind: k, mech: m}
		if k != opDigest {
			o, err := l.object(fn, s, key, ck.CKR_KEY_HANDLE_INVALID)
			if err != nil {
				return err
			}
			op.key = o
		}
		if l.log.traces(traceInputs) {
			ev := l.log.at(sevDebug, fn).Uint64("session", uint64(h)).Str("mechanism", m.Type.String())
			if m.Param != nil {
				ev = ev.Str("param", m.Param.ParamKind().String())
			}
			if op.key != nil {
				ev = ev.Uint64("key", uint64(key))
			}
			ev.Msg("in")
		}
		deferred, err := l.canDefer(fn, s, op)
		if err != nil {
			return err
		}
		// After C_SetOperationState the server may hold an operation of
		// this kind that core cannot see: its CKR_OPERATION_ACTIVE belongs
		// to this init.
		deferred = deferred && !restored
		if deferred {
			s.ops[k] = op
			return nil
		}
		if err := l.sendInit(fn, s, op); err != nil {
			return err
		}
		s.ops[k] = op
		return nil
	})
}

// checkMechanism refuses locally what could not cross the wire.
func checkMechanism(fn string, m ck.Mechanism) error {
	if !carried(m.Type) {
		return errf(ck.CKR_MECHANISM_INVALID, fn, "%s has a parameter the protocol cannot carry", m.Type)
	}
	if err := m.Validate(); err != nil {
		return &ck.Error{RV: ck.RVOf(err), Op: fn, Err: err}
	}
	return nil
}

// sendInit sends op's init to the server and marks it remote. A key
// handle the server does not know is CKR_KEY_HANDLE_INVALID, as the
// specification has it for the key of an init.
func (l *Library) sendInit(fn string, s *session, op *operation) error {
	init := transport.OperationInit{Session: s.remote, Mechanism: op.mech}
	if op.key != nil {
		init.Key = op.key.remote
	}
	ctx, cancel := s.epoch.callContext()
	defer cancel()
	_, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn, initRequest(op.kind, init))
	if err != nil {
		return keyHandleError(fn, err)
	}
	op.remote = true
	return nil
}

// keyHandleError makes the server's CKR_OBJECT_HANDLE_INVALID for a key
// argument CKR_KEY_HANDLE_INVALID.
func keyHandleError(fn string, err error) error {
	if ck.RVOf(err) == ck.CKR_OBJECT_HANDLE_INVALID {
		return &ck.Error{RV: ck.CKR_KEY_HANDLE_INVALID, Op: fn, Err: err}
	}
	return err
}

// materialize sends the deferred init of op before a call that cannot be
// fused with it (an update, a context-specific login). When the init
// fails the operation ends, and the error is the init's, answered by the
// call that needed it: like a fused init failing at its first stage, this
// happens only in canDefer's residual cases. An operation whose output the
// server computed already has nothing left to start there.
func (l *Library) materialize(fn string, s *session, op *operation) error {
	if op.remote || op.serverEnded {
		return nil
	}
	if err := l.sendInit(fn, s, op); err != nil {
		s.endOp(op.kind)
		return err
	}
	return nil
}

// sendDeferredInits materialises every deferred operation of s.
func (l *Library) sendDeferredInits(fn string, s *session) error {
	for _, op := range s.ops {
		if op != nil && !op.remote {
			if err := l.materialize(fn, s, op); err != nil {
				return err
			}
		}
	}
	return nil
}

// outputCall runs a function with output of an active operation of kind
// k under the output convention. compute produces the whole output;
// ends says whether handing it over ends the operation (a single-part
// call or a final), as computing it ended the server's. Any error ends
// the operation; a refusal of core's own (the output of a size query
// collected by another call) ends it on the server too.
func (s *session) outputCall(fn string, k opKind, input []byte, ends bool, out Output, compute func(op *operation) ([]byte, error)) ([]byte, uint64, error) {
	op, err := s.activeOp(fn, k)
	if err != nil {
		return nil, 0, err
	}
	var result []byte
	if p := op.pending; p != nil {
		if !p.matches(fn, input) {
			s.abortOp(fn, k)
			return nil, 0, errf(ck.CKR_ARGUMENTS_BAD, fn,
				"the output of the operation was computed by %s with other input; collect it with the same call", p.fn)
		}
		result = p.data
	} else if result, err = compute(op); err != nil {
		s.endOp(k)
		return nil, 0, err
	} else if ends {
		op.serverEnded = true
	}
	data, n, handed, err := deliver(fn, input, result, out, &op.pending)
	if handed && ends {
		s.endOp(k)
	}
	return data, n, err
}
