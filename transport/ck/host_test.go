package ck

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var layouts = map[string]HostLayout{
	"lp64-le":  {ULONGSize: 8, AttributeSize: 24, Order: binary.LittleEndian},
	"lp64-be":  {ULONGSize: 8, AttributeSize: 24, Order: binary.BigEndian},
	"ilp32-le": {ULONGSize: 4, AttributeSize: 12, Order: binary.LittleEndian},
	"win64":    {ULONGSize: 4, AttributeSize: 16, Order: binary.LittleEndian},
}

func TestHostLayoutRoundTripsEveryKind(t *testing.T) {
	values := map[AttributeType][]byte{
		CKA_CLASS:              ULONGAttr(CKA_CLASS, CKO_PUBLIC_KEY).Value,
		CKA_MODULUS_BITS:       ULONGAttr(CKA_MODULUS_BITS, ULONG(4096)).Value,
		CKA_ALLOWED_MECHANISMS: ULONGsAttr(CKA_ALLOWED_MECHANISMS, CKM_AES_GCM, CKM_SHA256_HMAC).Value,
		CKA_TOKEN:              {1},
		CKA_START_DATE:         []byte("20240229"),
		CKA_LABEL:              []byte("label"),
	}
	for name, layout := range layouts {
		t.Run(name, func(t *testing.T) {
			for typ, wire := range values {
				native, err := layout.FromWire(typ, wire)
				require.NoError(t, err, typ.String())
				back, err := layout.ToWire(typ, native)
				require.NoError(t, err, typ.String())
				assert.Equal(t, wire, back, typ.String())
			}
		})
	}
}

func TestHostLayoutNativeBytes(t *testing.T) {
	le32 := layouts["ilp32-le"]
	native, err := le32.FromWire(CKA_CLASS, ULONGAttr(CKA_CLASS, CKO_SECRET_KEY).Value)
	require.NoError(t, err)
	assert.Equal(t, []byte{4, 0, 0, 0}, native)

	be64 := layouts["lp64-be"]
	wire, err := be64.ToWire(CKA_VALUE_LEN, []byte{0, 0, 0, 0, 0, 0, 0, 32})
	require.NoError(t, err)
	assert.Equal(t, ULONGAttr(CKA_VALUE_LEN, ULONG(32)).Value, wire)

	// Any non-zero CK_BBOOL is true; the wire only knows 0 and 1.
	wire, err = be64.ToWire(CKA_SIGN, []byte{0xFF})
	require.NoError(t, err)
	assert.Equal(t, []byte{1}, wire)
}

func TestHostLayoutRefusesBadValues(t *testing.T) {
	lp64 := layouts["lp64-le"]
	ilp32 := layouts["ilp32-le"]
	_, err := lp64.ToWire(CKA_CLASS, []byte{1, 2, 3, 4})
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
	_, err = lp64.ToWire(CKA_ALLOWED_MECHANISMS, make([]byte, 12))
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
	_, err = lp64.ToWire(CKA_TOKEN, nil)
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
	_, err = lp64.ToWire(CKA_WRAP_TEMPLATE, make([]byte, 24))
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
	_, err = ilp32.FromWire(CKA_VALUE_LEN, ULONGAttr(CKA_VALUE_LEN, ULONG(1)<<40).Value)
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
	_, err = ilp32.FromWire(CKA_CLASS, []byte{1})
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
	_, err = HostLayout{}.ToWire(CKA_LABEL, nil)
	assert.Equal(t, CKR_GENERAL_ERROR, RVOf(err))
}

func TestHostLen(t *testing.T) {
	win := layouts["win64"]
	assert.Equal(t, ULONG(4), win.HostLen(CKA_CLASS, 8))
	assert.Equal(t, ULONG(12), win.HostLen(CKA_ALLOWED_MECHANISMS, 24))
	assert.Equal(t, ULONG(32), win.HostLen(CKA_WRAP_TEMPLATE, 2))
	assert.Equal(t, ULONG(7), win.HostLen(CKA_LABEL, 7))
	assert.Equal(t, CK_UNAVAILABLE_INFORMATION, win.HostLen(CKA_CLASS, CK_UNAVAILABLE_INFORMATION))
}

func TestNativeLayoutOfThisMachine(t *testing.T) {
	l := NativeLayout()
	require.NoError(t, l.valid())
	assert.Equal(t, 3*8, l.AttributeSize, "linux/amd64 CK_ATTRIBUTE is 24 bytes")
}
