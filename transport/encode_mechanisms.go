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
	c.enter(field)
	defer c.leave()
	ulong(c, "type", &m.Type)
	if c.err == nil {
		c.nameMech(m.Type)
	}
	var kind uint8
	if m.Param != nil {
		kind = uint8(m.Param.ParamKind())
	}
	c.u8("kind", &kind)
	if c.err != nil {
		return
	}
	switch ck.ParamKind(kind) {
	case ck.ParamNone:
		m.Param = nil
	case ck.ParamULONG:
		m.Param = codeParam(c, m.Param, func(p *ck.ULONGParam) { ulong(c, "value", p) })
	case ck.ParamIV:
		m.Param = codeParam(c, m.Param, func(p *ck.IVParam) {
			b := []byte(*p)
			c.bytes("iv", &b, ck.MaxIVLen)
			*p = b
		})
	case ck.ParamRSAPSS:
		m.Param = codeParam(c, m.Param, func(p *ck.RSAPSSParams) {
			ulong(c, "hash", &p.Hash)
			ulong(c, "mgf", &p.MGF)
			ulong(c, "salt_len", &p.SaltLen)
		})
	case ck.ParamRSAOAEP:
		m.Param = codeParam(c, m.Param, func(p *ck.RSAOAEPParams) {
			ulong(c, "hash", &p.Hash)
			ulong(c, "mgf", &p.MGF)
			ulong(c, "source", &p.Source)
			c.bytes("source_data", &p.SourceData, noLimit)
		})
	case ck.ParamGCM:
		m.Param = codeParam(c, m.Param, func(p *ck.GCMParams) {
			c.bytes("iv", &p.IV, ck.MaxIVLen)
			ulong(c, "iv_bits", &p.IVBits)
			c.bytes("aad", &p.AAD, noLimit)
			ulong(c, "tag_bits", &p.TagBits)
		})
	case ck.ParamCCM:
		m.Param = codeParam(c, m.Param, func(p *ck.CCMParams) {
			ulong(c, "data_len", &p.DataLen)
			c.bytes("nonce", &p.Nonce, ck.MaxIVLen)
			c.bytes("aad", &p.AAD, noLimit)
			ulong(c, "mac_len", &p.MACLen)
		})
	case ck.ParamCTR:
		m.Param = codeParam(c, m.Param, func(p *ck.CTRParams) {
			ulong(c, "counter_bits", &p.CounterBits)
			c.raw("cb", p.CB[:])
		})
	case ck.ParamECDH1Derive:
		m.Param = codeParam(c, m.Param, func(p *ck.ECDH1DeriveParams) {
			ulong(c, "kdf", &p.KDF)
			c.bytes("shared_data", &p.SharedData, noLimit)
			c.bytes("public_data", &p.PublicData, noLimit)
		})
	case ck.ParamEdDSA:
		m.Param = codeParam(c, m.Param, func(p *ck.EdDSAParams) {
			c.boolean("prehash", &p.PreHash)
			c.bytes("context", &p.Context, ck.MaxEdDSAContextLen)
		})
	case ck.ParamDerivationString:
		m.Param = codeParam(c, m.Param, func(p *ck.DerivationStringParams) {
			b := []byte(*p)
			c.bytes("data", &b, noLimit)
			*p = b
		})
	case ck.ParamAESCBCEncryptData:
		m.Param = codeParam(c, m.Param, func(p *ck.AESCBCEncryptDataParams) {
			c.raw("iv", p.IV[:])
			c.bytes("data", &p.Data, noLimit)
		})
	default:
		c.failAt(start, "kind", ck.CKR_MECHANISM_PARAM_INVALID, "unknown mechanism parameter kind %d", kind)
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
