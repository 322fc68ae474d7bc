package transport

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawServer serves d on one end of a pipe and returns the other end, for
// tests that write frames by hand.
func rawServer(t *testing.T, d *Dispatcher) (net.Conn, <-chan error) {
	c, s := pipePair(t)
	server := NewServerConn(s, d, ServerConfig{})
	served := make(chan error, 1)
	go func() {
		served <- server.Serve(context.Background())
		close(served) // a test may have received the result already
	}()
	t.Cleanup(func() {
		server.Close()
		<-served
	})
	return c, served
}

func writeRaw(t *testing.T, c net.Conn, t2 MsgType, flags Flags, id uint64, body []byte) {
	h := MakeHeader(uint32(len(body)), t2, flags, id)
	_, err := c.Write(append(h[:], body...))
	require.NoError(t, err)
}

func readRaw(t *testing.T, c net.Conn) (Header, []byte) {
	h, body, err := ReadFrame(c, DefaultMaxFrame)
	require.NoError(t, err)
	return h, body
}

func TestServerAnswersBadBodiesAndKeepsTheConnection(t *testing.T) {
	c, _ := rawServer(t, echoDispatcher())

	writeRaw(t, c, MsgSign, 0, 1, []byte{1, 2, 3})
	h, body := readRaw(t, c)
	assert.Equal(t, FlagResponse|FlagError, h.Flags())
	assert.Equal(t, uint64(1), h.RequestID())
	remote, err := DecodeRemoteError(body)
	require.NoError(t, err)
	assert.Equal(t, CodeMalformed, remote.Code)
	assert.Contains(t, remote.Detail, "malformed C_Sign request")

	writeRaw(t, c, MsgType(0x7777), 0, 2, nil)
	h, body = readRaw(t, c)
	remote, err = DecodeRemoteError(body)
	require.NoError(t, err)
	assert.Equal(t, CodeUnknownMessage, remote.Code)
	assert.Equal(t, MsgType(0x7777), h.Type())

	writeRaw(t, c, MsgPing, 0, 3, []byte{1})
	_, body = readRaw(t, c)
	remote, err = DecodeRemoteError(body)
	require.NoError(t, err)
	assert.Equal(t, CodeMalformed, remote.Code)

	ping, err := AppendBody(nil, &PingRequest{Nonce: 99})
	require.NoError(t, err)
	writeRaw(t, c, MsgPing, FlagRetry, 4, ping)
	h, body = readRaw(t, c)
	assert.Equal(t, FlagResponse, h.Flags())
	resp, err := DecodeResponse(MsgPing, body)
	require.NoError(t, err)
	assert.Equal(t, &PingResponse{Nonce: 99}, resp)
}

func TestServerSaysGoodbyeOnProtocolViolations(t *testing.T) {
	ping, err := AppendBody(nil, &PingRequest{Nonce: 1})
	require.NoError(t, err)
	tests := []struct {
		name  string
		write func(t *testing.T, c net.Conn)
		want  string
	}{
		{"unknown flags", func(t *testing.T, c net.Conn) { writeRaw(t, c, MsgPing, 0x80, 1, nil) }, "unknown flag bits"},
		{"a response from the client", func(t *testing.T, c net.Conn) { writeRaw(t, c, MsgPing, FlagResponse, 1, ping) }, "a client sent a response"},
		{"request id 0", func(t *testing.T, c net.Conn) { writeRaw(t, c, MsgPing, 0, 0, ping) }, "request id 0 is reserved"},
		{"frame over the limit", func(t *testing.T, c net.Conn) {
			h := MakeHeader(DefaultMaxFrame+1, MsgSign, 0, 1)
			_, err := c.Write(h[:])
			require.NoError(t, err)
		}, "over the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, served := rawServer(t, echoDispatcher())
			tt.write(t, c)
			h, body := readRaw(t, c)
			require.Equal(t, MsgGoodbye, h.Type())
			assert.Zero(t, h.RequestID())
			g, err := DecodeGoodbye(body)
			require.NoError(t, err)
			assert.Equal(t, GoodbyeProtocolViolation, g.Reason)
			assert.Contains(t, g.Detail, tt.want)
			err = <-served
			assert.ErrorContains(t, err, tt.want)
			_, _, err = ReadFrame(c, DefaultMaxFrame)
			assert.Error(t, err, "the server closed the connection")
		})
	}
}

func TestServerRefusesADuplicateRequestID(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	c, served := rawServer(t, blockingDispatcher(entered, release))
	final, err := AppendBody(nil, &SignFinalRequest{FinalPart{Session: 1}})
	require.NoError(t, err)
	writeRaw(t, c, MsgSignFinal, 0, 7, final)
	<-entered
	writeRaw(t, c, MsgSignFinal, 0, 7, final)
	h, body := readRaw(t, c)
	require.Equal(t, MsgGoodbye, h.Type())
	g, err := DecodeGoodbye(body)
	require.NoError(t, err)
	assert.Contains(t, g.Detail, "request id already in flight")
	assert.Error(t, <-served)
}
