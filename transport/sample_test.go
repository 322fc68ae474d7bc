package transport

import (
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// sampleMechanisms has one mechanism of every parameter kind, and the
// optional-parameter cases.
func sampleMechanisms() []ck.Mechanism {
	var cb [16]byte
	copy(cb[:], "counter-block-16")
	return []ck.Mechanism{
		{Type: ck.CKM_ECDSA},
		{Type: ck.CKM_SHA256_HMAC_GENERAL, Param: ck.ULONGParam(16)},
		{Type: ck.CKM_AES_CBC_PAD, Param: ck.IVParam([]byte("0123456789abcdef"))},
		{Type: ck.CKM_AES_KEY_WRAP},
		{Type: ck.CKM_AES_KEY_WRAP_PAD, Param: ck.IVParam([]byte{0xA6, 0x59, 0x59, 0xA6})},
		{Type: ck.CKM_SHA256_RSA_PKCS_PSS, Param: ck.RSAPSSParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256, SaltLen: 32}},
		{Type: ck.CKM_RSA_PKCS_OAEP, Param: ck.RSAOAEPParams{Hash: ck.CKM_SHA384, MGF: ck.CKG_MGF1_SHA384, Source: ck.CKZ_DATA_SPECIFIED, SourceData: []byte("label")}},
		{Type: ck.CKM_RSA_PKCS_OAEP, Param: ck.RSAOAEPParams{Hash: ck.CKM_SHA_1, MGF: ck.CKG_MGF1_SHA1}},
		{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: make([]byte, 12), IVBits: 96, AAD: []byte("aad"), TagBits: 128}},
		{Type: ck.CKM_AES_CCM, Param: ck.CCMParams{DataLen: 1024, Nonce: []byte("0123456789012"), AAD: []byte("x"), MACLen: 16}},
		{Type: ck.CKM_AES_CTR, Param: ck.CTRParams{CounterBits: 64, CB: cb}},
		{Type: ck.CKM_ECDH1_DERIVE, Param: ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: []byte{4, 1, 2, 3}}},
		{Type: ck.CKM_ECDH1_COFACTOR_DERIVE, Param: ck.ECDH1DeriveParams{KDF: ck.CKD_SHA256_KDF, SharedData: []byte("s"), PublicData: []byte{4}}},
		{Type: ck.CKM_EDDSA},
		{Type: ck.CKM_EDDSA, Param: ck.EdDSAParams{PreHash: true, Context: []byte("context")}},
		{Type: ck.CKM_AES_ECB_ENCRYPT_DATA, Param: ck.DerivationStringParams([]byte("0123456789abcdef"))},
		{Type: ck.CKM_AES_CBC_ENCRYPT_DATA, Param: ck.AESCBCEncryptDataParams{IV: cb, Data: []byte("0123456789abcdef")}},
	}
}

// filler fills message structs with random valid values, through
// reflection, so every field of every message takes part in round trips.
type filler struct{ r *rand.Rand }

func newFiller(seed uint64) *filler { return &filler{r: rand.New(rand.NewPCG(seed, 1))} }

var (
	typeMechanism = reflect.TypeFor[ck.Mechanism]()
	typeTemplate  = reflect.TypeFor[[]ck.Attribute]()
	typeResults   = reflect.TypeFor[[]AttributeResult]()
	typeOutput    = reflect.TypeFor[Output]()
	typeStage     = reflect.TypeFor[Stage]()
	typeMode      = reflect.TypeFor[Mode]()
	typeTime      = reflect.TypeFor[time.Time]()
)

func (f *filler) bytes(max int) []byte {
	n := f.r.IntN(max + 1)
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(f.r.Uint32())
	}
	return b
}

func (f *filler) text(max int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzé-_ 0123456789"
	n := f.r.IntN(max + 1)
	out := make([]rune, n)
	runes := []rune(letters)
	for i := range out {
		out[i] = runes[f.r.IntN(len(runes))]
	}
	return string(out)
}

func (f *filler) attribute(depth int) ck.Attribute {
	switch f.r.IntN(7) {
	case 0:
		return ck.ULONGAttr(ck.CKA_CLASS, f.r.Uint64())
	case 1:
		return ck.BoolAttr(ck.CKA_SIGN, f.r.IntN(2) == 1)
	case 2:
		return ck.BytesAttr(ck.CKA_START_DATE, []byte("20250102"))
	case 3:
		return ck.ULONGsAttr(ck.CKA_ALLOWED_MECHANISMS, ck.CKM_ECDSA, ck.MechanismType(f.r.Uint64()))
	case 4:
		return ck.Attribute{Type: ck.AttributeType(f.r.Uint64N(0x200)), Query: true, Len: f.r.Uint64()}
	case 5:
		if depth < ck.MaxTemplateDepth {
			return ck.TemplateAttr(ck.CKA_WRAP_TEMPLATE, f.template(depth+1)...)
		}
	}
	return ck.BytesAttr(ck.CKA_LABEL, f.bytes(20))
}

func (f *filler) template(depth int) []ck.Attribute {
	n := f.r.IntN(5)
	if n == 0 {
		return nil
	}
	out := make([]ck.Attribute, n)
	for i := range out {
		out[i] = f.attribute(depth)
	}
	return out
}

func (f *filler) fill(v reflect.Value) {
	switch v.Type() {
	case typeMechanism:
		ms := sampleMechanisms()
		v.Set(reflect.ValueOf(ms[f.r.IntN(len(ms))]))
		return
	case typeTemplate:
		v.Set(reflect.ValueOf(f.template(1)))
		return
	case typeResults:
		var rs []AttributeResult
		for _, a := range f.template(1) {
			rs = append(rs, AttributeResult{Status: ck.RV(f.r.Uint64N(0x20)), Attribute: a})
		}
		v.Set(reflect.ValueOf(rs))
		return
	case typeOutput:
		if f.r.IntN(2) == 0 {
			v.Set(reflect.ValueOf(Output{Len: f.r.Uint64()}))
		} else {
			v.Set(reflect.ValueOf(NewOutput(f.bytes(64))))
		}
		return
	case typeStage:
		v.Set(reflect.ValueOf(Stage(1 + f.r.IntN(2))))
		return
	case typeMode:
		v.Set(reflect.ValueOf(Mode(1 + f.r.IntN(2))))
		return
	case typeTime:
		if f.r.IntN(3) > 0 {
			v.Set(reflect.ValueOf(time.UnixMilli(f.r.Int64N(1 << 42)).UTC()))
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).Name == "Magic" {
				v.Field(i).Set(reflect.ValueOf(Magic))
				continue
			}
			f.fill(v.Field(i))
		}
	case reflect.Uint64:
		v.SetUint(f.r.Uint64())
	case reflect.Uint32:
		v.SetUint(uint64(f.r.Uint32()))
	case reflect.Uint16:
		v.SetUint(uint64(f.r.Uint32() >> 16))
	case reflect.Uint8:
		v.SetUint(uint64(f.r.Uint32() >> 24))
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 1)
	case reflect.String:
		v.SetString(f.text(16))
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			f.fill(v.Index(i))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.Set(reflect.ValueOf(f.bytes(40)).Convert(v.Type()))
			return
		}
		n := f.r.IntN(4)
		if n == 0 {
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			f.fill(s.Index(i))
		}
		v.Set(s)
	default:
		panic("filler: no rule for " + v.Type().String())
	}
}

// sampleOf returns a freshly filled message of the same type as m.
func sampleOf[M Message](f *filler, m M) M {
	v := reflect.New(reflect.TypeOf(m).Elem())
	f.fill(v.Elem())
	return v.Interface().(M)
}
