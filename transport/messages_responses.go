package transport

import "github.com/cloudp11/cloudp11/transport/ck"

// Output is an operation's variable-length output. When the request asked
// for the length only, Data is empty and Len the length the output needs;
// otherwise Len is len(Data).
type Output struct {
	Len  ck.ULONG
	Data []byte
}

// NewOutput is the full output data.
func NewOutput(data []byte) Output { return Output{Len: ck.ULONG(len(data)), Data: data} }

func (c *coder) output(field string, o *Output) {
	start := c.offset()
	c.enter(field)
	defer c.leave()
	ulong(c, "len", &o.Len)
	c.bytes("data", &o.Data, noLimit)
	if c.err == nil && len(o.Data) != 0 && o.Len != ck.ULONG(len(o.Data)) {
		c.failAt(start, "len", ck.CKR_GENERAL_ERROR, "length %d but %d bytes of data", o.Len, len(o.Data))
	}
}

// Stage says which part of a fused message produced its CK_RV.
type Stage uint8

// Stages of a fused message (docs/protocol.md 5.2).
const (
	StageInit      Stage = 1 // the init failed: no operation is active
	StageOperation Stage = 2 // the single-part call (or FindObjects)
	StageFinal     Stage = 3 // FindObjectsFinal
)

func (c *coder) stage(field string, s *Stage, last Stage) {
	v := uint8(*s)
	start := c.offset()
	c.u8(field, &v)
	if c.err == nil && (v < uint8(StageInit) || v > uint8(last)) {
		c.failAt(start, field, ck.CKR_GENERAL_ERROR, "stage %d outside 1..%d", v, last)
		return
	}
	*s = Stage(v)
}

// StatusResponse answers a PKCS#11 function without outputs.
type StatusResponse struct {
	RV ck.RV
}

// OutputResponse answers a function with one variable-length output.
type OutputResponse struct {
	RV  ck.RV
	Out Output
}

// FusedStatusResponse answers VerifyOnce.
type FusedStatusResponse struct {
	RV    ck.RV
	Stage Stage
}

// FusedOutputResponse answers SignOnce, EncryptOnce, DecryptOnce, DigestOnce.
type FusedOutputResponse struct {
	RV    ck.RV
	Stage Stage
	Out   Output
}

// ObjectResponse answers a function that creates an object.
type ObjectResponse struct {
	RV     ck.RV
	Object ck.ObjectHandle
}

func (m *StatusResponse) codec(c *coder) { ulong(c, "rv", &m.RV) }

func (m *OutputResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	c.output("out", &m.Out)
}

func (m *FusedStatusResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	c.stage("stage", &m.Stage, StageOperation)
}

func (m *FusedOutputResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	c.stage("stage", &m.Stage, StageOperation)
	c.output("out", &m.Out)
}

func (m *ObjectResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	ulong(c, "object", &m.Object)
}

func (m *StatusResponse) ReturnValue() ck.RV           { return m.RV }
func (m *OutputResponse) ReturnValue() ck.RV           { return m.RV }
func (m *FusedStatusResponse) ReturnValue() ck.RV      { return m.RV }
func (m *FusedOutputResponse) ReturnValue() ck.RV      { return m.RV }
func (m *ObjectResponse) ReturnValue() ck.RV           { return m.RV }
func (m *StatusResponse) setReturnValue(rv ck.RV)      { m.RV = rv }
func (m *OutputResponse) setReturnValue(rv ck.RV)      { m.RV = rv }
func (m *FusedStatusResponse) setReturnValue(rv ck.RV) { m.RV = rv; m.Stage = StageInit }
func (m *FusedOutputResponse) setReturnValue(rv ck.RV) { m.RV = rv; m.Stage = StageInit }
func (m *ObjectResponse) setReturnValue(rv ck.RV)      { m.RV = rv }
