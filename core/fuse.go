package core

import (
	"slices"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// keyAttrs is what core knows of a key to check an init itself: read with
// one C_GetAttributeValue the first time the key is used in an init, kept
// in the object until C_SetAttributeValue changes it through the library.
type keyAttrs struct {
	class              ck.ObjectClass
	keyType            ck.KeyType
	private            bool
	alwaysAuthenticate bool
	usage              map[ck.AttributeType]bool // CKA_SIGN, CKA_VERIFY, CKA_ENCRYPT, CKA_DECRYPT
}

// keyAttrTypes are the attributes keyAttrs is read from.
var keyAttrTypes = []ck.AttributeType{
	ck.CKA_CLASS, ck.CKA_KEY_TYPE, ck.CKA_PRIVATE, ck.CKA_ALWAYS_AUTHENTICATE,
	ck.CKA_SIGN, ck.CKA_VERIFY, ck.CKA_ENCRYPT, ck.CKA_DECRYPT,
}

// usageOf is the usage attribute and the object classes each kind that
// core may fuse needs.
var usageOf = map[opKind]struct {
	attr    ck.AttributeType
	flag    ck.ULONG // CKF_* of the mechanism
	classes []ck.ObjectClass
}{
	opSign:    {ck.CKA_SIGN, ck.CKF_SIGN, []ck.ObjectClass{ck.CKO_PRIVATE_KEY, ck.CKO_SECRET_KEY}},
	opVerify:  {ck.CKA_VERIFY, ck.CKF_VERIFY, []ck.ObjectClass{ck.CKO_PUBLIC_KEY, ck.CKO_SECRET_KEY}},
	opEncrypt: {ck.CKA_ENCRYPT, ck.CKF_ENCRYPT, []ck.ObjectClass{ck.CKO_PUBLIC_KEY, ck.CKO_SECRET_KEY}},
	opDecrypt: {ck.CKA_DECRYPT, ck.CKF_DECRYPT, []ck.ObjectClass{ck.CKO_PRIVATE_KEY, ck.CKO_SECRET_KEY}},
}

// canDefer decides whether op's init can wait for its single-part call
// (docs/protocol.md 5.2): only when the server serves fused messages and
// core has checked everything the specification makes the init answer
// (and a connection to the session's member is up):
// the token has the mechanism for this function, and for keyed kinds the
// key's class, type and usage flag fit, it needs no context-specific login,
// and it is not a private object while the application is logged out.
// Anything core is unsure of, or that would fail, goes to the server as
// a plain init, so errors stay in C_xxxInit.
//
// What core cannot check, and the server then reports at the single-part
// call: a key size outside the mechanism's range, parameters that fit the
// wire but not the key (a PSS hash that differs from the mechanism's), a
// key changed or destroyed by another application since core read it.
//
// One check core makes itself whatever the server: a key whose type the
// mechanism does not take is CKR_KEY_TYPE_INCONSISTENT at init (a key's
// type never changes, so what core read cannot be stale; SoftHSM accepts
// such an init and fails later).
func (l *Library) canDefer(fn string, s *session, op *operation) (bool, error) {
	e := s.epoch
	// Without a live connection, the init goes to the server so that a
	// session lost with its worker is reported by C_xxxInit.
	fused := e.caps.Has(transport.CapFused) && e.liveClient() != nil
	if op.kind == opDigest {
		return fused && digestMechanisms[op.mech.Type] && op.mech.Param == nil && !e.fusingRefused(op) &&
			e.hasMechanism(fn, op.mech.Type, ck.CKF_DIGEST), nil
	}
	types, ok := keyTypesOf[op.mech.Type]
	if !ok {
		return false, nil
	}
	fused = fused && paramChecked(op.mech) && !e.fusingRefused(op)
	attrs := l.keyAttributes(fn, s, op.key)
	if attrs == nil {
		return false, nil
	}
	if !slices.Contains(types, attrs.keyType) {
		return false, errf(ck.CKR_KEY_TYPE_INCONSISTENT, fn, "%s does not take a %s key", op.mech.Type, attrs.keyType)
	}
	use, ok := usageOf[op.kind]
	if !fused || !ok ||
		!slices.Contains(use.classes, attrs.class) ||
		!attrs.usage[use.attr] ||
		attrs.alwaysAuthenticate {
		return false, nil
	}
	if attrs.private {
		if in, _ := e.login(); !in {
			return false, nil
		}
	}
	return e.hasMechanism(fn, op.mech.Type, use.flag), nil
}

// hasMechanism reports whether the token lists m with flag.
func (e *epoch) hasMechanism(fn string, m ck.MechanismType, flag ck.ULONG) bool {
	info, err := e.mechanismInfo(fn, m)
	return err == nil && info.Flags&flag != 0
}

// keyAttributes returns what core knows of key o, reading it the first
// time; nil when the server would not say (a private key while logged
// out, a handle it no longer knows).
func (l *Library) keyAttributes(fn string, s *session, o *object) *keyAttrs {
	if a := o.attrs.Load(); a != nil {
		return a
	}
	q := make([]transport.AttributeQuery, len(keyAttrTypes))
	for i, t := range keyAttrTypes {
		q[i] = transport.AttributeQuery{Type: t}
	}
	ctx, cancel := s.epoch.callContext()
	defer cancel()
	resp, err := invoke[*transport.GetAttributeValueResponse](ctx, s.epoch, fn,
		&transport.GetAttributeValueRequest{Session: s.remote, Object: o.remote, Queries: q})
	if resp == nil || len(resp.Results) != len(q) {
		return nil
	}
	if err != nil && resp.RV != ck.CKR_ATTRIBUTE_TYPE_INVALID && resp.RV != ck.CKR_ATTRIBUTE_SENSITIVE {
		return nil
	}
	a := &keyAttrs{usage: map[ck.AttributeType]bool{}}
	haveClass, haveType := false, false
	for i, r := range resp.Results {
		if r.Status != ck.CKR_OK || r.Attribute.Form() != ck.FormValue {
			continue
		}
		switch t := keyAttrTypes[i]; t {
		case ck.CKA_CLASS:
			v, err := r.Attribute.ULONG()
			a.class, haveClass = ck.ObjectClass(v), err == nil
		case ck.CKA_KEY_TYPE:
			v, err := r.Attribute.ULONG()
			a.keyType, haveType = ck.KeyType(v), err == nil
		case ck.CKA_PRIVATE:
			a.private, _ = r.Attribute.Bool()
		case ck.CKA_ALWAYS_AUTHENTICATE:
			a.alwaysAuthenticate, _ = r.Attribute.Bool()
		default:
			a.usage[t], _ = r.Attribute.Bool()
		}
	}
	if !haveClass || !haveType {
		return nil
	}
	o.attrs.Store(a)
	return a
}

// paramChecked reports whether core can tell that a mechanism's parameter
// is one every token takes at init: none at all, or the common shapes of
// IVs, GCM and CTR. Parameters whose acceptance depends on the token
// (OAEP and PSS hashes: SoftHSM takes OAEP with SHA-1 only; CCM lengths;
// EdDSA contexts; MAC output lengths) are left to a plain init, which is
// where the specification puts their errors.
func paramChecked(m ck.Mechanism) bool {
	switch p := m.Param.(type) {
	case nil:
		return true
	case ck.IVParam:
		return len(p) == 16 // AES block: the only IV mechanisms core fuses are AES's
	case ck.GCMParams:
		return len(p.IV) >= 1 && (p.IVBits == 0 || p.IVBits == ck.ULONG(8*len(p.IV))) &&
			p.TagBits >= 32 && p.TagBits <= 128 && p.TagBits%8 == 0
	case ck.CTRParams:
		return p.CounterBits >= 1 && p.CounterBits <= 128
	}
	return false
}

// fuseKey names a mechanism used with a key, for fusingRefused.
type fuseKey struct {
	mech ck.MechanismType
	key  *object
}

// refuseFusing records that a fused message failed at its init stage
// for this mechanism and key although core's checks passed: the next
// inits of the pair go to the server alone, so the error that had to be
// reported by the single-part call once is reported by C_xxxInit after.
func (e *epoch) refuseFusing(op *operation) {
	e.fuseMu.Lock()
	defer e.fuseMu.Unlock()
	if e.noFuse == nil {
		e.noFuse = make(map[fuseKey]bool)
	}
	if len(e.noFuse) < maxRefusedFusions {
		e.noFuse[fuseKey{op.mech.Type, op.key}] = true
	}
}

func (e *epoch) fusingRefused(op *operation) bool {
	e.fuseMu.Lock()
	defer e.fuseMu.Unlock()
	return e.noFuse[fuseKey{op.mech.Type, op.key}]
}

// maxRefusedFusions bounds what refuseFusing remembers.
const maxRefusedFusions = 4096
