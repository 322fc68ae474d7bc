package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

func ok(a ck.Attribute) transport.AttributeResult {
	return transport.AttributeResult{Status: ck.CKR_OK, Attribute: a}
}

func refused(t ck.AttributeType, status ck.RV) transport.AttributeResult {
	return transport.AttributeResult{Status: status, Attribute: ck.Attribute{Type: t, Query: true, Len: ck.CK_UNAVAILABLE_INFORMATION}}
}

func lengthOf(t ck.AttributeType, n uint64) ck.Attribute {
	return ck.Attribute{Type: t, Query: true, Len: n}
}

func TestAttributeQueries(t *testing.T) {
	buf := make([]byte, 8)
	tmpl := []ckAttribute{attr(ck.CKA_CLASS, buf), attr(ck.CKA_LABEL, nil)}
	got, queries, err := attributeQueries("test", first(tmpl), ckULONG(len(tmpl)))
	require.NoError(t, err)
	assert.Len(t, got, 2)
	assert.Equal(t, []transport.AttributeQuery{{Type: ck.CKA_CLASS}, {Type: ck.CKA_LABEL, LengthOnly: true}}, queries)

	_, _, err = attributeQueries("test", nil, 2)
	requireRV(t, ck.CKR_ARGUMENTS_BAD, err)
	// Core splits long templates into round trips of ck.MaxTemplateLen.
	long := make([]ckAttribute, ck.MaxTemplateLen+1)
	_, queries, err = attributeQueries("test", first(long), ckULONG(len(long)))
	require.NoError(t, err)
	assert.Len(t, queries, ck.MaxTemplateLen+1)
	_, _, err = attributeQueries("test", first(tmpl), maxQueryAttributes+1)
	requireRV(t, ck.CKR_ARGUMENTS_BAD, err)
}

// Every attribute is processed, whatever happens to the others, and the
// return value is the least retryable failure.
func TestWriteAttributesEveryAttributeProcessed(t *testing.T) {
	class := make([]byte, sizeofULONG)
	label := make([]byte, 3) // too small for "long label"
	value := make([]byte, 32)
	token := make([]byte, 1)
	unknown := make([]byte, 4)
	tmpl := []ckAttribute{
		attr(ck.CKA_CLASS, class),
		attr(ck.CKA_LABEL, label),
		attr(ck.CKA_VALUE, value),
		attr(ck.CKA_ID, nil),
		attr(ck.CKA_MODULUS_BITS, nil),
		attr(ck.AttributeType(0x7777), unknown),
		attr(ck.CKA_TOKEN, token),
	}
	results := []transport.AttributeResult{
		ok(ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY)),
		ok(ck.StringAttr(ck.CKA_LABEL, "long label")),
		refused(ck.CKA_VALUE, ck.CKR_ATTRIBUTE_SENSITIVE),
		ok(lengthOf(ck.CKA_ID, 20)),
		ok(lengthOf(ck.CKA_MODULUS_BITS, 8)),
		refused(ck.AttributeType(0x7777), ck.CKR_ATTRIBUTE_TYPE_INVALID),
		ok(ck.BoolAttr(ck.CKA_TOKEN, true)),
	}
	err := writeAttributes("test", tmpl, results)
	requireRV(t, ck.CKR_ATTRIBUTE_SENSITIVE, err)

	assert.Equal(t, sizeofULONG, tmpl[0].ulValueLen)
	assert.Equal(t, nativeULONG(uint64(ck.CKO_PRIVATE_KEY)), class)
	assert.Equal(t, unavailableInformation, tmpl[1].ulValueLen)
	assert.Equal(t, make([]byte, 3), label, "a buffer too small is not written")
	assert.Equal(t, unavailableInformation, tmpl[2].ulValueLen)
	assert.Equal(t, make([]byte, 32), value)
	assert.Equal(t, ckULONG(20), tmpl[3].ulValueLen)
	assert.Equal(t, sizeofULONG, tmpl[4].ulValueLen, "a CK_ULONG's length is the host's")
	assert.Equal(t, unavailableInformation, tmpl[5].ulValueLen)
	assert.Equal(t, ckULONG(1), tmpl[6].ulValueLen)
	assert.Equal(t, []byte{1}, token)
}

func TestWriteAttributesPrecedence(t *testing.T) {
	short := make([]byte, 1)
	tests := []struct {
		name     string
		statuses []ck.RV // CKR_BUFFER_TOO_SMALL stands for a label into a one-byte buffer
		want     ck.RV
	}{
		{"all fine", []ck.RV{ck.CKR_OK, ck.CKR_OK}, ck.CKR_OK},
		{"too small only", []ck.RV{ck.CKR_OK, ck.CKR_BUFFER_TOO_SMALL}, ck.CKR_BUFFER_TOO_SMALL},
		{"type invalid over too small", []ck.RV{ck.CKR_BUFFER_TOO_SMALL, ck.CKR_ATTRIBUTE_TYPE_INVALID}, ck.CKR_ATTRIBUTE_TYPE_INVALID},
		{"type invalid first", []ck.RV{ck.CKR_ATTRIBUTE_TYPE_INVALID, ck.CKR_BUFFER_TOO_SMALL}, ck.CKR_ATTRIBUTE_TYPE_INVALID},
		{"sensitive over type invalid", []ck.RV{ck.CKR_ATTRIBUTE_TYPE_INVALID, ck.CKR_ATTRIBUTE_SENSITIVE, ck.CKR_BUFFER_TOO_SMALL}, ck.CKR_ATTRIBUTE_SENSITIVE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tmpl []ckAttribute
			var results []transport.AttributeResult
			for _, st := range tt.statuses {
				tmpl = append(tmpl, attr(ck.CKA_LABEL, short))
				switch st {
				case ck.CKR_OK:
					results = append(results, ok(ck.StringAttr(ck.CKA_LABEL, "x")))
				case ck.CKR_BUFFER_TOO_SMALL:
					results = append(results, ok(ck.StringAttr(ck.CKA_LABEL, "too long")))
				default:
					results = append(results, refused(ck.CKA_LABEL, st))
				}
			}
			requireRV(t, tt.want, writeAttributes("test", tmpl, results))
		})
	}
}

func TestWriteAttributesNestedTemplate(t *testing.T) {
	keyType := make([]byte, sizeofULONG)
	extractable := make([]byte, 1)
	nested := []ckAttribute{
		attr(0, keyType), // the type is set on output, ignored on input
		attr(0, nil),     // pValue NULL: the length only
		attr(0, extractable),
	}
	tmpl := []ckAttribute{templateAttr(ck.CKA_WRAP_TEMPLATE, nested)}
	answer := ck.TemplateAttr(ck.CKA_WRAP_TEMPLATE,
		ck.ULONGAttr(ck.CKA_KEY_TYPE, ck.CKK_AES),
		ck.StringAttr(ck.CKA_LABEL, "wrapped"),
	)
	require.NoError(t, writeAttributes("test", tmpl, []transport.AttributeResult{ok(answer)}))
	assert.Equal(t, 2*sizeofAttribute, tmpl[0].ulValueLen, "the array's size in bytes")
	assert.Equal(t, ckULONG(ck.CKA_KEY_TYPE), nested[0]._type)
	assert.Equal(t, nativeULONG(uint64(ck.CKK_AES)), keyType)
	assert.Equal(t, sizeofULONG, nested[0].ulValueLen)
	assert.Equal(t, ckULONG(ck.CKA_LABEL), nested[1]._type)
	assert.Equal(t, ckULONG(7), nested[1].ulValueLen)
	assert.Equal(t, ckULONG(0), nested[2]._type, "beyond the answer: untouched")
	assert.Equal(t, ckULONG(1), nested[2].ulValueLen)

	t.Run("an element too small", func(t *testing.T) {
		small := make([]byte, 2)
		nested := []ckAttribute{attr(0, keyType), attr(0, small)}
		tmpl := []ckAttribute{templateAttr(ck.CKA_WRAP_TEMPLATE, nested)}
		requireRV(t, ck.CKR_BUFFER_TOO_SMALL, writeAttributes("test", tmpl, []transport.AttributeResult{ok(answer)}))
		assert.Equal(t, 2*sizeofAttribute, tmpl[0].ulValueLen)
		assert.Equal(t, sizeofULONG, nested[0].ulValueLen)
		assert.Equal(t, unavailableInformation, nested[1].ulValueLen)
		assert.Equal(t, []byte{0, 0}, small)
	})
	t.Run("too few elements", func(t *testing.T) {
		nested := []ckAttribute{attr(0, keyType)}
		tmpl := []ckAttribute{templateAttr(ck.CKA_WRAP_TEMPLATE, nested)}
		requireRV(t, ck.CKR_BUFFER_TOO_SMALL, writeAttributes("test", tmpl, []transport.AttributeResult{ok(answer)}))
		assert.Equal(t, unavailableInformation, tmpl[0].ulValueLen)
		assert.Equal(t, ckULONG(0), nested[0]._type, "nothing written")
	})
	t.Run("size query", func(t *testing.T) {
		tmpl := []ckAttribute{attr(ck.CKA_WRAP_TEMPLATE, nil)}
		require.NoError(t, writeAttributes("test", tmpl, []transport.AttributeResult{ok(lengthOf(ck.CKA_WRAP_TEMPLATE, 2))}))
		assert.Equal(t, 2*sizeofAttribute, tmpl[0].ulValueLen, "a count of attributes becomes bytes")
	})
}

func TestWriteAttributesMalformedAnswer(t *testing.T) {
	buf := make([]byte, 16)
	fresh := func() []ckAttribute {
		return []ckAttribute{attr(ck.CKA_LABEL, buf), attr(ck.CKA_ID, nil)}
	}
	tests := []struct {
		name    string
		results []transport.AttributeResult
	}{
		{"too few answers", []transport.AttributeResult{ok(ck.StringAttr(ck.CKA_LABEL, "a"))}},
		{"another attribute", []transport.AttributeResult{ok(ck.StringAttr(ck.CKA_LABEL, "a")), ok(lengthOf(ck.CKA_VALUE, 3))}},
		{"a length for a value", []transport.AttributeResult{ok(lengthOf(ck.CKA_LABEL, 1)), ok(lengthOf(ck.CKA_ID, 3))}},
		{"a value for a length", []transport.AttributeResult{ok(ck.StringAttr(ck.CKA_LABEL, "a")), ok(ck.StringAttr(ck.CKA_ID, "id"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := fresh()
			requireRV(t, ck.CKR_DEVICE_ERROR, writeAttributes("test", tmpl, tt.results))
			assert.Equal(t, fresh(), tmpl, "nothing written")
		})
	}
}
