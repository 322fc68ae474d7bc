package transport

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

func TestEveryTruncationAndTrailingByteIsRefused(t *testing.T) {
	for _, typ := range sortedMsgTypes() {
		spec := msgSpecs[typ]
		if spec.newRequest == nil {
			continue
		}
		f := newFiller(uint64(typ))
		for _, dir := range []struct {
			msg    Message
			decode func([]byte) error
		}{
			{sampleOf(f, spec.newRequest()), func(b []byte) error { _, err := DecodeRequest(typ, b); return err }},
			{sampleOf(f, spec.newResponse()), func(b []byte) error { _, err := DecodeResponse(typ, b); return err }},
		} {
			body, err := AppendBody(nil, dir.msg)
			require.NoError(t, err)
			for n := 0; n < len(body); n++ {
				err := dir.decode(body[:n])
				var malformed *MalformedError
				require.ErrorAs(t, err, &malformed, "%s cut to %d of %d bytes", typ, n, len(body))
				assert.Equal(t, ck.CKR_DEVICE_ERROR, ck.RVOf(err))
			}
			err = dir.decode(append(body, 0))
			require.Error(t, err, "%s with a trailing byte", typ)
			assert.Contains(t, err.Error(), "1 bytes after the last field")
		}
	}
}

// body builds a body by hand, for corruptions the encoder cannot produce.
type body []byte

func (b body) u8(v uint8) body   { return append(b, v) }
func (b body) u16(v uint16) body { return binary.BigEndian.AppendUint16(b, v) }
func (b body) u32(v uint32) body { return binary.BigEndian.AppendUint32(b, v) }
func (b body) u64(v uint64) body { return binary.BigEndian.AppendUint64(b, v) }
func (b body) raw(v ...byte) body {
	return append(b, v...)
}
func (b body) bytes(v string) body { return b.u32(uint32(len(v))).raw([]byte(v)...) }

func TestMalformedBodiesNameTheField(t *testing.T) {
	session := body{}.u64(1)
	tests := []struct {
		name string
		typ  MsgType
		resp bool
		body body
		want string
	}{
		{"length over the body", MsgSign, false, session.u32(100).raw(1, 2, 3), "field data at byte 8: needs 100 bytes, 3 left"},
		{"bool 2", MsgSign, false, session.bytes("abc").u8(2), "field length_only at byte 15: boolean byte 2"},
		{"huge template count", MsgCreateObject, false, session.u32(0xFFFFFFFF), "4294967295 elements, over the limit of 1024"},
		{"template count over body", MsgCreateObject, false, session.u32(1000), "1000 elements need at least 13000 bytes"},
		{"unknown attribute form", MsgCreateObject, false, session.u32(1).u64(3).u8(9).u32(0), "unknown attribute form 9"},
		{"short CK_ULONG attribute", MsgCreateObject, false, session.u32(1).u64(0).u8(0).bytes("abcd"), "template[CKA_CLASS]"},
		{"template on a bytes attribute", MsgCreateObject, false, session.u32(1).u64(3).u8(2).u32(0), "a nested template for an attribute of kind bytes"},
		{"nested too deep", MsgCreateObject, false, session.u32(1).u64(uint64(ck.CKA_WRAP_TEMPLATE)).u8(2).u32(1).
			u64(uint64(ck.CKA_WRAP_TEMPLATE)).u8(2).u32(0), "templates nest at most 2 levels"},
		{"unknown param kind", MsgSignInit, false, session.u64(uint64(ck.CKM_ECDSA)).u8(77).u64(5), "unknown mechanism parameter kind 77"},
		{"IV over its limit", MsgEncryptInit, false, session.u64(uint64(ck.CKM_AES_CBC)).u8(2).u32(300).raw(make([]byte, 300)...).u64(1), "length 300 over the limit of 256"},
		{"query count over body", MsgGetAttributeValue, false, session.u64(2).u32(10), "10 elements need at least 90 bytes"},
		{"bad magic", MsgHello, false, body{}.raw('H', 'T', 'T', 'P'), "not a cloudp11 client"},
		{"bad UTF-8 user", MsgProxyLogin, false, body{}.bytes("\xff\xfe").bytes("pw"), "field user at byte 0: not valid UTF-8"},
		{"unknown mode", MsgUserLogin, false, body{}.bytes("u").bytes("").bytes("s").u8(7), "unknown mode 7"},
		{"stage 0", MsgSignOnce, true, body{}.u64(0).u8(0).u64(0).u32(0), "stage 0 outside 1..2"},
		{"stage 3 in SignOnce", MsgSignOnce, true, body{}.u64(0).u8(3).u64(0).u32(0), "stage 3 outside 1..2"},
		{"output length disagrees", MsgSign, true, body{}.u64(0).u64(5).bytes("abc"), "length 5 but 3 bytes of data"},
		{"unknown type", MsgType(0x7777), false, body{}, "not a request type"},
		{"goodbye has no request", MsgGoodbye, false, body{}, "not a request type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.resp {
				_, err = DecodeResponse(tt.typ, tt.body)
			} else {
				_, err = DecodeRequest(tt.typ, tt.body)
			}
			var malformed *MalformedError
			require.ErrorAs(t, err, &malformed)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestForgedCountsDoNotAllocate(t *testing.T) {
	forged := body{}.u64(1).u32(0xFFFFFFFF)
	allocs := testing.AllocsPerRun(50, func() {
		_, err := DecodeResponse(MsgFindObjects, forged)
		require.Error(t, err)
	})
	assert.Less(t, allocs, 10.0, "a forged count must be refused before allocating")
}

func TestGoodbyeAndRemoteErrorBodies(t *testing.T) {
	g := &Goodbye{Reason: GoodbyeWorkerLost, Detail: "backend exited"}
	b, err := AppendBody(nil, g)
	require.NoError(t, err)
	got, err := DecodeGoodbye(b)
	require.NoError(t, err)
	assert.Equal(t, g, got)

	e := &RemoteError{Code: CodeLockedOut, Detail: "3 wrong secrets"}
	e.LockedUntil = e.LockedUntil.Add(1) // not on a millisecond: the wire keeps milliseconds
	b, err = AppendBody(nil, e)
	require.NoError(t, err)
	gotErr, err := DecodeRemoteError(b)
	require.NoError(t, err)
	assert.Equal(t, CodeLockedOut, gotErr.Code)
	assert.Equal(t, "3 wrong secrets", gotErr.Detail)

	_, err = DecodeGoodbye(body{}.u16(1))
	assert.Error(t, err)
	_, err = DecodeRemoteError(body{}.u16(1).u64(0).bytes("x").u8(0))
	assert.Error(t, err)
}
