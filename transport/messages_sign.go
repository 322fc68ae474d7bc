package transport

import "github.com/cloudp11/cloudp11/transport/ck"

// Signatures and MACs (docs/protocol.md 5.7), dual-function updates (5.8).

type (
	SignInitRequest        struct{ OperationInit }
	SignRequest            struct{ DataPart }
	SignUpdateRequest      struct{ DataInput }
	SignFinalRequest       struct{ FinalPart }
	SignRecoverInitRequest struct{ OperationInit }
	SignRecoverRequest     struct{ DataPart }
	SignOnceRequest        struct{ OnceRequest }

	VerifyInitRequest        struct{ OperationInit }
	VerifyUpdateRequest      struct{ DataInput }
	VerifyRecoverInitRequest struct{ OperationInit }

	DigestEncryptUpdateRequest struct{ DataPart }
	DecryptDigestUpdateRequest struct{ DataPart }
	SignEncryptUpdateRequest   struct{ DataPart }
	DecryptVerifyUpdateRequest struct{ DataPart }
)

type VerifyRequest struct {
	Session   ck.SessionHandle
	Data      []byte
	Signature []byte
}

type VerifyFinalRequest struct {
	Session   ck.SessionHandle
	Signature []byte
}

type VerifyRecoverRequest struct {
	Session    ck.SessionHandle
	Signature  []byte
	LengthOnly bool
}

// VerifyOnceRequest is VerifyInit + Verify.
type VerifyOnceRequest struct {
	Session   ck.SessionHandle
	Mechanism ck.Mechanism
	Key       ck.ObjectHandle
	Data      []byte
	Signature []byte
}

func (*SignInitRequest) Type() MsgType            { return MsgSignInit }
func (*SignRequest) Type() MsgType                { return MsgSign }
func (*SignUpdateRequest) Type() MsgType          { return MsgSignUpdate }
func (*SignFinalRequest) Type() MsgType           { return MsgSignFinal }
func (*SignRecoverInitRequest) Type() MsgType     { return MsgSignRecoverInit }
func (*SignRecoverRequest) Type() MsgType         { return MsgSignRecover }
func (*SignOnceRequest) Type() MsgType            { return MsgSignOnce }
func (*VerifyInitRequest) Type() MsgType          { return MsgVerifyInit }
func (*VerifyRequest) Type() MsgType              { return MsgVerify }
func (*VerifyUpdateRequest) Type() MsgType        { return MsgVerifyUpdate }
func (*VerifyFinalRequest) Type() MsgType         { return MsgVerifyFinal }
func (*VerifyRecoverInitRequest) Type() MsgType   { return MsgVerifyRecoverInit }
func (*VerifyRecoverRequest) Type() MsgType       { return MsgVerifyRecover }
func (*VerifyOnceRequest) Type() MsgType          { return MsgVerifyOnce }
func (*DigestEncryptUpdateRequest) Type() MsgType { return MsgDigestEncryptUpdate }
func (*DecryptDigestUpdateRequest) Type() MsgType { return MsgDecryptDigestUpdate }
func (*SignEncryptUpdateRequest) Type() MsgType   { return MsgSignEncryptUpdate }
func (*DecryptVerifyUpdateRequest) Type() MsgType { return MsgDecryptVerifyUpdate }

func (m *SignInitRequest) codec(c *coder)            { c.operationInit(&m.OperationInit) }
func (m *SignRequest) codec(c *coder)                { c.dataPart(&m.DataPart) }
func (m *SignUpdateRequest) codec(c *coder)          { c.dataInput(&m.DataInput) }
func (m *SignFinalRequest) codec(c *coder)           { c.finalPart(&m.FinalPart) }
func (m *SignRecoverInitRequest) codec(c *coder)     { c.operationInit(&m.OperationInit) }
func (m *SignRecoverRequest) codec(c *coder)         { c.dataPart(&m.DataPart) }
func (m *SignOnceRequest) codec(c *coder)            { c.once(&m.OnceRequest) }
func (m *VerifyInitRequest) codec(c *coder)          { c.operationInit(&m.OperationInit) }
func (m *VerifyUpdateRequest) codec(c *coder)        { c.dataInput(&m.DataInput) }
func (m *VerifyRecoverInitRequest) codec(c *coder)   { c.operationInit(&m.OperationInit) }
func (m *DigestEncryptUpdateRequest) codec(c *coder) { c.dataPart(&m.DataPart) }
func (m *DecryptDigestUpdateRequest) codec(c *coder) { c.dataPart(&m.DataPart) }
func (m *SignEncryptUpdateRequest) codec(c *coder)   { c.dataPart(&m.DataPart) }
func (m *DecryptVerifyUpdateRequest) codec(c *coder) { c.dataPart(&m.DataPart) }

func (m *VerifyRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.bytes("data", &m.Data, noLimit)
	c.bytes("signature", &m.Signature, noLimit)
}

func (m *VerifyFinalRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.bytes("signature", &m.Signature, noLimit)
}

func (m *VerifyRecoverRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.bytes("signature", &m.Signature, noLimit)
	c.boolean("length_only", &m.LengthOnly)
}

func (m *VerifyOnceRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.mechanism("mechanism", &m.Mechanism)
	ulong(c, "key", &m.Key)
	c.bytes("data", &m.Data, noLimit)
	c.bytes("signature", &m.Signature, noLimit)
}
