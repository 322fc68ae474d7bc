package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport"
)

// Credentials of the token and users opsModule makes.
const (
	opsToken         = "abi-token"
	opsUserPIN       = "abi-user-pin-1234"
	opsSOPIN         = "abi-so-pin-5678"
	opsUser          = "abi-user"
	opsProxy         = "abi-svc"
	opsProxyPassword = "abi-Proxy-Password-3K"
)

// opsModule starts hsmd on a fresh SoftHSM token and writes primus.cfg and
// .secrets.cfg for one slot (id 0) on it, the permanent secret fetched as
// ppin -a does. It returns the environment the library reads them from,
// and the log file.
func opsModule(t *testing.T) (env []string, logFile string) {
	t.Helper()
	soft := testenv.NewSoftHSM(t)
	soft.InitToken(t, opsToken, opsSOPIN, opsUserPIN)
	h := testenv.NewHsmd(t, testenv.HsmdOptions{Backend: soft})
	setup := h.AddUser(t, opsUser, opsToken)
	h.AddProxyUser(t, opsProxy, opsProxyPassword)
	h.Start(t)
	_, portText, err := net.SplitHostPort(h.Addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(portText)
	require.NoError(t, err)

	hsm := &config.HSM{Name: "hsm0", Host: "127.0.0.1", Port: port, TLS: config.TLS{CAFile: h.CAFile},
		ConnectTimeout: 10 * time.Second, CallTimeout: 60 * time.Second}
	hsm.Slots = []config.Slot{{Name: "slot0", UserName: opsUser, ProxyUser: opsProxy}}
	member, err := core.NewMember(hsm, &hsm.Slots[0])
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, _, err := (&core.Dialer{SoftwareVersion: "p11 test"}).FetchSecret(ctx, member, transport.Secret(opsProxyPassword),
		transport.FetchSecretRequest{SetupPassword: transport.Secret(setup), PIN: transport.Secret(opsUserPIN)})
	require.NoError(t, err)

	dir := t.TempDir()
	secrets := filepath.Join(dir, ".secrets.cfg")
	_, err = config.UpdateSecrets(secrets, func(s *config.Secrets) error {
		s.SetProxyPassword(opsProxy, opsProxyPassword)
		s.SetHSMUser(config.HSMUserSecret{UserName: opsUser, Secret: core.EncodeSecret(resp.Secret), SecretID: resp.SecretID})
		return nil
	})
	require.NoError(t, err)
	cfg := filepath.Join(dir, "primus.cfg")
	logFile = filepath.Join(dir, "primus.log")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`version = "1.0";
primus: {
  connect_on_init = false;
  tls_ca = %q;
  hsms: {
    hsm0: {
      host = "127.0.0.1";
      port = "%d";
      slots: { slot0: { client_id = "abi-operations"; user_name = %q; proxy_user = %q; id = 0; }; };
    };
  };
  log: { file = %q; write_log_file = true; write_syslog = false; trace_level = 7; trace_mask = 0x02; };
};
`, h.CAFile, port, opsUser, opsProxy, logFile)), 0o600))
	env = append(os.Environ(), config.EnvConfig+"="+cfg, config.EnvSecrets+"="+secrets,
		config.EnvConfigVendor+"=", config.EnvSecretsVendor+"=")
	return env, logFile
}

// TestCOperationsEndOnArgumentErrors runs testdata/abi_operations.c through
// the built library against hsmd: an argument the module refuses in a
// single-part call, an update or a final ends the operation, in the
// library and in hsmd's worker, whose SoftHSM session would otherwise
// refuse the next init.
func TestCOperationsEndOnArgumentErrors(t *testing.T) {
	lib := library(t)
	bin := abiProgram(t)
	env, logFile := opsModule(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, lib, "operations", opsUserPIN)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(logFile); err == nil {
				t.Logf("primus.log:\n%s", b)
			}
		}
	})

	reportFailures(t, stdout.String())
	require.NoError(t, runErr, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	for _, check := range []string{
		"sign, single-part: C_Sign with a NULL pulSignatureLen is CKR_ARGUMENTS_BAD",
		"sign, single-part: the operation ended",
		"sign, single-part: C_SignInit again",
		"sign, held by the server: C_SignFinal with a NULL pulSignatureLen is CKR_ARGUMENTS_BAD",
		"sign, held by the server: the operation ended",
		"sign, held by the server: the server's operation ended too: the new one takes data",
		"sign, data out of range: C_SignUpdate of 2^40 bytes is CKR_DATA_LEN_RANGE",
		"sign, data out of range: the server's operation ended too: the new one signs",
		"an init's argument error: the active operation lives on",
		"another session's argument error: this session's operation lives on",
		"verify: the single-part operation ended",
		"verify: the multi-part operation ended",
		"verify: the server's operation ended too: the new one verifies",
		"encrypt, single-part: the operation ended",
		"encrypt, held by the server: the server's operation ended too: the new one encrypts",
		"decrypt, held by the server: the server's operation ended too: the new one decrypts",
		"digest, single-part: the operation ended",
		"digest, held by the server: the server's operation ended too: the new one takes data",
		"digest and encrypt: the digest ended",
		"digest and encrypt: the encryption ended",
		"digest and encrypt: the server's operation ended too: the new digest",
		"operations: C_Finalize",
	} {
		assert.Contains(t, stdout.String(), "ok "+check+"\n")
	}
	assert.Contains(t, stdout.String(), "\n0 failures\n")

	// The operations the server held were ended there, by the call that
	// failed: the log says so once per such scenario.
	logged, err := os.ReadFile(logFile)
	require.NoError(t, err)
	for _, fn := range []string{"C_SignFinal", "C_SignUpdate", "C_VerifyFinal", "C_EncryptFinal", "C_DecryptUpdate",
		"C_DigestFinal", "C_DigestEncryptUpdate"} {
		line := " - " + fn + "() - operation ended on the server after the call failed in the library - "
		assert.True(t, strings.Contains(string(logged), line), "no line %q in primus.log", line)
	}
}
