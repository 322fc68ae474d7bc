package ck

// ULONG is CK_ULONG on the wire: 64 bits, whatever the host's unsigned long.
type ULONG = uint64

// Named CK_ULONG types. Each prints its constant name (see names.go).
type (
	RV                  ULONG // CK_RV, a function's return value
	AttributeType       ULONG // CK_ATTRIBUTE_TYPE, CKA_*
	MechanismType       ULONG // CK_MECHANISM_TYPE, CKM_*
	ObjectClass         ULONG // CK_OBJECT_CLASS, CKO_*
	KeyType             ULONG // CK_KEY_TYPE, CKK_*
	UserType            ULONG // CK_USER_TYPE, CKU_*
	State               ULONG // CK_STATE, CKS_*
	MGFType             ULONG // CK_RSA_PKCS_MGF_TYPE, CKG_*
	KDFType             ULONG // CK_EC_KDF_TYPE, CKD_*
	CertificateType     ULONG // CK_CERTIFICATE_TYPE, CKC_*
	HardwareFeatureType ULONG // CK_HW_FEATURE_TYPE, CKH_*
	SlotID              ULONG // CK_SLOT_ID
	SessionHandle       ULONG // CK_SESSION_HANDLE
	ObjectHandle        ULONG // CK_OBJECT_HANDLE
)

// CK_UNAVAILABLE_INFORMATION is the ulValueLen of an attribute whose value
// cannot be returned. It is all ones in the host's CK_ULONG; on the wire it
// is the 64-bit all-ones value, and HostLayout maps it to the host's.
const CK_UNAVAILABLE_INFORMATION ULONG = ^ULONG(0)

// CK_BBOOL values, as stored in attribute values.
const (
	CK_FALSE byte = 0
	CK_TRUE  byte = 1
)

// Version is CK_VERSION.
type Version struct {
	Major, Minor byte
}

// Info is CK_INFO. Its text fields are Go strings: the C layer blank pads
// them to CK_UTF8CHAR[32] (Padded). It never crosses the wire: the client
// library answers C_GetInfo itself.
type Info struct {
	CryptokiVersion    Version
	ManufacturerID     string
	Flags              ULONG
	LibraryDescription string
	LibraryVersion     Version
}

// SlotInfo is CK_SLOT_INFO. Its text fields are Go strings: the C layer
// blank pads them (SlotDescription to 64 bytes, ManufacturerID to 32). It
// never crosses the wire: slots are the client's (primus.cfg).
type SlotInfo struct {
	SlotDescription string
	ManufacturerID  string
	Flags           ULONG
	HardwareVersion Version
	FirmwareVersion Version
}

// TokenInfo is CK_TOKEN_INFO. The text fields are blank padded, not NUL
// terminated, exactly as PKCS#11 returns them.
type TokenInfo struct {
	Label              [32]byte
	ManufacturerID     [32]byte
	Model              [16]byte
	SerialNumber       [16]byte
	Flags              ULONG
	MaxSessionCount    ULONG
	SessionCount       ULONG
	MaxRwSessionCount  ULONG
	RwSessionCount     ULONG
	MaxPinLen          ULONG
	MinPinLen          ULONG
	TotalPublicMemory  ULONG
	FreePublicMemory   ULONG
	TotalPrivateMemory ULONG
	FreePrivateMemory  ULONG
	HardwareVersion    Version
	FirmwareVersion    Version
	UTCTime            [16]byte
}

// MechanismInfo is CK_MECHANISM_INFO.
type MechanismInfo struct {
	MinKeySize ULONG
	MaxKeySize ULONG
	Flags      ULONG
}

// SessionInfo is CK_SESSION_INFO without the slot ID, which belongs to the
// client (a connection serves one partition; the client knows its slot).
type SessionInfo struct {
	State       State
	Flags       ULONG
	DeviceError ULONG
}

// Padded returns s blank padded (or cut) to n bytes, the form of the text
// fields of CK_TOKEN_INFO and C_InitToken's label.
func Padded(s string, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	copy(b, s)
	return b
}
