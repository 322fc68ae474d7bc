package state

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/registry"
)

// File names in the state folder.
const (
	CACertFile     = "ca.pem"
	CAKeyFile      = "ca.key"
	ServerCertFile = "server.pem"
	ServerKeyFile  = "server.key"
)

// Validity periods and limits of what Init makes.
const (
	CAValidity     = 10 * 365 * 24 * time.Hour
	ServerValidity = 2 * 365 * 24 * time.Hour
	MaxNames       = 100
	// backdate tolerates clients whose clocks are a little behind.
	backdate = time.Hour
)

// ErrStateExists refuses to overwrite a state folder without Force.
var ErrStateExists = errors.New("the state folder already holds a state (use --force to replace it: new CA, new server certificate, empty user registry)")

// InitOptions say what Init makes.
type InitOptions struct {
	Dir   string
	Names []string // DNS names and IP addresses of the server
	Force bool
	Clock func() time.Time // nil: time.Now
}

// Initialised describes a state folder Init made.
type Initialised struct {
	Dir      string
	CACert   string // path of ca.pem
	DNSNames []string
	IPs      []net.IP
	NotAfter time.Time // of the server certificate
}

// Init creates the state folder: a CA, a server certificate for the names,
// an empty registry and the audit folder.
func Init(ctx context.Context, opts InitOptions) (*Initialised, error) {
	dns, ips, err := ParseNames(opts.Names)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if opts.Clock != nil {
		now = opts.Clock()
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := makeDir(dir); err != nil {
		return nil, err
	}
	res := &Initialised{Dir: dir, CACert: filepath.Join(dir, CACertFile), DNSNames: dns, IPs: ips}
	store := registry.NewStore(dir)
	err = store.Create(ctx, func() error {
		if !opts.Force {
			if existing := existingFiles(dir); len(existing) > 0 {
				return fmt.Errorf("%s (%s): %w", dir, strings.Join(existing, ", "), ErrStateExists)
			}
		}
		notAfter, err := writeCertificates(dir, dns, ips, now)
		res.NotAfter = notAfter
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := audit.Open(dir, nil); err != nil {
		return nil, err
	}
	return res, nil
}

func makeDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state folder: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state folder: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("state folder %s is not a folder", dir)
	}
	// A folder made beforehand (by an installer, a volume mount) may be
	// wider open than keys should sit in.
	if st.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("state folder: %w", err)
		}
	}
	return nil
}

// existingFiles lists the state files already in dir.
func existingFiles(dir string) []string {
	var found []string
	for _, name := range []string{CACertFile, CAKeyFile, ServerCertFile, ServerKeyFile, registry.FileName} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !errors.Is(err, fs.ErrNotExist) {
			found = append(found, name)
		}
	}
	return found
}

func writeCertificates(dir string, dns []string, ips []net.IP, now time.Time) (time.Time, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return time.Time{}, err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "hsmd CA " + firstName(dns, ips), Organization: []string{"cloudp11 hsmd"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CAValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SubjectKeyId:          keyID(&caKey.PublicKey),
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return time.Time{}, fmt.Errorf("CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return time.Time{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return time.Time{}, err
	}
	template := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: firstName(dns, ips), Organization: []string{"cloudp11 hsmd"}},
		DNSNames:     dns,
		IPAddresses:  ips,
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(ServerValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		SubjectKeyId: keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca, &key.PublicKey, caKey)
	if err != nil {
		return time.Time{}, fmt.Errorf("server certificate: %w", err)
	}
	caKeyPEM, err := keyPEM(caKey)
	if err != nil {
		return time.Time{}, err
	}
	keyPEMBytes, err := keyPEM(key)
	if err != nil {
		return time.Time{}, err
	}
	// Keys first: a certificate without its key is useless, and ca.pem
	// appearing last marks a complete state.
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{CAKeyFile, caKeyPEM, 0o600},
		{ServerKeyFile, keyPEMBytes, 0o600},
		{ServerCertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644},
		{CACertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644},
	} {
		if err := registry.WriteFileAtomic(dir, f.name, f.data, f.mode); err != nil {
			return time.Time{}, err
		}
	}
	return template.NotAfter, nil
}

func keyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// serial is a random positive 128-bit serial number.
func serial() *big.Int {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b)
}

func keyID(pub *ecdsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(der)
	return sum[:20]
}

func firstName(dns []string, ips []net.IP) string {
	if len(dns) > 0 {
		return dns[0]
	}
	return ips[0].String()
}
