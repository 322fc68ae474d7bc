package transport

import "github.com/cloudp11/cloudp11/transport/ck"

// Objects (docs/protocol.md 5.5).

type CreateObjectRequest struct {
	Session  ck.SessionHandle
	Template []ck.Attribute
}

type CopyObjectRequest struct {
	Session  ck.SessionHandle
	Object   ck.ObjectHandle
	Template []ck.Attribute
}

type DestroyObjectRequest struct {
	Session ck.SessionHandle
	Object  ck.ObjectHandle
}

type GetObjectSizeRequest struct {
	Session ck.SessionHandle
	Object  ck.ObjectHandle
}

type ObjectSizeResponse struct {
	RV   ck.RV
	Size ck.ULONG
}

// GetAttributeValueRequest reads a whole template in one round trip.
type GetAttributeValueRequest struct {
	Session ck.SessionHandle
	Object  ck.ObjectHandle
	Queries []AttributeQuery
}

// GetAttributeValueResponse answers each query at the same index.
type GetAttributeValueResponse struct {
	RV      ck.RV
	Results []AttributeResult
}

type SetAttributeValueRequest struct {
	Session  ck.SessionHandle
	Object   ck.ObjectHandle
	Template []ck.Attribute
}

type FindObjectsInitRequest struct {
	Session  ck.SessionHandle
	Template []ck.Attribute
}

type FindObjectsRequest struct {
	Session ck.SessionHandle
	Max     uint32
}

type FindObjectsResponse struct {
	RV      ck.RV
	Objects []ck.ObjectHandle
}

type FindObjectsFinalRequest struct {
	Session ck.SessionHandle
}

// FindObjectsOnceRequest is FindObjectsInit + FindObjects(Max) + Final.
type FindObjectsOnceRequest struct {
	Session  ck.SessionHandle
	Template []ck.Attribute
	Max      uint32
}

// FindObjectsOnceResponse: Complete is true when fewer than Max objects
// matched, so nothing was left out.
type FindObjectsOnceResponse struct {
	RV       ck.RV
	Stage    Stage
	Objects  []ck.ObjectHandle
	Complete bool
}

func (*CreateObjectRequest) Type() MsgType      { return MsgCreateObject }
func (*CopyObjectRequest) Type() MsgType        { return MsgCopyObject }
func (*DestroyObjectRequest) Type() MsgType     { return MsgDestroyObject }
func (*GetObjectSizeRequest) Type() MsgType     { return MsgGetObjectSize }
func (*GetAttributeValueRequest) Type() MsgType { return MsgGetAttributeValue }
func (*SetAttributeValueRequest) Type() MsgType { return MsgSetAttributeValue }
func (*FindObjectsInitRequest) Type() MsgType   { return MsgFindObjectsInit }
func (*FindObjectsRequest) Type() MsgType       { return MsgFindObjects }
func (*FindObjectsFinalRequest) Type() MsgType  { return MsgFindObjectsFinal }
func (*FindObjectsOnceRequest) Type() MsgType   { return MsgFindObjectsOnce }

func (m *CreateObjectRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.template("template", &m.Template)
}

func (m *CopyObjectRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	ulong(c, "object", &m.Object)
	c.template("template", &m.Template)
}

func (m *DestroyObjectRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	ulong(c, "object", &m.Object)
}

func (m *GetObjectSizeRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	ulong(c, "object", &m.Object)
}

func (m *ObjectSizeResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	ulong(c, "size", &m.Size)
}

func (m *GetAttributeValueRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	ulong(c, "object", &m.Object)
	c.queries("queries", &m.Queries)
}

func (m *GetAttributeValueResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	c.results("results", &m.Results)
}

func (m *SetAttributeValueRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	ulong(c, "object", &m.Object)
	c.template("template", &m.Template)
}

func (m *FindObjectsInitRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.template("template", &m.Template)
}

func (m *FindObjectsRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.u32("max", &m.Max)
}

func (m *FindObjectsResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	ulongs(c, "objects", &m.Objects)
}

func (m *FindObjectsFinalRequest) codec(c *coder) { ulong(c, "session", &m.Session) }

func (m *FindObjectsOnceRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.template("template", &m.Template)
	c.u32("max", &m.Max)
}

func (m *FindObjectsOnceResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	c.stage("stage", &m.Stage, StageFinal)
	ulongs(c, "objects", &m.Objects)
	c.boolean("complete", &m.Complete)
}

func (m *ObjectSizeResponse) ReturnValue() ck.RV             { return m.RV }
func (m *GetAttributeValueResponse) ReturnValue() ck.RV      { return m.RV }
func (m *FindObjectsResponse) ReturnValue() ck.RV            { return m.RV }
func (m *FindObjectsOnceResponse) ReturnValue() ck.RV        { return m.RV }
func (m *ObjectSizeResponse) setReturnValue(rv ck.RV)        { m.RV = rv }
func (m *GetAttributeValueResponse) setReturnValue(rv ck.RV) { m.RV = rv }
func (m *FindObjectsResponse) setReturnValue(rv ck.RV)       { m.RV = rv }
func (m *FindObjectsOnceResponse) setReturnValue(rv ck.RV)   { m.RV = rv; m.Stage = StageInit }
