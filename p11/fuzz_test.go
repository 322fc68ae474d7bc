package main

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// The parsers of this package read C memory, whose pointers cannot come
// from fuzz input: a random pointer would crash the fuzzer, not the code. So
// each target decodes its input into well-formed C structures in Go memory
// (valid pointers, or NULL, with any lengths the input chooses) and lets the
// code under test find everything else wrong. A length that claims more
// than its buffer holds is only produced where the code must refuse it
// before reading (beyond maxInputLen).

// fuzzReader hands out the fuzz input a few bytes at a time; past the end it
// gives zeros.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzReader) bytes(n int) []byte {
	n = min(n, len(r.b))
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *fuzzReader) ulong() uint64 {
	var b [8]byte
	copy(b[:], r.bytes(8))
	return binary.LittleEndian.Uint64(b[:])
}

func (r *fuzzReader) empty() bool { return len(r.b) == 0 }

// fuzzAttributeTypes are the types a fuzz byte picks from: one of each kind,
// and a vendor type.
var fuzzAttributeTypes = []ck.AttributeType{
	ck.CKA_CLASS, ck.CKA_TOKEN, ck.CKA_LABEL, ck.CKA_START_DATE, ck.CKA_ALLOWED_MECHANISMS,
	ck.CKA_WRAP_TEMPLATE, ck.CKA_VALUE_LEN, ck.CKA_ID, ck.CKA_UNWRAP_TEMPLATE, ck.CKA_VENDOR_DEFINED | 5,
}

// fuzzTemplate builds a CK_ATTRIBUTE array of up to 8 attributes; template
// attributes get a nested array built the same way, depth permitting (it
// goes one level deeper than allowed, to exercise the refusal).
func fuzzTemplate(r *fuzzReader, depth int) []ckAttribute {
	n := int(r.byte() % 9)
	out := make([]ckAttribute, 0, n)
	for i := 0; i < n && !r.empty(); i++ {
		t := fuzzAttributeTypes[int(r.byte())%len(fuzzAttributeTypes)]
		mode := r.byte()
		a := ckAttribute{_type: ckULONG(t)}
		switch {
		case ck.AttributeKind(t) == ck.KindTemplate && depth < 3 && mode%4 != 0:
			nested := fuzzTemplate(r, depth+1)
			a = templateAttr(t, nested)
			if mode%4 == 1 && a.ulValueLen > 0 {
				a.ulValueLen-- // not a whole number of CK_ATTRIBUTEs
			}
		case mode%16 == 1:
			a.ulValueLen = ckULONG(r.byte()) // NULL with a length
		case mode%16 == 2:
			buf := []byte{0}
			a.pValue, a.ulValueLen = ckVoidPtr(&buf[0]), ckULONG(maxInputLen+1+uint64(r.byte()))
		default:
			v := append([]byte(nil), r.bytes(int(r.byte()%24))...)
			a = attr(t, v)
		}
		out = append(out, a)
	}
	return out
}

func FuzzTemplateFromC(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 0, 0, 8, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1})
	f.Add([]byte{3, 5, 3, 2, 1, 2, 3, 0, 4, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{1, 5, 2, 2, 0, 0, 8, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0})
	f.Add([]byte{1, 5, 2, 1, 5, 2, 1, 1, 0, 1, 1})
	f.Add([]byte{2, 2, 1, 9, 3, 2, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		tmpl := fuzzTemplate(&fuzzReader{b: data}, 1)
		got, err := templateFromC("fuzz", first(tmpl), ckULONG(len(tmpl)))
		if err != nil {
			assert.Contains(t, []ck.RV{ck.CKR_ARGUMENTS_BAD, ck.CKR_ATTRIBUTE_VALUE_INVALID, ck.CKR_TEMPLATE_INCONSISTENT}, ck.RVOf(err), "%v", err)
			return
		}
		require.NoError(t, ck.CheckTemplate(got), "what passes must cross the wire")
		require.NoError(t, ck.CheckValues(got))
		require.Len(t, got, len(tmpl))
		checkRoundTrip(t, tmpl, got)
	})
}

// checkRoundTrip converts the wire values back to the host's layout and
// compares them with what the caller passed (CK_BBOOLs normalised).
func checkRoundTrip(t *testing.T, tmpl []ckAttribute, got []ck.Attribute) {
	layout := ck.NativeLayout()
	for i := range tmpl {
		typ := ck.AttributeType(tmpl[i]._type)
		require.Equal(t, typ, got[i].Type)
		if ck.AttributeKind(typ) == ck.KindTemplate {
			nested := unsafe.Slice((*ckAttribute)(tmpl[i].pValue), int(tmpl[i].ulValueLen/sizeofAttribute))
			checkRoundTrip(t, nested, got[i].Template)
			continue
		}
		native := []byte{}
		if tmpl[i].ulValueLen > 0 {
			native = unsafe.Slice((*byte)(tmpl[i].pValue), int(tmpl[i].ulValueLen))
		}
		back, err := layout.FromWire(typ, got[i].Value)
		require.NoError(t, err)
		if ck.AttributeKind(typ) == ck.KindBool {
			assert.Equal(t, native[0] != 0, back[0] == 1)
			continue
		}
		assert.Equal(t, native, append([]byte{}, back...))
	}
}

// fuzzMechanisms cover every parameter kind, a mechanism without one, and
// one whose parameter cannot cross the wire.
var fuzzMechanisms = []ck.MechanismType{
	ck.CKM_SHA256_RSA_PKCS, ck.CKM_SHA256_HMAC_GENERAL, ck.CKM_AES_CBC, ck.CKM_AES_KEY_WRAP,
	ck.CKM_RSA_PKCS_PSS, ck.CKM_RSA_PKCS_OAEP, ck.CKM_AES_GCM, ck.CKM_AES_CCM, ck.CKM_AES_CTR,
	ck.CKM_ECDH1_DERIVE, ck.CKM_EDDSA, ck.CKM_CONCATENATE_BASE_AND_DATA, ck.CKM_AES_CBC_ENCRYPT_DATA,
	ck.CKM_RC2_CBC, ck.CKM_VENDOR_DEFINED | 9,
}

// fuzzBytes is a buffer the input chooses, or NULL with a length, or a
// length beyond maxInputLen over a small buffer.
func fuzzBytes(r *fuzzReader) (*ckByte, ckULONG) {
	switch mode := r.byte(); mode % 8 {
	case 1:
		return nil, ckULONG(r.byte())
	case 2:
		buf := []byte{0}
		return bytePtr(buf), ckULONG(maxInputLen + 1)
	default:
		b := append([]byte(nil), r.bytes(int(mode>>3))...)
		return bytePtr(b), ckULONG(len(b))
	}
}

// fuzzParam builds the parameter of a mechanism's kind, in C layout.
func fuzzParam(r *fuzzReader, kind ck.ParamKind) (ckVoidPtr, ckULONG) {
	sized := func(p unsafe.Pointer, size uintptr) (ckVoidPtr, ckULONG) { return ckVoidPtr(p), ckULONG(size) }
	switch kind {
	case ck.ParamRSAOAEP:
		p := &ckRSAOAEPParams{hashAlg: ckULONG(r.ulong()), mgf: ckULONG(r.byte()), source: ckULONG(r.byte())}
		src, n := fuzzBytes(r)
		p.pSourceData, p.ulSourceDataLen = ckVoidPtr(src), n
		return sized(unsafe.Pointer(p), unsafe.Sizeof(*p))
	case ck.ParamGCM:
		iv, ivLen := fuzzBytes(r)
		aad, aadLen := fuzzBytes(r)
		if r.byte()%2 == 0 {
			p := &ckGCMParamsNoIVBits{pIv: iv, ulIvLen: ivLen, pAAD: aad, ulAADLen: aadLen, ulTagBits: ckULONG(r.byte())}
			return sized(unsafe.Pointer(p), unsafe.Sizeof(*p))
		}
		p := &ckGCMParams{pIv: iv, ulIvLen: ivLen, ulIvBits: ckULONG(r.ulong()), pAAD: aad, ulAADLen: aadLen, ulTagBits: ckULONG(r.byte())}
		return sized(unsafe.Pointer(p), unsafe.Sizeof(*p))
	case ck.ParamCCM:
		p := &ckCCMParams{ulDataLen: ckULONG(r.ulong()), ulMACLen: ckULONG(r.byte())}
		p.pNonce, p.ulNonceLen = fuzzBytes(r)
		p.pAAD, p.ulAADLen = fuzzBytes(r)
		return sized(unsafe.Pointer(p), unsafe.Sizeof(*p))
	case ck.ParamECDH1Derive:
		p := &ckECDH1DeriveParams{kdf: ckULONG(r.byte())}
		p.pSharedData, p.ulSharedDataLen = fuzzBytes(r)
		p.pPublicData, p.ulPublicDataLen = fuzzBytes(r)
		return sized(unsafe.Pointer(p), unsafe.Sizeof(*p))
	case ck.ParamEdDSA:
		p := &ckEdDSAParams{phFlag: ckByte(r.byte())}
		p.pContextData, p.ulContextDataLen = fuzzBytes(r)
		return sized(unsafe.Pointer(p), unsafe.Sizeof(*p))
	case ck.ParamDerivationString:
		p := &ckDerivationString{}
		p.pData, p.ulLen = fuzzBytes(r)
		return sized(unsafe.Pointer(p), unsafe.Sizeof(*p))
	case ck.ParamAESCBCEncryptData:
		p := &ckAESCBCEncryptParams{}
		for i := range p.iv {
			p.iv[i] = ckByte(r.byte())
		}
		p.pData, p.length = fuzzBytes(r)
		return sized(unsafe.Pointer(p), unsafe.Sizeof(*p))
	}
	// Kinds without pointers inside (and none): any bytes at all.
	b := append([]byte(nil), r.bytes(int(r.byte()%64))...)
	return ckVoidPtr(bytePtr(b)), ckULONG(len(b))
}

// pointerFree reports whether a parameter kind's C structure holds no
// pointer, so that any bytes may stand for it.
func pointerFree(k ck.ParamKind) bool {
	switch k {
	case ck.ParamNone, ck.ParamULONG, ck.ParamIV, ck.ParamRSAPSS, ck.ParamCTR:
		return true
	}
	return false
}

func FuzzMechanismFromC(f *testing.F) {
	f.Add([]byte{0, 0})
	f.Add([]byte{2, 1, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{6, 1, 96, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 48, 1, 2, 3, 4, 5, 6, 1, 128})
	f.Add([]byte{6, 1, 96, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 96, 0, 0, 0, 0, 0, 0, 0, 128})
	f.Add([]byte{5, 1, 5, 0, 0, 0, 0, 0, 0, 0, 1, 1, 40, 1, 2, 3, 4, 5})
	f.Add([]byte{10, 1, 1, 0})
	f.Add([]byte{13, 1, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{b: data}
		m := fuzzMechanisms[int(r.byte())%len(fuzzMechanisms)]
		c := &ckMechanism{mechanism: ckULONG(m)}
		kind := ck.ParamRuleOf(m).Kind
		switch mode := r.byte(); {
		case mode%4 == 0: // no parameter
		case mode%4 == 1 || !pointerFree(kind):
			c.pParameter, c.ulParameterLen = fuzzParam(r, kind)
		case mode%4 == 2:
			c.ulParameterLen = ckULONG(r.byte()) // NULL with a length
		default: // any bytes for a pointer-free structure
			b := append([]byte(nil), r.bytes(int(r.byte()%64))...)
			c.pParameter, c.ulParameterLen = ckVoidPtr(bytePtr(b)), ckULONG(len(b))
		}
		got, err := mechanismFromC("fuzz", c)
		if err != nil {
			assert.Equal(t, ck.CKR_MECHANISM_PARAM_INVALID.String(), ck.RVOf(err).String(), "%v", err)
			return
		}
		assert.Equal(t, m, got.Type)
		require.NoError(t, got.Validate(), "what passes must cross the wire")
	})
}

// fuzzResults answers a template as a server might, right or wrong.
func fuzzResults(r *fuzzReader, tmpl []ckAttribute) []transport.AttributeResult {
	out := make([]transport.AttributeResult, 0, len(tmpl))
	for i := range tmpl {
		if r.byte()%32 == 0 {
			continue // a short answer
		}
		typ := ck.AttributeType(tmpl[i]._type)
		if r.byte()%32 == 0 {
			typ++ // the wrong attribute
		}
		var a ck.Attribute
		switch mode := r.byte(); mode % 8 {
		case 0:
			out = append(out, transport.AttributeResult{Status: []ck.RV{ck.CKR_ATTRIBUTE_SENSITIVE, ck.CKR_ATTRIBUTE_TYPE_INVALID, ck.CKR_GENERAL_ERROR}[int(mode>>3)%3], Attribute: ck.Attribute{Type: typ, Query: true, Len: ck.CK_UNAVAILABLE_INFORMATION}})
			continue
		case 1:
			a = ck.Attribute{Type: typ, Query: true, Len: uint64(r.byte())}
		case 2:
			var nested []ck.Attribute
			for range int(r.byte() % 4) {
				nested = append(nested, ck.BytesAttr(fuzzAttributeTypes[int(r.byte())%len(fuzzAttributeTypes)], r.bytes(int(r.byte()%16))))
			}
			a = ck.TemplateAttr(typ, nested...)
		default:
			a = ck.BytesAttr(typ, r.bytes(int(r.byte()%24)))
		}
		out = append(out, transport.AttributeResult{Status: ck.CKR_OK, Attribute: a})
	}
	return out
}

// guarded is a buffer of n bytes followed by guard bytes that must survive.
type guarded struct {
	buf []byte
	n   int
}

const guardLen = 16

func newGuarded(n int) guarded {
	b := make([]byte, n+guardLen)
	for i := n; i < len(b); i++ {
		b[i] = 0xA5
	}
	return guarded{buf: b, n: n}
}

func (g guarded) intact() bool {
	for _, c := range g.buf[g.n:] {
		if c != 0xA5 {
			return false
		}
	}
	return true
}

func FuzzWriteAttributes(f *testing.F) {
	f.Add([]byte{2, 0, 8, 1, 1, 3, 1, 0, 0, 3, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 3, 3, 1, 2, 3})
	f.Add([]byte{1, 5, 3, 2, 8, 8, 1, 1, 2, 2, 0, 3, 1, 2, 3, 2, 4, 1, 9})
	f.Add([]byte{3, 0, 0, 2, 1, 0, 4, 2, 1, 1, 0, 8, 1, 1, 1, 4, 1, 1, 0, 1, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{b: data}
		var tmpl []ckAttribute
		var bufs []guarded
		var nestedBufs [][]guarded
		for range int(r.byte() % 6) {
			typ := fuzzAttributeTypes[int(r.byte())%len(fuzzAttributeTypes)]
			switch mode := r.byte(); {
			case mode%4 == 0: // length only
				tmpl = append(tmpl, attr(typ, nil))
			case ck.AttributeKind(typ) == ck.KindTemplate:
				elems := make([]ckAttribute, int(mode>>2)%4)
				var gs []guarded
				for j := range elems {
					if r.byte()%3 == 0 {
						continue // pValue NULL: the length only
					}
					g := newGuarded(int(r.byte() % 16))
					gs = append(gs, g)
					elems[j] = ckAttribute{pValue: ckVoidPtr(&g.buf[0]), ulValueLen: ckULONG(g.n)}
				}
				nestedBufs = append(nestedBufs, gs)
				a := ckAttribute{_type: ckULONG(typ), ulValueLen: ckULONG(len(elems)) * sizeofAttribute}
				if len(elems) > 0 {
					a.pValue = ckVoidPtr(&elems[0])
				} else {
					a.pValue = ckVoidPtr(&[]byte{0}[0])
				}
				tmpl = append(tmpl, a)
			default:
				g := newGuarded(int(mode>>2) % 24)
				bufs = append(bufs, g)
				tmpl = append(tmpl, ckAttribute{_type: ckULONG(typ), pValue: ckVoidPtr(&g.buf[0]), ulValueLen: ckULONG(g.n)})
			}
		}
		results := fuzzResults(r, tmpl)
		before := append([]ckAttribute(nil), tmpl...)
		err := writeAttributes("fuzz", tmpl, results)
		for _, g := range bufs {
			require.True(t, g.intact(), "a value was written past its buffer")
		}
		for _, gs := range nestedBufs {
			for _, g := range gs {
				require.True(t, g.intact(), "a nested value was written past its buffer")
			}
		}
		if ck.RVOf(err) == ck.CKR_DEVICE_ERROR && len(results) != len(tmpl) {
			assert.Equal(t, before, tmpl, "a malformed answer writes nothing")
		}
		for i := range tmpl {
			if tmpl[i].pValue != nil && ck.AttributeKind(ck.AttributeType(tmpl[i]._type)) != ck.KindTemplate && tmpl[i].ulValueLen != unavailableInformation {
				assert.LessOrEqual(t, uint64(tmpl[i].ulValueLen), uint64(before[i].ulValueLen), "a length beyond the buffer")
			}
		}
	})
}
