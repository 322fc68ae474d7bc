package worker

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/pkcs11"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// The SoftHSM module is one per process and C_Initialize'd once, so the
// tests of this package that open a Server in process never run in
// parallel.

const (
	testLabel   = "worker-test"
	testSOPIN   = "so-secret-1"
	testUserPIN = "user-secret-1"
)

// kit is a Server on a fresh SoftHSM token, driven through a
// transport.Client over net.Pipe (no front, no TLS).
type kit struct {
	t        *testing.T
	hsm      *testenv.SoftHSM
	srv      *Server
	client   *transport.Client
	stateDir string
}

type kitOption func(*Params)

func newKit(t *testing.T, opts ...kitOption) *kit {
	t.Helper()
	hsm := testenv.NewSoftHSM(t)
	hsm.InitToken(t, testLabel, testSOPIN, testUserPIN)
	state := t.TempDir()
	p := Params{User: "alice", Token: testLabel, Module: hsm.ModulePath, Environment: hsm.Env, StateDir: state, ClientID: "test-client"}
	for _, o := range opts {
		o(&p)
	}
	srv, err := Open(p, zerolog.Nop())
	require.NoError(t, err)
	k := &kit{t: t, hsm: hsm, srv: srv, stateDir: state}
	k.client = k.connect()
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return k
}

// connect serves a new connection and returns its client.
func (k *kit) connect() *transport.Client {
	cConn, sConn := net.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- k.srv.Serve(context.Background(), sConn, ConnInfo{MaxFrame: transport.DefaultMaxFrame, MaxInFlight: 64})
	}()
	client := transport.NewClient(cConn, transport.Session{Server: transport.HelloResponse{MaxFrame: transport.DefaultMaxFrame, MaxInFlight: 64}}, transport.ClientConfig{})
	k.t.Cleanup(func() {
		client.Close()
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			k.t.Error("the server did not end after its client closed")
		}
	})
	return client
}

// call sends req and returns its answer, failing the test on a transport error.
func call[R transport.Result](k *kit, req transport.Request) R {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := transport.Invoke[R](ctx, k.client, req)
	require.NoError(k.t, err, "%s", req.Type())
	return resp
}

// ok sends req and requires CKR_OK.
func ok[R transport.Result](k *kit, req transport.Request) R {
	k.t.Helper()
	resp := call[R](k, req)
	require.Equal(k.t, ck.CKR_OK, resp.ReturnValue(), "%s", req.Type())
	return resp
}

// rvOfCall sends req and returns its CK_RV.
func rvOfCall(k *kit, req transport.Request) ck.RV {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := k.client.Call(ctx, req)
	require.NoError(k.t, err, "%s", req.Type())
	return resp.(transport.Result).ReturnValue()
}

func (k *kit) openSession() ck.SessionHandle {
	k.t.Helper()
	return ok[*transport.SessionResponse](k, &transport.OpenSessionRequest{Flags: ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION}).Session
}

func (k *kit) login(s ck.SessionHandle) {
	k.t.Helper()
	ok[*transport.StatusResponse](k, &transport.LoginRequest{Session: s, UserType: ck.CKU_USER, PIN: transport.Secret(testUserPIN)})
}

// loggedIn opens a session and logs the application in.
func (k *kit) loggedIn() ck.SessionHandle {
	s := k.openSession()
	k.login(s)
	return s
}

func (k *kit) generateAES(s ck.SessionHandle, extra ...ck.Attribute) ck.ObjectHandle {
	k.t.Helper()
	tmpl := append([]ck.Attribute{
		ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(32)),
		ck.BoolAttr(ck.CKA_ENCRYPT, true), ck.BoolAttr(ck.CKA_DECRYPT, true),
		ck.StringAttr(ck.CKA_LABEL, "aes"),
	}, extra...)
	return ok[*transport.ObjectResponse](k, &transport.GenerateKeyRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_AES_KEY_GEN}, Template: tmpl}).Object
}

func (k *kit) generatePair(s ck.SessionHandle, m ck.MechanismType, pub, priv []ck.Attribute) (ck.ObjectHandle, ck.ObjectHandle) {
	k.t.Helper()
	resp := ok[*transport.KeyPairResponse](k, &transport.GenerateKeyPairRequest{Session: s, Mechanism: ck.Mechanism{Type: m}, PublicTemplate: pub, PrivateTemplate: priv})
	return resp.PublicKey, resp.PrivateKey
}

// oidP256 is the DER of the P-256 curve's OID, CKA_EC_PARAMS.
var oidP256 = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}

func (k *kit) generateEC(s ck.SessionHandle) (pub, priv ck.ObjectHandle) {
	return k.generatePair(s, ck.CKM_EC_KEY_PAIR_GEN,
		[]ck.Attribute{ck.BytesAttr(ck.CKA_EC_PARAMS, oidP256), ck.BoolAttr(ck.CKA_VERIFY, true), ck.StringAttr(ck.CKA_LABEL, "ec")},
		[]ck.Attribute{ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_SENSITIVE, true), ck.BoolAttr(ck.CKA_PRIVATE, true), ck.StringAttr(ck.CKA_LABEL, "ec")})
}

func (k *kit) generateRSA(s ck.SessionHandle) (pub, priv ck.ObjectHandle) {
	return k.generatePair(s, ck.CKM_RSA_PKCS_KEY_PAIR_GEN,
		[]ck.Attribute{ck.ULONGAttr(ck.CKA_MODULUS_BITS, ck.ULONG(2048)), ck.BytesAttr(ck.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}), ck.BoolAttr(ck.CKA_VERIFY, true), ck.BoolAttr(ck.CKA_ENCRYPT, true)},
		[]ck.Attribute{ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_DECRYPT, true), ck.BoolAttr(ck.CKA_SENSITIVE, true), ck.BoolAttr(ck.CKA_PRIVATE, true)})
}

// attr reads one attribute's value, requiring success.
func (k *kit) attr(s ck.SessionHandle, o ck.ObjectHandle, t ck.AttributeType) []byte {
	k.t.Helper()
	resp := ok[*transport.GetAttributeValueResponse](k, &transport.GetAttributeValueRequest{Session: s, Object: o, Queries: []transport.AttributeQuery{{Type: t}}})
	require.Len(k.t, resp.Results, 1)
	require.Equal(k.t, ck.CKR_OK, resp.Results[0].Status)
	return resp.Results[0].Attribute.Value
}

// backendObject makes a public token data object labelled "outside"
// directly on the backend, bypassing the dispatch table, as another
// tenant's object (or one the client guesses) would be: its handle was
// never returned to the application.
func (k *kit) backendObject() ck.ObjectHandle {
	k.t.Helper()
	b := k.srv.b
	sh, err := b.ctx.OpenSession(b.slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	require.NoError(k.t, err)
	defer b.ctx.CloseSession(sh)
	h, err := b.ctx.CreateObject(sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, "outside"),
	})
	require.NoError(k.t, err)
	return ck.ObjectHandle(h)
}
