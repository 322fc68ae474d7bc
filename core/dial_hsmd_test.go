package core

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// dialHsmd is an hsmd on SoftHSM with one HSM user and one proxy user, and
// the primus.cfg entries that reach it.
type dialHsmd struct {
	hsmd  *testenv.Hsmd
	setup string
	pin   string // the SPKI pin of the server's certificate
}

const (
	dialProxyPassword = "dial-proxy-pw"
	dialUserPIN       = "dial-user-pin"
)

func startDialHsmd(t *testing.T) *dialHsmd {
	t.Helper()
	if testing.Short() {
		t.Skip("starts hsmd on SoftHSM")
	}
	soft := testenv.NewSoftHSM(t)
	soft.InitToken(t, "dial-token", "dial-so-pin", dialUserPIN)
	h := testenv.NewHsmd(t, testenv.HsmdOptions{Backend: soft})
	setup := h.AddUser(t, "HSM_USERNAME", "dial-token")
	h.AddProxyUser(t, "SERVICE_USER", dialProxyPassword)
	h.Start(t)

	data, err := os.ReadFile(filepath.Join(h.StateDir, "server.pem"))
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return &dialHsmd{hsmd: h, setup: setup, pin: SPKIPin(cert)}
}

// member is the hsmd's entry with tlsSettings.
func (d *dialHsmd) member(t *testing.T, tlsSettings config.TLS) *Member {
	t.Helper()
	_, port, err := net.SplitHostPort(d.hsmd.Addr)
	require.NoError(t, err)
	n, err := strconv.Atoi(port)
	require.NoError(t, err)
	return testMember(t, testHSM(n, tlsSettings))
}

// fetch trades the setup password and PIN for a secret and returns the
// credentials a connection then uses.
func (d *dialHsmd) fetch(t *testing.T, dialer *Dialer, m *Member) transport.Credentials {
	t.Helper()
	resp, server, err := dialer.FetchSecret(context.Background(), m, transport.Secret(dialProxyPassword),
		transport.FetchSecretRequest{SetupPassword: transport.Secret(d.setup), PIN: transport.Secret(dialUserPIN)})
	require.NoError(t, err)
	assert.Equal(t, "hsmd "+testenv.HsmdVersion, server.ServerVersion)
	secrets := &config.Secrets{}
	secrets.SetProxyPassword("SERVICE_USER", dialProxyPassword)
	secrets.SetHSMUser(config.HSMUserSecret{UserName: "HSM_USERNAME", Secret: EncodeSecret(resp.Secret.Reveal()), SecretID: resp.SecretID})
	creds, err := Credentials(m, secrets)
	require.NoError(t, err)
	return creds
}

func TestDialRealHsmd(t *testing.T) {
	d := startDialHsmd(t)
	dialer := testDialer(t)
	good := d.member(t, config.TLS{CAFile: d.hsmd.CAFile})
	creds := d.fetch(t, dialer, good)

	t.Run("the right CA", func(t *testing.T) {
		c, err := dialer.Connect(context.Background(), good, creds, transport.ModePKCS11)
		require.NoError(t, err)
		defer c.Close()
		assert.Equal(t, "dial-token", c.Session().Login.Partition)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		info, err := transport.Invoke[*transport.TokenInfoResponse](ctx, c, &transport.GetTokenInfoRequest{})
		require.NoError(t, err)
		require.Equal(t, ck.CKR_OK, info.RV)
		assert.Equal(t, "dial-token", strings.TrimRight(string(info.Info.Label[:]), " "))
	})

	t.Run("a wrong CA is refused", func(t *testing.T) {
		m := d.member(t, config.TLS{CAFile: newTestPKI(t).caFile})
		_, err := dialer.Connect(context.Background(), m, creds, transport.ModePKCS11)
		var verify *tls.CertificateVerificationError
		require.ErrorAs(t, err, &verify)
		assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, ck.RVOf(err))
		_, _, err = dialer.FetchSecret(context.Background(), m, transport.Secret(dialProxyPassword),
			transport.FetchSecretRequest{SetupPassword: transport.Secret(d.setup), PIN: transport.Secret(dialUserPIN)})
		require.ErrorAs(t, err, &verify, "no setup password reaches an untrusted server")
	})

	t.Run("the right pin is accepted", func(t *testing.T) {
		m := d.member(t, config.TLS{CAFile: d.hsmd.CAFile, PinSHA256: []string{d.pin}})
		c, err := dialer.Connect(context.Background(), m, creds, transport.ModePKCS11)
		require.NoError(t, err)
		require.NoError(t, c.Close())
	})

	t.Run("a wrong pin is refused", func(t *testing.T) {
		m := d.member(t, config.TLS{CAFile: d.hsmd.CAFile, PinSHA256: []string{strings.Repeat("0", 64)}})
		_, err := dialer.Connect(context.Background(), m, creds, transport.ModePKCS11)
		var mismatch *PinMismatchError
		require.ErrorAs(t, err, &mismatch)
		assert.Equal(t, d.pin, mismatch.Got)
		assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, ck.RVOf(err))
	})

	t.Run("the audit log", func(t *testing.T) {
		c, err := dialer.Connect(context.Background(), good, creds, transport.ModeAuditLog)
		require.NoError(t, err)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		page, err := transport.Invoke[*transport.AuditLogResponse](ctx, c, &transport.AuditLogRequest{MaxEntries: 1000})
		require.NoError(t, err)
		assert.True(t, page.Done)
		assert.Contains(t, strings.Join(page.Entries, "\n"), `"event":"secret_issued"`)
	})

	t.Run("a refused login names the step and keeps the server's Hello", func(t *testing.T) {
		wrong := creds
		wrong.Secret = transport.Secret("not the secret")
		_, err := dialer.Connect(context.Background(), good, wrong, transport.ModePKCS11)
		var me *MemberError
		require.ErrorAs(t, err, &me)
		assert.Equal(t, StepLogin, me.Step)
		var refused *transport.RefusedError
		require.ErrorAs(t, err, &refused)
		assert.Equal(t, transport.StepUserLogin, refused.Step)
		assert.Equal(t, transport.CodeWrongSecret, refused.Remote.Code)
		require.NotNil(t, refused.Server)
		assert.Equal(t, "hsmd "+testenv.HsmdVersion, refused.Server.ServerVersion)
	})
}
