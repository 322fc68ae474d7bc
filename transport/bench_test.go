package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"testing"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// BenchmarkCall measures round trips of a small C_Sign through Client and
// ServerConn, one caller and many in parallel, over each connection type.
func BenchmarkCall(b *testing.B) {
	for _, ct := range testConnTypes {
		b.Run(ct.name, func(b *testing.B) {
			cConn, sConn := benchPair(b, ct.name)
			server := NewServerConn(sConn, echoDispatcher(), ServerConfig{MaxInFlight: 256})
			go server.Serve(context.Background())
			client := NewClient(cConn, Session{Server: HelloResponse{MaxFrame: DefaultMaxFrame, MaxInFlight: 256}}, ClientConfig{})
			defer client.Close()
			data := bytes.Repeat([]byte{7}, 32)
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					if _, err := client.Call(context.Background(), &SignRequest{DataPart{Session: 1, Data: data}}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := client.Call(context.Background(), &SignRequest{DataPart{Session: 1, Data: data}}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

func benchPair(b *testing.B, name string) (net.Conn, net.Conn) {
	var c, s net.Conn
	switch name {
	case "pipe":
		c, s = net.Pipe()
	case "tcp", "tls":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			conn, _ := ln.Accept()
			accepted <- conn
		}()
		c, err = net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		s = <-accepted
		if name == "tls" {
			p := testCerts(b)
			tc := tlsClientConn(c, p)
			ts := tlsServerConn(s, p)
			errs := make(chan error, 1)
			go func() { errs <- ts.HandshakeContext(context.Background()) }()
			if err := tc.HandshakeContext(context.Background()); err != nil {
				b.Fatal(err)
			}
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
			c, s = tc, ts
		}
	}
	b.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

// BenchmarkGetAttributeValueCodec measures encoding and decoding a typical
// C_GetAttributeValue answer (an RSA public key's attributes).
func BenchmarkGetAttributeValueCodec(b *testing.B) {
	resp := &GetAttributeValueResponse{Results: []AttributeResult{
		{Attribute: ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_PUBLIC_KEY)},
		{Attribute: ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.CKK_RSA)},
		{Attribute: ck.BytesAttr(ck.CKA_MODULUS, make([]byte, 256))},
		{Attribute: ck.BytesAttr(ck.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1})},
		{Attribute: ck.StringAttr(ck.CKA_LABEL, "my rsa key")},
		{Attribute: ck.BytesAttr(ck.CKA_ID, []byte{1, 2, 3, 4})},
		{Status: ck.CKR_ATTRIBUTE_SENSITIVE, Attribute: ck.Attribute{Type: ck.CKA_PRIVATE_EXPONENT, Query: true, Len: ck.CK_UNAVAILABLE_INFORMATION}},
	}}
	var buf []byte
	for b.Loop() {
		var err error
		buf, err = AppendBody(buf[:0], resp)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeResponse(MsgGetAttributeValue, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func tlsClientConn(c net.Conn, p testPKI) *tls.Conn {
	return tls.Client(c, ClientTLSConfig(p.clientConfig()))
}
func tlsServerConn(c net.Conn, p testPKI) *tls.Conn {
	return tls.Server(c, ServerTLSConfig(p.serverConfig()))
}
