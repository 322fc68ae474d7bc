package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

const (
	testProxyPassword = "pr0xy-passw0rd"
	testSecret        = "the-permanent-secret-32-bytes!!!"
)

func newFakeAuth() *fakeAuth {
	return &fakeAuth{proxyUser: "SERVICE_USER", proxyPassword: testProxyPassword, user: "HSM_USERNAME", secret: testSecret}
}

func testSecrets(t *testing.T) *config.Secrets {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".secrets.cfg")
	s, err := config.UpdateSecrets(path, func(s *config.Secrets) error {
		s.SetProxyPassword("SERVICE_USER", testProxyPassword)
		s.SetHSMUser(config.HSMUserSecret{UserName: "HSM_USERNAME", Secret: EncodeSecret([]byte(testSecret)), SecretID: "0123456789abcdef"})
		return nil
	})
	require.NoError(t, err)
	return s
}

func testDialer(t *testing.T) *Dialer {
	t.Helper()
	id, err := transport.NewInstanceID()
	require.NoError(t, err)
	return &Dialer{InstanceID: id, SoftwareVersion: "core test", Capabilities: transport.CapFused}
}

func testMember(t *testing.T, h *config.HSM) *Member {
	t.Helper()
	m, err := NewMember(h, &h.Slots[0])
	require.NoError(t, err)
	return m
}

func testConnect(t *testing.T, d *Dialer, m *Member, secrets *config.Secrets) (*transport.Client, error) {
	t.Helper()
	creds, err := Credentials(m, secrets)
	require.NoError(t, err)
	c, err := d.Connect(context.Background(), m, creds, transport.ModePKCS11)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func TestConnectWithTheRightCA(t *testing.T) {
	pki := newTestPKI(t)
	auth := newFakeAuth()
	port := startServer(t, pki, auth)
	d := testDialer(t)
	m := testMember(t, testHSM(port, config.TLS{CAFile: pki.caFile}))

	c, err := testConnect(t, d, m, testSecrets(t))
	require.NoError(t, err)
	require.NoError(t, c.Ping(context.Background()))
	s := c.Session()
	assert.Equal(t, "hsmd test", s.Server.ServerVersion)
	assert.Equal(t, "token-HSM_USERNAME", s.Login.Partition)
	// The server chose within what was offered: fused, not the audit log.
	assert.Equal(t, transport.CapFused, s.Server.Capabilities)

	hello := auth.lastHello(t)
	assert.Equal(t, "CLIENT_ID1", hello.ClientID)
	assert.Equal(t, "core test", hello.SoftwareVersion)
	assert.Equal(t, PartitionInstanceID(d.InstanceID, "HSM_USERNAME"), hello.InstanceID)
}

func TestConnectAuditLogModeOffersTheAuditCapability(t *testing.T) {
	pki := newTestPKI(t)
	auth := newFakeAuth()
	port := startServer(t, pki, auth)
	m := testMember(t, testHSM(port, config.TLS{CAFile: pki.caFile}))
	creds, err := Credentials(m, testSecrets(t))
	require.NoError(t, err)
	c, err := testDialer(t).Connect(context.Background(), m, creds, transport.ModeAuditLog)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, transport.CapAuditLog, c.Session().Server.Capabilities)
	assert.Equal(t, transport.CapAuditLog, auth.lastHello(t).Capabilities)
}

func TestWrongCAIsRefused(t *testing.T) {
	pki := newTestPKI(t)
	other := newTestPKI(t)
	port := startServer(t, pki, newFakeAuth())
	m := testMember(t, testHSM(port, config.TLS{CAFile: other.caFile}))

	_, err := testConnect(t, testDialer(t), m, testSecrets(t))
	require.Error(t, err)
	var me *MemberError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, StepDial, me.Step)
	assert.Equal(t, "hsm0", me.HSM)
	var verify *tls.CertificateVerificationError
	assert.ErrorAs(t, err, &verify)
	assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, ck.RVOf(err))
}

func TestSystemRootsDoNotTrustAPrivateCA(t *testing.T) {
	pki := newTestPKI(t)
	port := startServer(t, pki, newFakeAuth())
	m := testMember(t, testHSM(port, config.TLS{}))
	assert.Nil(t, m.TLS.RootCAs, "no tls_ca: the system roots")

	_, err := testConnect(t, testDialer(t), m, testSecrets(t))
	var verify *tls.CertificateVerificationError
	require.ErrorAs(t, err, &verify)
}

func TestServerNameIsChecked(t *testing.T) {
	pki := newTestPKI(t)
	port := startServer(t, pki, newFakeAuth())

	good := testMember(t, testHSM(port, config.TLS{CAFile: pki.caFile, ServerName: "hsm.test"}))
	assert.Equal(t, "hsm.test", good.TLS.ServerName)
	_, err := testConnect(t, testDialer(t), good, testSecrets(t))
	require.NoError(t, err)

	bad := testMember(t, testHSM(port, config.TLS{CAFile: pki.caFile, ServerName: "other.test"}))
	_, err = testConnect(t, testDialer(t), bad, testSecrets(t))
	var verify *tls.CertificateVerificationError
	require.ErrorAs(t, err, &verify)

	// Without tls_server_name the host is the name.
	assert.Equal(t, "127.0.0.1", testMember(t, testHSM(port, config.TLS{CAFile: pki.caFile})).TLS.ServerName)
}

func TestPins(t *testing.T) {
	pki := newTestPKI(t)
	port := startServer(t, pki, newFakeAuth())
	right := SPKIPin(pki.leaf)
	wrong := strings.Repeat("ab", 32)

	t.Run("right pin", func(t *testing.T) {
		m := testMember(t, testHSM(port, config.TLS{CAFile: pki.caFile, PinSHA256: []string{wrong, right}}))
		_, err := testConnect(t, testDialer(t), m, testSecrets(t))
		require.NoError(t, err)
	})
	t.Run("wrong pin", func(t *testing.T) {
		m := testMember(t, testHSM(port, config.TLS{CAFile: pki.caFile, PinSHA256: []string{wrong}}))
		_, err := testConnect(t, testDialer(t), m, testSecrets(t))
		var mismatch *PinMismatchError
		require.ErrorAs(t, err, &mismatch)
		assert.Equal(t, right, mismatch.Got)
		assert.Contains(t, err.Error(), right)
		assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, ck.RVOf(err))
	})
	t.Run("a right pin does not replace the CA", func(t *testing.T) {
		m := testMember(t, testHSM(port, config.TLS{PinSHA256: []string{right}}))
		_, err := testConnect(t, testDialer(t), m, testSecrets(t))
		var verify *tls.CertificateVerificationError
		require.ErrorAs(t, err, &verify)
	})
}

func TestUnreachableMember(t *testing.T) {
	m := testMember(t, testHSM(closedPort(t), config.TLS{}))
	_, err := testConnect(t, testDialer(t), m, testSecrets(t))
	var me *MemberError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, StepDial, me.Step)
	var te *transport.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, transport.KindUnreachable, te.Kind)
	assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, ck.RVOf(err))
}

// A server that accepts TCP but never answers TLS is given up on after
// connect_timeout, not after the caller's (longer) deadline.
func TestConnectTimeoutBoundsTheTLSHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		select {
		case c := <-accepted:
			c.Close()
		default:
		}
	})
	h := testHSM(ln.Addr().(*net.TCPAddr).Port, config.TLS{})
	h.ConnectTimeout = 200 * time.Millisecond
	m := testMember(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err = testDialer(t).Connect(ctx, m, transport.Credentials{}, transport.ModePKCS11)
	var te *transport.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, transport.KindUnreachable, te.Kind)
	assert.Less(t, time.Since(start), 30*time.Second)
}

func TestRefusedCredentials(t *testing.T) {
	pki := newTestPKI(t)
	port := startServer(t, pki, newFakeAuth())
	m := testMember(t, testHSM(port, config.TLS{CAFile: pki.caFile}))
	d := testDialer(t)

	creds, err := Credentials(m, testSecrets(t))
	require.NoError(t, err)
	wrongProxy := creds
	wrongProxy.ProxyPassword = transport.Secret("not-the-password")
	_, err = d.Connect(context.Background(), m, wrongProxy, transport.ModePKCS11)
	var me *MemberError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, StepLogin, me.Step)
	assert.Equal(t, transport.CodeWrongProxyPassword, remoteCode(t, err))
	assert.Equal(t, ck.CKR_TOKEN_NOT_RECOGNIZED, ck.RVOf(err))
	assert.NotContains(t, err.Error(), "not-the-password")

	wrongSecret := creds
	wrongSecret.Secret = transport.Secret("guess")
	_, err = d.Connect(context.Background(), m, wrongSecret, transport.ModePKCS11)
	assert.Equal(t, transport.CodeWrongSecret, remoteCode(t, err))
	assert.NotContains(t, err.Error(), "guess")
}

func TestFetchSecret(t *testing.T) {
	pki := newTestPKI(t)
	port := startServer(t, pki, newFakeAuth())
	m := testMember(t, testHSM(port, config.TLS{CAFile: pki.caFile}))
	d := testDialer(t)
	pw := transport.Secret(testProxyPassword)

	resp, server, err := d.FetchSecret(context.Background(), m, pw, transport.FetchSecretRequest{
		SetupPassword: transport.Secret("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"), PIN: transport.Secret("1234"),
	})
	require.NoError(t, err)
	assert.Equal(t, "0123456789abcdef", resp.SecretID)
	assert.Equal(t, testSecret, string(resp.Secret.Reveal()))
	assert.Equal(t, "hsmd test", server.ServerVersion)

	_, server, err = d.FetchSecret(context.Background(), m, pw, transport.FetchSecretRequest{
		SetupPassword: transport.Secret("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"), PIN: transport.Secret("9999"),
	})
	assert.Equal(t, transport.CodeWrongPIN, remoteCode(t, err))
	require.NotNil(t, server, "the server's Hello came before the refusal")
	assert.NotContains(t, err.Error(), "9999")
}

func TestTLSConfigCAFileErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o644))
	huge := filepath.Join(dir, "huge.pem")
	require.NoError(t, os.WriteFile(huge, make([]byte, maxCAFileSize+1), 0o644))

	for name, file := range map[string]string{
		"missing": filepath.Join(dir, "missing.pem"), "not PEM": notPEM, "too large": huge,
	} {
		t.Run(name, func(t *testing.T) {
			h := testHSM(1, config.TLS{CAFile: file})
			_, err := NewMember(h, &h.Slots[0])
			var ce *config.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "primus.hsms.hsm0.tls_ca", ce.Path)
			assert.Contains(t, err.Error(), file)
		})
	}
}

func TestTLSConfigFromAFile(t *testing.T) {
	pki := newTestPKI(t)
	dir := t.TempDir()
	pin := SPKIPin(pki.leaf)
	cfgFile := filepath.Join(dir, "primus.cfg")
	require.NoError(t, os.WriteFile(cfgFile, []byte(`primus: {
  tls_ca = "`+pki.caFile+`";
  hsms: { hsm0: { host = "127.0.0.1"; port = "2310"; tls_pin_sha256 = "sha256//`+pinBase64(t, pin)+`";
    slots: { slot0: { user_name = "U"; proxy_user = "P"; id = 0; }; }; }; };
};`), 0o600))
	cfg, err := config.Load(cfgFile)
	require.NoError(t, err)
	tc, err := TLSConfig(&cfg.HSMs[0])
	require.NoError(t, err)
	assert.NotNil(t, tc.RootCAs)
	require.NotNil(t, tc.VerifyConnection)
	assert.NoError(t, tc.VerifyConnection(tls.ConnectionState{PeerCertificates: []*x509.Certificate{pki.leaf}}))
	assert.Error(t, tc.VerifyConnection(tls.ConnectionState{}))
}

func TestCredentials(t *testing.T) {
	h := testHSM(1, config.TLS{})
	m := testMember(t, h)
	secrets := testSecrets(t)

	creds, err := Credentials(m, secrets)
	require.NoError(t, err)
	assert.Equal(t, "SERVICE_USER", creds.ProxyUser)
	assert.Equal(t, testProxyPassword, string(creds.ProxyPassword.Reveal()))
	assert.Equal(t, "HSM_USERNAME", creds.User)
	assert.Equal(t, "0123456789abcdef", creds.SecretID)
	assert.Equal(t, testSecret, string(creds.Secret.Reveal()))

	t.Run("stored proxy password wins over primus.cfg", func(t *testing.T) {
		h := testHSM(1, config.TLS{})
		h.Slots[0].ProxyPassword = "from-primus-cfg"
		creds, err := Credentials(testMember(t, h), secrets)
		require.NoError(t, err)
		assert.Equal(t, testProxyPassword, string(creds.ProxyPassword.Reveal()))
		pw, err := ProxyPassword(testMember(t, h), &config.Secrets{})
		require.NoError(t, err)
		assert.Equal(t, "from-primus-cfg", string(pw.Reveal()))
	})
	t.Run("missing", func(t *testing.T) {
		var missing *MissingCredentialError
		_, err := Credentials(m, &config.Secrets{})
		require.ErrorAs(t, err, &missing)
		assert.Equal(t, CredentialProxyPassword, missing.Credential)
		assert.Equal(t, "SERVICE_USER", missing.User)
		assert.Contains(t, err.Error(), "ppin -p -e SERVICE_USER")
		assert.Equal(t, ck.CKR_TOKEN_NOT_RECOGNIZED, ck.RVOf(err))

		onlyProxy := &config.Secrets{}
		onlyProxy.SetProxyPassword("SERVICE_USER", "x")
		_, err = Credentials(m, onlyProxy)
		require.ErrorAs(t, err, &missing)
		assert.Equal(t, CredentialPermanentSecret, missing.Credential)
		assert.Contains(t, err.Error(), "ppin -a -e HSM_USERNAME")

		noProxyUser := testHSM(1, config.TLS{})
		noProxyUser.Slots[0].ProxyUser = ""
		_, err = Credentials(testMember(t, noProxyUser), secrets)
		require.ErrorAs(t, err, &missing)
		assert.Equal(t, CredentialProxyUser, missing.Credential)
		assert.Contains(t, err.Error(), "hsm0.slot0")
	})
	t.Run("secret not base64", func(t *testing.T) {
		bad := &config.Secrets{}
		bad.SetProxyPassword("SERVICE_USER", "x")
		bad.SetHSMUser(config.HSMUserSecret{UserName: "HSM_USERNAME", Secret: "s3cr3t value!"})
		_, err := Credentials(m, bad)
		var invalid *InvalidSecretError
		require.ErrorAs(t, err, &invalid)
		assert.NotContains(t, err.Error(), "s3cr3t")
		assert.Equal(t, ck.CKR_TOKEN_NOT_RECOGNIZED, ck.RVOf(err))
	})
}

func TestSecretEncodingRoundTrip(t *testing.T) {
	for _, b := range [][]byte{{0}, []byte(testSecret), make([]byte, 1024)} {
		got, err := DecodeSecret("u", EncodeSecret(b))
		require.NoError(t, err)
		assert.Equal(t, b, got.Reveal())
	}
	for _, bad := range []string{"", "====", "YQ", "a b", "YQ=", "Y!=="} {
		_, err := DecodeSecret("u", bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestPartitionInstanceID(t *testing.T) {
	var a, b [16]byte
	b[0] = 1
	assert.Equal(t, PartitionInstanceID(a, "U"), PartitionInstanceID(a, "U"))
	assert.NotEqual(t, PartitionInstanceID(a, "U"), PartitionInstanceID(a, "V"))
	assert.NotEqual(t, PartitionInstanceID(a, "U"), PartitionInstanceID(b, "U"))
	assert.NotEqual(t, a, PartitionInstanceID(a, ""))
}

func TestErrorsNameTheStep(t *testing.T) {
	err := &MemberError{HSM: "hsm1", Addr: "b:2310", Step: StepLogin, Err: errors.New("boom")}
	assert.Equal(t, "hsm1 (b:2310): login: boom", err.Error())
	assert.Equal(t, "connect", StepDial.String())
}

// pinBase64 writes a hex pin in curl's base64 form, which Load accepts.
func pinBase64(t *testing.T, hexPin string) string {
	t.Helper()
	b, err := hex.DecodeString(hexPin)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}
