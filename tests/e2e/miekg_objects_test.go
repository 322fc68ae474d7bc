package e2e

import (
	"fmt"
	"slices"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/e2e/internal/rawp11"
	"github.com/cloudp11/cloudp11/tests/testenv"
)

// TestFindObjects searches by label, id and class, in batches smaller
// than the result, and for what is not there.
func TestFindObjects(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		var made []pkcs11.ObjectHandle
		for i := range 7 {
			obj, err := tok.ctx.CreateObject(tok.sh, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA), attr(pkcs11.CKA_TOKEN, false),
				attr(pkcs11.CKA_LABEL, "find-me"), attr(pkcs11.CKA_APPLICATION, "e2e"), attr(pkcs11.CKA_VALUE, []byte{byte(i)})))
			require.NoError(t, err)
			made = append(made, obj)
		}
		_, _, _ = tok.ecPair(t, curves[0], "find-me-not", false)

		found := tok.find(t, attrs(attr(pkcs11.CKA_LABEL, "find-me")), 3)
		slices.Sort(found)
		slices.Sort(made)
		require.Equal(t, made, found, "every data object, in batches of 3")

		require.Len(t, tok.find(t, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)), 10), 1)
		require.Len(t, tok.find(t, attrs(attr(pkcs11.CKA_LABEL, "find-me-not"), attr(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY)), 10), 1)
		require.Empty(t, tok.find(t, attrs(attr(pkcs11.CKA_LABEL, "find-me-")), 10), "labels compare exactly")
		require.Empty(t, tok.find(t, attrs(attr(pkcs11.CKA_LABEL, "absent")), 10))
		require.Len(t, tok.find(t, nil, 100), 9, "an empty template finds everything")

		// A session that is not logged in does not see private objects...
		public := tok.session(t)
		require.NoError(t, tok.ctx.Logout(tok.sh))
		require.NoError(t, tok.ctx.FindObjectsInit(public, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY))))
		objs, _, err := tok.ctx.FindObjects(public, 10)
		require.NoError(t, err)
		require.NoError(t, tok.ctx.FindObjectsFinal(public))
		require.Empty(t, objs, "a private key found without login")
		// C_Logout destroyed the private session objects (v2.40, section
		// 5.6), so a login on any session finds the public half only.
		require.NoError(t, tok.ctx.Login(public, pkcs11.CKU_USER, m.UserPIN))
		require.Empty(t, tok.find(t, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)), 10))
		require.Len(t, tok.find(t, attrs(attr(pkcs11.CKA_LABEL, "find-me-not")), 10), 1)
	})
}

// find collects every handle matching tmpl, batch at a time.
func (tok *token) find(t testing.TB, tmpl []*pkcs11.Attribute, batch int) []pkcs11.ObjectHandle {
	t.Helper()
	require.NoError(t, tok.ctx.FindObjectsInit(tok.sh, tmpl))
	var all []pkcs11.ObjectHandle
	for {
		objs, _, err := tok.ctx.FindObjects(tok.sh, batch)
		require.NoError(t, err)
		require.LessOrEqual(t, len(objs), batch)
		if len(objs) == 0 {
			break
		}
		all = append(all, objs...)
	}
	require.NoError(t, tok.ctx.FindObjectsFinal(tok.sh))
	return all
}

// TestAttributes reads and changes attributes, and checks the rules of
// C_GetAttributeValue on a template that mixes readable, sensitive,
// unknown and too-small entries: every entry processed in one call.
func TestAttributes(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		key, err := tok.ctx.GenerateKey(tok.sh, mech(pkcs11.CKM_AES_KEY_GEN, nil),
			attrs(attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_VALUE_LEN, 32), attr(pkcs11.CKA_LABEL, "before"),
				attr(pkcs11.CKA_ID, []byte{1, 2, 3}), attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true),
				attr(pkcs11.CKA_ENCRYPT, true)))
		require.NoError(t, err)

		t.Run("set", func(t *testing.T) {
			require.NoError(t, tok.ctx.SetAttributeValue(tok.sh, key, attrs(attr(pkcs11.CKA_LABEL, "after"), attr(pkcs11.CKA_ID, []byte("new-id")))))
			assert.Equal(t, "after", string(tok.attr(t, key, pkcs11.CKA_LABEL)))
			assert.Equal(t, "new-id", string(tok.attr(t, key, pkcs11.CKA_ID)))
			// An empty label is a value, not an absence.
			require.NoError(t, tok.ctx.SetAttributeValue(tok.sh, key, attrs(attr(pkcs11.CKA_LABEL, ""))))
			assert.Empty(t, tok.attr(t, key, pkcs11.CKA_LABEL))
			err := tok.ctx.SetAttributeValue(tok.sh, key, attrs(attr(pkcs11.CKA_VALUE_LEN, 16)))
			requireRV(t, pkcs11.CKR_ATTRIBUTE_READ_ONLY, err, "CKA_VALUE_LEN cannot change")
			err = tok.ctx.SetAttributeValue(tok.sh, key, attrs(attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_DES3)))
			requireRV(t, pkcs11.CKR_ATTRIBUTE_READ_ONLY, err, "CKA_KEY_TYPE cannot change")
		})

		t.Run("sensitive", func(t *testing.T) {
			value := tok.attr(t, key, pkcs11.CKA_VALUE)
			require.Len(t, value, 32)
			// CKA_SENSITIVE may go from false to true, never back.
			require.NoError(t, tok.ctx.SetAttributeValue(tok.sh, key, attrs(attr(pkcs11.CKA_SENSITIVE, true))))
			_, err := tok.ctx.GetAttributeValue(tok.sh, key, attrs(attr(pkcs11.CKA_VALUE, nil)))
			requireRV(t, pkcs11.CKR_ATTRIBUTE_SENSITIVE, err)
			err = tok.ctx.SetAttributeValue(tok.sh, key, attrs(attr(pkcs11.CKA_SENSITIVE, false)))
			requireRV(t, pkcs11.CKR_ATTRIBUTE_READ_ONLY, err, "CKA_SENSITIVE back to false")
			assert.True(t, boolAttr(t, tok.attr(t, key, pkcs11.CKA_ALWAYS_SENSITIVE)) == false, "it was not always sensitive")
			// CKA_EXTRACTABLE may go from true to false, never back.
			require.NoError(t, tok.ctx.SetAttributeValue(tok.sh, key, attrs(attr(pkcs11.CKA_EXTRACTABLE, false))))
			err = tok.ctx.SetAttributeValue(tok.sh, key, attrs(attr(pkcs11.CKA_EXTRACTABLE, true)))
			requireRV(t, pkcs11.CKR_ATTRIBUTE_READ_ONLY, err, "CKA_EXTRACTABLE back to true")
		})

		t.Run("mixed-template", func(t *testing.T) {
			// Through the module's own C_GetAttributeValue: miekg returns nothing
			// when the call fails, and the values of the other entries are the
			// point here.
			rv, res, err := rawp11.GetAttributeValue(m.Path, uint64(tok.sh), uint64(key), []rawp11.Query{
				{Type: pkcs11.CKA_LABEL, Size: 16},
				{Type: pkcs11.CKA_VALUE, Size: 64},               // sensitive now
				{Type: pkcs11.CKA_KEY_TYPE, Size: 8},             // readable
				{Type: ckaUnknownForEveryToken, Size: 8},         // no such attribute
				{Type: pkcs11.CKA_ID, Size: 2},                   // "new-id" does not fit
				{Type: pkcs11.CKA_VALUE_LEN, Size: -1},           // length only
				{Type: pkcs11.CKA_CLASS, Size: 8},                // after every failure
				{Type: pkcs11.CKA_ALWAYS_AUTHENTICATE, Size: -1}, // not an attribute of a secret key
			})
			require.NoError(t, err)
			assert.Contains(t, []string{rvName(pkcs11.CKR_ATTRIBUTE_SENSITIVE), rvName(pkcs11.CKR_ATTRIBUTE_TYPE_INVALID), rvName(pkcs11.CKR_BUFFER_TOO_SMALL)},
				rvName(uint(rv)), "one of the errors that occurred")
			assert.Equal(t, uint64(0), res[0].Len, "the empty label set above")
			assert.Equal(t, rawp11.Unavailable, res[1].Len, "sensitive CKA_VALUE")
			assert.Equal(t, uint64(8), res[2].Len)
			assert.EqualValues(t, pkcs11.CKK_AES, ulong(t, res[2].Value), "CKA_KEY_TYPE filled in despite the failures")
			assert.Equal(t, rawp11.Unavailable, res[3].Len, "unknown attribute type")
			assert.Equal(t, rawp11.Unavailable, res[4].Len, "buffer too small")
			assert.Equal(t, uint64(8), res[5].Len, "length query")
			assert.EqualValues(t, pkcs11.CKO_SECRET_KEY, ulong(t, res[6].Value), "CKA_CLASS filled in after the failures")
			assert.Equal(t, rawp11.Unavailable, res[7].Len, "attribute the object does not have")

			// One error alone gives exactly its code.
			rv, res, err = rawp11.GetAttributeValue(m.Path, uint64(tok.sh), uint64(key), []rawp11.Query{
				{Type: pkcs11.CKA_VALUE, Size: 64}, {Type: pkcs11.CKA_LABEL, Size: -1}})
			require.NoError(t, err)
			assert.Equal(t, rvName(pkcs11.CKR_ATTRIBUTE_SENSITIVE), rvName(uint(rv)))
			assert.Equal(t, rawp11.Unavailable, res[0].Len)
			assert.Equal(t, uint64(0), res[1].Len)
			rv, _, err = rawp11.GetAttributeValue(m.Path, uint64(tok.sh), uint64(key), []rawp11.Query{
				{Type: ckaUnknownForEveryToken, Size: 8}})
			require.NoError(t, err)
			assert.Equal(t, rvName(pkcs11.CKR_ATTRIBUTE_TYPE_INVALID), rvName(uint(rv)))
			rv, res, err = rawp11.GetAttributeValue(m.Path, uint64(tok.sh), uint64(key), []rawp11.Query{
				{Type: pkcs11.CKA_ID, Size: 5}})
			require.NoError(t, err)
			assert.Equal(t, rvName(pkcs11.CKR_BUFFER_TOO_SMALL), rvName(uint(rv)))
			assert.Equal(t, rawp11.Unavailable, res[0].Len)
		})

		t.Run("private-key", func(t *testing.T) {
			pub, priv, goKey := tok.rsaPair(t, 2048, "attrs-rsa")
			// The public parts of a sensitive private key are readable, its
			// private exponent is not.
			assert.Equal(t, goKey.N.Bytes(), tok.attr(t, priv, pkcs11.CKA_MODULUS))
			for _, typ := range []uint{pkcs11.CKA_PRIVATE_EXPONENT, pkcs11.CKA_PRIME_1, pkcs11.CKA_PRIME_2, pkcs11.CKA_COEFFICIENT} {
				_, err := tok.ctx.GetAttributeValue(tok.sh, priv, attrs(attr(typ, nil)))
				requireRV(t, pkcs11.CKR_ATTRIBUTE_SENSITIVE, err, "attribute 0x%x", typ)
			}
			assert.True(t, boolAttr(t, tok.attr(t, priv, pkcs11.CKA_ALWAYS_SENSITIVE)))
			assert.False(t, boolAttr(t, tok.attr(t, priv, pkcs11.CKA_NEVER_EXTRACTABLE)) && boolAttr(t, tok.attr(t, priv, pkcs11.CKA_EXTRACTABLE)),
				"never extractable and extractable at once")
			size, err := tok.ctx.GetObjectSize(tok.sh, pub)
			if err != nil {
				requireRV(t, pkcs11.CKR_INFORMATION_SENSITIVE, err, "C_GetObjectSize")
			} else {
				assert.NotZero(t, size)
			}
		})
	})
}

// TestCopyDestroy copies objects with changed attributes, destroys them,
// and checks that a destroyed handle is refused and the original kept.
func TestCopyDestroy(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		key, value := tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, 16, "original")
		cp, err := tok.ctx.CopyObject(tok.sh, key, attrs(attr(pkcs11.CKA_LABEL, "copy")))
		require.NoError(t, err)
		require.NotEqual(t, key, cp)
		assert.Equal(t, "copy", string(tok.attr(t, cp, pkcs11.CKA_LABEL)))
		assert.Equal(t, "original", string(tok.attr(t, key, pkcs11.CKA_LABEL)))
		assert.Equal(t, value, tok.attr(t, cp, pkcs11.CKA_VALUE), "a copy has the same key")
		// The copy encrypts as the original does.
		iv := randomBytes(t, 16)
		plain := randomBytes(t, 32)
		assert.Equal(t, tok.encrypt(t, key, mech(pkcs11.CKM_AES_CBC, iv), plain), tok.encrypt(t, cp, mech(pkcs11.CKM_AES_CBC, iv), plain))

		// A token copy of a session object outlives the session.
		tokenCopy, err := tok.ctx.CopyObject(tok.sh, key, attrs(attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, "token-copy")))
		require.NoError(t, err)
		assert.True(t, boolAttr(t, tok.attr(t, tokenCopy, pkcs11.CKA_TOKEN)))

		require.NoError(t, tok.ctx.DestroyObject(tok.sh, cp))
		requireRV(t, pkcs11.CKR_OBJECT_HANDLE_INVALID, tok.ctx.DestroyObject(tok.sh, cp), "destroyed twice")
		_, err = tok.ctx.GetAttributeValue(tok.sh, cp, attrs(attr(pkcs11.CKA_LABEL, nil)))
		requireRV(t, pkcs11.CKR_OBJECT_HANDLE_INVALID, err, "attribute of a destroyed object")
		require.Empty(t, tok.find(t, attrs(attr(pkcs11.CKA_LABEL, "copy")), 10))
		require.Len(t, tok.find(t, attrs(attr(pkcs11.CKA_LABEL, "original")), 10), 1)

		// Copying into a sensitive key: allowed (false to true), and then
		// the value is hidden.
		sensitive, err := tok.ctx.CopyObject(tok.sh, key, attrs(attr(pkcs11.CKA_SENSITIVE, true)))
		require.NoError(t, err)
		_, err = tok.ctx.GetAttributeValue(tok.sh, sensitive, attrs(attr(pkcs11.CKA_VALUE, nil)))
		requireRV(t, pkcs11.CKR_ATTRIBUTE_SENSITIVE, err)

		// Session objects go with their session; token objects stay.
		other := tok.session(t)
		sessionObj, err := tok.ctx.CreateObject(other, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA), attr(pkcs11.CKA_TOKEN, false),
			attr(pkcs11.CKA_LABEL, "ephemeral")))
		require.NoError(t, err)
		require.NoError(t, tok.ctx.CloseSession(other))
		_, err = tok.ctx.GetAttributeValue(tok.sh, sessionObj, attrs(attr(pkcs11.CKA_LABEL, nil)))
		requireRV(t, pkcs11.CKR_OBJECT_HANDLE_INVALID, err, "session object of a closed session")
		require.NoError(t, tok.ctx.DestroyObject(tok.sh, tokenCopy))
	})
}

// TestTokenObjectsPersist stores token objects, finalises the module, and
// finds them again in a new C_Initialize, with the same values.
func TestTokenObjectsPersist(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		ctx := load(t, m.Path)
		m.SetenvInProcess(t)
		labels := []string{"persist-a", "persist-b", "persist-c"}
		values := map[string][]byte{}

		func() {
			require.NoError(t, ctx.Initialize())
			defer func() { require.NoError(t, ctx.Finalize()) }()
			tok := &token{m: m, ctx: ctx, slot: tokenSlot(t, ctx, m)}
			sh, err := ctx.OpenSession(tok.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
			require.NoError(t, err)
			tok.sh = sh
			require.NoError(t, ctx.Login(sh, pkcs11.CKU_USER, m.UserPIN))
			for _, label := range labels {
				_, values[label] = tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, 32, label, attr(pkcs11.CKA_TOKEN, true))
			}
			// Finalize without closing anything: the module closes the session.
		}()

		require.NoError(t, ctx.Initialize())
		defer func() { require.NoError(t, ctx.Finalize()) }()
		tok := &token{m: m, ctx: ctx, slot: tokenSlot(t, ctx, m)}
		sh, err := ctx.OpenSession(tok.slot, pkcs11.CKF_SERIAL_SESSION)
		require.NoError(t, err, "read-only session")
		tok.sh = sh
		require.NoError(t, ctx.Login(sh, pkcs11.CKU_USER, m.UserPIN))
		for _, label := range labels {
			found := tok.find(t, attrs(attr(pkcs11.CKA_LABEL, label)), 10)
			require.Len(t, found, 1, label)
			assert.Equal(t, values[label], tok.attr(t, found[0], pkcs11.CKA_VALUE), fmt.Sprint(label))
		}
		// A read-only session reads token objects but cannot make them.
		_, err = ctx.CreateObject(sh, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA), attr(pkcs11.CKA_TOKEN, true)))
		requireRV(t, pkcs11.CKR_SESSION_READ_ONLY, err)
	})
}

// tokenSlot finds the slot of m's token.
func tokenSlot(t testing.TB, ctx *pkcs11.Ctx, m *testenv.Module) uint {
	t.Helper()
	slots, err := ctx.GetSlotList(true)
	require.NoError(t, err)
	for _, s := range slots {
		info, err := ctx.GetTokenInfo(s)
		require.NoError(t, err)
		if info.Label == m.TokenLabel {
			return s
		}
	}
	t.Fatalf("no token labelled %q", m.TokenLabel)
	return 0
}
