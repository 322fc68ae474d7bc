package worker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"maps"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// lifetimeCase is a call that answers an error while an operation of its
// kind is active: init starts the operation (unless fail is a fused
// message, which starts it itself), before (optional) are calls that
// answer CKR_OK, fail is the call answering rv (a fused message at stage
// 2). After it, init must answer CKR_OK again on the same session: the
// operation is over.
type lifetimeCase struct {
	name   string
	init   func(s ck.SessionHandle) transport.Request
	before func(s ck.SessionHandle) []transport.Request
	fail   func(s ck.SessionHandle) transport.Request
	rv     ck.RV
	fused  bool
}

func (c lifetimeCase) run(t *testing.T, k *kit) {
	s := k.openSession()
	if !c.fused {
		require.Equal(t, ck.CKR_OK, rvOfCall(k, c.init(s)), "the init")
	}
	if c.before != nil {
		for _, req := range c.before(s) {
			require.Equal(t, ck.CKR_OK, rvOfCall(k, req), "%s before the failing call", req.Type())
		}
	}
	req := c.fail(s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := k.client.Call(ctx, req)
	require.NoError(t, err, "%s", req.Type())
	assert.Equal(t, c.rv, resp.(transport.Result).ReturnValue(), "%s answers its own CK_RV", req.Type())
	if c.fused {
		stage := transport.StageInit
		switch r := resp.(type) {
		case *transport.FusedOutputResponse:
			stage = r.Stage
		case *transport.FusedStatusResponse:
			stage = r.Stage
		}
		assert.Equal(t, transport.StageOperation, stage, "%s fails at its second stage", req.Type())
	}
	assert.Equal(t, ck.CKR_OK, rvOfCall(k, c.init(s)), "after %s failed, the next init of its kind starts a new operation", req.Type())
}

func signInit(m ck.MechanismType, key ck.ObjectHandle) func(ck.SessionHandle) transport.Request {
	return func(s ck.SessionHandle) transport.Request {
		return &transport.SignInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: ck.Mechanism{Type: m}, Key: key}}
	}
}

func verifyInit(m ck.MechanismType, key ck.ObjectHandle) func(ck.SessionHandle) transport.Request {
	return func(s ck.SessionHandle) transport.Request {
		return &transport.VerifyInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: ck.Mechanism{Type: m}, Key: key}}
	}
}

func encryptInit(m ck.Mechanism, key ck.ObjectHandle) func(ck.SessionHandle) transport.Request {
	return func(s ck.SessionHandle) transport.Request {
		return &transport.EncryptInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: m, Key: key}}
	}
}

func decryptInit(m ck.Mechanism, key ck.ObjectHandle) func(ck.SessionHandle) transport.Request {
	return func(s ck.SessionHandle) transport.Request {
		return &transport.DecryptInitRequest{OperationInit: transport.OperationInit{Session: s, Mechanism: m, Key: key}}
	}
}

func digestInit(s ck.SessionHandle) transport.Request {
	return &transport.DigestInitRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_SHA256}}
}

// The calls below answer an error and, on SoftHSMv2 2.6, leave their
// operation active (or the worker refuses them before the backend sees
// them): each subtest fails without the worker ending the operation
// itself.
func TestOperationEndsAfterErrorTheBackendKeeps(t *testing.T) {
	k := newKit(t)
	keys := k.lifetimeKeys()
	digest := sha256.Sum256([]byte("the message"))
	gcm := ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: make([]byte, 12), IVBits: 96, TagBits: 128}}
	cbcPad := ck.Mechanism{Type: ck.CKM_AES_CBC_PAD, Param: ck.IVParam(make([]byte, 16))}
	rsaPKCS := ck.Mechanism{Type: ck.CKM_RSA_PKCS}
	signFinal := func(s ck.SessionHandle) transport.Request {
		return &transport.SignFinalRequest{FinalPart: transport.FinalPart{Session: s}}
	}
	cases := []lifetimeCase{
		{
			// SoftHSM has no multi-part ECDSA without a hash: its final
			// answers CKR_OPERATION_NOT_INITIALIZED and keeps the operation.
			name: "sign/ECDSA final", init: signInit(ck.CKM_ECDSA, keys.ecPriv),
			fail: signFinal, rv: ck.CKR_OPERATION_NOT_INITIALIZED,
		},
		{
			name: "sign/RSA PKCS final", init: signInit(ck.CKM_RSA_PKCS, keys.rsaPriv),
			fail: signFinal, rv: ck.CKR_OPERATION_NOT_INITIALIZED,
		},
		{
			name: "encrypt/RSA update", init: encryptInit(rsaPKCS, keys.rsaPub),
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.EncryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: []byte("plain")}}
			},
			rv: ck.CKR_FUNCTION_NOT_SUPPORTED,
		},
		{
			name: "encrypt/RSA final", init: encryptInit(rsaPKCS, keys.rsaPub),
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.EncryptFinalRequest{FinalPart: transport.FinalPart{Session: s}}
			},
			rv: ck.CKR_FUNCTION_NOT_SUPPORTED,
		},
		{
			// The update ran on the backend for the length query; the call
			// that should collect it brings another input, which the
			// worker refuses (the backend never sees it).
			name: "encrypt/AES-GCM update with another input than its length query", init: encryptInit(gcm, keys.aes),
			before: func(s ck.SessionHandle) []transport.Request {
				return []transport.Request{&transport.EncryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: []byte("first part"), LengthOnly: true}}}
			},
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.EncryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: []byte("other part")}}
			},
			rv: ck.CKR_ARGUMENTS_BAD,
		},
		{
			name: "decrypt/RSA update of a bad ciphertext", init: decryptInit(rsaPKCS, keys.rsaPriv),
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DecryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: bytes.Repeat([]byte{0xA5}, 256)}}
			},
			rv: ck.CKR_FUNCTION_NOT_SUPPORTED,
		},
		{
			name: "decrypt/RSA final", init: decryptInit(rsaPKCS, keys.rsaPriv),
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DecryptFinalRequest{FinalPart: transport.FinalPart{Session: s}}
			},
			rv: ck.CKR_FUNCTION_NOT_SUPPORTED,
		},
		{
			name: "decrypt/AES-CBC-PAD update with another ciphertext than its length query", init: decryptInit(cbcPad, keys.aes),
			before: func(s ck.SessionHandle) []transport.Request {
				return []transport.Request{&transport.DecryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: make([]byte, 32), LengthOnly: true}}}
			},
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DecryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: bytes.Repeat([]byte{1}, 32)}}
			},
			rv: ck.CKR_ARGUMENTS_BAD,
		},
		{
			// The worker refuses a handle it never returned, before the
			// backend sees the call.
			name: "digest/key handle never returned", init: digestInit,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DigestKeyRequest{Session: s, Key: 0x7FFFFFF0}
			},
			rv: ck.CKR_KEY_HANDLE_INVALID,
		},
		{
			name: "verify/ECDSA final with a bad signature", init: verifyInit(ck.CKM_ECDSA, keys.ecPub),
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.VerifyFinalRequest{Session: s, Signature: make([]byte, 64)}
			},
			rv: ck.CKR_OPERATION_NOT_INITIALIZED,
		},
		{
			name: "verify/RSA PKCS final with a bad signature", init: verifyInit(ck.CKM_RSA_PKCS, keys.rsaPub),
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.VerifyFinalRequest{Session: s, Signature: make([]byte, 256)}
			},
			rv: ck.CKR_OPERATION_NOT_INITIALIZED,
		},
		// SoftHSM serves no dual-function update; each one it refuses
		// leaves the operation that was active.
		{
			name: "dual/C_DigestEncryptUpdate", init: digestInit,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DigestEncryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: []byte("data")}}
			},
			rv: ck.CKR_FUNCTION_NOT_SUPPORTED,
		},
		{
			name: "dual/C_DecryptDigestUpdate", init: decryptInit(cbcPad, keys.aes),
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DecryptDigestUpdateRequest{DataPart: transport.DataPart{Session: s, Data: make([]byte, 16)}}
			},
			rv: ck.CKR_FUNCTION_NOT_SUPPORTED,
		},
		{
			name: "dual/C_SignEncryptUpdate", init: signInit(ck.CKM_SHA256_RSA_PKCS, keys.rsaPriv),
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.SignEncryptUpdateRequest{DataPart: transport.DataPart{Session: s, Data: digest[:]}}
			},
			rv: ck.CKR_FUNCTION_NOT_SUPPORTED,
		},
		{
			name: "dual/C_DecryptVerifyUpdate", init: decryptInit(rsaPKCS, keys.rsaPriv),
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DecryptVerifyUpdateRequest{DataPart: transport.DataPart{Session: s, Data: make([]byte, 256)}}
			},
			rv: ck.CKR_FUNCTION_NOT_SUPPORTED,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, k) })
	}
}

// keepOpModule builds testdata/keepop.c, a module that forwards to SoftHSM
// but answers an error to the single-part calls whose input begins with
// "keep-op" and keeps their operation, and serves the kit's token through
// it.
func keepOpModule(t *testing.T) kitOption {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skipf("gcc is not installed: %v", err)
	}
	so := filepath.Join(t.TempDir(), "keepop.so")
	cc := exec.Command("gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-shared", "-fPIC",
		"-I", filepath.Join("..", "..", "include"), "-o", so, filepath.Join("testdata", "keepop.c"), "-ldl")
	out, err := cc.CombinedOutput()
	require.NoError(t, err, "gcc: %s", out)
	return func(p *Params) {
		env := maps.Clone(p.Environment)
		env["KEEPOP_MODULE"] = p.Module
		p.Environment, p.Module = env, so
	}
}

// keepOp is the input keepop.c refuses.
var keepOp = []byte("keep-op: refused, the operation kept")

// Single-part calls and fused messages at stage 2, on a module that keeps
// the operation after refusing them: each subtest fails without the
// worker ending the operation itself.
func TestOperationEndsAfterSingleCallErrorTheBackendKeeps(t *testing.T) {
	k := newKit(t, keepOpModule(t))
	keys := k.lifetimeKeys()
	gcm := ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: make([]byte, 12), IVBits: 96, TagBits: 128}}
	oaep := ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: ck.RSAOAEPParams{Hash: ck.CKM_SHA_1, MGF: ck.CKG_MGF1_SHA1, Source: ck.CKZ_DATA_SPECIFIED}}
	sign := func(s ck.SessionHandle) transport.Request {
		return &transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: keepOp}}
	}
	encrypt := func(s ck.SessionHandle) transport.Request {
		return &transport.EncryptRequest{DataPart: transport.DataPart{Session: s, Data: keepOp}}
	}
	decrypt := func(s ck.SessionHandle) transport.Request {
		return &transport.DecryptRequest{DataPart: transport.DataPart{Session: s, Data: keepOp}}
	}
	cases := []lifetimeCase{
		{name: "sign/ECDSA", init: signInit(ck.CKM_ECDSA, keys.ecPriv), fail: sign, rv: ck.CKR_DATA_LEN_RANGE},
		{name: "sign/RSA", init: signInit(ck.CKM_SHA256_RSA_PKCS, keys.rsaPriv), fail: sign, rv: ck.CKR_DATA_LEN_RANGE},
		{name: "encrypt/RSA", init: encryptInit(ck.Mechanism{Type: ck.CKM_RSA_PKCS}, keys.rsaPub), fail: encrypt, rv: ck.CKR_DATA_LEN_RANGE},
		{name: "encrypt/AES-GCM bad input", init: encryptInit(gcm, keys.aes), fail: encrypt, rv: ck.CKR_DATA_LEN_RANGE},
		{name: "decrypt/AES-GCM bad ciphertext", init: decryptInit(gcm, keys.aes), fail: decrypt, rv: ck.CKR_ENCRYPTED_DATA_INVALID},
		{name: "decrypt/RSA-OAEP bad ciphertext", init: decryptInit(oaep, keys.rsaPriv), fail: decrypt, rv: ck.CKR_ENCRYPTED_DATA_INVALID},
		{
			name: "digest", init: digestInit, rv: ck.CKR_DATA_LEN_RANGE,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DigestRequest{DataPart: transport.DataPart{Session: s, Data: keepOp}}
			},
		},
		{
			name: "verify/ECDSA bad signature", init: verifyInit(ck.CKM_ECDSA, keys.ecPub), rv: ck.CKR_SIGNATURE_INVALID,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.VerifyRequest{Session: s, Data: keepOp, Signature: make([]byte, 64)}
			},
		},
		{
			name: "fused/SignOnce", init: signInit(ck.CKM_ECDSA, keys.ecPriv), fused: true, rv: ck.CKR_DATA_LEN_RANGE,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.SignOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_ECDSA}, Key: keys.ecPriv, Data: keepOp}}
			},
		},
		{
			name: "fused/EncryptOnce", init: encryptInit(gcm, keys.aes), fused: true, rv: ck.CKR_DATA_LEN_RANGE,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.EncryptOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: gcm, Key: keys.aes, Data: keepOp}}
			},
		},
		{
			name: "fused/DecryptOnce", init: decryptInit(gcm, keys.aes), fused: true, rv: ck.CKR_ENCRYPTED_DATA_INVALID,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DecryptOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: gcm, Key: keys.aes, Data: keepOp}}
			},
		},
		{
			name: "fused/DigestOnce", init: digestInit, fused: true, rv: ck.CKR_DATA_LEN_RANGE,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DigestOnceRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_SHA256}, Data: keepOp}
			},
		},
		{
			name: "fused/VerifyOnce", init: verifyInit(ck.CKM_ECDSA, keys.ecPub), fused: true, rv: ck.CKR_SIGNATURE_INVALID,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.VerifyOnceRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_ECDSA}, Key: keys.ecPub, Data: keepOp, Signature: make([]byte, 64)}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, k) })
	}
}

// debugLog sends the Server's log lines, debug included, to the buffer it
// returns. Set before the calls it should see.
func (k *kit) debugLog() *bytes.Buffer {
	var buf bytes.Buffer
	k.srv.log = zerolog.New(&buf).Level(zerolog.DebugLevel)
	return &buf
}

// Errors after which SoftHSM ends the operation itself keep their CK_RV and
// leave the session free; an error that proves no operation was started
// costs no ending call.
func TestOperationLifetimeWhereTheBackendConforms(t *testing.T) {
	k := newKit(t)
	keys := k.lifetimeKeys()
	log := k.debugLog()
	gcm := ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: make([]byte, 12), IVBits: 96, TagBits: 128}}
	cases := []lifetimeCase{
		{
			// SoftHSM answers CKR_GENERAL_ERROR for raw PKCS#1 v1.5 over more
			// than the modulus holds.
			name: "sign/RSA PKCS over too much data", init: signInit(ck.CKM_RSA_PKCS, keys.rsaPriv), rv: ck.CKR_GENERAL_ERROR,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: make([]byte, 300)}}
			},
		},
		{
			name: "sign/output of a length query collected with other data", init: signInit(ck.CKM_SHA256_RSA_PKCS, keys.rsaPriv),
			before: func(s ck.SessionHandle) []transport.Request {
				return []transport.Request{&transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: []byte("one"), LengthOnly: true}}}
			},
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.SignRequest{DataPart: transport.DataPart{Session: s, Data: []byte("two")}}
			},
			rv: ck.CKR_ARGUMENTS_BAD,
		},
		{
			name: "decrypt/AES-GCM bad tag", init: decryptInit(gcm, keys.aes), rv: ck.CKR_GENERAL_ERROR,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.DecryptRequest{DataPart: transport.DataPart{Session: s, Data: make([]byte, 40)}}
			},
		},
		{
			name: "verify/RSA bad signature", init: verifyInit(ck.CKM_SHA256_RSA_PKCS, keys.rsaPub), rv: ck.CKR_SIGNATURE_INVALID,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.VerifyRequest{Session: s, Data: []byte("data"), Signature: make([]byte, 256)}
			},
		},
		{
			name: "fused/SignOnce over too much data", init: signInit(ck.CKM_RSA_PKCS, keys.rsaPriv), fused: true, rv: ck.CKR_GENERAL_ERROR,
			fail: func(s ck.SessionHandle) transport.Request {
				return &transport.SignOnceRequest{OnceRequest: transport.OnceRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_RSA_PKCS}, Key: keys.rsaPriv, Data: make([]byte, 300)}}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, k) })
	}
	// The length query's signature ended the backend's operation: only
	// the four others had one to end, each answered
	// CKR_OPERATION_NOT_INITIALIZED by the ending calls.
	ended := strings.Count(log.String(), "operation ended after an error")
	assert.Equal(t, 4, ended, "%s", log)
	assert.NotContains(t, log.String(), "=CKR_OK", "the backend had ended each operation: every ending call answered CKR_OPERATION_NOT_INITIALIZED")

	t.Run("no operation started", func(t *testing.T) {
		log.Reset()
		s := k.openSession()
		ok[*transport.StatusResponse](k, digestInit(s))
		assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rvOfCall(k, &transport.SignFinalRequest{FinalPart: transport.FinalPart{Session: s}}))
		assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rvOfCall(k, &transport.VerifyFinalRequest{Session: s}))
		assert.Empty(t, log.String(), "nothing to end")
		// The digest, the session's one operation, goes on.
		ok[*transport.StatusResponse](k, &transport.DigestUpdateRequest{DataInput: transport.DataInput{Session: s, Data: []byte("abc")}})
		want := sha256.Sum256([]byte("abc"))
		assert.Equal(t, want[:], ok[*transport.OutputResponse](k, &transport.DigestFinalRequest{FinalPart: transport.FinalPart{Session: s}}).Out.Data)
	})
}

// Every message the worker serves under an operation is described in
// operationCalls, and nothing else is: an init or a fused message starts
// its operation, it does not run under one.
func TestOperationCallsCoverTheHandlers(t *testing.T) {
	k := newKit(t)
	for call := range operationCalls {
		assert.Contains(t, k.srv.handlers, call, "%s is described but not served", call)
		assert.NotEmpty(t, operationCalls[call].kinds, "%s", call)
	}
	for call := range k.srv.handlers {
		group := uint16(call) >> 8
		info, ok := call.Info()
		require.True(t, ok, "%s", call)
		underOperation := group >= 0x04 && group <= 0x09 && !info.Fused && !strings.HasSuffix(call.String(), "Init")
		_, described := operationCalls[call]
		assert.Equal(t, underOperation, described, "%s", call)
	}
}
