package worker

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

func beULONG(v ck.ULONG) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

func TestGetAttributeValueStatuses(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	_, priv := k.generateEC(s)
	const unknownType = ck.AttributeType(0x7ffffff0)
	resp := call[*transport.GetAttributeValueResponse](k, &transport.GetAttributeValueRequest{Session: s, Object: priv, Queries: []transport.AttributeQuery{
		{Type: ck.CKA_LABEL},
		{Type: ck.CKA_VALUE},
		{Type: ck.CKA_EC_PARAMS, LengthOnly: true},
		{Type: unknownType},
		{Type: ck.CKA_KEY_TYPE},
		{Type: ck.CKA_CLASS, LengthOnly: true},
		{Type: ck.CKA_SIGN},
	}})
	assert.Equal(t, ck.CKR_ATTRIBUTE_SENSITIVE, resp.RV, "the first failing status")
	require.Len(t, resp.Results, 7)
	want := []transport.AttributeResult{
		{Status: ck.CKR_OK, Attribute: ck.StringAttr(ck.CKA_LABEL, "ec")},
		{Status: ck.CKR_ATTRIBUTE_SENSITIVE, Attribute: ck.Attribute{Type: ck.CKA_VALUE, Query: true, Len: ck.CK_UNAVAILABLE_INFORMATION}},
		{Status: ck.CKR_OK, Attribute: ck.Attribute{Type: ck.CKA_EC_PARAMS, Query: true, Len: ck.ULONG(len(oidP256))}},
		{Status: ck.CKR_ATTRIBUTE_TYPE_INVALID, Attribute: ck.Attribute{Type: unknownType, Query: true, Len: ck.CK_UNAVAILABLE_INFORMATION}},
		{Status: ck.CKR_OK, Attribute: ck.Attribute{Type: ck.CKA_KEY_TYPE, Value: beULONG(ck.ULONG(ck.CKK_EC)), Len: 8}},
		{Status: ck.CKR_OK, Attribute: ck.Attribute{Type: ck.CKA_CLASS, Query: true, Len: 8}},
		{Status: ck.CKR_OK, Attribute: ck.BoolAttr(ck.CKA_SIGN, true)},
	}
	assert.Equal(t, want, resp.Results)

	// When everything is readable, one backend call answers it all.
	resp = ok[*transport.GetAttributeValueResponse](k, &transport.GetAttributeValueRequest{Session: s, Object: priv, Queries: []transport.AttributeQuery{
		{Type: ck.CKA_EC_PARAMS}, {Type: ck.CKA_PRIVATE}, {Type: ck.CKA_ALLOWED_MECHANISMS, LengthOnly: true},
	}})
	assert.Equal(t, oidP256, resp.Results[0].Attribute.Value)
	assert.Equal(t, []byte{1}, resp.Results[1].Attribute.Value)
	assert.Zero(t, resp.Results[2].Attribute.Len%8, "CKA_ALLOWED_MECHANISMS counts 8 wire bytes per mechanism")

	// An empty template is valid and answers nothing.
	resp = ok[*transport.GetAttributeValueResponse](k, &transport.GetAttributeValueRequest{Session: s, Object: priv})
	assert.Empty(t, resp.Results)
}

func TestNestedTemplates(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	wrapTemplate := []ck.Attribute{
		ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.ULONG(ck.CKK_AES)),
		ck.BoolAttr(ck.CKA_EXTRACTABLE, true),
		ck.StringAttr(ck.CKA_LABEL, "wrappable"),
	}
	key := k.generateAES(s, ck.BoolAttr(ck.CKA_WRAP, true), ck.TemplateAttr(ck.CKA_WRAP_TEMPLATE, wrapTemplate...))

	lo := ok[*transport.GetAttributeValueResponse](k, &transport.GetAttributeValueRequest{Session: s, Object: key, Queries: []transport.AttributeQuery{{Type: ck.CKA_WRAP_TEMPLATE, LengthOnly: true}}})
	assert.Equal(t, ck.ULONG(3), lo.Results[0].Attribute.Len, "a template's length is its number of attributes")

	got := ok[*transport.GetAttributeValueResponse](k, &transport.GetAttributeValueRequest{Session: s, Object: key, Queries: []transport.AttributeQuery{{Type: ck.CKA_WRAP_TEMPLATE}, {Type: ck.CKA_LABEL}}})
	require.Equal(t, ck.CKR_OK, got.Results[0].Status)
	assert.ElementsMatch(t, wrapTemplate, got.Results[0].Attribute.Template)
	assert.Equal(t, []byte("aes"), got.Results[1].Attribute.Value)
}

func TestFindObjects(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	var made []ck.ObjectHandle
	for range 5 {
		made = append(made, k.generateAES(s, ck.BytesAttr(ck.CKA_ID, []byte{0xca, 0xfe})))
	}
	k.generateAES(s, ck.BytesAttr(ck.CKA_ID, []byte{0xca, 0xfe, 0x00}))
	tmpl := []ck.Attribute{ck.BytesAttr(ck.CKA_ID, []byte{0xca, 0xfe})}

	once := ok[*transport.FindObjectsOnceResponse](k, &transport.FindObjectsOnceRequest{Session: s, Template: tmpl, Max: 10})
	assert.ElementsMatch(t, made, once.Objects, "ids compare as exact bytes")
	assert.True(t, once.Complete)
	assert.Equal(t, transport.StageFinal, once.Stage)

	once = ok[*transport.FindObjectsOnceResponse](k, &transport.FindObjectsOnceRequest{Session: s, Template: tmpl, Max: 5})
	assert.Len(t, once.Objects, 5)
	assert.False(t, once.Complete, "max objects found: some may be left out")

	ok[*transport.StatusResponse](k, &transport.FindObjectsInitRequest{Session: s, Template: tmpl})
	assert.Equal(t, ck.CKR_OPERATION_ACTIVE, rvOfCall(k, &transport.FindObjectsInitRequest{Session: s, Template: tmpl}))
	var found []ck.ObjectHandle
	for {
		page := ok[*transport.FindObjectsResponse](k, &transport.FindObjectsRequest{Session: s, Max: 2})
		if len(page.Objects) == 0 {
			break
		}
		assert.LessOrEqual(t, len(page.Objects), 2)
		found = append(found, page.Objects...)
	}
	ok[*transport.StatusResponse](k, &transport.FindObjectsFinalRequest{Session: s})
	assert.ElementsMatch(t, made, found)

	// A search on a forged session fails the init.
	bad := call[*transport.FindObjectsOnceResponse](k, &transport.FindObjectsOnceRequest{Session: s + 999, Template: tmpl, Max: 1})
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, bad.RV)
	assert.Equal(t, transport.StageInit, bad.Stage)
}

func TestObjectLifecycleAndAudit(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	key := k.generateAES(s, ck.BoolAttr(ck.CKA_TOKEN, true), ck.BytesAttr(ck.CKA_ID, []byte{1, 2}))
	ok[*transport.StatusResponse](k, &transport.SetAttributeValueRequest{Session: s, Object: key, Template: []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "renamed")}})
	assert.Equal(t, []byte("renamed"), k.attr(s, key, ck.CKA_LABEL))
	cp := ok[*transport.ObjectResponse](k, &transport.CopyObjectRequest{Session: s, Object: key, Template: []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "copy")}}).Object
	size := call[*transport.ObjectSizeResponse](k, &transport.GetObjectSizeRequest{Session: s, Object: cp})
	assert.Contains(t, []ck.RV{ck.CKR_OK, ck.CKR_INFORMATION_SENSITIVE, ck.CKR_FUNCTION_NOT_SUPPORTED}, size.RV)
	ok[*transport.StatusResponse](k, &transport.DestroyObjectRequest{Session: s, Object: cp})
	assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rvOfCall(k, &transport.DestroyObjectRequest{Session: s, Object: cp}), "a destroyed handle is forgotten")

	// A wrong PIN and a good one, then what the audit log holds.
	s2 := k.openSession()
	ok[*transport.StatusResponse](k, &transport.LogoutRequest{Session: s2})
	assert.Equal(t, ck.CKR_PIN_INCORRECT, rvOfCall(k, &transport.LoginRequest{Session: s2, UserType: ck.CKU_USER, PIN: transport.Secret("not-the-pin")}))
	k.login(s2)

	res, err := audit.Read(k.stateDir, "alice", audit.Query{})
	require.NoError(t, err)
	var lines []string
	for _, r := range res.Records {
		lines = append(lines, string(r.Line))
		assert.False(t, bytes.Contains(r.Line, []byte(testUserPIN)), "no PIN in the audit log")
		assert.False(t, bytes.Contains(r.Line, []byte("not-the-pin")), "no PIN in the audit log")
	}
	all := bytes.Join(func() [][]byte {
		var b [][]byte
		for _, r := range res.Records {
			b = append(b, r.Line)
		}
		return b
	}(), []byte("\n"))
	assert.Contains(t, string(all), `"event":"token_login"`)
	assert.Contains(t, string(all), `"event":"token_login_failed"`)
	assert.Contains(t, string(all), "CKR_PIN_INCORRECT")
	assert.Contains(t, string(all), `"event":"key_created"`)
	assert.Contains(t, string(all), `"event":"key_destroyed"`)
	assert.Contains(t, string(all), "CKK_AES")
	assert.GreaterOrEqual(t, len(lines), 5, "%s", all)
}

func TestSessionObjectsDieWithTheirSession(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	keep := k.openSession()
	sessionKey := k.generateAES(s)
	tokenKey := k.generateAES(s, ck.BoolAttr(ck.CKA_TOKEN, true))
	ok[*transport.StatusResponse](k, &transport.CloseSessionRequest{Session: s})
	assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rvOfCall(k, &transport.GetAttributeValueRequest{Session: keep, Object: sessionKey, Queries: []transport.AttributeQuery{{Type: ck.CKA_LABEL}}}))
	assert.Equal(t, []byte("aes"), k.attr(keep, tokenKey, ck.CKA_LABEL))
}

func TestWrapUnwrapDeriveRandom(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	kek := k.aesKey(s, bytes.Repeat([]byte{7}, 32))
	secret := k.aesKey(s, bytes.Repeat([]byte{9}, 16))
	wrapMech := ck.Mechanism{Type: ck.CKM_AES_KEY_WRAP}

	lo := ok[*transport.OutputResponse](k, &transport.WrapKeyRequest{Session: s, Mechanism: wrapMech, WrappingKey: kek, Key: secret, LengthOnly: true})
	assert.Equal(t, ck.ULONG(24), lo.Out.Len)
	wrapped := ok[*transport.OutputResponse](k, &transport.WrapKeyRequest{Session: s, Mechanism: wrapMech, WrappingKey: kek, Key: secret}).Out.Data
	require.Len(t, wrapped, 24)

	unwrapped := ok[*transport.ObjectResponse](k, &transport.UnwrapKeyRequest{Session: s, Mechanism: wrapMech, UnwrappingKey: kek, Wrapped: wrapped, Template: []ck.Attribute{
		ck.ULONGAttr(ck.CKA_CLASS, ck.ULONG(ck.CKO_SECRET_KEY)), ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.ULONG(ck.CKK_AES)),
		ck.BoolAttr(ck.CKA_SENSITIVE, false), ck.BoolAttr(ck.CKA_EXTRACTABLE, true),
	}}).Object
	assert.Equal(t, bytes.Repeat([]byte{9}, 16), k.attr(s, unwrapped, ck.CKA_VALUE))
	assert.Equal(t, ck.CKR_UNWRAPPING_KEY_HANDLE_INVALID, rvOfCall(k, &transport.UnwrapKeyRequest{Session: s, Mechanism: wrapMech, UnwrappingKey: kek + 500, Wrapped: wrapped}))

	// ECDH between two token keys gives the same secret both ways.
	pubA, privA := k.generatePair(s, ck.CKM_EC_KEY_PAIR_GEN, []ck.Attribute{ck.BytesAttr(ck.CKA_EC_PARAMS, oidP256)}, []ck.Attribute{ck.BoolAttr(ck.CKA_DERIVE, true)})
	pubB, privB := k.generatePair(s, ck.CKM_EC_KEY_PAIR_GEN, []ck.Attribute{ck.BytesAttr(ck.CKA_EC_PARAMS, oidP256)}, []ck.Attribute{ck.BoolAttr(ck.CKA_DERIVE, true)})
	derive := func(priv, peerPub ck.ObjectHandle) []byte {
		point := k.attr(s, peerPub, ck.CKA_EC_POINT)
		m := ck.Mechanism{Type: ck.CKM_ECDH1_DERIVE, Param: ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: point}}
		h := ok[*transport.ObjectResponse](k, &transport.DeriveKeyRequest{Session: s, Mechanism: m, BaseKey: priv, Template: []ck.Attribute{
			ck.ULONGAttr(ck.CKA_CLASS, ck.ULONG(ck.CKO_SECRET_KEY)), ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.ULONG(ck.CKK_GENERIC_SECRET)),
			ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(32)), ck.BoolAttr(ck.CKA_SENSITIVE, false), ck.BoolAttr(ck.CKA_EXTRACTABLE, true),
		}}).Object
		return k.attr(s, h, ck.CKA_VALUE)
	}
	ab, ba := derive(privA, pubB), derive(privB, pubA)
	assert.Len(t, ab, 32)
	assert.Equal(t, ab, ba)

	r1 := ok[*transport.RandomResponse](k, &transport.GenerateRandomRequest{Session: s, Length: 64}).Data
	r2 := ok[*transport.RandomResponse](k, &transport.GenerateRandomRequest{Session: s, Length: 64}).Data
	assert.Len(t, r1, 64)
	assert.NotEqual(t, r1, r2)
	assert.Equal(t, ck.CKR_ARGUMENTS_BAD, rvOfCall(k, &transport.GenerateRandomRequest{Session: s, Length: transport.DefaultMaxFrame}))
}
