package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

func TestPutOutputSizeQueryConvention(t *testing.T) {
	src := []ckULONG{10, 20, 30}

	t.Run("length pointer NULL", func(t *testing.T) {
		requireRV(t, ck.CKR_ARGUMENTS_BAD, putOutput("test", nil, nil, src, 3))
	})
	t.Run("output NULL asks for the length", func(t *testing.T) {
		n := ckULONG(0)
		require.NoError(t, putOutput("test", nil, &n, src, 3))
		assert.Equal(t, ckULONG(3), n)
	})
	t.Run("buffer too small", func(t *testing.T) {
		dst := []ckULONG{7, 7}
		n := ckULONG(len(dst))
		requireRV(t, ck.CKR_BUFFER_TOO_SMALL, putOutput("test", &dst[0], &n, src, 3))
		assert.Equal(t, ckULONG(3), n, "the length needed")
		assert.Equal(t, []ckULONG{7, 7}, dst, "nothing written")
	})
	t.Run("buffer large enough", func(t *testing.T) {
		dst := []ckULONG{7, 7, 7, 7}
		n := ckULONG(len(dst))
		require.NoError(t, putOutput("test", &dst[0], &n, src, 3))
		assert.Equal(t, ckULONG(3), n)
		assert.Equal(t, []ckULONG{10, 20, 30, 7}, dst, "the elements after the output untouched")
	})
	t.Run("empty output", func(t *testing.T) {
		dst := []ckULONG{7}
		n := ckULONG(1)
		require.NoError(t, putOutput("test", &dst[0], &n, []ckULONG{}, 0))
		assert.Equal(t, ckULONG(0), n)
	})
}

func TestOutBufDeliver(t *testing.T) {
	sig := []byte("signature bytes")

	t.Run("length pointer NULL", func(t *testing.T) {
		_, _, err := newOutBuf("test", nil, nil)
		requireRV(t, ck.CKR_ARGUMENTS_BAD, err)
	})
	t.Run("size query", func(t *testing.T) {
		n := ckULONG(999)
		buf, out, err := newOutBuf("test", nil, &n)
		require.NoError(t, err)
		assert.True(t, out.Query)
		require.NoError(t, buf.deliver(nil, uint64(len(sig)), nil))
		assert.Equal(t, ckULONG(len(sig)), n)
	})
	t.Run("core says too small", func(t *testing.T) {
		dst := make([]byte, 4)
		n := ckULONG(len(dst))
		buf, out, err := newOutBuf("test", bytePtr(dst), &n)
		require.NoError(t, err)
		assert.Equal(t, uint64(4), out.Cap)
		requireRV(t, ck.CKR_BUFFER_TOO_SMALL, buf.deliver(nil, uint64(len(sig)), ck.CKR_BUFFER_TOO_SMALL.Err("C_Sign")))
		assert.Equal(t, ckULONG(len(sig)), n)
	})
	t.Run("delivered", func(t *testing.T) {
		dst := make([]byte, 64)
		n := ckULONG(len(dst))
		buf, _, err := newOutBuf("test", bytePtr(dst), &n)
		require.NoError(t, err)
		require.NoError(t, buf.deliver(sig, uint64(len(sig)), nil))
		assert.Equal(t, ckULONG(len(sig)), n)
		assert.Equal(t, sig, dst[:n])
	})
	t.Run("another error leaves the length alone", func(t *testing.T) {
		dst := make([]byte, 64)
		n := ckULONG(len(dst))
		buf, _, err := newOutBuf("test", bytePtr(dst), &n)
		require.NoError(t, err)
		requireRV(t, ck.CKR_KEY_HANDLE_INVALID, buf.deliver(nil, 0, ck.CKR_KEY_HANDLE_INVALID.Err("C_Sign")))
		assert.Equal(t, ckULONG(64), n)
	})
	t.Run("never more than the buffer, whatever core answers", func(t *testing.T) {
		dst := make([]byte, 8)
		guard := dst[4:]
		n := ckULONG(4)
		buf, _, err := newOutBuf("test", bytePtr(dst), &n)
		require.NoError(t, err)
		requireRV(t, ck.CKR_BUFFER_TOO_SMALL, buf.deliver(sig, uint64(len(sig)), nil))
		assert.Equal(t, make([]byte, 4), guard)
		assert.Equal(t, ckULONG(len(sig)), n)
	})
}
