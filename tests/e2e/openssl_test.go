package e2e

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// pkcs11Engine finds the pkcs11 engine of libengine-pkcs11-openssl in
// OpenSSL's engines folder, or skips the test.
func pkcs11Engine(t testing.TB, m *testenv.Module) string {
	t.Helper()
	needTool(t, "openssl", "openssl")
	res := runTool(t, m, nil, nil, "openssl", "version", "-e")
	res.requireOK(t, "openssl version -e")
	match := regexp.MustCompile(`ENGINESDIR: "([^"]+)"`).FindStringSubmatch(res.stdout)
	require.NotNil(t, match, "openssl version -e: %s", res.stdout)
	engine := filepath.Join(match[1], "pkcs11.so")
	if _, err := os.Stat(engine); err != nil {
		t.Skipf("the OpenSSL pkcs11 engine is not installed (%s): apt-get install libengine-pkcs11-openssl", engine)
	}
	return engine
}

// engineConfig writes an openssl.cnf that loads the pkcs11 engine on the
// module, and returns its path.
func engineConfig(t testing.TB, m *testenv.Module, engine string) string {
	t.Helper()
	cnf := fmt.Sprintf(`openssl_conf = openssl_init

[openssl_init]
engines = engine_section

[engine_section]
pkcs11 = pkcs11_section

[pkcs11_section]
engine_id = pkcs11
dynamic_path = %s
MODULE_PATH = %s
init = 0

[req]
distinguished_name = req_dn

[req_dn]
`, engine, m.Path)
	path := filepath.Join(m.Dir, "openssl.cnf")
	require.NoError(t, os.WriteFile(path, []byte(cnf), 0o600))
	return path
}

// TestOpenSSLEngine makes a CSR and a self-signed certificate with keys
// in the token through OpenSSL's pkcs11 engine, for an EC and an RSA key
// made by pkcs11-tool, and verifies both with plain openssl (no engine)
// and with Go's crypto/x509.
func TestOpenSSLEngine(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		engine := pkcs11Engine(t, m)
		cnf := engineConfig(t, m, engine)
		withEngine := []string{"OPENSSL_CONF=" + cnf}
		login := []string{"--login", "--pin", m.UserPIN}
		for _, k := range []struct{ name, keyType, id string }{
			{"ec", "EC:prime256v1", "11"},
			{"rsa", "rsa:2048", "12"},
		} {
			t.Run(k.name, func(t *testing.T) {
				pkcs11Tool(t, m, append(login, "--keypairgen", "--key-type", k.keyType, "--id", k.id, "--label", k.name)...).
					requireOK(t, "--keypairgen "+k.keyType)
				pub := readPublicKey(t, m, k.id)
				uri := fmt.Sprintf("pkcs11:token=%s;object=%s;type=private;pin-value=%s", m.TokenLabel, k.name, m.UserPIN)
				csrFile := filepath.Join(m.Dir, k.name+".csr.pem")
				certFile := filepath.Join(m.Dir, k.name+".cert.pem")

				runTool(t, m, withEngine, nil, "openssl", "req", "-new", "-engine", "pkcs11", "-keyform", "engine", "-key", uri,
					"-subj", "/CN=cloudp11 e2e "+k.name, "-sha256", "-out", csrFile).requireOK(t, "openssl req -new")
				runTool(t, m, withEngine, nil, "openssl", "req", "-x509", "-new", "-engine", "pkcs11", "-keyform", "engine", "-key", uri,
					"-subj", "/CN=cloudp11 e2e self-signed "+k.name, "-sha256", "-days", "2", "-out", certFile).requireOK(t, "openssl req -x509")

				// Plain openssl, without the engine or the module.
				plain := []string{"OPENSSL_CONF=/dev/null"}
				res := runTool(t, m, plain, nil, "openssl", "req", "-verify", "-noout", "-in", csrFile)
				res.requireOK(t, "openssl req -verify")
				assert.Contains(t, res.stdout+res.stderr, "verify OK")
				res = runTool(t, m, plain, nil, "openssl", "verify", "-CAfile", certFile, certFile)
				res.requireOK(t, "openssl verify")
				assert.Equal(t, certFile+": OK\n", res.stdout)

				// Go.
				csr, err := x509.ParseCertificateRequest(pemBlock(t, csrFile, "CERTIFICATE REQUEST"))
				require.NoError(t, err)
				require.NoError(t, csr.CheckSignature(), "CSR signature")
				assert.True(t, publicKeysEqual(pub, csr.PublicKey), "the CSR holds the token's public key")
				assert.Equal(t, "cloudp11 e2e "+k.name, csr.Subject.CommonName)
				cert, err := x509.ParseCertificate(pemBlock(t, certFile, "CERTIFICATE"))
				require.NoError(t, err)
				require.NoError(t, cert.CheckSignatureFrom(cert), "self-signed certificate")
				assert.True(t, publicKeysEqual(pub, cert.PublicKey), "the certificate holds the token's public key")
				pool := x509.NewCertPool()
				pool.AddCert(cert)
				_, err = cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
				require.NoError(t, err)
			})
		}
	})
}

// pemBlock reads the one PEM block of type typ in file.
func pemBlock(t testing.TB, file, typ string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	block, rest := pem.Decode(data)
	require.NotNil(t, block, "%s holds no PEM", file)
	require.Equal(t, typ, block.Type)
	require.Empty(t, strings.TrimSpace(string(rest)), "%s holds one block", file)
	return block.Bytes
}

// publicKeysEqual compares two public keys of Go's types.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	ka, ok := a.(interface{ Equal(x crypto.PublicKey) bool })
	return ok && ka.Equal(b)
}
