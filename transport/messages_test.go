package transport

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

func sortedMsgTypes() []MsgType {
	types := MsgTypes()
	sort.Slice(types, func(i, j int) bool { return types[i] < types[j] })
	return types
}

func TestEveryMessageRoundTrips(t *testing.T) {
	for _, typ := range sortedMsgTypes() {
		spec := msgSpecs[typ]
		if spec.newRequest == nil {
			continue
		}
		t.Run(typ.String(), func(t *testing.T) {
			for seed := range uint64(40) {
				f := newFiller(seed*1000 + uint64(typ))
				req := sampleOf(f, spec.newRequest())
				assert.Equal(t, typ, req.Type())
				body, err := AppendBody(nil, req)
				require.NoError(t, err)
				got, err := DecodeRequest(typ, body)
				require.NoError(t, err)
				require.Equal(t, req, got)
				again, err := AppendBody(nil, got)
				require.NoError(t, err)
				require.Equal(t, body, again, "one encoding per value")

				resp := sampleOf(f, spec.newResponse())
				body, err = AppendBody(nil, resp)
				require.NoError(t, err)
				gotResp, err := DecodeResponse(typ, body)
				require.NoError(t, err)
				require.Equal(t, resp, gotResp)
			}
		})
	}
}

func TestEveryMechanismParamKindRoundTrips(t *testing.T) {
	seen := map[ck.ParamKind]bool{}
	for _, m := range sampleMechanisms() {
		seen[ck.ParamRuleOf(m.Type).Kind] = true
		req := &SignInitRequest{OperationInit{Session: 7, Mechanism: m, Key: 9}}
		body, err := AppendBody(nil, req)
		require.NoError(t, err, m.Type.String())
		got, err := DecodeRequest(MsgSignInit, body)
		require.NoError(t, err, m.Type.String())
		assert.Equal(t, req, got)
	}
	for k := ck.ParamKind(0); k.Known(); k++ {
		assert.True(t, seen[k], "sampleMechanisms lacks kind %s", k)
	}
}

func TestAttributeFormsRoundTrip(t *testing.T) {
	template := []ck.Attribute{
		ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_SECRET_KEY),
		ck.BoolAttr(ck.CKA_TOKEN, true),
		ck.StringAttr(ck.CKA_LABEL, ""),
		ck.BytesAttr(ck.CKA_END_DATE, nil),
		{Type: ck.CKA_MODULUS, Query: true, Len: ck.CK_UNAVAILABLE_INFORMATION},
		ck.TemplateAttr(ck.CKA_WRAP_TEMPLATE),
		ck.TemplateAttr(ck.CKA_UNWRAP_TEMPLATE, ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.CKK_AES), ck.QueryAttr(ck.CKA_VALUE)),
		ck.StringAttr(ck.AttributeType(0x80000001), "vendor"),
	}
	req := &CreateObjectRequest{Session: 1, Template: template}
	body, err := AppendBody(nil, req)
	require.NoError(t, err)
	got, err := DecodeRequest(MsgCreateObject, body)
	require.NoError(t, err)
	require.Equal(t, req, got)
	out := got.(*CreateObjectRequest).Template
	assert.NotNil(t, out[5].Template, "an empty nested template stays a template")
	assert.Equal(t, ck.FormTemplate, out[5].Form())
	assert.Equal(t, ck.FormLength, out[4].Form())
}

func TestEncoderRefusesWhatTheWireCannotCarry(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		want ck.RV
	}{
		{"param of wrong kind", &SignInitRequest{OperationInit{Mechanism: ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.IVParam{1}}}}, ck.CKR_MECHANISM_PARAM_INVALID},
		{"missing param", &EncryptOnceRequest{OnceRequest{Mechanism: ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP}}}, ck.CKR_MECHANISM_PARAM_INVALID},
		{"param on unknown mechanism", &DigestInitRequest{Mechanism: ck.Mechanism{Type: 0x80000001, Param: ck.ULONGParam(1)}}, ck.CKR_MECHANISM_PARAM_INVALID},
		{"short CK_ULONG value", &CreateObjectRequest{Template: []ck.Attribute{ck.BytesAttr(ck.CKA_CLASS, []byte{1, 2, 3, 4})}}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"template as bytes", &CreateObjectRequest{Template: []ck.Attribute{ck.BytesAttr(ck.CKA_WRAP_TEMPLATE, []byte{1})}}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"nesting too deep", &GenerateKeyRequest{Mechanism: ck.Mechanism{Type: ck.CKM_AES_KEY_GEN}, Template: []ck.Attribute{
			ck.TemplateAttr(ck.CKA_WRAP_TEMPLATE, ck.TemplateAttr(ck.CKA_WRAP_TEMPLATE))}}, ck.CKR_TEMPLATE_INCONSISTENT},
		{"user name too long", &ProxyLoginRequest{User: string(make([]byte, maxNameLen+1))}, ck.CKR_ARGUMENTS_BAD},
		{"invalid UTF-8", &HelloRequest{Magic: Magic, ClientID: "\xff"}, ck.CKR_ARGUMENTS_BAD},
		{"too many attributes", &FindObjectsInitRequest{Template: make([]ck.Attribute, ck.MaxTemplateLen+1)}, ck.CKR_ARGUMENTS_BAD},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AppendBody(nil, tt.msg)
			require.Error(t, err)
			assert.Equal(t, tt.want, ck.RVOf(err), err.Error())
		})
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	const secret = "s3cr3t-PIN-value"
	msgs := []any{
		&ProxyLoginRequest{User: "svc", Password: Secret(secret)},
		ProxyLoginRequest{User: "svc", Password: Secret(secret)},
		&UserLoginRequest{User: "u", Secret: Secret(secret), Mode: ModePKCS11},
		&FetchSecretRequest{User: "u", SetupPassword: Secret(secret), PIN: Secret(secret)},
		&FetchSecretResponse{SecretID: "id", Secret: Secret(secret)},
		&LoginRequest{Session: 1, UserType: ck.CKU_USER, PIN: Secret(secret)},
		&InitTokenRequest{SOPIN: Secret(secret)},
		&InitPINRequest{PIN: Secret(secret)},
		&SetPINRequest{OldPIN: Secret(secret), NewPIN: Secret(secret)},
		Secret(secret),
	}
	hexSecret := fmt.Sprintf("%x", secret)
	for _, m := range msgs {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
			out := fmt.Sprintf(verb, m)
			assert.NotContains(t, out, secret, "%s of %T", verb, m)
			assert.NotContains(t, out, hexSecret, "%s of %T", verb, m)
		}
		js, err := json.Marshal(m)
		require.NoError(t, err)
		assert.NotContains(t, string(js), secret)
	}
	assert.Equal(t, []byte(secret), Secret(secret).Reveal())
}

func TestMsgTypeNamesAndInfo(t *testing.T) {
	assert.Equal(t, "C_Sign", MsgSign.String())
	assert.Equal(t, "SignOnce", MsgSignOnce.String())
	assert.Equal(t, "msg(0x7777)", MsgType(0x7777).String())
	info, ok := MsgSignOnce.Info()
	require.True(t, ok)
	assert.True(t, info.Fused)
	assert.Equal(t, PhasePKCS11, info.Phase)
	_, ok = MsgType(0x7777).Info()
	assert.False(t, ok)

	names := map[string]MsgType{}
	for _, typ := range MsgTypes() {
		name := typ.String()
		prev, dup := names[name]
		assert.False(t, dup, "%s named twice (0x%04X, 0x%04X)", name, uint16(prev), uint16(typ))
		names[name] = typ
		spec := msgSpecs[typ]
		if spec.newRequest != nil {
			assert.Equal(t, typ, spec.newRequest().Type(), "request type of %s", name)
		}
		if spec.phase == PhasePKCS11 {
			_, isResult := spec.newResponse().(Result)
			assert.True(t, isResult, "%s response carries a CK_RV", name)
		}
	}
}
