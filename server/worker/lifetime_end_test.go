package worker

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// lifetimeKeys are the keys the operation lifetime tests use, made once
// per kit in a logged-in session (the application's other sessions may
// use them).
type lifetimeKeys struct {
	ecPub, ecPriv   ck.ObjectHandle
	rsaPub, rsaPriv ck.ObjectHandle
	aes             ck.ObjectHandle
}

func (k *kit) lifetimeKeys() lifetimeKeys {
	k.t.Helper()
	s := k.loggedIn()
	var keys lifetimeKeys
	keys.ecPub, keys.ecPriv = k.generateEC(s)
	keys.rsaPub, keys.rsaPriv = k.generateRSA(s)
	keys.aes = k.aesKey(s, bytes.Repeat([]byte{7}, 32))
	return keys
}

// backendInit is a miekg C_xxxInit, with the key for those that take one.
type backendInit func(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle, m []*pkcs11.Mechanism) error

func keyInit(f func(*pkcs11.Ctx) initFunc, key ck.ObjectHandle) backendInit {
	return func(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle, m []*pkcs11.Mechanism) error {
		return f(ctx)(sh, m, pkcs11.ObjectHandle(key))
	}
}

// rawModule.endOperation frees the session of every operation SoftHSM
// serves, fresh or after an update, whatever the final answers: the next
// init of the kind succeeds.
func TestEndOperationEndsEachMechanism(t *testing.T) {
	k := newKit(t)
	keys := k.lifetimeKeys() // logs the application in
	s := k.openSession()
	hmac := ok[*transport.ObjectResponse](k, &transport.GenerateKeyRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_GENERIC_SECRET_KEY_GEN}, Template: []ck.Attribute{
		ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(32)), ck.BoolAttr(ck.CKA_SIGN, true), ck.BoolAttr(ck.CKA_VERIFY, true),
	}}).Object

	encrypt := func(ctx *pkcs11.Ctx) initFunc { return ctx.EncryptInit }
	decrypt := func(ctx *pkcs11.Ctx) initFunc { return ctx.DecryptInit }
	sign := func(ctx *pkcs11.Ctx) initFunc { return ctx.SignInit }
	verify := func(ctx *pkcs11.Ctx) initFunc { return ctx.VerifyInit }
	digest := func(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle, m []*pkcs11.Mechanism) error {
		return ctx.DigestInit(sh, m)
	}
	update := map[opKind]func(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle, data []byte) error{
		opEncrypt: func(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle, data []byte) error {
			_, err := ctx.EncryptUpdate(sh, data)
			return err
		},
		opDecrypt: func(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle, data []byte) error {
			_, err := ctx.DecryptUpdate(sh, data)
			return err
		},
		opDigest: (*pkcs11.Ctx).DigestUpdate,
		opSign:   (*pkcs11.Ctx).SignUpdate,
		opVerify: (*pkcs11.Ctx).VerifyUpdate,
	}

	iv := ck.IVParam(make([]byte, 16))
	gcm := ck.GCMParams{IV: make([]byte, 12), IVBits: 96, TagBits: 128}
	oaep := ck.RSAOAEPParams{Hash: ck.CKM_SHA_1, MGF: ck.CKG_MGF1_SHA1, Source: ck.CKZ_DATA_SPECIFIED}
	pss := ck.RSAPSSParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256, SaltLen: 32}
	cases := []struct {
		kind opKind
		mech ck.Mechanism
		init backendInit
	}{
		{opEncrypt, ck.Mechanism{Type: ck.CKM_RSA_PKCS}, keyInit(encrypt, keys.rsaPub)},
		{opEncrypt, ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: oaep}, keyInit(encrypt, keys.rsaPub)},
		{opEncrypt, ck.Mechanism{Type: ck.CKM_AES_ECB}, keyInit(encrypt, keys.aes)},
		{opEncrypt, ck.Mechanism{Type: ck.CKM_AES_CBC, Param: iv}, keyInit(encrypt, keys.aes)},
		{opEncrypt, ck.Mechanism{Type: ck.CKM_AES_CBC_PAD, Param: iv}, keyInit(encrypt, keys.aes)},
		{opEncrypt, ck.Mechanism{Type: ck.CKM_AES_CTR, Param: ck.CTRParams{CounterBits: 32}}, keyInit(encrypt, keys.aes)},
		{opEncrypt, ck.Mechanism{Type: ck.CKM_AES_GCM, Param: gcm}, keyInit(encrypt, keys.aes)},
		{opDecrypt, ck.Mechanism{Type: ck.CKM_RSA_PKCS}, keyInit(decrypt, keys.rsaPriv)},
		{opDecrypt, ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: oaep}, keyInit(decrypt, keys.rsaPriv)},
		{opDecrypt, ck.Mechanism{Type: ck.CKM_AES_ECB}, keyInit(decrypt, keys.aes)},
		{opDecrypt, ck.Mechanism{Type: ck.CKM_AES_CBC, Param: iv}, keyInit(decrypt, keys.aes)},
		{opDecrypt, ck.Mechanism{Type: ck.CKM_AES_CBC_PAD, Param: iv}, keyInit(decrypt, keys.aes)},
		{opDecrypt, ck.Mechanism{Type: ck.CKM_AES_CTR, Param: ck.CTRParams{CounterBits: 32}}, keyInit(decrypt, keys.aes)},
		{opDecrypt, ck.Mechanism{Type: ck.CKM_AES_GCM, Param: gcm}, keyInit(decrypt, keys.aes)},
		{opDigest, ck.Mechanism{Type: ck.CKM_SHA256}, digest},
		{opDigest, ck.Mechanism{Type: ck.CKM_SHA_1}, digest},
		{opSign, ck.Mechanism{Type: ck.CKM_ECDSA}, keyInit(sign, keys.ecPriv)},
		{opSign, ck.Mechanism{Type: ck.CKM_ECDSA_SHA256}, keyInit(sign, keys.ecPriv)},
		{opSign, ck.Mechanism{Type: ck.CKM_RSA_PKCS}, keyInit(sign, keys.rsaPriv)},
		{opSign, ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS}, keyInit(sign, keys.rsaPriv)},
		{opSign, ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS_PSS, Param: pss}, keyInit(sign, keys.rsaPriv)},
		{opSign, ck.Mechanism{Type: ck.CKM_SHA256_HMAC}, keyInit(sign, hmac)},
		{opVerify, ck.Mechanism{Type: ck.CKM_ECDSA}, keyInit(verify, keys.ecPub)},
		{opVerify, ck.Mechanism{Type: ck.CKM_ECDSA_SHA256}, keyInit(verify, keys.ecPub)},
		{opVerify, ck.Mechanism{Type: ck.CKM_RSA_PKCS}, keyInit(verify, keys.rsaPub)},
		{opVerify, ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS}, keyInit(verify, keys.rsaPub)},
		{opVerify, ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS_PSS, Param: pss}, keyInit(verify, keys.rsaPub)},
		{opVerify, ck.Mechanism{Type: ck.CKM_SHA256_HMAC}, keyInit(verify, hmac)},
	}
	b := k.srv.b
	for _, c := range cases {
		for _, updated := range []bool{false, true} {
			name := c.kind.String() + "/" + c.mech.Type.String()
			if updated {
				name += "/after an update"
			}
			t.Run(name, func(t *testing.T) {
				var pin runtime.Pinner
				defer pin.Unpin()
				mech, err := backendMechanism(c.mech, &pin)
				require.NoError(t, err)
				sh, err := b.ctx.OpenSession(b.slot, ck.CKF_SERIAL_SESSION)
				require.NoError(t, err)
				defer b.ctx.CloseSession(sh)
				err = c.init(b.ctx, sh, mech)
				if rvOf(err) == ck.CKR_MECHANISM_INVALID {
					t.Skipf("the backend has no %s", c.mech.Type)
				}
				require.NoError(t, err, "the init")
				if updated {
					// Whatever it answers: SoftHSM refuses updates of
					// single-part mechanisms and keeps the operation.
					_ = update[c.kind](b.ctx, sh, make([]byte, 16))
				}
				answers := b.raw.endOperation(ck.SessionHandle(sh), c.kind)
				assert.NoError(t, c.init(b.ctx, sh, mech), "the next init, after the ending calls answered %v", answers)
			})
		}
	}
}
