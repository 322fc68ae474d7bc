package main

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/cloudp11/cloudp11/transport/ck"
)

func TestPadText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		size int
		want string
	}{
		{"blank padded", "cloudp11", 12, "cloudp11    "},
		{"exact", "abcd", 4, "abcd"},
		{"cut", "abcdef", 4, "abcd"},
		{"cut before a two-byte rune", "abcé", 4, "abc "},
		{"cut before a four-byte rune", "a😀", 4, "a   "},
		{"whole multi-byte runes", "éé", 4, "éé"},
		{"invalid UTF-8 replaced", "a\xffb", 4, "a?b "},
		{"control characters blanked", "a\x00b\nc", 6, "a b c "},
		{"empty", "", 3, "   "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]byte, tt.size)
			padText(dst, tt.in)
			assert.Equal(t, tt.want, string(dst))
			assert.True(t, utf8.Valid(dst))
		})
	}
}

func TestFillTokenInfoRepadsServerFields(t *testing.T) {
	var src ck.TokenInfo
	copy(src.Label[:], "partition\x00\x00\x00") // NUL padding from a careless server
	copy(src.SerialNumber[:], "0123456789abcdef")
	src.Flags = ck.CKF_RNG | ck.CKF_TOKEN_INITIALIZED
	src.MaxPinLen = 255
	src.FirmwareVersion = ck.Version{Major: 2, Minor: 6}
	var dst ckTokenInfo
	fillTokenInfo(&dst, src)

	label := make([]byte, len(dst.label))
	for i, c := range dst.label {
		label[i] = byte(c)
	}
	assert.Equal(t, "partition                       ", string(label))
	serial := make([]byte, len(dst.serialNumber))
	for i, c := range dst.serialNumber {
		serial[i] = byte(c)
	}
	assert.Equal(t, "0123456789abcdef", string(serial))
	assert.Equal(t, ckULONG(ck.CKF_RNG|ck.CKF_TOKEN_INITIALIZED), dst.flags)
	assert.Equal(t, ckULONG(255), dst.ulMaxPinLen)
	assert.Equal(t, ckVersion{major: 2, minor: 6}, dst.firmwareVersion)
	assert.Equal(t, byte(' '), byte(dst.manufacturerID[0]), "an empty field is blanks")
}
