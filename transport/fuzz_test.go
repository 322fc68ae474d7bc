package transport

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// seedMessages is one sample request and response of every message type,
// for the fuzzers' seeds.
func seedMessages() []struct {
	typ      MsgType
	response bool
	body     []byte
} {
	var out []struct {
		typ      MsgType
		response bool
		body     []byte
	}
	for _, typ := range sortedMsgTypes() {
		spec := msgSpecs[typ]
		if spec.newRequest == nil {
			continue
		}
		f := newFiller(uint64(typ) * 7)
		for _, m := range []struct {
			msg      Message
			response bool
		}{{sampleOf(f, spec.newRequest()), false}, {sampleOf(f, spec.newResponse()), true}} {
			body, err := AppendBody(nil, m.msg)
			if err != nil {
				panic(err)
			}
			out = append(out, struct {
				typ      MsgType
				response bool
				body     []byte
			}{typ, m.response, body})
		}
	}
	return out
}

// decodeAny decodes body the way a receiver of a frame of type typ would.
func decodeAny(typ MsgType, response, isError bool, body []byte) (Message, error) {
	switch {
	case isError:
		return DecodeRemoteError(body)
	case typ == MsgGoodbye:
		return DecodeGoodbye(body)
	case response:
		return DecodeResponse(typ, body)
	}
	return DecodeRequest(typ, body)
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range seedMessages() {
		flags := Flags(0)
		if s.response {
			flags = FlagResponse
		}
		h := MakeHeader(uint32(len(s.body)), s.typ, flags, 42)
		frame := append(h[:], s.body...)
		f.Add(frame)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, body, err := ReadFrame(bytes.NewReader(data), HandshakeMaxFrame)
		if err != nil {
			return
		}
		require.Equal(t, int(h.Length()), len(body))
		require.NoError(t, h.Validate(HandshakeMaxFrame))
		require.Equal(t, data[:HeaderSize], h[:])
		msg, err := decodeAny(h.Type(), h.IsResponse(), h.Flags()&FlagError != 0, body)
		if err != nil {
			return
		}
		again, err := AppendBody(nil, msg)
		if err == nil {
			require.True(t, bytes.Equal(body, again), "a decoded body encodes back to the same bytes: %x, then %x", body, again)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range seedMessages() {
		f.Add(uint16(s.typ), s.response, false, s.body)
	}
	errBody, _ := AppendBody(nil, &RemoteError{Code: CodeLockedOut, LockedUntil: time.UnixMilli(1700000000000), Detail: "x"})
	f.Add(uint16(MsgUserLogin), true, true, errBody)
	bye, _ := AppendBody(nil, &Goodbye{Reason: GoodbyeShutdown, Detail: "bye"})
	f.Add(uint16(MsgGoodbye), false, false, bye)
	f.Fuzz(func(t *testing.T, typ uint16, response, isError bool, body []byte) {
		msg, err := decodeAny(MsgType(typ), response, isError, body)
		if err != nil {
			var malformed *MalformedError
			require.ErrorAs(t, err, &malformed)
			return
		}
		again, err := AppendBody(nil, msg)
		if err != nil {
			// The decoder leaves semantic checks (a mechanism's parameter
			// kind, say) to the receiver; the encoder makes them. Nothing
			// else may fail.
			return
		}
		require.True(t, bytes.Equal(body, again), "a decoded body encodes back to the same bytes: %x, then %x", body, again)
		msg2, err := decodeAny(MsgType(typ), response, isError, again)
		require.NoError(t, err)
		require.Equal(t, msg, msg2)
	})
}

// handshakeTranscript is what a client writes for a whole handshake.
func handshakeTranscript(t testing.TB, last Request) []byte {
	var out []byte
	for i, req := range []Request{
		&HelloRequest{Magic: Magic, MinVersion: 1, MaxVersion: 1, Capabilities: CapFused, ClientID: "c", SoftwareVersion: "v"},
		&ProxyLoginRequest{User: "svc", Password: Secret(proxyPassword)},
		last,
		&PingRequest{Nonce: 1},
	} {
		var err error
		out, err = AppendFrame(out, req.Type(), 0, uint64(i+1), req, HandshakeMaxFrame)
		require.NoError(t, err)
	}
	return out
}

// FuzzHandshake feeds arbitrary bytes to the server's handshake: it must
// end (on EOF at the latest) without panicking, and succeed only for a
// handshake the Authenticator accepted.
func FuzzHandshake(f *testing.F) {
	f.Add(handshakeTranscript(f, &UserLoginRequest{User: "alice", Secret: Secret(aliceSecret), Mode: ModePKCS11}))
	f.Add(handshakeTranscript(f, &UserLoginRequest{User: "alice", Secret: Secret(revokedSecret), Mode: ModeAuditLog}))
	f.Add(handshakeTranscript(f, &FetchSecretRequest{User: "alice", SetupPassword: Secret(setupPassword), PIN: Secret(partitionPIN)}))
	f.Add(handshakeTranscript(f, &FetchSecretRequest{User: "alice", SetupPassword: Secret("x"), PIN: Secret(partitionPIN)}))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		defer client.Close()
		go func() { // read whatever the server answers
			buf := make([]byte, 4096)
			for {
				if _, err := client.Read(buf); err != nil {
					return
				}
			}
		}()
		type result struct {
			hs  *Handshake
			err error
		}
		done := make(chan result, 1)
		go func() {
			hs, err := ServerHandshake(context.Background(), server, HandshakeConfig{Timeout: 5 * time.Second, Capabilities: CapAuditLog}, &fakeAuth{})
			server.Close() // unblocks a client write the server will not read
			done <- result{hs, err}
		}()
		_, _ = client.Write(data)
		client.Close() // EOF: the server must not wait for more
		select {
		case res := <-done:
			if res.err == nil {
				require.NotNil(t, res.hs)
				require.Contains(t, []string{"alice"}, res.hs.Peer.User)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the server handshake did not end after EOF")
		}
	})
}
