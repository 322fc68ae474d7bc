package worker

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// fuzzHandles is how many small handle values a fuzz input may use to
// name a live session or object: a request's handle field holding a value
// below it is rewritten to the live handle of that index, so inputs reach
// past the handle checks. Larger values stay as they are (forged handles).
const fuzzHandles = 16

// fuzzTarget is one Server on one token for a whole fuzz run, with a pool
// of live sessions and objects kept topped up between inputs.
type fuzzTarget struct {
	t    testing.TB
	srv  *Server
	base map[ck.ObjectHandle]bool // the pool's own keys, never destroyed by the upkeep
}

func newFuzzTarget(t testing.TB) *fuzzTarget {
	hsm := testenv.NewSoftHSM(t)
	hsm.InitToken(t, testLabel, testSOPIN, testUserPIN)
	srv, err := Open(Params{User: "alice", Token: testLabel, Module: hsm.ModulePath, Environment: hsm.Env, StateDir: t.TempDir(), MaxSessions: 8}, zerolog.Nop())
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	return &fuzzTarget{t: t, srv: srv, base: map[ck.ObjectHandle]bool{}}
}

func (ft *fuzzTarget) dispatch(t transport.MsgType, req transport.Request) {
	h := ft.srv.handlers[t]
	if h == nil {
		return
	}
	_, _ = h(context.Background(), &transport.Inbound{ID: 1, Type: t, Request: req})
}

// upkeep keeps a logged-in session and a few keys alive, and bounds what
// inputs accumulate (objects, sessions).
func (ft *fuzzTarget) upkeep() {
	s := ft.srv
	sessions := ft.liveSessions()
	if len(sessions) == 0 {
		ft.dispatch(transport.MsgOpenSession, &transport.OpenSessionRequest{Flags: ck.CKF_SERIAL_SESSION | ck.CKF_RW_SESSION})
		if sessions = ft.liveSessions(); len(sessions) == 0 {
			ft.t.Fatal("cannot open a session")
		}
	}
	sh := sessions[0]
	info, err := s.b.ctx.GetSessionInfo(pkcs11.SessionHandle(sh))
	if err == nil && ck.State(info.State) != ck.CKS_RW_USER_FUNCTIONS && ck.State(info.State) != ck.CKS_RO_USER_FUNCTIONS {
		_ = s.b.ctx.Logout(pkcs11.SessionHandle(sh)) // an SO login blocks the user's
		_ = s.b.ctx.Login(pkcs11.SessionHandle(sh), uint(ck.CKU_USER), testUserPIN)
	}
	s.mu.Lock()
	n := len(s.objects)
	s.mu.Unlock()
	if n > 256 {
		for _, o := range ft.liveObjects() {
			if !ft.base[o] {
				_ = s.b.ctx.DestroyObject(pkcs11.SessionHandle(sh), pkcs11.ObjectHandle(o))
				s.dropObject(o)
			}
		}
	}
	for o := range ft.base {
		if s.checkObject(o, ck.CKR_OBJECT_HANDLE_INVALID) != nil {
			delete(ft.base, o)
		}
	}
	if len(ft.base) < 4 {
		ft.makeKeys(sh)
	}
}

func (ft *fuzzTarget) makeKeys(sh ck.SessionHandle) {
	before := ft.liveObjects()
	ft.dispatch(transport.MsgGenerateKey, &transport.GenerateKeyRequest{Session: sh, Mechanism: ck.Mechanism{Type: ck.CKM_AES_KEY_GEN}, Template: []ck.Attribute{
		ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(32)), ck.BoolAttr(ck.CKA_ENCRYPT, true), ck.BoolAttr(ck.CKA_DECRYPT, true),
		ck.BoolAttr(ck.CKA_WRAP, true), ck.BoolAttr(ck.CKA_UNWRAP, true), ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_DERIVE, true),
		ck.BoolAttr(ck.CKA_EXTRACTABLE, true),
		ck.TemplateAttr(ck.CKA_WRAP_TEMPLATE, ck.BoolAttr(ck.CKA_EXTRACTABLE, true)),
	}})
	ft.dispatch(transport.MsgGenerateKeyPair, &transport.GenerateKeyPairRequest{Session: sh, Mechanism: ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		PublicTemplate:  []ck.Attribute{ck.BytesAttr(ck.CKA_EC_PARAMS, oidP256), ck.BoolAttr(ck.CKA_VERIFY, true)},
		PrivateTemplate: []ck.Attribute{ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_DERIVE, true)}})
	ft.dispatch(transport.MsgGenerateKeyPair, &transport.GenerateKeyPairRequest{Session: sh, Mechanism: ck.Mechanism{Type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN},
		PublicTemplate:  []ck.Attribute{ck.ULONGAttr(ck.CKA_MODULUS_BITS, ck.ULONG(1024)), ck.BoolAttr(ck.CKA_ENCRYPT, true), ck.BoolAttr(ck.CKA_VERIFY, true), ck.BoolAttr(ck.CKA_WRAP, true)},
		PrivateTemplate: []ck.Attribute{ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_DECRYPT, true), ck.BoolAttr(ck.CKA_UNWRAP, true)}})
	for _, o := range ft.liveObjects() {
		if !slices.Contains(before, o) {
			ft.base[o] = true
		}
	}
}

func (ft *fuzzTarget) liveSessions() []ck.SessionHandle {
	ft.srv.mu.Lock()
	defer ft.srv.mu.Unlock()
	out := make([]ck.SessionHandle, 0, len(ft.srv.sessions))
	for h := range ft.srv.sessions {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

func (ft *fuzzTarget) liveObjects() []ck.ObjectHandle {
	ft.srv.mu.Lock()
	defer ft.srv.mu.Unlock()
	out := make([]ck.ObjectHandle, 0, len(ft.srv.objects))
	for h := range ft.srv.objects {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

var (
	sessionHandleType = reflect.TypeFor[ck.SessionHandle]()
	objectHandleType  = reflect.TypeFor[ck.ObjectHandle]()
)

// remapHandles rewrites small handle values in req's fields (embedded
// structs included) to live handles.
func remapHandles(v reflect.Value, sessions []ck.SessionHandle, objects []ck.ObjectHandle) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			remapHandles(v.Elem(), sessions, objects)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				remapHandles(v.Field(i), sessions, objects)
			}
		}
	case reflect.Uint64:
		if !v.CanSet() || v.Uint() >= fuzzHandles {
			return
		}
		switch v.Type() {
		case sessionHandleType:
			if len(sessions) > 0 {
				v.SetUint(uint64(sessions[int(v.Uint())%len(sessions)]))
			}
		case objectHandleType:
			if len(objects) > 0 {
				v.SetUint(uint64(objects[int(v.Uint())%len(objects)]))
			}
		}
	}
}

// tooSlow reports requests whose honest answer takes the backend seconds
// (RSA or DH/DSA parameters of many bits): legal, but they would turn the
// fuzz run into a key-generation benchmark.
func tooSlow(req transport.Request) bool {
	var templates [][]ck.Attribute
	switch r := req.(type) {
	case *transport.GenerateKeyPairRequest:
		templates = [][]ck.Attribute{r.PublicTemplate, r.PrivateTemplate}
	case *transport.GenerateKeyRequest:
		templates = [][]ck.Attribute{r.Template}
	}
	for _, t := range templates {
		for _, a := range t {
			switch a.Type {
			case ck.CKA_MODULUS_BITS, ck.CKA_PRIME_BITS, ck.CKA_SUBPRIME_BITS, ck.CKA_VALUE_BITS:
				if v, err := a.ULONG(); err != nil || v > 2048 {
					return true
				}
			}
		}
	}
	return false
}

// FuzzWorkerRequest feeds arbitrary bodies of every PKCS#11 message type to
// the dispatch table of a Server on a real SoftHSM token. Handlers run
// directly (not under ServerConn's recover), so a panic is a finding.
// Bodies the decoder refuses are the transport's fuzz target's business
// and are skipped here.
func FuzzWorkerRequest(f *testing.F) {
	types := transport.MsgTypes()
	for i, t := range types {
		if info, ok := t.Info(); ok && info.Phase == transport.PhasePKCS11 {
			f.Add(uint16(i), []byte{})
		}
	}
	ft := newFuzzTarget(f)
	f.Fuzz(func(t *testing.T, typeIndex uint16, body []byte) {
		mt := types[int(typeIndex)%len(types)]
		if info, ok := mt.Info(); !ok || info.Phase != transport.PhasePKCS11 {
			return
		}
		req, err := transport.DecodeRequest(mt, body)
		if err != nil {
			return
		}
		switch mt {
		case transport.MsgSetPIN, transport.MsgInitPIN:
			// A PIN changed to fuzz data would end the pool's logins;
			// these run on handles that name no live session only.
			var sh ck.SessionHandle
			switch r := req.(type) {
			case *transport.SetPINRequest:
				sh = r.Session
			case *transport.InitPINRequest:
				sh = r.Session
			}
			if slices.Contains(ft.liveSessions(), sh) {
				return
			}
		default:
			ft.upkeep()
			remapHandles(reflect.ValueOf(req), ft.liveSessions(), ft.liveObjects())
		}
		if tooSlow(req) {
			return
		}
		ft.dispatch(mt, req)
	})
}
