package transport

import "github.com/cloudp11/cloudp11/transport/ck"

// Encryption, decryption and digests (docs/protocol.md 5.6).

// OperationInit is the body of every C_xxxInit that takes a key:
// EncryptInit, DecryptInit, SignInit, SignRecoverInit, VerifyInit,
// VerifyRecoverInit.
type OperationInit struct {
	Session   ck.SessionHandle
	Mechanism ck.Mechanism
	Key       ck.ObjectHandle
}

func (c *coder) operationInit(m *OperationInit) {
	ulong(c, "session", &m.Session)
	c.mechanism("mechanism", &m.Mechanism)
	ulong(c, "key", &m.Key)
}

// DataPart is the body of a call that passes data and may return output:
// C_Encrypt, C_EncryptUpdate, C_Sign, C_DigestEncryptUpdate...
type DataPart struct {
	Session    ck.SessionHandle
	Data       []byte
	LengthOnly bool
}

func (c *coder) dataPart(m *DataPart) {
	ulong(c, "session", &m.Session)
	c.bytes("data", &m.Data, noLimit)
	c.boolean("length_only", &m.LengthOnly)
}

// DataInput is the body of an update without output: C_DigestUpdate,
// C_SignUpdate, C_VerifyUpdate.
type DataInput struct {
	Session ck.SessionHandle
	Data    []byte
}

func (c *coder) dataInput(m *DataInput) {
	ulong(c, "session", &m.Session)
	c.bytes("data", &m.Data, noLimit)
}

// FinalPart is the body of a C_xxxFinal that returns output.
type FinalPart struct {
	Session    ck.SessionHandle
	LengthOnly bool
}

func (c *coder) finalPart(m *FinalPart) {
	ulong(c, "session", &m.Session)
	c.boolean("length_only", &m.LengthOnly)
}

// OnceRequest is the body of SignOnce, EncryptOnce, DecryptOnce: init and
// the single-part call in one message.
type OnceRequest struct {
	Session    ck.SessionHandle
	Mechanism  ck.Mechanism
	Key        ck.ObjectHandle
	Data       []byte
	LengthOnly bool
}

func (c *coder) once(m *OnceRequest) {
	ulong(c, "session", &m.Session)
	c.mechanism("mechanism", &m.Mechanism)
	ulong(c, "key", &m.Key)
	c.bytes("data", &m.Data, noLimit)
	c.boolean("length_only", &m.LengthOnly)
}

type (
	EncryptInitRequest   struct{ OperationInit }
	EncryptRequest       struct{ DataPart }
	EncryptUpdateRequest struct{ DataPart }
	EncryptFinalRequest  struct{ FinalPart }
	EncryptOnceRequest   struct{ OnceRequest }

	DecryptInitRequest   struct{ OperationInit }
	DecryptRequest       struct{ DataPart }
	DecryptUpdateRequest struct{ DataPart }
	DecryptFinalRequest  struct{ FinalPart }
	DecryptOnceRequest   struct{ OnceRequest }
)

type DigestInitRequest struct {
	Session   ck.SessionHandle
	Mechanism ck.Mechanism
}

type (
	DigestRequest       struct{ DataPart }
	DigestUpdateRequest struct{ DataInput }
	DigestFinalRequest  struct{ FinalPart }
)

type DigestKeyRequest struct {
	Session ck.SessionHandle
	Key     ck.ObjectHandle
}

// DigestOnceRequest is DigestInit + Digest (no key).
type DigestOnceRequest struct {
	Session    ck.SessionHandle
	Mechanism  ck.Mechanism
	Data       []byte
	LengthOnly bool
}

func (*EncryptInitRequest) Type() MsgType   { return MsgEncryptInit }
func (*EncryptRequest) Type() MsgType       { return MsgEncrypt }
func (*EncryptUpdateRequest) Type() MsgType { return MsgEncryptUpdate }
func (*EncryptFinalRequest) Type() MsgType  { return MsgEncryptFinal }
func (*EncryptOnceRequest) Type() MsgType   { return MsgEncryptOnce }
func (*DecryptInitRequest) Type() MsgType   { return MsgDecryptInit }
func (*DecryptRequest) Type() MsgType       { return MsgDecrypt }
func (*DecryptUpdateRequest) Type() MsgType { return MsgDecryptUpdate }
func (*DecryptFinalRequest) Type() MsgType  { return MsgDecryptFinal }
func (*DecryptOnceRequest) Type() MsgType   { return MsgDecryptOnce }
func (*DigestInitRequest) Type() MsgType    { return MsgDigestInit }
func (*DigestRequest) Type() MsgType        { return MsgDigest }
func (*DigestUpdateRequest) Type() MsgType  { return MsgDigestUpdate }
func (*DigestKeyRequest) Type() MsgType     { return MsgDigestKey }
func (*DigestFinalRequest) Type() MsgType   { return MsgDigestFinal }
func (*DigestOnceRequest) Type() MsgType    { return MsgDigestOnce }

func (m *EncryptInitRequest) codec(c *coder)   { c.operationInit(&m.OperationInit) }
func (m *EncryptRequest) codec(c *coder)       { c.dataPart(&m.DataPart) }
func (m *EncryptUpdateRequest) codec(c *coder) { c.dataPart(&m.DataPart) }
func (m *EncryptFinalRequest) codec(c *coder)  { c.finalPart(&m.FinalPart) }
func (m *EncryptOnceRequest) codec(c *coder)   { c.once(&m.OnceRequest) }
func (m *DecryptInitRequest) codec(c *coder)   { c.operationInit(&m.OperationInit) }
func (m *DecryptRequest) codec(c *coder)       { c.dataPart(&m.DataPart) }
func (m *DecryptUpdateRequest) codec(c *coder) { c.dataPart(&m.DataPart) }
func (m *DecryptFinalRequest) codec(c *coder)  { c.finalPart(&m.FinalPart) }
func (m *DecryptOnceRequest) codec(c *coder)   { c.once(&m.OnceRequest) }
func (m *DigestRequest) codec(c *coder)        { c.dataPart(&m.DataPart) }
func (m *DigestUpdateRequest) codec(c *coder)  { c.dataInput(&m.DataInput) }
func (m *DigestFinalRequest) codec(c *coder)   { c.finalPart(&m.FinalPart) }

func (m *DigestInitRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.mechanism("mechanism", &m.Mechanism)
}

func (m *DigestKeyRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	ulong(c, "key", &m.Key)
}

func (m *DigestOnceRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.mechanism("mechanism", &m.Mechanism)
	c.bytes("data", &m.Data, noLimit)
	c.boolean("length_only", &m.LengthOnly)
}
