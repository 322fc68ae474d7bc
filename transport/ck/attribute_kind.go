package ck

import "strconv"

// Kind is the shape of an attribute's value, which fixes its wire
// representation (docs/protocol.md 2.2).
type Kind uint8

// Attribute kinds.
const (
	KindBytes    Kind = iota // a byte string, carried as is
	KindULONG                // one CK_ULONG: 8 bytes big-endian on the wire
	KindBool                 // CK_BBOOL: one byte, 0 or 1
	KindDate                 // CK_DATE: 8 ASCII digits, or empty
	KindULONGs               // an array of CK_ULONG (CK_MECHANISM_TYPE): 8 bytes each, big-endian
	KindTemplate             // an array of CK_ATTRIBUTE: a nested template
)

var kindNames = [...]string{"bytes", "ulong", "bool", "date", "ulongs", "template"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// attributeKinds lists every attribute whose value is not a plain byte
// string, from the attribute tables of PKCS#11 v2.40 §4 and 3.0 §4.
var attributeKinds = map[AttributeType]Kind{
	CKA_CLASS:                     KindULONG,
	CKA_CERTIFICATE_TYPE:          KindULONG,
	CKA_CERTIFICATE_CATEGORY:      KindULONG,
	CKA_JAVA_MIDP_SECURITY_DOMAIN: KindULONG,
	CKA_NAME_HASH_ALGORITHM:       KindULONG,
	CKA_KEY_TYPE:                  KindULONG,
	CKA_MODULUS_BITS:              KindULONG,
	CKA_PRIME_BITS:                KindULONG,
	CKA_SUBPRIME_BITS:             KindULONG,
	CKA_VALUE_BITS:                KindULONG,
	CKA_VALUE_LEN:                 KindULONG,
	CKA_KEY_GEN_MECHANISM:         KindULONG,
	CKA_AUTH_PIN_FLAGS:            KindULONG,
	CKA_OTP_FORMAT:                KindULONG,
	CKA_OTP_LENGTH:                KindULONG,
	CKA_OTP_TIME_INTERVAL:         KindULONG,
	CKA_OTP_CHALLENGE_REQUIREMENT: KindULONG,
	CKA_OTP_TIME_REQUIREMENT:      KindULONG,
	CKA_OTP_COUNTER_REQUIREMENT:   KindULONG,
	CKA_OTP_PIN_REQUIREMENT:       KindULONG,
	CKA_HW_FEATURE_TYPE:           KindULONG,
	CKA_PIXEL_X:                   KindULONG,
	CKA_PIXEL_Y:                   KindULONG,
	CKA_RESOLUTION:                KindULONG,
	CKA_CHAR_ROWS:                 KindULONG,
	CKA_CHAR_COLUMNS:              KindULONG,
	CKA_BITS_PER_PIXEL:            KindULONG,
	CKA_MECHANISM_TYPE:            KindULONG,
	CKA_PROFILE_ID:                KindULONG,

	CKA_TOKEN:                  KindBool,
	CKA_PRIVATE:                KindBool,
	CKA_TRUSTED:                KindBool,
	CKA_SENSITIVE:              KindBool,
	CKA_ENCRYPT:                KindBool,
	CKA_DECRYPT:                KindBool,
	CKA_WRAP:                   KindBool,
	CKA_UNWRAP:                 KindBool,
	CKA_SIGN:                   KindBool,
	CKA_SIGN_RECOVER:           KindBool,
	CKA_VERIFY:                 KindBool,
	CKA_VERIFY_RECOVER:         KindBool,
	CKA_DERIVE:                 KindBool,
	CKA_EXTRACTABLE:            KindBool,
	CKA_LOCAL:                  KindBool,
	CKA_NEVER_EXTRACTABLE:      KindBool,
	CKA_ALWAYS_SENSITIVE:       KindBool,
	CKA_MODIFIABLE:             KindBool,
	CKA_COPYABLE:               KindBool,
	CKA_DESTROYABLE:            KindBool,
	CKA_SECONDARY_AUTH:         KindBool,
	CKA_ALWAYS_AUTHENTICATE:    KindBool,
	CKA_WRAP_WITH_TRUSTED:      KindBool,
	CKA_OTP_USER_FRIENDLY_MODE: KindBool,
	CKA_RESET_ON_INIT:          KindBool,
	CKA_HAS_RESET:              KindBool,
	CKA_COLOR:                  KindBool,

	CKA_START_DATE: KindDate,
	CKA_END_DATE:   KindDate,

	CKA_ALLOWED_MECHANISMS: KindULONGs,

	CKA_WRAP_TEMPLATE:   KindTemplate,
	CKA_UNWRAP_TEMPLATE: KindTemplate,
	CKA_DERIVE_TEMPLATE: KindTemplate,
}

// AttributeKind returns the kind of attribute type t. Types absent from the
// table, vendor-defined ones included, are KindBytes.
func AttributeKind(t AttributeType) Kind {
	if k, ok := attributeKinds[t]; ok {
		return k
	}
	return KindBytes
}
