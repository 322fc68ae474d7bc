package e2e

import (
	"errors"

	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// badKeys are the keys the bad calls misuse.
type badKeys struct {
	rsaPub, rsaPriv pkcs11.ObjectHandle
	ecPriv          pkcs11.ObjectHandle
	aes             pkcs11.ObjectHandle
	aesNoEncrypt    pkcs11.ObjectHandle
	shortHMAC       pkcs11.ObjectHandle
	hmac            pkcs11.ObjectHandle
}

// Handles no module hands out this early in a test.
const (
	bogusSession = pkcs11.SessionHandle(0x7ffffff1)
	bogusObject  = pkcs11.ObjectHandle(0x7ffffff2)
	bogusSlot    = uint(0x7ffffff3)
	bogusMech    = uint(0x7ffffff4) // below CKM_VENDOR_DEFINED, defined by no version
)

// badCall is one thing an application gets wrong; run gets a fresh
// logged-in session.
type badCall struct {
	name string
	// want is what the specification calls for (v2.40, section 5 and
	// the mechanisms' sections), "CKR_OK" for a call that must work.
	want string
	// softhsm is SoftHSM 2.6's answer where it differs from want.
	softhsm string
	// carried says that the library answers what its backend answers
	// here (it cannot judge the call itself), so it must answer exactly
	// what SoftHSM answers directly; otherwise it must answer want.
	carried bool
	run     func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error
}

// expected is the answer c calls for on the named fixture.
func (c badCall) expected(module string) string {
	if c.softhsm != "" && (module == testenv.ModuleSoftHSM || c.carried) {
		return c.softhsm
	}
	return c.want
}

func signInit(tok *token, sh pkcs11.SessionHandle, key pkcs11.ObjectHandle) error {
	return tok.ctx.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS, nil), key)
}

// badCalls are checked on every fixture.
var badCalls = []badCall{
	// Operations out of order.
	{name: "Sign-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.Sign(sh, []byte("x"))
		return err
	}},
	{name: "SignUpdate-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.SignUpdate(sh, []byte("x"))
	}},
	{name: "SignFinal-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.SignFinal(sh)
		return err
	}},
	{name: "Verify-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.Verify(sh, []byte("x"), []byte("y"))
	}},
	{name: "Encrypt-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.Encrypt(sh, make([]byte, 16))
		return err
	}},
	{name: "Decrypt-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.Decrypt(sh, make([]byte, 16))
		return err
	}},
	{name: "DecryptUpdate-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.DecryptUpdate(sh, make([]byte, 16))
		return err
	}},
	{name: "Digest-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.Digest(sh, []byte("x"))
		return err
	}},
	{name: "DigestFinal-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.DigestFinal(sh)
		return err
	}},
	{name: "FindObjects-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, _, err := tok.ctx.FindObjects(sh, 1)
		return err
	}},
	{name: "FindObjectsFinal-without-init", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.FindObjectsFinal(sh)
	}},
	{name: "SignInit-twice", want: "CKR_OPERATION_ACTIVE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := signInit(tok, sh, k.rsaPriv); err != nil {
			return err
		}
		return signInit(tok, sh, k.rsaPriv)
	}},
	{name: "EncryptInit-twice", want: "CKR_OPERATION_ACTIVE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		iv := make([]byte, 16)
		if err := tok.ctx.EncryptInit(sh, mech(pkcs11.CKM_AES_CBC, iv), k.aes); err != nil {
			return err
		}
		return tok.ctx.EncryptInit(sh, mech(pkcs11.CKM_AES_CBC, iv), k.aes)
	}},
	{name: "DecryptInit-twice", want: "CKR_OPERATION_ACTIVE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		iv := make([]byte, 16)
		if err := tok.ctx.DecryptInit(sh, mech(pkcs11.CKM_AES_CBC_PAD, iv), k.aes); err != nil {
			return err
		}
		return tok.ctx.DecryptInit(sh, mech(pkcs11.CKM_AES_CBC_PAD, iv), k.aes)
	}},
	{name: "DigestInit-twice", want: "CKR_OPERATION_ACTIVE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil)); err != nil {
			return err
		}
		return tok.ctx.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil))
	}},
	{name: "VerifyInit-twice", want: "CKR_OPERATION_ACTIVE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.VerifyInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS, nil), k.rsaPub); err != nil {
			return err
		}
		return tok.ctx.VerifyInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS, nil), k.rsaPub)
	}},
	{name: "FindObjectsInit-twice", want: "CKR_OPERATION_ACTIVE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.FindObjectsInit(sh, nil); err != nil {
			return err
		}
		return tok.ctx.FindObjectsInit(sh, nil)
	}},
	{name: "Sign-after-Sign", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := signInit(tok, sh, k.rsaPriv); err != nil {
			return err
		}
		if _, err := tok.ctx.Sign(sh, []byte("once")); err != nil {
			return err
		}
		_, err := tok.ctx.Sign(sh, []byte("twice"))
		return err
	}},
	{name: "Digest-after-DigestFinal", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil)); err != nil {
			return err
		}
		if err := tok.ctx.DigestUpdate(sh, []byte("a")); err != nil {
			return err
		}
		if _, err := tok.ctx.DigestFinal(sh); err != nil {
			return err
		}
		_, err := tok.ctx.DigestFinal(sh)
		return err
	}},
	{name: "FindObjects-after-Final", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.FindObjectsInit(sh, nil); err != nil {
			return err
		}
		if err := tok.ctx.FindObjectsFinal(sh); err != nil {
			return err
		}
		_, _, err := tok.ctx.FindObjects(sh, 1)
		return err
	}},
	{name: "Sign-after-failed-Sign", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		// A single-part call ends the operation whatever it answers
		// (v2.40, section 5.2), here CKR_DATA_LEN_RANGE.
		if err := tok.ctx.SignInit(sh, mech(pkcs11.CKM_RSA_PKCS, nil), k.rsaPriv); err != nil {
			return err
		}
		if _, err := tok.ctx.Sign(sh, make([]byte, 2048/8)); err == nil {
			return errUnexpectedOK
		}
		_, err := tok.ctx.Sign(sh, []byte("short"))
		return err
	}},
	{name: "Decrypt-after-failed-Decrypt", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.DecryptInit(sh, mech(pkcs11.CKM_AES_CBC, make([]byte, 16)), k.aes); err != nil {
			return err
		}
		if _, err := tok.ctx.Decrypt(sh, make([]byte, 17)); err == nil {
			return errUnexpectedOK
		}
		_, err := tok.ctx.Decrypt(sh, make([]byte, 16))
		return err
	}},
	{name: "EncryptUpdate-after-EncryptFinal", want: "CKR_OPERATION_NOT_INITIALIZED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.EncryptInit(sh, mech(pkcs11.CKM_AES_CBC, make([]byte, 16)), k.aes); err != nil {
			return err
		}
		if _, err := tok.ctx.EncryptUpdate(sh, make([]byte, 16)); err != nil {
			return err
		}
		if _, err := tok.ctx.EncryptFinal(sh); err != nil {
			return err
		}
		_, err := tok.ctx.EncryptUpdate(sh, make([]byte, 16))
		return err
	}},
	{name: "SignInit-after-failed-SignInit", want: "CKR_OK", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		// A refused init leaves no operation behind.
		if err := tok.ctx.SignInit(sh, mech(bogusMech, nil), k.rsaPriv); err == nil {
			return errUnexpectedOK
		}
		if err := signInit(tok, sh, k.rsaPriv); err != nil {
			return err
		}
		_, err := tok.ctx.Sign(sh, []byte("after a refused init"))
		return err
	}},

	// Wrong handles.
	{name: "session-handle-invalid", want: "CKR_SESSION_HANDLE_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.GenerateRandom(bogusSession, 8)
		return err
	}},
	{name: "closed-session", want: "CKR_SESSION_HANDLE_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.CloseSession(sh); err != nil {
			return err
		}
		_, err := tok.ctx.GenerateRandom(sh, 8)
		return err
	}},
	{name: "CloseSession-twice", want: "CKR_SESSION_HANDLE_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.CloseSession(sh); err != nil {
			return err
		}
		return tok.ctx.CloseSession(sh)
	}},
	{name: "object-handle-invalid", want: "CKR_OBJECT_HANDLE_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.GetAttributeValue(sh, bogusObject, attrs(attr(pkcs11.CKA_LABEL, nil)))
		return err
	}},
	{name: "DestroyObject-invalid", want: "CKR_OBJECT_HANDLE_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.DestroyObject(sh, bogusObject)
	}},
	{name: "SignInit-key-handle-invalid", want: "CKR_KEY_HANDLE_INVALID", softhsm: "CKR_OBJECT_HANDLE_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return signInit(tok, sh, bogusObject)
	}},
	{name: "EncryptInit-key-handle-invalid", want: "CKR_KEY_HANDLE_INVALID", softhsm: "CKR_OBJECT_HANDLE_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.EncryptInit(sh, mech(pkcs11.CKM_AES_CBC, make([]byte, 16)), bogusObject)
	}},
	{name: "slot-id-invalid", want: "CKR_SLOT_ID_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.OpenSession(bogusSlot, pkcs11.CKF_SERIAL_SESSION)
		return err
	}},
	{name: "GetTokenInfo-slot-id-invalid", want: "CKR_SLOT_ID_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.GetTokenInfo(bogusSlot)
		return err
	}},

	// Wrong keys and mechanisms.
	{name: "key-type-inconsistent", want: "CKR_KEY_TYPE_INCONSISTENT", softhsm: "CKR_OK", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.SignInit(sh, mech(pkcs11.CKM_ECDSA, nil), k.rsaPriv)
	}},
	{name: "key-type-inconsistent-AES", want: "CKR_KEY_TYPE_INCONSISTENT", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.EncryptInit(sh, mech(pkcs11.CKM_AES_CBC, make([]byte, 16)), k.rsaPub)
	}},
	{name: "key-function-not-permitted", want: "CKR_KEY_FUNCTION_NOT_PERMITTED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.EncryptInit(sh, mech(pkcs11.CKM_AES_CBC, make([]byte, 16)), k.aesNoEncrypt)
	}},
	{name: "mechanism-invalid", want: "CKR_MECHANISM_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.SignInit(sh, mech(bogusMech, nil), k.rsaPriv)
	}},
	{name: "mechanism-invalid-for-digest", want: "CKR_MECHANISM_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.DigestInit(sh, mech(pkcs11.CKM_AES_CBC, nil))
	}},
	{name: "mechanism-param-invalid", want: "CKR_MECHANISM_PARAM_INVALID", softhsm: "CKR_MECHANISM_INVALID", carried: true, run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.EncryptInit(sh, mech(pkcs11.CKM_AES_CBC, make([]byte, 5)), k.aes)
	}},
	{name: "HMAC-key-too-short-at-init", want: "CKR_KEY_SIZE_RANGE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		// C_SignInit lists CKR_KEY_SIZE_RANGE; an application that checks
		// its key at init (and then signs in another thread) must learn
		// it there.
		return tok.ctx.SignInit(sh, mech(pkcs11.CKM_SHA512_HMAC, nil), k.shortHMAC)
	}},

	// Wrong data.
	{name: "data-len-range", want: "CKR_DATA_LEN_RANGE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.EncryptInit(sh, mech(pkcs11.CKM_AES_CBC, make([]byte, 16)), k.aes); err != nil {
			return err
		}
		_, err := tok.ctx.Encrypt(sh, make([]byte, 15))
		return err
	}},
	{name: "encrypted-data-len-range", want: "CKR_ENCRYPTED_DATA_LEN_RANGE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.DecryptInit(sh, mech(pkcs11.CKM_AES_CBC, make([]byte, 16)), k.aes); err != nil {
			return err
		}
		_, err := tok.ctx.Decrypt(sh, make([]byte, 17))
		return err
	}},
	{name: "RSA-data-too-long", want: "CKR_DATA_LEN_RANGE", softhsm: "CKR_GENERAL_ERROR", carried: true, run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.SignInit(sh, mech(pkcs11.CKM_RSA_PKCS, nil), k.rsaPriv); err != nil {
			return err
		}
		_, err := tok.ctx.Sign(sh, make([]byte, 2048/8))
		return err
	}},
	{name: "signature-len-range", want: "CKR_SIGNATURE_LEN_RANGE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.VerifyInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS, nil), k.rsaPub); err != nil {
			return err
		}
		return tok.ctx.Verify(sh, []byte("x"), make([]byte, 10))
	}},
	{name: "template-incomplete", want: "CKR_TEMPLATE_INCOMPLETE", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN, nil), attrs(attr(pkcs11.CKA_TOKEN, false)))
		return err
	}},
	{name: "attribute-value-invalid", want: "CKR_ATTRIBUTE_VALUE_INVALID", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN, nil), attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_VALUE_LEN, 17)))
		return err
	}},

	// Sessions and login.
	{name: "session-parallel-not-supported", want: "CKR_SESSION_PARALLEL_NOT_SUPPORTED", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		_, err := tok.ctx.OpenSession(tok.slot, 0)
		return err
	}},
	{name: "Login-twice", want: "CKR_USER_ALREADY_LOGGED_IN", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		return tok.ctx.Login(sh, pkcs11.CKU_USER, tok.m.UserPIN)
	}},
	{name: "Logout-twice", want: "CKR_USER_NOT_LOGGED_IN", softhsm: "CKR_OK", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.Logout(sh); err != nil {
			return err
		}
		err := tok.ctx.Logout(sh)
		if lerr := tok.ctx.Login(sh, pkcs11.CKU_USER, tok.m.UserPIN); lerr != nil {
			return lerr
		}
		return err
	}},
	{name: "PIN-incorrect", want: "CKR_PIN_INCORRECT", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.Logout(sh); err != nil {
			return err
		}
		err := tok.ctx.Login(sh, pkcs11.CKU_USER, "not-the-pin")
		if lerr := tok.ctx.Login(sh, pkcs11.CKU_USER, tok.m.UserPIN); lerr != nil {
			return lerr
		}
		return err
	}},
	{name: "private-object-after-Logout", want: "CKR_USER_NOT_LOGGED_IN", run: func(tok *token, sh pkcs11.SessionHandle, k *badKeys) error {
		if err := tok.ctx.Logout(sh); err != nil {
			return err
		}
		defer func() { _ = tok.ctx.Login(sh, pkcs11.CKU_USER, tok.m.UserPIN) }()
		_, err := tok.ctx.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN, nil),
			attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_VALUE_LEN, 16)))
		return err
	}},
}

// errUnexpectedOK marks a call that should have failed.
var errUnexpectedOK = pkcs11.Error(pkcs11.CKR_VENDOR_DEFINED)

// TestBadCalls makes every mistake of badCalls on a fresh session and
// checks the answer: the specification's, except where SoftHSM 2.6
// answers otherwise (its own fixture) or the library carries SoftHSM's
// answer (badCall.carried). The library's answers are also listed beside
// SoftHSM's, for the report.
func TestBadCalls(t *testing.T) {
	answers := map[string]map[string]string{}
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		k := &badKeys{}
		k.rsaPub, k.rsaPriv, _ = tok.rsaPair(t, 2048, "bad-rsa")
		_, k.ecPriv, _ = tok.ecPair(t, curves[0], "bad-ec", false)
		k.aes, _ = tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, 16, "bad-aes")
		var err error
		k.aesNoEncrypt, err = tok.ctx.GenerateKey(tok.sh, mech(pkcs11.CKM_AES_KEY_GEN, nil),
			attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_VALUE_LEN, 16), attr(pkcs11.CKA_ENCRYPT, false)))
		require.NoError(t, err)
		k.shortHMAC, _ = tok.secretKey(t, pkcs11.CKM_GENERIC_SECRET_KEY_GEN, 16, "short-hmac")

		got := map[string]string{}
		answers[m.Name] = got
		for _, c := range badCalls {
			t.Run(c.name, func(t *testing.T) {
				got[c.name] = answerName(c.run(tok, tok.session(t), k))
				assert.Equal(t, c.expected(m.Name), got[c.name])
			})
		}
	})
	reference, lib := answers[testenv.ModuleSoftHSM], answers[testenv.ModuleCloudP11]
	if reference != nil && lib != nil {
		for _, c := range badCalls {
			if reference[c.name] != lib[c.name] {
				t.Logf("%s: softhsm %s, cloudp11 %s, specification %s", c.name, reference[c.name], lib[c.name], c.want)
			}
		}
	}
}

// answerName is "CKR_OK" or the error's CKR name.
func answerName(err error) string {
	if err == nil {
		return "CKR_OK"
	}
	var e pkcs11.Error
	if errors.As(err, &e) {
		return ckrName(uint(e))
	}
	return err.Error()
}

// TestLifecycle checks C_Initialize and C_Finalize used out of order.
func TestLifecycle(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		m.SetenvInProcess(t)
		ctx := load(t, m.Path)
		_, err := ctx.GetSlotList(true)
		requireRV(t, pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED, err, "before C_Initialize")
		requireRV(t, pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED, ctx.Finalize(), "C_Finalize before C_Initialize")
		for range 3 {
			require.NoError(t, ctx.Initialize())
			requireRV(t, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED, ctx.Initialize())
			tok := &token{m: m, ctx: ctx, slot: tokenSlot(t, ctx, m)}
			sh, err := ctx.OpenSession(tok.slot, pkcs11.CKF_SERIAL_SESSION)
			require.NoError(t, err)
			require.NoError(t, ctx.Finalize())
			// C_Finalize closed the session; a new C_Initialize starts clean.
			_, err = ctx.GetSessionInfo(sh)
			requireRV(t, pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED, err)
		}
		requireRV(t, pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED, ctx.Finalize(), "C_Finalize twice")
		// pReserved must be NULL; CKF_LIBRARY_CANT_CREATE_OS_THREADS is
		// refused by the library (its Go runtime makes threads), and
		// accepted by SoftHSM, which makes none.
		err = ctx.Initialize(pkcs11.InitializeWithFlags(pkcs11.CKF_LIBRARY_CANT_CREATE_OS_THREADS))
		if m.Name == testenv.ModuleCloudP11 {
			requireRV(t, pkcs11.CKR_NEED_TO_CREATE_THREADS, err)
		} else if err == nil {
			require.NoError(t, ctx.Finalize())
		}
	})
}
