package e2e

import (
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// envModules narrows the fixtures a run uses.
const envModules = "CLOUDP11_E2E_MODULES"

// fixtures are the modules every suite runs on, in order.
var fixtures = []struct {
	name string
	make func(testing.TB) *testenv.Module
}{
	{testenv.ModuleSoftHSM, testenv.SoftHSMModule},
	{testenv.ModuleCloudP11, testenv.LibraryModule},
}

// forEachModule runs fn as a subtest per fixture, each with a fresh token.
func forEachModule(t *testing.T, fn func(t *testing.T, m *testenv.Module)) {
	t.Helper()
	var only []string
	if v := os.Getenv(envModules); v != "" {
		only = strings.Split(v, ",")
	}
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			if only != nil && !slices.Contains(only, f.name) {
				t.Skipf("%s=%s", envModules, os.Getenv(envModules))
			}
			if f.name == testenv.ModuleCloudP11 && testing.Short() {
				t.Skip("starts hsmd (-short)")
			}
			fn(t, f.make(t))
		})
	}
}

// loaded are the modules this process has loaded, by path. They stay
// loaded: libcloudp11.so cannot be unloaded anyway (-z nodelete), and a
// PKCS#11 module's state is C_Initialize's, not dlopen's.
var loaded = struct {
	sync.Mutex
	ctx map[string]*pkcs11.Ctx
}{ctx: map[string]*pkcs11.Ctx{}}

func load(t testing.TB, path string) *pkcs11.Ctx {
	t.Helper()
	loaded.Lock()
	defer loaded.Unlock()
	if c, ok := loaded.ctx[path]; ok {
		return c
	}
	c := pkcs11.New(path)
	require.NotNil(t, c, "loading %s", path)
	loaded.ctx[path] = c
	return c
}

// token is an initialised module with the test's token found, and a
// read-write session logged in as the user.
type token struct {
	m    *testenv.Module
	ctx  *pkcs11.Ctx
	slot uint
	sh   pkcs11.SessionHandle
}

// openToken loads and initialises m (finalised at cleanup), finds its
// token and logs a read-write session in.
func openToken(t testing.TB, m *testenv.Module) *token {
	t.Helper()
	tok := initModule(t, m)
	tok.sh = tok.session(t)
	require.NoError(t, tok.ctx.Login(tok.sh, pkcs11.CKU_USER, m.UserPIN))
	return tok
}

// initModule loads and initialises m and finds its token, without a
// session.
func initModule(t testing.TB, m *testenv.Module) *token {
	t.Helper()
	m.SetenvInProcess(t)
	ctx := load(t, m.Path)
	require.NoError(t, ctx.Initialize(), "C_Initialize of %s", m.Name)
	t.Cleanup(func() {
		if err := ctx.Finalize(); err != nil {
			t.Errorf("C_Finalize: %v", err)
		}
	})
	slots, err := ctx.GetSlotList(true)
	require.NoError(t, err)
	for _, s := range slots {
		info, err := ctx.GetTokenInfo(s)
		require.NoError(t, err)
		if info.Label == m.TokenLabel {
			return &token{m: m, ctx: ctx, slot: s}
		}
	}
	t.Fatalf("%s: no token labelled %q in slots %v", m.Name, m.TokenLabel, slots)
	return nil
}

// session opens another read-write session, closed at cleanup unless the
// test closed it.
func (tok *token) session(t testing.TB) pkcs11.SessionHandle {
	t.Helper()
	sh, err := tok.ctx.OpenSession(tok.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	require.NoError(t, err)
	t.Cleanup(func() {
		err := tok.ctx.CloseSession(sh)
		if err != nil && !isRV(err, pkcs11.CKR_SESSION_HANDLE_INVALID) && !isRV(err, pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED) {
			t.Errorf("C_CloseSession: %v", err)
		}
	})
	return sh
}

// isRV says whether err is the PKCS#11 error rv.
func isRV(err error, rv uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == rv
}

// requireRV fails unless err is the PKCS#11 error want.
func requireRV(t testing.TB, want uint, err error, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	var e pkcs11.Error
	require.True(t, errors.As(err, &e), "not a PKCS#11 error: %v", err)
	require.Equal(t, rvName(want), rvName(uint(e)), msgAndArgs...)
}

// rvName is a CK_RV's name with its number, so that failures read
// CKR_X, not a number alone.
func rvName(rv uint) string { return pkcs11.Error(rv).Error() }

// ckrName is a CK_RV's bare name, "CKR_OK" for 0.
func ckrName(rv uint) string {
	if rv == pkcs11.CKR_OK {
		return "CKR_OK"
	}
	name := pkcs11.Error(rv).Error() // "pkcs11: 0x%X: CKR_X"
	return name[strings.LastIndex(name, " ")+1:]
}

// hasMechanism says whether the token offers mech.
func (tok *token) hasMechanism(t testing.TB, mech uint) bool {
	t.Helper()
	list, err := tok.ctx.GetMechanismList(tok.slot)
	require.NoError(t, err)
	for _, m := range list {
		if m.Mechanism == mech {
			return true
		}
	}
	return false
}

// needMechanism skips the test when the token lacks mech.
func (tok *token) needMechanism(t testing.TB, mech uint, name string) {
	t.Helper()
	if !tok.hasMechanism(t, mech) {
		t.Skipf("%s does not offer %s", tok.m.Name, name)
	}
}

// attr reads one attribute.
func (tok *token) attr(t testing.TB, obj pkcs11.ObjectHandle, typ uint) []byte {
	t.Helper()
	attrs, err := tok.ctx.GetAttributeValue(tok.sh, obj, []*pkcs11.Attribute{pkcs11.NewAttribute(typ, nil)})
	require.NoError(t, err, "C_GetAttributeValue 0x%x", typ)
	require.Len(t, attrs, 1)
	return attrs[0].Value
}

// ulong decodes a CK_ULONG attribute value (native byte order, as miekg
// hands it over).
func ulong(t testing.TB, b []byte) uint64 {
	t.Helper()
	require.Len(t, b, 8, "CK_ULONG attribute")
	return binary.NativeEndian.Uint64(b)
}

// boolAttr decodes a CK_BBOOL attribute value.
func boolAttr(t testing.TB, b []byte) bool {
	t.Helper()
	require.Len(t, b, 1, "CK_BBOOL attribute")
	return b[0] != 0
}
