package ck

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAttributeKindTable(t *testing.T) {
	tests := map[AttributeType]Kind{
		CKA_CLASS:                 KindULONG,
		CKA_KEY_TYPE:              KindULONG,
		CKA_MODULUS_BITS:          KindULONG,
		CKA_VALUE_LEN:             KindULONG,
		CKA_TOKEN:                 KindBool,
		CKA_SIGN:                  KindBool,
		CKA_START_DATE:            KindDate,
		CKA_ALLOWED_MECHANISMS:    KindULONGs,
		CKA_WRAP_TEMPLATE:         KindTemplate,
		CKA_DERIVE_TEMPLATE:       KindTemplate,
		CKA_LABEL:                 KindBytes,
		CKA_VALUE:                 KindBytes,
		CKA_EC_PARAMS:             KindBytes,
		AttributeType(0x80001234): KindBytes,
	}
	for typ, want := range tests {
		assert.Equal(t, want, AttributeKind(typ), typ.String())
	}
	assert.Equal(t, "ulongs", KindULONGs.String())
	assert.Equal(t, "kind(99)", Kind(99).String())
}

func TestAttributeConstructorsAndReaders(t *testing.T) {
	class := ULONGAttr(CKA_CLASS, CKO_PRIVATE_KEY)
	assert.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 3}, class.Value)
	assert.Equal(t, ULONG(8), class.Len)
	v, err := class.ULONG()
	require.NoError(t, err)
	assert.Equal(t, ULONG(CKO_PRIVATE_KEY), v)

	sign := BoolAttr(CKA_SIGN, true)
	b, err := sign.Bool()
	require.NoError(t, err)
	assert.True(t, b)
	b, err = BoolAttr(CKA_SIGN, false).Bool()
	require.NoError(t, err)
	assert.False(t, b)

	mechs := ULONGsAttr(CKA_ALLOWED_MECHANISMS, CKM_ECDSA, CKM_EDDSA)
	list, err := mechs.ULONGs()
	require.NoError(t, err)
	assert.Equal(t, []ULONG{ULONG(CKM_ECDSA), ULONG(CKM_EDDSA)}, list)

	assert.Equal(t, FormValue, StringAttr(CKA_LABEL, "k").Form())
	assert.Equal(t, FormLength, QueryAttr(CKA_VALUE).Form())
	empty := TemplateAttr(CKA_WRAP_TEMPLATE)
	assert.Equal(t, FormTemplate, empty.Form())
	assert.NotNil(t, empty.Template)

	_, err = StringAttr(CKA_CLASS, "abc").ULONG()
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
	_, err = BytesAttr(CKA_SIGN, []byte{2}).Bool()
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
	_, err = BytesAttr(CKA_ALLOWED_MECHANISMS, make([]byte, 7)).ULONGs()
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
}

func TestCheckTemplate(t *testing.T) {
	good := []Attribute{
		ULONGAttr(CKA_CLASS, CKO_SECRET_KEY),
		BoolAttr(CKA_TOKEN, true),
		BytesAttr(CKA_START_DATE, []byte("20250101")),
		BytesAttr(CKA_END_DATE, nil),
		QueryAttr(CKA_MODULUS),
		TemplateAttr(CKA_WRAP_TEMPLATE, ULONGAttr(CKA_KEY_TYPE, CKK_AES), BoolAttr(CKA_EXTRACTABLE, false)),
	}
	require.NoError(t, CheckTemplate(good))

	tests := []struct {
		name string
		attr Attribute
		want RV
	}{
		{"short ulong", BytesAttr(CKA_CLASS, []byte{3}), CKR_ATTRIBUTE_VALUE_INVALID},
		{"bool 2", BytesAttr(CKA_TOKEN, []byte{2}), CKR_ATTRIBUTE_VALUE_INVALID},
		{"bool two bytes", BytesAttr(CKA_TOKEN, []byte{1, 0}), CKR_ATTRIBUTE_VALUE_INVALID},
		{"date 6", BytesAttr(CKA_START_DATE, []byte("202501")), CKR_ATTRIBUTE_VALUE_INVALID},
		{"ulong array 12", BytesAttr(CKA_ALLOWED_MECHANISMS, make([]byte, 12)), CKR_ATTRIBUTE_VALUE_INVALID},
		{"template given bytes", BytesAttr(CKA_WRAP_TEMPLATE, []byte{1}), CKR_ATTRIBUTE_VALUE_INVALID},
		{"bytes given template", TemplateAttr(CKA_LABEL), CKR_ATTRIBUTE_VALUE_INVALID},
		{"too deep", TemplateAttr(CKA_WRAP_TEMPLATE, TemplateAttr(CKA_UNWRAP_TEMPLATE)), CKR_TEMPLATE_INCONSISTENT},
		{"bad inside template", TemplateAttr(CKA_WRAP_TEMPLATE, BytesAttr(CKA_KEY_TYPE, []byte{1})), CKR_ATTRIBUTE_VALUE_INVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTemplate([]Attribute{BoolAttr(CKA_TOKEN, true), tt.attr})
			require.Error(t, err)
			assert.Equal(t, tt.want, RVOf(err))
			assert.Contains(t, err.Error(), tt.attr.Type.String(), "the error names the attribute")
		})
	}

	tooMany := make([]Attribute, MaxTemplateLen+1)
	for i := range tooMany {
		tooMany[i] = StringAttr(CKA_LABEL, "x")
	}
	assert.Equal(t, CKR_TEMPLATE_INCONSISTENT, RVOf(CheckTemplate(tooMany)))
	assert.NoError(t, CheckTemplate(tooMany[:MaxTemplateLen]))
}

func TestPadded(t *testing.T) {
	assert.Equal(t, []byte("ab  "), Padded("ab", 4))
	assert.Equal(t, []byte("abcd"), Padded("abcdef", 4))
}

func TestCheckValues(t *testing.T) {
	require.NoError(t, CheckValues([]Attribute{
		BoolAttr(CKA_TOKEN, true),
		TemplateAttr(CKA_WRAP_TEMPLATE, ULONGAttr(CKA_KEY_TYPE, CKK_AES)),
	}))
	err := CheckValues([]Attribute{BoolAttr(CKA_TOKEN, true), QueryAttr(CKA_LABEL)})
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
	assert.Contains(t, err.Error(), "CKA_LABEL")
	err = CheckValues([]Attribute{TemplateAttr(CKA_UNWRAP_TEMPLATE, QueryAttr(CKA_VALUE))})
	assert.Equal(t, CKR_ATTRIBUTE_VALUE_INVALID, RVOf(err))
}
