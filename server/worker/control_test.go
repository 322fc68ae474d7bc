package worker

import (
	"io"
	"net"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func controlPair(t testing.TB) (parent, child *net.UnixConn) {
	t.Helper()
	parent, childFile, err := newControlPair()
	require.NoError(t, err)
	c, err := net.FileConn(childFile)
	childFile.Close()
	require.NoError(t, err)
	t.Cleanup(func() { parent.Close(); c.Close() })
	return parent, c.(*net.UnixConn)
}

func TestControlRoundTripWithDescriptor(t *testing.T) {
	parent, child := controlPair(t)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	msg := &controlMsg{Op: opAttach, ID: 7, Conn: &ConnInfo{MaxFrame: 1 << 20, MaxInFlight: 3, Remote: "192.0.2.1:5"}}
	require.NoError(t, writeControl(parent, msg, w))
	w.Close()

	got, files, err := readControl(child, make([]byte, maxControlPacket), make([]byte, controlOOBSize))
	require.NoError(t, err)
	assert.Equal(t, msg, got)
	require.Len(t, files, 1)
	// The descriptor is the pipe's write end: what goes in comes out.
	_, err = files[0].Write([]byte("through"))
	require.NoError(t, err)
	files[0].Close()
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "through", string(out))
}

func TestControlRefusesGarbageAndSeesClose(t *testing.T) {
	parent, child := controlPair(t)
	_, _, err := parent.WriteMsgUnix([]byte("{not json"), nil, nil)
	require.NoError(t, err)
	buf, oob := make([]byte, maxControlPacket), make([]byte, controlOOBSize)
	_, _, err = readControl(child, buf, oob)
	assert.ErrorContains(t, err, "control packet")

	big := &controlMsg{Op: opCheckPIN, PIN: make([]byte, maxControlPacket)}
	assert.ErrorContains(t, writeControl(parent, big, nil), "exceeds")

	parent.Close()
	_, _, err = readControl(child, buf, oob)
	assert.Error(t, err, "the peer's close ends the reader")
}

// FuzzControlPacket: whatever a packet holds, reading it gives a message or
// an error, never a panic.
func FuzzControlPacket(f *testing.F) {
	f.Add([]byte(`{"op":"init","id":1,"params":{"User":"u","Token":"t","Environment":{"A":"b"},"Lease":60000000000}}`))
	f.Add([]byte(`{"op":"attach","id":2,"conn":{"MaxFrame":65536}}`))
	f.Add([]byte(`{"id":3,"rv":160,"error":"x","not_found":true,"gone":true}`))
	f.Add([]byte(`{"op":"check_pin","id":4,"pin":"MTIzNA=="}`))
	f.Add([]byte(`[]`))
	parent, child := controlPair(f)
	buf, oob := make([]byte, maxControlPacket), make([]byte, controlOOBSize)
	f.Fuzz(func(t *testing.T, packet []byte) {
		if len(packet) == 0 || len(packet) > maxControlPacket {
			return // an empty packet reads as the peer's close; larger ones are never sent
		}
		_, _, err := parent.WriteMsgUnix(packet, nil, nil)
		require.NoError(t, err)
		m, files, err := readControl(child, buf, oob)
		assert.Empty(t, files)
		if err == nil {
			assert.NotNil(t, m)
		}
	})
}
