package ck

import (
	"fmt"
	"strconv"
)

// Mechanism is CK_MECHANISM with a typed parameter. Param is nil for
// mechanisms without one.
type Mechanism struct {
	Type  MechanismType
	Param MechanismParam
}

// MechanismParam is one of the parameter structures that cross the wire
// (docs/protocol.md 2.3). The set is closed: the types below are all there
// is, and a mechanism whose parameter has no type here cannot be sent.
type MechanismParam interface {
	ParamKind() ParamKind
	isMechanismParam()
}

// ParamKind numbers the parameter kinds on the wire.
type ParamKind uint8

// Parameter kinds; the numbers are the wire's and never change.
const (
	ParamNone              ParamKind = 0
	ParamULONG             ParamKind = 1
	ParamIV                ParamKind = 2
	ParamRSAPSS            ParamKind = 3
	ParamRSAOAEP           ParamKind = 4
	ParamGCM               ParamKind = 5
	ParamCCM               ParamKind = 6
	ParamCTR               ParamKind = 7
	ParamECDH1Derive       ParamKind = 8
	ParamEdDSA             ParamKind = 9
	ParamDerivationString  ParamKind = 10
	ParamAESCBCEncryptData ParamKind = 11

	paramKindCount = 12
)

// Limits of parameter fields on the wire; larger ones are refused.
const (
	MaxIVLen           = 256 // IVs, GCM IVs and CCM nonces
	MaxEdDSAContextLen = 255 // RFC 8032 contexts
)

var paramKindNames = [paramKindCount]string{
	"none", "ulong", "iv", "rsa_pss", "rsa_oaep", "gcm", "ccm", "ctr",
	"ecdh1_derive", "eddsa", "derivation_string", "aes_cbc_encrypt_data",
}

func (k ParamKind) String() string {
	if k < paramKindCount {
		return paramKindNames[k]
	}
	return "param_kind(" + strconv.Itoa(int(k)) + ")"
}

// Known reports whether k is a kind of this protocol version.
func (k ParamKind) Known() bool { return k < paramKindCount }

// ULONGParam is a CK_ULONG parameter: CK_MAC_GENERAL_PARAMS (output
// length), CONCATENATE_BASE_AND_KEY's key handle, CK_EXTRACT_PARAMS.
type ULONGParam ULONG

// IVParam is an initialisation vector (CBC, CBC_PAD, CFB, OFB, CTS, and the
// optional IV of AES_KEY_WRAP(_PAD)).
type IVParam []byte

// RSAPSSParams is CK_RSA_PKCS_PSS_PARAMS.
type RSAPSSParams struct {
	Hash    MechanismType
	MGF     MGFType
	SaltLen ULONG
}

// RSAOAEPParams is CK_RSA_PKCS_OAEP_PARAMS. Source is CKZ_DATA_SPECIFIED
// or 0; SourceData is the label.
type RSAOAEPParams struct {
	Hash       MechanismType
	MGF        MGFType
	Source     ULONG
	SourceData []byte
}

// GCMParams is CK_GCM_PARAMS (v2.40: IV, IV bits, AAD, tag bits).
type GCMParams struct {
	IV      []byte
	IVBits  ULONG
	AAD     []byte
	TagBits ULONG
}

// CCMParams is CK_CCM_PARAMS.
type CCMParams struct {
	DataLen ULONG
	Nonce   []byte
	AAD     []byte
	MACLen  ULONG
}

// CTRParams is CK_AES_CTR_PARAMS.
type CTRParams struct {
	CounterBits ULONG
	CB          [16]byte
}

// ECDH1DeriveParams is CK_ECDH1_DERIVE_PARAMS.
type ECDH1DeriveParams struct {
	KDF        KDFType
	SharedData []byte
	PublicData []byte
}

// EdDSAParams is CK_EDDSA_PARAMS (PKCS#11 3.0).
type EdDSAParams struct {
	PreHash bool
	Context []byte
}

// DerivationStringParams is CK_KEY_DERIVATION_STRING_DATA.
type DerivationStringParams []byte

// AESCBCEncryptDataParams is CK_AES_CBC_ENCRYPT_DATA_PARAMS.
type AESCBCEncryptDataParams struct {
	IV   [16]byte
	Data []byte
}

func (ULONGParam) ParamKind() ParamKind              { return ParamULONG }
func (IVParam) ParamKind() ParamKind                 { return ParamIV }
func (RSAPSSParams) ParamKind() ParamKind            { return ParamRSAPSS }
func (RSAOAEPParams) ParamKind() ParamKind           { return ParamRSAOAEP }
func (GCMParams) ParamKind() ParamKind               { return ParamGCM }
func (CCMParams) ParamKind() ParamKind               { return ParamCCM }
func (CTRParams) ParamKind() ParamKind               { return ParamCTR }
func (ECDH1DeriveParams) ParamKind() ParamKind       { return ParamECDH1Derive }
func (EdDSAParams) ParamKind() ParamKind             { return ParamEdDSA }
func (DerivationStringParams) ParamKind() ParamKind  { return ParamDerivationString }
func (AESCBCEncryptDataParams) ParamKind() ParamKind { return ParamAESCBCEncryptData }

func (ULONGParam) isMechanismParam()              {}
func (IVParam) isMechanismParam()                 {}
func (RSAPSSParams) isMechanismParam()            {}
func (RSAOAEPParams) isMechanismParam()           {}
func (GCMParams) isMechanismParam()               {}
func (CCMParams) isMechanismParam()               {}
func (CTRParams) isMechanismParam()               {}
func (ECDH1DeriveParams) isMechanismParam()       {}
func (EdDSAParams) isMechanismParam()             {}
func (DerivationStringParams) isMechanismParam()  {}
func (AESCBCEncryptDataParams) isMechanismParam() {}

// paramKindOf is the kind of p, ParamNone for nil.
func paramKindOf(p MechanismParam) ParamKind {
	if p == nil {
		return ParamNone
	}
	return p.ParamKind()
}

// ParamRule says which parameter kind a mechanism takes and whether it may
// be left out.
type ParamRule struct {
	Kind     ParamKind
	Optional bool
}

// ParamRuleOf returns the parameter rule of m. Mechanisms without a row in
// the table take no parameter: ParamRule{Kind: ParamNone}.
func ParamRuleOf(m MechanismType) ParamRule {
	if r, ok := paramRules[m]; ok {
		return r
	}
	return ParamRule{Kind: ParamNone}
}

// Validate checks that m's parameter is of the kind its mechanism takes and
// within the wire's limits, so that it can cross the wire and the receiver
// accepts it. It fails with CKR_MECHANISM_PARAM_INVALID and says why.
func (m Mechanism) Validate() error {
	op := "mechanism " + m.Type.String()
	if !isParamValue(m.Param) {
		// A pointer to a parameter struct also has the interface's methods
		// (and a nil one would panic in them): only the values cross.
		return Errorf(CKR_MECHANISM_PARAM_INVALID, op, "parameter of Go type %T: pass the value, not a pointer", m.Param)
	}
	rule := ParamRuleOf(m.Type)
	kind := paramKindOf(m.Param)
	switch {
	case kind == rule.Kind:
	case kind == ParamNone && rule.Optional:
	case kind == ParamNone:
		return Errorf(CKR_MECHANISM_PARAM_INVALID, op, "needs a %s parameter", rule.Kind)
	case rule.Kind == ParamNone:
		return Errorf(CKR_MECHANISM_PARAM_INVALID, op, "takes no parameter that can cross the wire, got %s", kind)
	default:
		return Errorf(CKR_MECHANISM_PARAM_INVALID, op, "takes a %s parameter, got %s", rule.Kind, kind)
	}
	if err := checkParamLimits(m.Param); err != nil {
		return &Error{RV: CKR_MECHANISM_PARAM_INVALID, Op: op, Err: err}
	}
	return nil
}

func isParamValue(p MechanismParam) bool {
	switch p.(type) {
	case nil, ULONGParam, IVParam, RSAPSSParams, RSAOAEPParams, GCMParams, CCMParams, CTRParams,
		ECDH1DeriveParams, EdDSAParams, DerivationStringParams, AESCBCEncryptDataParams:
		return true
	}
	return false
}

func checkParamLimits(p MechanismParam) error {
	switch p := p.(type) {
	case IVParam:
		return maxLen("IV", len(p), MaxIVLen)
	case GCMParams:
		return maxLen("GCM IV", len(p.IV), MaxIVLen)
	case CCMParams:
		return maxLen("CCM nonce", len(p.Nonce), MaxIVLen)
	case EdDSAParams:
		return maxLen("EdDSA context", len(p.Context), MaxEdDSAContextLen)
	}
	return nil
}

func maxLen(what string, n, limit int) error {
	if n > limit {
		return fmt.Errorf("%s of %d bytes, at most %d", what, n, limit)
	}
	return nil
}
