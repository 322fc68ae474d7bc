package transport

import "github.com/cloudp11/cloudp11/transport/ck"

// Slots and tokens (docs/protocol.md 5.3), sessions (5.4).

type GetTokenInfoRequest struct{}

type TokenInfoResponse struct {
	RV   ck.RV
	Info ck.TokenInfo
}

type GetMechanismListRequest struct{}

type MechanismListResponse struct {
	RV         ck.RV
	Mechanisms []ck.MechanismType
}

type GetMechanismInfoRequest struct {
	Mechanism ck.MechanismType
}

type MechanismInfoResponse struct {
	RV   ck.RV
	Info ck.MechanismInfo
}

type InitTokenRequest struct {
	SOPIN Secret
	Label [32]byte
}

type InitPINRequest struct {
	Session ck.SessionHandle
	PIN     Secret
}

type SetPINRequest struct {
	Session ck.SessionHandle
	OldPIN  Secret
	NewPIN  Secret
}

type OpenSessionRequest struct {
	Flags ck.ULONG
}

type SessionResponse struct {
	RV      ck.RV
	Session ck.SessionHandle
}

type CloseSessionRequest struct {
	Session ck.SessionHandle
}

type CloseAllSessionsRequest struct{}

type GetSessionInfoRequest struct {
	Session ck.SessionHandle
}

type SessionInfoResponse struct {
	RV   ck.RV
	Info ck.SessionInfo
}

type GetOperationStateRequest struct {
	Session    ck.SessionHandle
	LengthOnly bool
}

type SetOperationStateRequest struct {
	Session           ck.SessionHandle
	State             []byte
	EncryptionKey     ck.ObjectHandle
	AuthenticationKey ck.ObjectHandle
}

type LoginRequest struct {
	Session  ck.SessionHandle
	UserType ck.UserType
	PIN      Secret
}

type LogoutRequest struct {
	Session ck.SessionHandle
}

func (*GetTokenInfoRequest) Type() MsgType      { return MsgGetTokenInfo }
func (*GetMechanismListRequest) Type() MsgType  { return MsgGetMechanismList }
func (*GetMechanismInfoRequest) Type() MsgType  { return MsgGetMechanismInfo }
func (*InitTokenRequest) Type() MsgType         { return MsgInitToken }
func (*InitPINRequest) Type() MsgType           { return MsgInitPIN }
func (*SetPINRequest) Type() MsgType            { return MsgSetPIN }
func (*OpenSessionRequest) Type() MsgType       { return MsgOpenSession }
func (*CloseSessionRequest) Type() MsgType      { return MsgCloseSession }
func (*CloseAllSessionsRequest) Type() MsgType  { return MsgCloseAllSessions }
func (*GetSessionInfoRequest) Type() MsgType    { return MsgGetSessionInfo }
func (*GetOperationStateRequest) Type() MsgType { return MsgGetOperationState }
func (*SetOperationStateRequest) Type() MsgType { return MsgSetOperationState }
func (*LoginRequest) Type() MsgType             { return MsgLogin }
func (*LogoutRequest) Type() MsgType            { return MsgLogout }

func (m *GetTokenInfoRequest) codec(*coder)     {}
func (m *GetMechanismListRequest) codec(*coder) {}
func (m *CloseAllSessionsRequest) codec(*coder) {}

func (m *TokenInfoResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	c.tokenInfo("info", &m.Info)
}

func (m *MechanismListResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	ulongs(c, "mechanisms", &m.Mechanisms)
}

func (m *GetMechanismInfoRequest) codec(c *coder) { ulong(c, "mechanism", &m.Mechanism) }

func (m *MechanismInfoResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	ulong(c, "min_key_size", &m.Info.MinKeySize)
	ulong(c, "max_key_size", &m.Info.MaxKeySize)
	ulong(c, "flags", &m.Info.Flags)
}

func (m *InitTokenRequest) codec(c *coder) {
	c.secret("so_pin", &m.SOPIN, maxSecretLen)
	c.raw("label", m.Label[:])
}

func (m *InitPINRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.secret("pin", &m.PIN, maxSecretLen)
}

func (m *SetPINRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.secret("old_pin", &m.OldPIN, maxSecretLen)
	c.secret("new_pin", &m.NewPIN, maxSecretLen)
}

func (m *OpenSessionRequest) codec(c *coder) { ulong(c, "flags", &m.Flags) }

func (m *SessionResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	ulong(c, "session", &m.Session)
}

func (m *CloseSessionRequest) codec(c *coder)   { ulong(c, "session", &m.Session) }
func (m *GetSessionInfoRequest) codec(c *coder) { ulong(c, "session", &m.Session) }
func (m *LogoutRequest) codec(c *coder)         { ulong(c, "session", &m.Session) }

func (m *SessionInfoResponse) codec(c *coder) {
	ulong(c, "rv", &m.RV)
	ulong(c, "state", &m.Info.State)
	ulong(c, "flags", &m.Info.Flags)
	ulong(c, "device_error", &m.Info.DeviceError)
}

func (m *GetOperationStateRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.boolean("length_only", &m.LengthOnly)
}

func (m *SetOperationStateRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	c.bytes("state", &m.State, noLimit)
	ulong(c, "encryption_key", &m.EncryptionKey)
	ulong(c, "authentication_key", &m.AuthenticationKey)
}

func (m *LoginRequest) codec(c *coder) {
	ulong(c, "session", &m.Session)
	ulong(c, "user_type", &m.UserType)
	c.secret("pin", &m.PIN, maxSecretLen)
}

func (m *TokenInfoResponse) ReturnValue() ck.RV          { return m.RV }
func (m *MechanismListResponse) ReturnValue() ck.RV      { return m.RV }
func (m *MechanismInfoResponse) ReturnValue() ck.RV      { return m.RV }
func (m *SessionResponse) ReturnValue() ck.RV            { return m.RV }
func (m *SessionInfoResponse) ReturnValue() ck.RV        { return m.RV }
func (m *TokenInfoResponse) setReturnValue(rv ck.RV)     { m.RV = rv }
func (m *MechanismListResponse) setReturnValue(rv ck.RV) { m.RV = rv }
func (m *MechanismInfoResponse) setReturnValue(rv ck.RV) { m.RV = rv }
func (m *SessionResponse) setReturnValue(rv ck.RV)       { m.RV = rv }
func (m *SessionInfoResponse) setReturnValue(rv ck.RV)   { m.RV = rv }

func (c *coder) tokenInfo(field string, t *ck.TokenInfo) {
	c.enter(field)
	defer c.leave()
	c.raw("label", t.Label[:])
	c.raw("manufacturer", t.ManufacturerID[:])
	c.raw("model", t.Model[:])
	c.raw("serial", t.SerialNumber[:])
	ulong(c, "flags", &t.Flags)
	ulong(c, "max_sessions", &t.MaxSessionCount)
	ulong(c, "sessions", &t.SessionCount)
	ulong(c, "max_rw_sessions", &t.MaxRwSessionCount)
	ulong(c, "rw_sessions", &t.RwSessionCount)
	ulong(c, "max_pin_len", &t.MaxPinLen)
	ulong(c, "min_pin_len", &t.MinPinLen)
	ulong(c, "total_public_mem", &t.TotalPublicMemory)
	ulong(c, "free_public_mem", &t.FreePublicMemory)
	ulong(c, "total_private_mem", &t.TotalPrivateMemory)
	ulong(c, "free_private_mem", &t.FreePrivateMemory)
	c.u8("hw_version.major", &t.HardwareVersion.Major)
	c.u8("hw_version.minor", &t.HardwareVersion.Minor)
	c.u8("fw_version.major", &t.FirmwareVersion.Major)
	c.u8("fw_version.minor", &t.FirmwareVersion.Minor)
	c.raw("utc_time", t.UTCTime[:])
}
