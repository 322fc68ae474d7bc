package transport

import "github.com/cloudp11/cloudp11/transport/ck"

// Keys and random numbers (docs/protocol.md 5.9).

type GenerateKeyRequest struct {
	Session   ck.SessionHandle
	Mechanism ck.Mechanism
	Template  []ck.Attribute
}

type GenerateKeyPairRequest struct {
	Session         ck.SessionHandle
	Mechanism       ck.Mechanism
	PublicTemplate  []ck.Attribute
	PrivateTemplate []ck.Attribute
}

type KeyPairResponse struct {
	RV         ck.RV
	PublicKey  ck.ObjectHandle
	PrivateKey ck.ObjectHandle
}

type WrapKeyRequest struct {
	Session     ck.SessionHandle
	Mechanism   ck.Mechanism
	WrappingKey ck.ObjectHandle
	Key         ck.ObjectHandle
	LengthOnly  bool
}

type UnwrapKeyRequest struct {
	Session       ck.SessionHandle
	Mechanism     ck.Mechanism
	UnwrappingKey ck.ObjectHandle
	Wrapped       []byte
	Template      []ck.Attribute
}

type DeriveKeyRequest struct {
	Session   ck.SessionHandle
	Mechanism ck.Mechanism
	BaseKey   ck.ObjectHandle
	Template  []ck.Attribute
}

type SeedRandomRequest struct {
	Session ck.SessionHandle
	Seed    []byte
}

type GenerateRandomRequest struct {
	Session ck.SessionHandle
	Length  uint32
}

type RandomResponse struct {
	RV   ck.RV
	Data []byte
}

func (*GenerateKeyRequest) Type() MsgType     { return MsgGenerateKey }
func (*GenerateKeyPairRequest) Type() MsgType { return MsgGenerateKeyPair }
func (*WrapKeyRequest) Type() MsgType         { return MsgWrapKey }
func (*UnwrapKeyRequest) Type() MsgType       { return MsgUnwrapKey }
func (*DeriveKeyRequest) Type() MsgType       { return MsgDeriveKey }
func (*SeedRandomRequest) Type() MsgType      { return MsgSeedRandom }
func (*GenerateRandomRequest) Type() MsgType  { return MsgGenerateRandom }

func (m *GenerateKeyRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.mechanism("mechanism", &m.Mechanism)
	c.template("template", &m.Template)
}

func (m *GenerateKeyPairRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.mechanism("mechanism", &m.Mechanism)
	c.template("public_template", &m.PublicTemplate)
	c.template("private_template", &m.PrivateTemplate)
}

func (m *KeyPairResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	ulong(c, "public_key", &m.PublicKey)
	ulong(c, "private_key", &m.PrivateKey)
}

func (m *WrapKeyRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.mechanism("mechanism", &m.Mechanism)
	ulong(c, "wrapping_key", &m.WrappingKey)
	ulong(c, "key", &m.Key)
	c.boolean("length_only", &m.LengthOnly)
}

func (m *UnwrapKeyRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.mechanism("mechanism", &m.Mechanism)
	ulong(c, "unwrapping_key", &m.UnwrappingKey)
	c.bytes("wrapped", &m.Wrapped, noLimit)
	c.template("template", &m.Template)
}

func (m *DeriveKeyRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.mechanism("mechanism", &m.Mechanism)
	ulong(c, "base_key", &m.BaseKey)
	c.template("template", &m.Template)
}

func (m *SeedRandomRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.bytes("seed", &m.Seed, noLimit)
}

func (m *GenerateRandomRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.u32("length", &m.Length)
}

func (m *RandomResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	c.bytes("data", &m.Data, noLimit)
}

func (m *KeyPairResponse) ReturnValue() ck.RV      { return m.RV }
func (m *RandomResponse) ReturnValue() ck.RV       { return m.RV }
func (m *KeyPairResponse) setReturnValue(rv ck.RV) { m.RV = rv }
func (m *RandomResponse) setReturnValue(rv ck.RV)  { m.RV = rv }
