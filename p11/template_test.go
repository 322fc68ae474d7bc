package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

func TestTemplateFromCConvertsEachKind(t *testing.T) {
	label := []byte("my key")
	in := []ckAttribute{
		attr(ck.CKA_CLASS, nativeULONG(uint64(ck.CKO_SECRET_KEY))),
		attr(ck.CKA_TOKEN, []byte{1}),
		attr(ck.CKA_SENSITIVE, []byte{0x80}), // any non-zero CK_BBOOL is true
		attr(ck.CKA_LABEL, label),
		attr(ck.CKA_ID, nil), // an empty CKA_ID is a value, not a NULL error
		attr(ck.CKA_START_DATE, []byte("20240131")),
		attr(ck.CKA_ALLOWED_MECHANISMS, append(nativeULONG(uint64(ck.CKM_AES_GCM)), nativeULONG(uint64(ck.CKM_AES_CBC))...)),
		attr(ck.AttributeType(ck.CKA_VENDOR_DEFINED|7), []byte{1, 2, 3}),
	}
	got, err := templateFromC("test", first(in), ckULONG(len(in)))
	require.NoError(t, err)
	want := []ck.Attribute{
		ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_SECRET_KEY),
		ck.BoolAttr(ck.CKA_TOKEN, true),
		ck.BoolAttr(ck.CKA_SENSITIVE, true),
		ck.StringAttr(ck.CKA_LABEL, "my key"),
		ck.BytesAttr(ck.CKA_ID, nil),
		ck.StringAttr(ck.CKA_START_DATE, "20240131"),
		ck.ULONGsAttr(ck.CKA_ALLOWED_MECHANISMS, ck.CKM_AES_GCM, ck.CKM_AES_CBC),
		ck.BytesAttr(ck.AttributeType(ck.CKA_VENDOR_DEFINED|7), []byte{1, 2, 3}),
	}
	assert.Equal(t, want, got)

	// The values are copies: changing the caller's memory afterwards changes nothing.
	label[0] = 'X'
	assert.Equal(t, "my key", string(got[3].Value))
}

func TestTemplateFromCNestedTemplates(t *testing.T) {
	nested := []ckAttribute{
		attr(ck.CKA_KEY_TYPE, nativeULONG(uint64(ck.CKK_AES))),
		attr(ck.CKA_EXTRACTABLE, []byte{0}),
	}
	in := []ckAttribute{
		templateAttr(ck.CKA_WRAP_TEMPLATE, nested),
		templateAttr(ck.CKA_UNWRAP_TEMPLATE, nil), // empty, and still a template
	}
	got, err := templateFromC("test", first(in), ckULONG(len(in)))
	require.NoError(t, err)
	assert.Equal(t, []ck.Attribute{
		ck.TemplateAttr(ck.CKA_WRAP_TEMPLATE, ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.CKK_AES), ck.BoolAttr(ck.CKA_EXTRACTABLE, false)),
		ck.TemplateAttr(ck.CKA_UNWRAP_TEMPLATE),
	}, got)
	assert.NotNil(t, got[1].Template, "an empty nested template must stay a template")
}

func TestTemplateFromCRefuses(t *testing.T) {
	four := []byte{1, 2, 3, 4}
	inner := []ckAttribute{templateAttr(ck.CKA_DERIVE_TEMPLATE, nil)}
	big := make([]byte, 8)
	tests := []struct {
		name string
		in   []ckAttribute
		want ck.RV
	}{
		{"CKA_CLASS not a CK_ULONG", []ckAttribute{attr(ck.CKA_CLASS, four)}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"CK_BBOOL of two bytes", []ckAttribute{attr(ck.CKA_TOKEN, []byte{1, 0})}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"CK_BBOOL empty", []ckAttribute{attr(ck.CKA_TOKEN, []byte{})}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"date of three bytes", []ckAttribute{attr(ck.CKA_END_DATE, []byte("202"))}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"CK_ULONG array of odd length", []ckAttribute{attr(ck.CKA_ALLOWED_MECHANISMS, append(nativeULONG(1), 0))}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"pValue NULL with a length", []ckAttribute{{_type: ckULONG(ck.CKA_LABEL), ulValueLen: 5}}, ck.CKR_ARGUMENTS_BAD},
		{"template of a length that is no array", []ckAttribute{{_type: ckULONG(ck.CKA_WRAP_TEMPLATE), pValue: ckVoidPtr(&four[0]), ulValueLen: 4}}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"template array NULL", []ckAttribute{{_type: ckULONG(ck.CKA_WRAP_TEMPLATE), ulValueLen: sizeofAttribute}}, ck.CKR_ARGUMENTS_BAD},
		{"template in a template", []ckAttribute{templateAttr(ck.CKA_WRAP_TEMPLATE, inner)}, ck.CKR_TEMPLATE_INCONSISTENT},
		// The length is refused before the memory is read: big is only 8 bytes.
		{"value larger than a frame", []ckAttribute{{_type: ckULONG(ck.CKA_VALUE), pValue: ckVoidPtr(&big[0]), ulValueLen: ckULONG(maxInputLen + 1)}}, ck.CKR_ARGUMENTS_BAD},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := templateFromC("test", first(tt.in), ckULONG(len(tt.in)))
			requireRV(t, tt.want, err)
		})
	}
}

func TestTemplateFromCCounts(t *testing.T) {
	got, err := templateFromC("test", nil, 0)
	require.NoError(t, err, "an empty template (C_FindObjectsInit of every object) is valid")
	assert.Empty(t, got)

	_, err = templateFromC("test", nil, 3)
	requireRV(t, ck.CKR_ARGUMENTS_BAD, err)

	one := []ckAttribute{attr(ck.CKA_TOKEN, []byte{1})}
	_, err = templateFromC("test", first(one), ck.MaxTemplateLen+1)
	requireRV(t, ck.CKR_ARGUMENTS_BAD, err)
}

// The values of one template together may not exceed a frame either, even
// when each alone would.
func TestTemplateFromCTotalBudget(t *testing.T) {
	half := make([]byte, maxInputLen/2+1)
	in := []ckAttribute{attr(ck.CKA_VALUE, half), attr(ck.CKA_LABEL, half)}
	_, err := templateFromC("test", first(in), ckULONG(len(in)))
	requireRV(t, ck.CKR_ARGUMENTS_BAD, err)
	assert.Contains(t, err.Error(), "CKA_LABEL")
}
