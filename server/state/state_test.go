package state

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/registry"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.Mode().Perm()
}

func TestInitMakesAWorkingState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	now := time.Now()
	res, err := Init(context.Background(), InitOptions{Dir: dir, Names: []string{"localhost", "127.0.0.1", "HSM.Example.com.", "::1", "localhost"}, Clock: func() time.Time { return now }})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "ca.pem"), res.CACert)
	assert.Equal(t, []string{"localhost", "hsm.example.com"}, res.DNSNames)
	assert.Len(t, res.IPs, 2)

	assert.Equal(t, os.FileMode(0o700), mode(t, dir))
	assert.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(dir, CAKeyFile)))
	assert.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(dir, ServerKeyFile)))
	assert.Equal(t, os.FileMode(0o644), mode(t, filepath.Join(dir, CACertFile)))
	assert.Equal(t, os.FileMode(0o644), mode(t, filepath.Join(dir, ServerCertFile)))
	assert.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(dir, registry.FileName)))
	assert.Equal(t, os.FileMode(0o700), mode(t, filepath.Join(dir, audit.Dir)))
	r, err := registry.NewStore(dir).Load()
	require.NoError(t, err)
	assert.Empty(t, r.HSMUsers)

	caPEM, err := os.ReadFile(res.CACert)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile))
	require.NoError(t, err)
	leaf := pair.Leaf
	assert.Equal(t, elliptic.P256(), leaf.PublicKey.(*ecdsa.PublicKey).Curve)
	assert.WithinDuration(t, now.Add(ServerValidity), leaf.NotAfter, time.Second)
	assert.Equal(t, leaf.NotAfter, res.NotAfter.UTC().Truncate(time.Second))
	for _, name := range []string{"localhost", "hsm.example.com", "127.0.0.1", "::1"} {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		assert.NoError(t, err, name)
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: "other.example.com", Roots: pool})
	assert.Error(t, err)

	// A TLS 1.3 handshake with these files and a client trusting ca.pem.
	clientConn, serverConn := net.Pipe()
	defer clientConn.Close()
	defer serverConn.Close()
	done := make(chan error, 1)
	go func() {
		srv := tls.Server(serverConn, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS13})
		done <- srv.Handshake()
	}()
	cli := tls.Client(clientConn, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13})
	require.NoError(t, cli.Handshake())
	require.NoError(t, <-done)
}

func TestInitRefusesToOverwriteWithoutForce(t *testing.T) {
	dir := t.TempDir()
	_, err := Init(context.Background(), InitOptions{Dir: dir, Names: []string{"localhost"}})
	require.NoError(t, err)
	caBefore, err := os.ReadFile(filepath.Join(dir, CACertFile))
	require.NoError(t, err)
	require.NoError(t, registry.NewStore(dir).Update(context.Background(), false, func(r *registry.Registry) error {
		return r.AddHSMUser(registry.HSMUser{Name: "u", Token: "t"})
	}))

	_, err = Init(context.Background(), InitOptions{Dir: dir, Names: []string{"localhost"}})
	require.ErrorIs(t, err, ErrStateExists)
	assert.Contains(t, err.Error(), "(ca.pem, ca.key, server.pem, server.key, users.json)")
	caAfter, err := os.ReadFile(filepath.Join(dir, CACertFile))
	require.NoError(t, err)
	assert.Equal(t, caBefore, caAfter)
	r, err := registry.NewStore(dir).Load()
	require.NoError(t, err)
	assert.NotNil(t, r.HSMUser("u"), "the refused init left the registry alone")

	_, err = Init(context.Background(), InitOptions{Dir: dir, Names: []string{"localhost"}, Force: true})
	require.NoError(t, err)
	caForced, err := os.ReadFile(filepath.Join(dir, CACertFile))
	require.NoError(t, err)
	assert.NotEqual(t, caBefore, caForced)
	r, err = registry.NewStore(dir).Load()
	require.NoError(t, err)
	assert.Empty(t, r.HSMUsers)
}

func TestInitTightensAnExistingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	require.NoError(t, os.Mkdir(dir, 0o755))
	_, err := Init(context.Background(), InitOptions{Dir: dir, Names: []string{"localhost"}})
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), mode(t, dir))
}

func TestInitErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err := Init(context.Background(), InitOptions{Dir: file, Names: []string{"localhost"}})
	assert.Error(t, err)
	_, err = Init(context.Background(), InitOptions{Dir: t.TempDir()})
	assert.ErrorContains(t, err, "give at least one --name")
}

func TestParseNames(t *testing.T) {
	dns, ips, err := ParseNames([]string{"*.hsm.example", "a-b.c", "10.0.0.1", "fe80::1"})
	require.NoError(t, err)
	assert.Equal(t, []string{"*.hsm.example", "a-b.c"}, dns)
	assert.Len(t, ips, 2)
	for _, bad := range []string{"", "a..b", "-a.b", "a-.b", "a_b", "*.com", "a.*.b", "http://x", "host:2310", string(make([]byte, 300))} {
		_, _, err := ParseNames([]string{bad})
		assert.Error(t, err, bad)
	}
	many := make([]string, MaxNames+1)
	for i := range many {
		many[i] = "h"
	}
	_, _, err = ParseNames(many)
	assert.Error(t, err)
}
