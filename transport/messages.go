package transport

import (
	"fmt"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// MsgType is a frame's message type (docs/protocol.md 5). A request and its
// response carry the same type.
type MsgType uint16

// Message types. The numbers are the wire's and never change.
const (
	MsgHello       MsgType = 0x0001
	MsgProxyLogin  MsgType = 0x0002
	MsgUserLogin   MsgType = 0x0003
	MsgFetchSecret MsgType = 0x0004

	MsgPing     MsgType = 0x0010
	MsgGoodbye  MsgType = 0x0011
	MsgAuditLog MsgType = 0x0012

	MsgGetTokenInfo     MsgType = 0x0101
	MsgGetMechanismList MsgType = 0x0102
	MsgGetMechanismInfo MsgType = 0x0103
	MsgInitToken        MsgType = 0x0104
	MsgInitPIN          MsgType = 0x0105
	MsgSetPIN           MsgType = 0x0106

	MsgOpenSession       MsgType = 0x0201
	MsgCloseSession      MsgType = 0x0202
	MsgCloseAllSessions  MsgType = 0x0203
	MsgGetSessionInfo    MsgType = 0x0204
	MsgGetOperationState MsgType = 0x0205
	MsgSetOperationState MsgType = 0x0206
	MsgLogin             MsgType = 0x0207
	MsgLogout            MsgType = 0x0208

	MsgCreateObject      MsgType = 0x0301
	MsgCopyObject        MsgType = 0x0302
	MsgDestroyObject     MsgType = 0x0303
	MsgGetObjectSize     MsgType = 0x0304
	MsgGetAttributeValue MsgType = 0x0305
	MsgSetAttributeValue MsgType = 0x0306
	MsgFindObjectsInit   MsgType = 0x0307
	MsgFindObjects       MsgType = 0x0308
	MsgFindObjectsFinal  MsgType = 0x0309
	MsgFindObjectsOnce   MsgType = 0x030A

	MsgEncryptInit   MsgType = 0x0401
	MsgEncrypt       MsgType = 0x0402
	MsgEncryptUpdate MsgType = 0x0403
	MsgEncryptFinal  MsgType = 0x0404
	MsgEncryptOnce   MsgType = 0x0405

	MsgDecryptInit   MsgType = 0x0501
	MsgDecrypt       MsgType = 0x0502
	MsgDecryptUpdate MsgType = 0x0503
	MsgDecryptFinal  MsgType = 0x0504
	MsgDecryptOnce   MsgType = 0x0505

	MsgDigestInit   MsgType = 0x0601
	MsgDigest       MsgType = 0x0602
	MsgDigestUpdate MsgType = 0x0603
	MsgDigestKey    MsgType = 0x0604
	MsgDigestFinal  MsgType = 0x0605
	MsgDigestOnce   MsgType = 0x0606

	MsgSignInit        MsgType = 0x0701
	MsgSign            MsgType = 0x0702
	MsgSignUpdate      MsgType = 0x0703
	MsgSignFinal       MsgType = 0x0704
	MsgSignRecoverInit MsgType = 0x0705
	MsgSignRecover     MsgType = 0x0706
	MsgSignOnce        MsgType = 0x0707

	MsgVerifyInit        MsgType = 0x0801
	MsgVerify            MsgType = 0x0802
	MsgVerifyUpdate      MsgType = 0x0803
	MsgVerifyFinal       MsgType = 0x0804
	MsgVerifyRecoverInit MsgType = 0x0805
	MsgVerifyRecover     MsgType = 0x0806
	MsgVerifyOnce        MsgType = 0x0807

	MsgDigestEncryptUpdate MsgType = 0x0901
	MsgDecryptDigestUpdate MsgType = 0x0902
	MsgSignEncryptUpdate   MsgType = 0x0903
	MsgDecryptVerifyUpdate MsgType = 0x0904

	MsgGenerateKey     MsgType = 0x0A01
	MsgGenerateKeyPair MsgType = 0x0A02
	MsgWrapKey         MsgType = 0x0A03
	MsgUnwrapKey       MsgType = 0x0A04
	MsgDeriveKey       MsgType = 0x0A05

	MsgSeedRandom     MsgType = 0x0B01
	MsgGenerateRandom MsgType = 0x0B02
)

// Message is a request or response body. The set is closed: codec is how
// a message lists its fields for the coder.
type Message interface {
	codec(c *coder)
}

// Request is a message the client sends; it knows its type.
type Request interface {
	Message
	Type() MsgType
}

// Result is implemented by every PKCS#11 response: its CK_RV.
type Result interface {
	Message
	ReturnValue() ck.RV
	setReturnValue(ck.RV)
}

// Phase says when a message may be sent (docs/protocol.md 4).
type Phase uint8

// Phases.
const (
	PhaseHandshake Phase = iota + 1 // only during the handshake, in its order
	PhaseAnyMode                    // after the handshake, in every mode (Ping)
	PhaseAuditLog                   // after a Login in mode audit_log
	PhasePKCS11                     // after a Login in mode pkcs11
	PhaseServer                     // sent by the server on its own (Goodbye)
)

type msgSpec struct {
	name        string
	phase       Phase
	fused       bool
	newRequest  func() Request
	newResponse func() Message
}

// MsgInfo describes a message type for logs and dispatchers.
type MsgInfo struct {
	Name  string // the PKCS#11 function (C_Sign) or the message's name (Hello, SignOnce)
	Phase Phase
	Fused bool
}

// Info returns what is known of t; ok is false for types this version
// does not define.
func (t MsgType) Info() (info MsgInfo, ok bool) {
	spec, ok := msgSpecs[t]
	if !ok {
		return MsgInfo{}, false
	}
	return MsgInfo{Name: spec.name, Phase: spec.phase, Fused: spec.fused}, true
}

func (t MsgType) String() string {
	if spec, ok := msgSpecs[t]; ok {
		return spec.name
	}
	return fmt.Sprintf("msg(0x%04X)", uint16(t))
}

// MsgTypes lists every defined message type, for tests and dispatch tables.
func MsgTypes() []MsgType {
	out := make([]MsgType, 0, len(msgSpecs))
	for t := range msgSpecs {
		out = append(out, t)
	}
	return out
}

// AppendBody encodes m after dst. It fails, with the CK_RV the caller should
// answer, when m holds something the wire cannot carry (an over-long field,
// a malformed template, a mechanism parameter of the wrong kind).
func AppendBody(dst []byte, m Message) ([]byte, error) {
	c := newEncoder(m, dst)
	m.codec(c)
	if c.err != nil {
		return dst, c.err
	}
	return c.buf, nil
}

// DecodeRequest decodes the body of a request of type t. The result aliases
// body. Errors are *MalformedError, or an error for an unknown type.
func DecodeRequest(t MsgType, body []byte) (Request, error) {
	spec, ok := msgSpecs[t]
	if !ok || spec.newRequest == nil {
		return nil, &MalformedError{Message: t.String(), Reason: "not a request type of this protocol version"}
	}
	m := spec.newRequest()
	return m, decodeInto(m, t, "request", body)
}

// DecodeResponse decodes the body of a response to a request of type t.
func DecodeResponse(t MsgType, body []byte) (Message, error) {
	spec, ok := msgSpecs[t]
	if !ok || spec.newResponse == nil {
		return nil, &MalformedError{Message: t.String(), Reason: "not a response type of this protocol version"}
	}
	m := spec.newResponse()
	return m, decodeInto(m, t, "response", body)
}

// decodeInto decodes body into m; t and role name it in errors.
func decodeInto(m Message, t MsgType, role string, body []byte) error {
	c := newDecoder(m, t, role, body)
	m.codec(c)
	return c.finish()
}

// newResult makes the zero response of a PKCS#11 message type, for an
// answer that carries only a CK_RV.
func newResult(t MsgType) (Result, bool) {
	spec, ok := msgSpecs[t]
	if !ok || spec.newResponse == nil {
		return nil, false
	}
	r, ok := spec.newResponse().(Result)
	return r, ok
}

// DecodeGoodbye decodes the body of a Goodbye frame.
func DecodeGoodbye(body []byte) (*Goodbye, error) {
	var g Goodbye
	return &g, decodeInto(&g, MsgGoodbye, "", body)
}

// DecodeRemoteError decodes the body of an error frame.
func DecodeRemoteError(body []byte) (*RemoteError, error) {
	var e RemoteError
	return &e, decodeInto(&e, 0, "error body", body)
}
