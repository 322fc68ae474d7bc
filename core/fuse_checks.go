package core

import (
	"math/big"
	"slices"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// The checks a backend's C_xxxInit makes (PKCS#11 v2.40 §5.8-5.12 and the
// mechanism chapters; SoftHSMv2 2.6.1 observed), and who makes them when
// core defers an init (canDefer):
//
//   - session valid, no operation of the kind active: core (its tables);
//   - key handle valid and visible: core's handle table; a private object
//     needs a user login (SoftHSM answers CKR_OBJECT_HANDLE_INVALID after
//     C_Logout), so a private key with no CKU_USER login goes alone;
//   - mechanism supported for the function: C_GetMechanismInfo's CKF_SIGN,
//     CKF_VERIFY, CKF_ENCRYPT, CKF_DECRYPT or CKF_DIGEST, cached per binding;
//   - key class and key type consistent with the mechanism and the function
//     (keyTypesOf, usageOf, classFits);
//   - the usage attribute (CKA_SIGN, CKA_VERIFY, CKA_ENCRYPT, CKA_DECRYPT);
//   - CKA_ALLOWED_MECHANISMS, when the key has a non-empty list (SoftHSM
//     answers CKR_MECHANISM_INVALID for a mechanism outside it);
//   - key size within the mechanism's ulMinKeySize..ulMaxKeySize
//     (keySizeFits: RSA modulus bits, the curve of CKA_EC_PARAMS, AES and
//     generic secret CKA_VALUE_LEN; SoftHSM answers CKR_KEY_SIZE_RANGE at
//     C_SignInit for an HMAC key shorter than the mechanism's minimum);
//   - the mechanism parameter: present when the mechanism needs one, absent
//     when it takes none, and with values every token takes (paramFits);
//   - CKA_ALWAYS_AUTHENTICATE: the operation needs a context-specific login
//     right after the init, so such keys never go fused.
//
// What is left to the backend alone is named in fuse.go (residual cases).

// curve is an elliptic curve core knows by its CKA_EC_PARAMS encoding.
type curve struct {
	name    string
	edwards bool
	// sizes are the curve's size in bits as tokens count it: the field
	// size for Weierstrass curves; for Edwards curves both the field size
	// and the key length in bits (255 and 256 for Ed25519, 448 and 456
	// for Ed448), because tokens use either (SoftHSM lists EdDSA as 256..456).
	sizes []uint64
}

// knownCurves maps the exact DER of CKA_EC_PARAMS (a namedCurve OID, or
// the PrintableString curve name PKCS#11 3.0 allows for CKK_EC_EDWARDS
// keys) to the curve. A curve absent here (brainpool, explicit parameters,
// anything else) makes core send the init alone: it cannot tell whether
// the token uses it for the mechanism.
var knownCurves = map[string]curve{
	"\x06\x05\x2b\x81\x04\x00\x21":             {name: "P-224", sizes: []uint64{224}},
	"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07": {name: "P-256", sizes: []uint64{256}},
	"\x06\x05\x2b\x81\x04\x00\x22":             {name: "P-384", sizes: []uint64{384}},
	"\x06\x05\x2b\x81\x04\x00\x23":             {name: "P-521", sizes: []uint64{521}},
	"\x06\x05\x2b\x81\x04\x00\x0a":             {name: "secp256k1", sizes: []uint64{256}},
	"\x06\x03\x2b\x65\x70":                     {name: "Ed25519", edwards: true, sizes: []uint64{255, 256}},
	"\x06\x03\x2b\x65\x71":                     {name: "Ed448", edwards: true, sizes: []uint64{448, 456}},
	"\x13\x0cedwards25519":                     {name: "Ed25519", edwards: true, sizes: []uint64{255, 256}},
	"\x13\x0aedwards448":                       {name: "Ed448", edwards: true, sizes: []uint64{448, 456}},
}

// curveOf returns the curve of a CKA_EC_PARAMS value, or nil.
func curveOf(params []byte) *curve {
	if c, ok := knownCurves[string(params)]; ok {
		return &c
	}
	return nil
}

// keySizeFits reports whether key a is within the mechanism's key size
// range, in the unit PKCS#11 gives the mechanism's family: bits for RSA
// (the modulus) and elliptic curves (the curve), bytes for AES. For
// generic secret and HMAC keys tokens disagree on the unit (SoftHSM and
// most vendors count bytes, some bits), so the length must fit read
// either way.
// A range of 0..0 means the token does not use it. Anything core cannot
// measure (no modulus, an unknown curve, no CKA_VALUE_LEN, a vendor key
// type) does not fit: the init goes alone.
func keySizeFits(a *keyAttrs, info ck.MechanismInfo) bool {
	lo, hi := uint64(info.MinKeySize), uint64(info.MaxKeySize)
	unused := lo == 0 && hi == 0
	in := func(v uint64) bool { return unused || (lo <= v && v <= hi) }
	switch a.keyType {
	case ck.CKK_RSA:
		if a.modulus == nil {
			return false
		}
		n := new(big.Int).SetBytes(a.modulus)
		if n.Sign() == 0 {
			return false
		}
		bits := uint64(n.BitLen())
		// A token may count the modulus's bytes instead; 2047-bit moduli
		// exist, so both counts must fit.
		return in(bits) && in(8*((bits+7)/8))
	case ck.CKK_EC, ck.CKK_EC_EDWARDS:
		c := a.curve
		if c == nil || c.edwards != (a.keyType == ck.CKK_EC_EDWARDS) {
			return false
		}
		if c.edwards {
			// Both numbers name the one curve: a token that lists a range
			// holding either takes the curve.
			return slices.ContainsFunc(c.sizes, in)
		}
		return in(c.sizes[0])
	case ck.CKK_AES:
		n := a.valueLen
		return (n == 16 || n == 24 || n == 32) && in(n)
	case ck.CKK_GENERIC_SECRET, ck.CKK_SHA_1_HMAC, ck.CKK_SHA224_HMAC, ck.CKK_SHA256_HMAC,
		ck.CKK_SHA384_HMAC, ck.CKK_SHA512_HMAC:
		n := a.valueLen
		return n > 0 && in(n) && in(8*n)
	}
	return false
}

// classFits reports whether a key of class c fits its key type: a secret
// key type is a CKO_SECRET_KEY, the others public or private keys.
func classFits(c ck.ObjectClass, t ck.KeyType) bool {
	switch t {
	case ck.CKK_AES, ck.CKK_GENERIC_SECRET, ck.CKK_SHA_1_HMAC, ck.CKK_SHA224_HMAC, ck.CKK_SHA256_HMAC,
		ck.CKK_SHA384_HMAC, ck.CKK_SHA512_HMAC:
		return c == ck.CKO_SECRET_KEY
	}
	return c == ck.CKO_PUBLIC_KEY || c == ck.CKO_PRIVATE_KEY
}

// allowedFits reports whether the key's CKA_ALLOWED_MECHANISMS lets it be
// used with m. An absent or empty list restricts nothing (SoftHSM answers
// an empty list for keys made without one, and takes every mechanism).
// A list core cannot read restricts in ways it cannot tell.
func allowedFits(a *keyAttrs, m ck.MechanismType) bool {
	return !a.allowedUnreadable && (len(a.allowed) == 0 || slices.Contains(a.allowed, m))
}

// paramRule is what a fusable mechanism takes as its parameter.
type paramRule uint8

const (
	paramNone paramRule = iota // no parameter at all
	paramIV16                  // a 16-byte IV (the AES block)
	paramGCM                   // CK_GCM_PARAMS
	paramCTR                   // CK_AES_CTR_PARAMS
)

// mechanismParamFits reports whether m is a mechanism core may fuse with a
// parameter every token takes at init.
func mechanismParamFits(m ck.Mechanism) bool {
	rule, ok := fusableParams[m.Type]
	return ok && paramFits(rule, m.Param)
}

// paramFits reports whether p is a parameter of the shape rule wants, with
// values every token takes at init. GCM: a 96-bit IV (the length SP 800-38D
// recommends; some tokens take no other, SoftHSM takes any) and a tag of
// 96 to 128 bits in whole bytes; CTR: a counter of 1 to 128 bits. Anything
// else a token may refuse at init (SoftHSM answers CKR_ARGUMENTS_BAD for a
// CBC init without an IV or a 136-bit GCM tag), so it goes alone.
func paramFits(rule paramRule, p ck.MechanismParam) bool {
	switch rule {
	case paramNone:
		return p == nil
	case paramIV16:
		iv, ok := p.(ck.IVParam)
		return ok && len(iv) == 16
	case paramGCM:
		g, ok := p.(ck.GCMParams)
		return ok && len(g.IV) == 12 && (g.IVBits == 0 || g.IVBits == 96) &&
			g.TagBits >= 96 && g.TagBits <= 128 && g.TagBits%8 == 0
	case paramCTR:
		c, ok := p.(ck.CTRParams)
		return ok && c.CounterBits >= 1 && c.CounterBits <= 128
	}
	return false
}

// searchAttributes are the attributes a fused C_FindObjectsInit may hold:
// those of PKCS#11 v2.20 that every token knows. A template with another
// (3.0 attributes, vendor attributes, nested templates) may be refused at
// C_FindObjectsInit with CKR_ATTRIBUTE_TYPE_INVALID, so its init goes
// alone.
var searchAttributes = func() map[ck.AttributeType]bool {
	out := map[ck.AttributeType]bool{}
	for _, t := range []ck.AttributeType{
		ck.CKA_CLASS, ck.CKA_TOKEN, ck.CKA_PRIVATE, ck.CKA_LABEL, ck.CKA_APPLICATION, ck.CKA_VALUE, ck.CKA_OBJECT_ID,
		ck.CKA_CERTIFICATE_TYPE, ck.CKA_ISSUER, ck.CKA_SERIAL_NUMBER, ck.CKA_TRUSTED, ck.CKA_CERTIFICATE_CATEGORY,
		ck.CKA_CHECK_VALUE, ck.CKA_KEY_TYPE, ck.CKA_SUBJECT, ck.CKA_ID, ck.CKA_SENSITIVE, ck.CKA_ENCRYPT,
		ck.CKA_DECRYPT, ck.CKA_WRAP, ck.CKA_UNWRAP, ck.CKA_SIGN, ck.CKA_SIGN_RECOVER, ck.CKA_VERIFY,
		ck.CKA_VERIFY_RECOVER, ck.CKA_DERIVE, ck.CKA_START_DATE, ck.CKA_END_DATE, ck.CKA_MODULUS,
		ck.CKA_MODULUS_BITS, ck.CKA_PUBLIC_EXPONENT, ck.CKA_VALUE_LEN, ck.CKA_EXTRACTABLE, ck.CKA_LOCAL,
		ck.CKA_NEVER_EXTRACTABLE, ck.CKA_ALWAYS_SENSITIVE, ck.CKA_KEY_GEN_MECHANISM, ck.CKA_MODIFIABLE,
		ck.CKA_EC_PARAMS, ck.CKA_EC_POINT, ck.CKA_ALWAYS_AUTHENTICATE, ck.CKA_WRAP_WITH_TRUSTED,
		ck.CKA_HW_FEATURE_TYPE, ck.CKA_URL, ck.CKA_HASH_OF_SUBJECT_PUBLIC_KEY, ck.CKA_HASH_OF_ISSUER_PUBLIC_KEY,
	} {
		out[t] = true
	}
	return out
}()

// searchFits reports whether core may run a search's init fused with its
// first C_FindObjects: every attribute is one every token knows, given as
// a value (checkTemplate made sure values fit their kind).
func searchFits(t []ck.Attribute) bool {
	for _, a := range t {
		if !searchAttributes[a.Type] || a.Form() != ck.FormValue {
			return false
		}
	}
	return true
}
