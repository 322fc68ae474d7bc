package transport

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

func TestHeaderAccessors(t *testing.T) {
	h := MakeHeader(0x01020304, MsgSignOnce, FlagResponse|FlagError, 0x1122334455667788)
	assert.Equal(t, uint32(0x01020304), h.Length())
	assert.Equal(t, MsgSignOnce, h.Type())
	assert.Equal(t, FlagResponse|FlagError, h.Flags())
	assert.Equal(t, uint64(0x1122334455667788), h.RequestID())
	assert.True(t, h.IsResponse())
	assert.Equal(t, []byte{1, 2, 3, 4, 0x07, 0x07, 0, 3, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}, h[:])
	assert.Equal(t, "frame{SignOnce id=1234605616436508552 flags=0x3 len=16909060}", h.String())
}

func TestHeaderValidate(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		want string
	}{
		{"ok request", MakeHeader(10, MsgSign, 0, 1), ""},
		{"ok retry", MakeHeader(10, MsgSign, FlagRetry, 1), ""},
		{"ok error response", MakeHeader(10, MsgSign, FlagResponse|FlagError, 1), ""},
		{"unknown flag", MakeHeader(0, MsgSign, 0x10, 1), "unknown flag bits 0x10"},
		{"error on request", MakeHeader(0, MsgSign, FlagError, 1), "error flag on a request"},
		{"retry on response", MakeHeader(0, MsgSign, FlagResponse|FlagRetry, 1), "retry flag on a response"},
		{"too long", MakeHeader(101, MsgSign, 0, 1), "body of 101 bytes over the limit of 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.Validate(100)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, ck.CKR_DEVICE_ERROR, ck.RVOf(err))
			var te *Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, KindProtocol, te.Kind)
		})
	}
}

// bodyTrap fails the test if anything past the header is read.
type bodyTrap struct {
	t      *testing.T
	header []byte
}

func (r *bodyTrap) Read(p []byte) (int, error) {
	if len(r.header) == 0 {
		r.t.Fatal("the body of an over-long frame was read")
	}
	n := copy(p, r.header)
	r.header = r.header[n:]
	return n, nil
}

func TestReadFrame(t *testing.T) {
	frame, err := AppendFrame(nil, MsgPing, 0, 5, &PingRequest{Nonce: 42}, DefaultMaxFrame)
	require.NoError(t, err)
	h, body, err := ReadFrame(bytes.NewReader(frame), DefaultMaxFrame)
	require.NoError(t, err)
	assert.Equal(t, MsgPing, h.Type())
	assert.Equal(t, uint64(5), h.RequestID())
	req, err := DecodeRequest(h.Type(), body)
	require.NoError(t, err)
	assert.Equal(t, &PingRequest{Nonce: 42}, req)

	_, _, err = ReadFrame(bytes.NewReader(nil), DefaultMaxFrame)
	assert.ErrorIs(t, err, io.EOF, "a clean end before a header")
	_, _, err = ReadFrame(bytes.NewReader(frame[:7]), DefaultMaxFrame)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, _, err = ReadFrame(bytes.NewReader(frame[:HeaderSize]), DefaultMaxFrame)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "a header without its body")
	_, _, err = ReadFrame(bytes.NewReader(frame[:len(frame)-1]), DefaultMaxFrame)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	huge := MakeHeader(0xFFFFFFFF, MsgSign, 0, 1)
	_, _, err = ReadFrame(&bodyTrap{t: t, header: huge[:]}, DefaultMaxFrame)
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, KindProtocol, te.Kind)
}

func TestAppendFrameLimits(t *testing.T) {
	req := &EncryptRequest{DataPart{Session: 1, Data: make([]byte, 1000)}}
	frame, err := AppendFrame([]byte("prefix"), MsgEncrypt, 0, 9, req, 2000)
	require.NoError(t, err)
	assert.Equal(t, []byte("prefix"), frame[:6])
	h := Header(frame[6 : 6+HeaderSize])
	assert.Equal(t, uint32(len(frame)-6-HeaderSize), h.Length())

	out, err := AppendFrame([]byte("prefix"), MsgEncrypt, 0, 9, req, 500)
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, KindTooLarge, te.Kind)
	assert.Equal(t, ck.CKR_DEVICE_MEMORY, ck.RVOf(err))
	assert.Equal(t, []byte("prefix"), out, "dst comes back unchanged")

	_, err = AppendFrame(nil, MsgSignInit, 0, 1, &SignInitRequest{OperationInit{Mechanism: ck.Mechanism{Type: ck.CKM_RSA_PKCS_PSS}}}, 2000)
	assert.Equal(t, ck.CKR_MECHANISM_PARAM_INVALID, ck.RVOf(err))
	assert.False(t, errors.As(err, &te), "an encoding refusal is not a transport failure")
}
