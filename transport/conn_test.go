package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testPKI is a CA and a server certificate for "localhost" and 127.0.0.1,
// made once per test binary.
type testPKI struct {
	roots  *x509.CertPool
	server tls.Certificate
}

var (
	pkiOnce sync.Once
	pki     testPKI
	pkiErr  error
)

func testCerts(t testing.TB) testPKI {
	pkiOnce.Do(func() { pki, pkiErr = makePKI() })
	require.NoError(t, pkiErr)
	return pki
}

func makePKI() (testPKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return testPKI{}, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cloudp11 test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return testPKI{}, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return testPKI{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return testPKI{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return testPKI{}, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	return testPKI{roots: roots, server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}, nil
}

func (p testPKI) serverConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.server}}
}

func (p testPKI) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: p.roots, ServerName: "localhost"}
}

// connPair makes a connected client and server conn.
type connPair func(t *testing.T) (client, server net.Conn)

// testConnTypes runs transport tests over an in-memory pipe, TCP on
// loopback and TLS 1.3 on loopback (yamux's testConnTypes).
var testConnTypes = []struct {
	name string
	pair connPair
}{
	{"pipe", pipePair},
	{"tcp", tcpPair},
	{"tls", tlsPair},
}

func pipePair(t *testing.T) (net.Conn, net.Conn) {
	c, s := net.Pipe()
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return acceptPair(t, ln, func() (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) })
}

func tlsPair(t *testing.T) (net.Conn, net.Conn) {
	p := testCerts(t)
	ln, err := Listen("tcp", "127.0.0.1:0", p.serverConfig())
	require.NoError(t, err)
	defer ln.Close()
	return acceptPair(t, ln, func() (net.Conn, error) {
		return Dial(t.Context(), "tcp", ln.Addr().String(), p.clientConfig())
	})
}

func acceptPair(t *testing.T, ln net.Listener, dial func() (net.Conn, error)) (net.Conn, net.Conn) {
	accepted := make(chan net.Conn, 1)
	acceptErr := make(chan error, 1)
	go func() {
		s, err := ln.Accept()
		if err == nil {
			if ts, ok := s.(*tls.Conn); ok {
				err = ts.HandshakeContext(t.Context())
			}
		}
		if err != nil {
			acceptErr <- err
			return
		}
		accepted <- s
	}()
	c, err := dial()
	require.NoError(t, err)
	var s net.Conn
	select {
	case s = <-accepted:
	case err := <-acceptErr:
		require.NoError(t, err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

// countingConn counts Write calls, to measure batching.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// gatedConn holds its first Write until gate is closed, and reports when
// that write has started.
type gatedConn struct {
	net.Conn
	gate    chan struct{}
	started chan struct{}
	once    sync.Once
}

func newGatedConn(c net.Conn) *gatedConn {
	return &gatedConn{Conn: c, gate: make(chan struct{}), started: make(chan struct{})}
}

func (c *gatedConn) Write(p []byte) (int, error) {
	c.once.Do(func() { close(c.started) })
	<-c.gate
	return c.Conn.Write(p)
}
