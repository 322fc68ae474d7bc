package core

import (
	"slices"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// keyAttrs is what core knows of a key to check an init itself: read with
// one C_GetAttributeValue the first time the key is used in an init, kept
// in the object until C_SetAttributeValue changes it through the library
// or a fused init of the key fails.
type keyAttrs struct {
	class              ck.ObjectClass
	keyType            ck.KeyType
	private            bool                      // true when the token would not say
	alwaysAuthenticate bool                      // true for a private key when the token would not say
	usage              map[ck.AttributeType]bool // CKA_SIGN, CKA_VERIFY, CKA_ENCRYPT, CKA_DECRYPT
	allowed            []ck.MechanismType        // CKA_ALLOWED_MECHANISMS; empty: no restriction
	allowedUnreadable  bool                      // CKA_ALLOWED_MECHANISMS came in a shape core cannot read
	modulus            []byte                    // CKA_MODULUS of an RSA key; nil when unknown
	curve              *curve                    // the curve of CKA_EC_PARAMS; nil when unknown
	valueLen           uint64                    // CKA_VALUE_LEN of a secret key in bytes; 0 when unknown
}

// keyAttrTypes are the attributes keyAttrs is read from. Those a key does
// not have (CKA_MODULUS of an AES key) come back CKR_ATTRIBUTE_TYPE_INVALID
// in the same answer.
var keyAttrTypes = []ck.AttributeType{
	ck.CKA_CLASS, ck.CKA_KEY_TYPE, ck.CKA_PRIVATE, ck.CKA_ALWAYS_AUTHENTICATE,
	ck.CKA_SIGN, ck.CKA_VERIFY, ck.CKA_ENCRYPT, ck.CKA_DECRYPT,
	ck.CKA_ALLOWED_MECHANISMS, ck.CKA_MODULUS, ck.CKA_EC_PARAMS, ck.CKA_VALUE_LEN,
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
// (docs/protocol.md 5.2): only when the server serves fused messages, a
// connection to the session's member is up, no call that changes what
// core checks is in progress (fuse_hold.go), and core has made every
// check the backend's init makes (fuse_checks.go): the token has the
// mechanism for this function; the mechanism's parameter is one every
// token takes; for keyed kinds the key's class, type and usage flag fit,
// its CKA_ALLOWED_MECHANISMS has the mechanism, its size is within the
// mechanism's range, it needs no context-specific login, and it is not a
// private object without a user login. Anything core cannot judge
// (unknown curves, vendor key types and mechanisms, parameters tokens
// judge differently) goes to the server as a plain init, so its errors
// stay in C_xxxInit.
//
// Residual cases: a deferred init can still fail (a fused message's stage
// 1) although every check passed, and its error is then answered by the
// single-part call (or the update or final that sends the init first),
// since C_xxxInit answered CKR_OK already. This happens only when
//
//   - another application (another process, or another slot of this
//     library on the same partition) changed the key's usage attributes or
//     CKA_ALLOWED_MECHANISMS, or destroyed it, after core read them; this
//     library's own C_SetAttributeValue, C_DestroyObject and C_Logout
//     send the deferred inits they affect first (fuse_hold.go);
//   - the backend refuses for a reason PKCS#11 does not let a client see:
//     its own policy (a FIPS mode that refuses caller-supplied GCM IVs for
//     encryption, a key size policy stricter than C_GetMechanismInfo, use
//     counters, vendor attributes, a curve it stores but cannot use);
//   - the backend fails for want of resources (CKR_DEVICE_MEMORY), or the
//     worker lost the session (CKR_SESSION_HANDLE_INVALID): codes the
//     single-part call may answer anyway.
//
// The error is the init's CK_RV (CKR_OBJECT_HANDLE_INVALID as
// CKR_KEY_HANDLE_INVALID), and what core knew of the key is dropped, so
// the next init reads it again; core does not otherwise learn from the
// failure.
//
// One check core makes itself whatever the server: a key whose type the
// mechanism does not take is CKR_KEY_TYPE_INCONSISTENT at init (a key's
// type never changes, so what core read cannot be stale; SoftHSM accepts
// such an init and fails later).
func (l *Library) canDefer(fn string, s *session, op *operation) (bool, error) {
	e := s.epoch
	// Without a live connection, the init goes to the server so that a
	// session lost with its worker is reported by C_xxxInit.
	fused := e.caps.Has(transport.CapFused) && e.liveClient() != nil && e.fuseHold.Load() == 0
	if op.kind == opDigest {
		return fused && digestMechanisms[op.mech.Type] && op.mech.Param == nil &&
			e.hasMechanism(fn, op.mech.Type, ck.CKF_DIGEST), nil
	}
	types, ok := keyTypesOf[op.mech.Type]
	if !ok {
		return false, nil
	}
	use, keyed := usageOf[op.kind]
	fused = fused && keyed && mechanismParamFits(op.mech)
	attrs := l.keyAttributes(fn, s, op.key)
	if attrs == nil {
		return false, nil
	}
	if !slices.Contains(types, attrs.keyType) {
		return false, errf(ck.CKR_KEY_TYPE_INCONSISTENT, fn, "%s does not take a %s key", op.mech.Type, attrs.keyType)
	}
	if !fused ||
		!slices.Contains(use.classes, attrs.class) || !classFits(attrs.class, attrs.keyType) ||
		!attrs.usage[use.attr] ||
		attrs.alwaysAuthenticate ||
		!allowedFits(attrs, op.mech.Type) {
		return false, nil
	}
	if attrs.private {
		// Private objects are the normal user's: neither a logged-out
		// application nor the security officer may use them.
		if in, user := e.login(); !in || user != ck.CKU_USER {
			return false, nil
		}
	}
	info, err := e.mechanismInfo(fn, op.mech.Type)
	return err == nil && info.Flags&use.flag != 0 && keySizeFits(attrs, info), nil
}

// hasMechanism reports whether the token lists m with flag.
func (e *epoch) hasMechanism(fn string, m ck.MechanismType, flag ck.ULONG) bool {
	info, err := e.mechanismInfo(fn, m)
	return err == nil && info.Flags&flag != 0
}

// keyAttributes returns what core knows of key o, reading it the first
// time; nil when the server would not say (a private key while logged
// out, a handle it no longer knows). What is read while a change to a key
// is in progress through the library is used but not kept.
func (l *Library) keyAttributes(fn string, s *session, o *object) *keyAttrs {
	if a := o.attrs.Load(); a != nil {
		return a
	}
	e := s.epoch
	gen := e.attrGeneration()
	q := make([]transport.AttributeQuery, len(keyAttrTypes))
	for i, t := range keyAttrTypes {
		q[i] = transport.AttributeQuery{Type: t}
	}
	ctx, cancel := e.callContext()
	defer cancel()
	resp, err := invoke[*transport.GetAttributeValueResponse](ctx, e, fn,
		&transport.GetAttributeValueRequest{Session: s.remote, Object: o.remote, Queries: q})
	if resp == nil || len(resp.Results) != len(q) {
		return nil
	}
	if err != nil && resp.RV != ck.CKR_ATTRIBUTE_TYPE_INVALID && resp.RV != ck.CKR_ATTRIBUTE_SENSITIVE {
		return nil
	}
	a := parseKeyAttrs(resp.Results)
	if a != nil {
		e.keepAttrs(o, a, gen)
	}
	return a
}

// parseKeyAttrs reads the answer to keyAttrTypes; nil without a class and
// a key type. An attribute the token would not give is taken the way that
// keeps the init alone: private, needing a context-specific login (for a
// private key), no usage, no size.
func parseKeyAttrs(results []transport.AttributeResult) *keyAttrs {
	a := &keyAttrs{usage: map[ck.AttributeType]bool{}, private: true}
	haveClass, haveType, haveAlwaysAuth := false, false, false
	for i, r := range results {
		if i >= len(keyAttrTypes) || r.Status != ck.CKR_OK || r.Attribute.Form() != ck.FormValue {
			continue
		}
		attr := r.Attribute
		switch t := keyAttrTypes[i]; t {
		case ck.CKA_CLASS:
			v, err := attr.ULONG()
			a.class, haveClass = ck.ObjectClass(v), err == nil
		case ck.CKA_KEY_TYPE:
			v, err := attr.ULONG()
			a.keyType, haveType = ck.KeyType(v), err == nil
		case ck.CKA_PRIVATE:
			if v, err := attr.Bool(); err == nil {
				a.private = v
			}
		case ck.CKA_ALWAYS_AUTHENTICATE:
			v, err := attr.Bool()
			a.alwaysAuthenticate, haveAlwaysAuth = v, err == nil
		case ck.CKA_ALLOWED_MECHANISMS:
			vs, err := attr.ULONGs()
			if err != nil {
				a.allowedUnreadable = true
				continue
			}
			for _, v := range vs {
				a.allowed = append(a.allowed, ck.MechanismType(v))
			}
		case ck.CKA_MODULUS:
			a.modulus = attr.Value
		case ck.CKA_EC_PARAMS:
			a.curve = curveOf(attr.Value)
		case ck.CKA_VALUE_LEN:
			if v, err := attr.ULONG(); err == nil {
				a.valueLen = uint64(v)
			}
		default:
			a.usage[t], _ = attr.Bool()
		}
	}
	if !haveClass || !haveType {
		return nil
	}
	if !haveAlwaysAuth && a.class == ck.CKO_PRIVATE_KEY {
		a.alwaysAuthenticate = true
	}
	return a
}

// fusedInitFailed is a fused message whose init failed although core's
// checks passed: one of canDefer's residual cases. What core knew of the
// key is dropped, so the next init reads it again; the error, the init's,
// is the single-part call's to report.
func (l *Library) fusedInitFailed(fn string, s *session, op *operation, err error) error {
	if op.key != nil {
		s.epoch.forgetAttrs(op.key)
	}
	l.log.at(sevNotice, fn).Uint64("session", uint64(s.handle)).Str("mechanism", op.mech.Type.String()).
		Str("rv", ck.RVOf(err).String()).Msg("the backend refused an init core had checked; the single-part call reports it")
	return keyHandleError(fn, err)
}

// attrGeneration returns the count of changes to keys made through the
// library; keepAttrs keeps attributes read since only if it is unchanged.
func (e *epoch) attrGeneration() uint64 {
	e.attrMu.Lock()
	defer e.attrMu.Unlock()
	return e.attrGen
}

// keepAttrs stores a as what core knows of o, unless a change to a key
// began or ended since gen was read, or one is in progress: a could then
// hold the values from before it.
func (e *epoch) keepAttrs(o *object, a *keyAttrs, gen uint64) {
	e.attrMu.Lock()
	defer e.attrMu.Unlock()
	if e.attrGen == gen && e.fuseHold.Load() == 0 {
		o.attrs.Store(a)
	}
}

// forgetAttrs drops what core knows of o, so the next init reads it
// again, and makes reads in flight not kept.
func (e *epoch) forgetAttrs(o *object) {
	e.attrMu.Lock()
	defer e.attrMu.Unlock()
	e.attrGen++
	o.attrs.Store(nil)
}
