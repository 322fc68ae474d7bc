package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/transport"
)

// testPKI is a CA and a server certificate signed by it, for 127.0.0.1 and
// hsm.test.
type testPKI struct {
	caFile string // PEM of the CA
	server tls.Certificate
	leaf   *x509.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "hsm.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		DNSNames: []string{"hsm.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644))
	return &testPKI{
		caFile: caFile,
		server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		leaf:   leaf,
	}
}

// fakeAuth accepts one proxy user and one HSM user with fixed credentials
// and records the Hello of each connection.
type fakeAuth struct {
	proxyUser, proxyPassword string
	user, secret             string

	mu     sync.Mutex
	hellos []transport.HelloRequest
}

func (a *fakeAuth) ProxyLogin(_ context.Context, peer *transport.Peer, req *transport.ProxyLoginRequest) error {
	a.mu.Lock()
	a.hellos = append(a.hellos, peer.Hello)
	a.mu.Unlock()
	if req.User != a.proxyUser || string(req.Password.Reveal()) != a.proxyPassword {
		return &transport.RemoteError{Code: transport.CodeWrongProxyPassword, Detail: "wrong proxy user name or password"}
	}
	return nil
}

func (a *fakeAuth) UserLogin(_ context.Context, _ *transport.Peer, req *transport.UserLoginRequest) (*transport.UserLoginResponse, error) {
	if req.User != a.user {
		return nil, &transport.RemoteError{Code: transport.CodeUnknownUser}
	}
	if string(req.Secret.Reveal()) != a.secret {
		return nil, &transport.RemoteError{Code: transport.CodeWrongSecret}
	}
	return &transport.UserLoginResponse{Partition: "token-" + req.User, Lease: 60}, nil
}

func (a *fakeAuth) FetchSecret(_ context.Context, _ *transport.Peer, req *transport.FetchSecretRequest) (*transport.FetchSecretResponse, error) {
	if req.User != a.user {
		return nil, &transport.RemoteError{Code: transport.CodeUnknownUser}
	}
	if string(req.SetupPassword.Reveal()) != "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE" {
		return nil, &transport.RemoteError{Code: transport.CodeWrongSetupPassword}
	}
	if string(req.PIN.Reveal()) != "1234" {
		return nil, &transport.RemoteError{Code: transport.CodeWrongPIN}
	}
	return &transport.FetchSecretResponse{SecretID: "0123456789abcdef", Secret: transport.Secret(a.secret)}, nil
}

func (a *fakeAuth) lastHello(t *testing.T) transport.HelloRequest {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	require.NotEmpty(t, a.hellos)
	return a.hellos[len(a.hellos)-1]
}

// startServer serves the handshake (and Ping afterwards) over TLS on
// 127.0.0.1 with pki's certificate until the test ends, and returns its
// port.
func startServer(t *testing.T, pki *testPKI, auth transport.Authenticator) int {
	t.Helper()
	ln, err := transport.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pki.server}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				hs, err := transport.ServerHandshake(ctx, conn, transport.HandshakeConfig{
					ServerVersion: "hsmd test", Capabilities: transport.CapAuditLog | transport.CapFused,
				}, auth)
				if err != nil || hs.SecretIssued {
					return
				}
				sc := transport.NewServerConn(conn, transport.NewDispatcher(), hs.Conn)
				_ = sc.Serve(ctx)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// testHSM is an HSM entry of primus.cfg for a server on 127.0.0.1:port.
func testHSM(port int, tlsSettings config.TLS) *config.HSM {
	h := &config.HSM{
		Name: "hsm0", Host: "127.0.0.1", Port: port,
		TLS: tlsSettings, ConnectTimeout: 5 * time.Second, CallTimeout: 10 * time.Second,
	}
	h.Slots = []config.Slot{{Name: "slot0", ID: 0, ClientID: "CLIENT_ID1", UserName: "HSM_USERNAME", ProxyUser: "SERVICE_USER"}}
	return h
}

// closedPort returns a loopback port where nothing listens.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

func portString(p int) string { return strconv.Itoa(p) }

// remoteCode returns the code of the *transport.RemoteError in err's chain.
func remoteCode(t *testing.T, err error) transport.ErrorCode {
	t.Helper()
	var remote *transport.RemoteError
	require.True(t, errors.As(err, &remote), "want a RemoteError in %v", err)
	return remote.Code
}
