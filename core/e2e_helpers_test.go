package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// The tests in *_e2e_test.go run the library against the real thing: hsmd
// serve (built once per test binary) on loopback TLS 1.3, its workers on a
// SoftHSM token made for each test.

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	e2eUser          = "alice"
	e2eToken         = "tok-alice"
	e2eUserPIN       = "pin-alice-1111"
	e2eSOPIN         = "so-pin-4711"
	e2eProxy         = "svc"
	e2eProxyPassword = "e2e-Proxy-Password-7Q"
)

// cluster is one partition served by one or more hsmd processes on one
// SoftHSM token; the first one issued the permanent secret, the others
// serve copies of its state folder (same users, secrets and certificate),
// as the members of a real cluster share their registry.
type e2eCluster struct {
	t           *testing.T
	hsm         *testenv.SoftHSM
	members     []*testenv.Hsmd
	dir         string // primus.cfg, .secrets.cfg and the log live here
	secretsPath string
}

func newE2ECluster(t *testing.T, size int, opts testenv.HsmdOptions) *e2eCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts hsmd")
	}
	hsm := testenv.NewSoftHSM(t)
	hsm.InitToken(t, e2eToken, e2eSOPIN, e2eUserPIN)
	opts.Backend = hsm
	first := testenv.NewHsmd(t, opts)
	setup := first.AddUser(t, e2eUser, e2eToken)
	first.AddProxyUser(t, e2eProxy, e2eProxyPassword)
	first.Start(t)
	c := &e2eCluster{t: t, hsm: hsm, members: []*testenv.Hsmd{first}, dir: t.TempDir()}
	c.secretsPath = filepath.Join(c.dir, ".secrets.cfg")

	// The permanent secret, fetched as ppin -a does.
	port := portOf(t, first.Addr)
	h := &config.HSM{Name: "hsm0", Host: "127.0.0.1", Port: port, TLS: config.TLS{CAFile: first.CAFile},
		ConnectTimeout: 10 * time.Second, CallTimeout: 60 * time.Second}
	h.Slots = []config.Slot{{Name: "slot0", UserName: e2eUser, ProxyUser: e2eProxy}}
	m, err := NewMember(h, &h.Slots[0])
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, _, err := (&Dialer{SoftwareVersion: "core e2e"}).FetchSecret(ctx, m, transport.Secret(e2eProxyPassword),
		transport.FetchSecretRequest{SetupPassword: transport.Secret(setup), PIN: transport.Secret(e2eUserPIN)})
	require.NoError(t, err)
	_, err = config.UpdateSecrets(c.secretsPath, func(s *config.Secrets) error {
		s.SetProxyPassword(e2eProxy, e2eProxyPassword)
		s.SetHSMUser(config.HSMUserSecret{UserName: e2eUser, Secret: EncodeSecret(resp.Secret), SecretID: resp.SecretID})
		return nil
	})
	require.NoError(t, err)

	for i := 1; i < size; i++ {
		c.members = append(c.members, c.copyMember(first, opts))
	}
	return c
}

// copyMember starts another hsmd on a copy of first's state folder.
func (c *e2eCluster) copyMember(first *testenv.Hsmd, opts testenv.HsmdOptions) *testenv.Hsmd {
	t := c.t
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	require.NoError(t, os.CopyFS(state, os.DirFS(first.StateDir)))
	for _, name := range []string{"hsmd.addr", "hsmd.workers", "hsmd.pid"} {
		_ = os.Remove(filepath.Join(state, name))
	}
	cfg, err := os.ReadFile(first.ConfigPath)
	require.NoError(t, err)
	text := strings.ReplaceAll(string(cfg), strconv.Quote(first.StateDir), strconv.Quote(state))
	cfgPath := filepath.Join(dir, "hsmd.cfg")
	require.NoError(t, os.WriteFile(cfgPath, []byte(text), 0o600))
	d := &testenv.Hsmd{Bin: first.Bin, StateDir: state, ConfigPath: cfgPath, CAFile: filepath.Join(state, "ca.pem")}
	d.Start(t)
	return d
}

func portOf(t testing.TB, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return port
}

// memberSpec is one hsmX of primus.cfg.
type memberSpec struct {
	port     int
	priority int
}

// cfgOptions are the primus.cfg settings tests vary.
type cfgOptions struct {
	connectOnInit bool
	connections   int
	waitTries     int
	logFile       string // "" : the cluster's log.txt
	slots         []uint64
}

// config writes primus.cfg for the given members, every one serving the
// partition under the slot ids given (0 by default).
func (c *e2eCluster) config(members []memberSpec, o cfgOptions) string {
	c.t.Helper()
	if o.connections == 0 {
		o.connections = 2
	}
	if o.waitTries == 0 {
		o.waitTries = 2
	}
	if o.logFile == "" {
		o.logFile = filepath.Join(c.dir, "log.txt")
	}
	if len(o.slots) == 0 {
		o.slots = []uint64{0}
	}
	var hsms strings.Builder
	for i, m := range members {
		var slots strings.Builder
		for j, id := range o.slots {
			fmt.Fprintf(&slots, "slot%d: { client_id = \"core-e2e\"; user_name = %q; proxy_user = %q; id = %d; };\n", j, e2eUser, e2eProxy, id)
		}
		fmt.Fprintf(&hsms, "hsm%d: { host = \"127.0.0.1\"; port = \"%d\"; priority = %d; slots: { %s }; };\n", i, m.port, m.priority, slots.String())
	}
	text := fmt.Sprintf(`version = "1.0";
primus: {
  wait_delay = 20;
  wait_max_tries = %d;
  connect_on_init = %t;
  tls_ca = %q;
  connect_timeout = 5000;
  call_timeout = 60000;
  connections = %d;
  hsms: {
%s  };
  log: { file = %q; write_log_file = true; trace_level = 7; trace_mask = 0x07; };
};
`, o.waitTries, o.connectOnInit, c.members[0].CAFile, o.connections, hsms.String(), o.logFile)
	path := filepath.Join(c.dir, "primus.cfg")
	require.NoError(c.t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// env is the environment C_Initialize sees.
func (c *e2eCluster) env(cfgPath string) func(string) string {
	vars := map[string]string{config.EnvConfig: cfgPath, config.EnvSecrets: c.secretsPath}
	return func(k string) string { return vars[k] }
}

// open initialises the library on a configuration, finalised at cleanup.
func (c *e2eCluster) open(cfgPath string) *Library {
	c.t.Helper()
	l, err := Initialize(InitOptions{Getenv: c.env(cfgPath), ProcessName: "core.test", Stderr: io.Discard})
	require.NoError(c.t, err)
	c.t.Cleanup(func() { _ = l.Finalize() })
	return l
}

// single opens the library on every member with priorities by index.
func (c *e2eCluster) single(o cfgOptions) *Library {
	var specs []memberSpec
	for i, m := range c.members {
		specs = append(specs, memberSpec{port: portOf(c.t, m.Addr), priority: i})
	}
	return c.open(c.config(specs, o))
}

func (c *e2eCluster) log() string {
	b, err := os.ReadFile(filepath.Join(c.dir, "log.txt"))
	require.NoError(c.t, err)
	return string(b)
}

// rwSession opens a read-write session on slot 0 logged in as the user.
func rwSession(t testing.TB, l *Library) ck.SessionHandle {
	t.Helper()
	h, err := l.OpenSession(0, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	require.NoError(t, err)
	err = l.Login(h, uint64(ck.CKU_USER), []byte(e2eUserPIN))
	if ck.RVOf(err) != ck.CKR_USER_ALREADY_LOGGED_IN {
		require.NoError(t, err)
	}
	return h
}

var p256OID = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}

// ecKeyPair generates a P-256 key pair labelled label.
func ecKeyPair(t testing.TB, l *Library, h ck.SessionHandle, label string, token bool) (pub, priv ck.ObjectHandle) {
	t.Helper()
	params, err := asn1.Marshal(p256OID)
	require.NoError(t, err)
	pub, priv, err = l.GenerateKeyPair(h, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{ck.BytesAttr(ck.CKA_EC_PARAMS, params), ck.BoolAttr(ck.CKA_TOKEN, token), ck.BoolAttr(ck.CKA_VERIFY, true),
			ck.StringAttr(ck.CKA_LABEL, label), ck.BytesAttr(ck.CKA_ID, []byte(label))},
		[]ck.Attribute{ck.BoolAttr(ck.CKA_TOKEN, token), ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_PRIVATE, true),
			ck.BoolAttr(ck.CKA_SENSITIVE, true), ck.StringAttr(ck.CKA_LABEL, label), ck.BytesAttr(ck.CKA_ID, []byte(label))})
	require.NoError(t, err)
	return pub, priv
}

// ecPublicKey reads a P-256 public key's CKA_EC_POINT into Go's type.
func ecPublicKey(t testing.TB, l *Library, h ck.SessionHandle, pub ck.ObjectHandle) *ecdsa.PublicKey {
	t.Helper()
	res, err := l.GetAttributeValue(h, pub, []transport.AttributeQuery{{Type: ck.CKA_EC_POINT}})
	require.NoError(t, err)
	require.Len(t, res, 1)
	var point []byte
	_, err = asn1.Unmarshal(res[0].Attribute.Value, &point)
	require.NoError(t, err)
	x, y := elliptic.Unmarshal(elliptic.P256(), point)
	require.NotNil(t, x, "CKA_EC_POINT is an uncompressed P-256 point")
	return &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
}

// verifyECDSA checks a PKCS#11 ECDSA signature (r||s) with Go's crypto.
func verifyECDSA(t testing.TB, pub *ecdsa.PublicKey, digest, sig []byte) {
	t.Helper()
	require.True(t, ecdsaValid(pub, digest, sig), "the signature does not verify")
}

// ecdsaValid is verifyECDSA for goroutines other than the test's.
func ecdsaValid(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(pub, digest, r, s)
}

// rv is the CK_RV of an error, for assertions.
func rv(err error) ck.RV { return ck.RVOf(err) }

// proxy is a TCP forwarder between the library and one hsmd that a test
// can stall and cut, to lose connections on purpose.
type proxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	pairs   map[*proxyPair]bool // open client/server pairs; guarded by mu
	stalled bool                // guarded by mu
	held    atomic.Int64        // bytes from clients held back while stalled
	wg      sync.WaitGroup
}

type proxyPair struct{ client, server net.Conn }

func (p *proxyPair) close() {
	p.client.Close()
	p.server.Close()
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target, pairs: map[*proxyPair]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		pair := &proxyPair{client: c, server: s}
		p.mu.Lock()
		p.pairs[pair] = true
		p.mu.Unlock()
		var both sync.WaitGroup
		both.Add(2)
		p.wg.Add(3)
		go p.pipe(pair, s, c, true, &both)
		go p.pipe(pair, c, s, false, &both)
		go func() {
			defer p.wg.Done()
			both.Wait()
			p.mu.Lock()
			delete(p.pairs, pair)
			p.mu.Unlock()
		}()
	}
}

// pipe copies src to dst; bytes from the client are swallowed while the
// proxy is stalled, so a request is in flight and never answered. When
// either side ends, the pair is closed.
func (p *proxy) pipe(pair *proxyPair, dst, src net.Conn, fromClient bool, both *sync.WaitGroup) {
	defer p.wg.Done()
	defer both.Done()
	defer pair.close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			stalled := p.stalled && fromClient
			p.mu.Unlock()
			if stalled {
				p.held.Add(int64(n))
			} else if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) stall() {
	p.mu.Lock()
	p.stalled = true
	p.mu.Unlock()
}

// cut closes every connection and ends the stall.
func (p *proxy) cut() {
	p.mu.Lock()
	var pairs []*proxyPair
	for pair := range p.pairs {
		pairs = append(pairs, pair)
	}
	p.stalled = false
	p.mu.Unlock()
	for _, pair := range pairs {
		pair.close()
	}
}

// count is the number of client connections open now.
func (p *proxy) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pairs)
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
