package transport

import "github.com/cloudp11/cloudp11/transport/ck"

// mechanism codes a mechanism and its parameter (docs/protocol.md 2.3).
// Encoding runs ck.Mechanism.Validate first, so what the wire cannot carry
// fails at the client with CKR_MECHANISM_PARAM_INVALID. Decoding checks
// structure and limits only; whether the kind fits the mechanism is the
// receiver's Validate, which answers with a CK_RV instead of a broken call.
func (c *coder) mechanism(field string, m *ck.Mechanism) {
	if !c.decoding && c.err == nil {
		if err := m.Validate(); err != nil {
			c.err = err
			return
		}
	}
	start := c.offset()
	ulong(c, field+".type", &m.Type)
	var kind uint8
	if m.Param != nil {
		kind = uint8(m.Param.ParamKind())
	}
	c.u8(field+".kind", &kind)
	if c.err != nil {
		return
	}
	name := field + "[" + m.Type.String() + "]"
	switch ck.ParamKind(kind) {
	case ck.ParamNone:
		m.Param = nil
	case ck.ParamULONG:
		m.Param = codeParam(c, m.Param, func(p *ck.ULONGParam) { ulong(c, name+".value", p) })
	case ck.ParamIV:
		m.Param = codeParam(c, m.Param, func(p *ck.IVParam) {
			b := []byte(*p)
			c.bytes(name+".iv", &b, ck.MaxIVLen)
			*p = b
		})
	case ck.ParamRSAPSS:
		m.Param = codeParam(c, m.Param, func(p *ck.RSAPSSParams) {
			ulong(c, name+".hash", &p.Hash)
			ulong(c, name+".mgf", &p.MGF)
			ulong(c, name+".salt_len", &p.SaltLen)
		})
	case ck.ParamRSAOAEP:
		m.Param = codeParam(c, m.Param, func(p *ck.RSAOAEPParams) {
			ulong(c, name+".hash", &p.Hash)
			ulong(c, name+".mgf", &p.MGF)
			ulong(c, name+".source", &p.Source)
			c.bytes(name+".source_data", &p.SourceData, noLimit)
		})
	case ck.ParamGCM:
		m.Param = codeParam(c, m.Param, func(p *ck.GCMParams) {
			c.bytes(name+".iv", &p.IV, ck.MaxIVLen)
			ulong(c, name+".iv_bits", &p.IVBits)
			c.bytes(name+".aad", &p.AAD, noLimit)
			ulong(c, name+".tag_bits", &p.TagBits)
		})
	case ck.ParamCCM:
		m.Param = codeParam(c, m.Param, func(p *ck.CCMParams) {
			ulong(c, name+".data_len", &p.DataLen)
			c.bytes(name+".nonce", &p.Nonce, ck.MaxIVLen)
			c.bytes(name+".aad", &p.AAD, noLimit)
			ulong(c, name+".mac_len", &p.MACLen)
		})
	case ck.ParamCTR:
		m.Param = codeParam(c, m.Param, func(p *ck.CTRParams) {
			ulong(c, name+".counter_bits", &p.CounterBits)
			c.raw(name+".cb", p.CB[:])
		})
	case ck.ParamECDH1Derive:
		m.Param = codeParam(c, m.Param, func(p *ck.ECDH1DeriveParams) {
			ulong(c, name+".kdf", &p.KDF)
			c.bytes(name+".shared_data", &p.SharedData, noLimit)
			c.bytes(name+".public_data", &p.PublicData, noLimit)
		})
	case ck.ParamEdDSA:
		m.Param = codeParam(c, m.Param, func(p *ck.EdDSAParams) {
			c.boolean(name+".prehash", &p.PreHash)
			c.bytes(name+".context", &p.Context, ck.MaxEdDSAContextLen)
		})
	case ck.ParamDerivationString:
		m.Param = codeParam(c, m.Param, func(p *ck.DerivationStringParams) {
			b := []byte(*p)
			c.bytes(name+".data", &b, noLimit)
			*p = b
		})
	case ck.ParamAESCBCEncryptData:
		m.Param = codeParam(c, m.Param, func(p *ck.AESCBCEncryptDataParams) {
			c.raw(name+".iv", p.IV[:])
			c.bytes(name+".data", &p.Data, noLimit)
		})
	default:
		c.failAt(start, field+".kind", ck.CKR_MECHANISM_PARAM_INVALID, "unknown mechanism parameter kind %d", kind)
	}
	if c.decoding && c.err != nil {
		m.Param = nil
	}
}

// codeParam runs body on a copy of the parameter when encoding, on a fresh
// one when decoding, and returns it.
func codeParam[P ck.MechanismParam](c *coder, have ck.MechanismParam, body func(*P)) ck.MechanismParam {
	var p P
	if !c.decoding {
		var ok bool
		// Validate admitted only value types, so this holds; checked anyway
		// because a panic here would take the host application down.
		if p, ok = have.(P); !ok {
			c.failf("param", ck.CKR_MECHANISM_PARAM_INVALID, "parameter of Go type %T", have)
			return nil
		}
	}
	body(&p)
	return p
}
