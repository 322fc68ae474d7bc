package core

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/cloudp11/cloudp11/config"
)

// maxCAFileSize bounds what TLSConfig reads from tls_ca: a CA bundle of a
// few hundred certificates is far smaller.
const maxCAFileSize = 1 << 20

// TLSConfig builds the TLS client configuration of an HSM from its
// effective settings: the CA bundle of tls_ca (else the system roots), the
// server name of tls_server_name (else the host) and the pins of
// tls_pin_sha256. The result is ready for transport.Dial (which adds TLS
// 1.3 and the ALPN name). Errors name the file and the setting.
func TLSConfig(h *config.HSM) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: h.TLS.ServerName, MinVersion: tls.VersionTLS13}
	if cfg.ServerName == "" {
		cfg.ServerName = h.Host
	}
	if h.TLS.CAFile != "" {
		pool, err := loadCAFile(h.TLS.CAFile)
		if err != nil {
			return nil, &config.Error{Pos: h.Pos, Path: "primus.hsms." + h.Name + ".tls_ca", Msg: err.Error(), Err: err}
		}
		cfg.RootCAs = pool
	}
	if len(h.TLS.PinSHA256) > 0 {
		pins := slices.Clone(h.TLS.PinSHA256)
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return checkPins(cs, pins)
		}
	}
	return cfg, nil
}

// loadCAFile reads a PEM bundle into a pool.
func loadCAFile(path string) (*x509.CertPool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the CA file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCAFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the CA file %s: %w", path, err)
	}
	if len(data) > maxCAFileSize {
		return nil, fmt.Errorf("the CA file %s is larger than %d bytes", path, maxCAFileSize)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("the CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// PinMismatchError refuses a server whose certificate chain verified but
// whose key is none of the pinned ones. Got is the pin of the key the
// server showed, so an operator who rotated the key on purpose can update
// tls_pin_sha256; it is a public key's hash, not a secret.
type PinMismatchError struct {
	Got string // SHA-256 of the leaf's SubjectPublicKeyInfo, lowercase hex
}

func (e *PinMismatchError) Error() string {
	return "the server's public key (sha256 " + e.Got + ") matches no tls_pin_sha256"
}

// SPKIPin returns the pin of a certificate as tls_pin_sha256 holds it: the
// SHA-256 of its DER SubjectPublicKeyInfo in lowercase hex.
func SPKIPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// checkPins accepts the connection when the leaf's key is pinned. It runs
// after crypto/tls has verified the chain and the name, so it only adds a
// condition.
func checkPins(cs tls.ConnectionState, pins []string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the server sent no certificate")
	}
	got := SPKIPin(cs.PeerCertificates[0])
	if slices.Contains(pins, got) {
		return nil
	}
	return &PinMismatchError{Got: got}
}
