package libconfig_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

func TestFormatLayout(t *testing.T) {
	src := `
		version = "1.0";
		primus : {
			mask = 0x1f; big = 0x80000000; neg = 0xFFFFFFFFFFFFFFFF; bits = 0b101; perm = 0o755;
			n = -5; l = 7L; f = 2.; g = 1e21; h = -0.0; t = TRUE;
			empty = {}; a = [1, 2]; e = [];
			list = (1, "two", { x = 1; }, [true], ());
			flat = ("a", 1.5);
		};`
	want := `version = "1.0";
primus = {
  mask = 0x1F;
  big = 0x80000000L;
  neg = 0xFFFFFFFFFFFFFFFFL;
  bits = 0x5;
  perm = 0x1ED;
  n = -5;
  l = 7L;
  f = 2.0;
  g = 1e+21;
  h = -0.0;
  t = true;
  empty = { };
  a = [ 1, 2 ];
  e = [ ];
  list = (
    1,
    "two",
    {
      x = 1;
    },
    [ true ],
    ( )
  );
  flat = ( "a", 1.5 );
};
`
	root := mustParse(t, src)
	assert.Equal(t, want, string(libconfig.Format(root)))
	var buf bytes.Buffer
	require.NoError(t, libconfig.Write(&buf, root))
	assert.Equal(t, want, buf.String())
}

// assertRoundTrip checks that root prints, parses back to an equal tree,
// and prints the same again.
func assertRoundTrip(t *testing.T, root *libconfig.Setting) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, libconfig.Write(&buf, root))
	printed := buf.Bytes()
	back, err := libconfig.Parse("printed.cfg", printed, nil)
	require.NoError(t, err, "printed:\n%s", printed)
	assert.True(t, libconfig.Equal(root, back), "round trip changed the tree:\n%s\n%s\nprinted:\n%s", renderTree(root), renderTree(back), printed)
	assert.Equal(t, string(printed), string(libconfig.Format(back)), "Format is not idempotent")
}

func TestRoundTripParsed(t *testing.T) {
	primus, err := os.ReadFile("testdata/primus.cfg")
	require.NoError(t, err)
	inputs := []string{
		string(primus),
		"",
		"a = { b = ( { c = [ 1, 2 ]; d = ( ); }, ( ( ) ), \"x\" ); };",
		`s = "\x01\x1f\x7f\\ \" \n\r\t\f \xff\xfe \xc3\xa9 \q \x4";`,
		"a = 0x7FFFFFFF; b = 0x80000000; c = 0xFFFFFFFFFFFFFFFF; d = 0b1L; e = 0o0; f = -9223372036854775808L;",
		"a = 1e-320; b = 1.7976931348623157e308; c = 0.1; d = -0.0; e = .; f = 123456789012345678;",
		"a = [ \"x\" \"y\", \"\" ]; b = [ 1L, -1L ]; c = [ 0.5 ];",
	}
	for _, src := range inputs {
		assertRoundTrip(t, mustParse(t, src))
	}
}

func TestRoundTripBuilt(t *testing.T) {
	root := libconfig.NewGroup()
	set := func(name string, s *libconfig.Setting) *libconfig.Setting {
		t.Helper()
		out, err := root.Set(name, s)
		require.NoError(t, err)
		return out
	}
	var every []byte
	for c := 1; c < 256; c++ {
		every = append(every, byte(c))
	}
	set("bytes", libconfig.NewString(string(every)))
	for i, f := range []float64{0, math.Copysign(0, -1), 0.1, 1e21, 1e-7, math.MaxFloat64, math.SmallestNonzeroFloat64, -123.456, 1 << 53} {
		set("f"+fmtInt(int64(i)), libconfig.NewFloat(f))
	}
	for i, v := range []int64{0, math.MaxInt64, math.MinInt64, -1, 1 << 40} {
		for _, format := range []libconfig.IntFormat{libconfig.FormatDecimal, libconfig.FormatHex, libconfig.FormatBinary, libconfig.FormatOctal} {
			s := set("i64_"+fmtInt(int64(i))+"_"+fmtInt(int64(format)), libconfig.NewInt64(v))
			s.Format = format
		}
	}
	for i, v := range []int32{0, math.MaxInt32, math.MinInt32, -1} {
		for _, format := range []libconfig.IntFormat{libconfig.FormatDecimal, libconfig.FormatHex, libconfig.FormatBinary, libconfig.FormatOctal} {
			s := set("i32_"+fmtInt(int64(i))+"_"+fmtInt(int64(format)), libconfig.NewInt(v))
			s.Format = format
		}
	}
	list := set("list", libconfig.NewAggregate(libconfig.KindList))
	require.NoError(t, list.Append(libconfig.NewBool(false)))
	inner := libconfig.NewAggregate(libconfig.KindGroup)
	_, err := inner.Set("*weird-name_1", libconfig.NewAggregate(libconfig.KindArray))
	require.NoError(t, err)
	require.NoError(t, list.Append(inner))
	assertRoundTrip(t, root)

	// A negative 32-bit hex value is written in decimal: in hex it would
	// read back as an int64.
	assert.Contains(t, string(libconfig.Format(root)), "i32_3_1 = -1;\n")
	assert.Contains(t, string(libconfig.Format(root)), "i64_3_1 = 0xFFFFFFFFFFFFFFFFL;\n")
}

func TestWriteRefusesWhatLibconfigCannotExpress(t *testing.T) {
	tests := []struct {
		name  string
		build func(root *libconfig.Setting)
		want  string
	}{
		{"NaN", func(r *libconfig.Setting) { _, _ = r.Set("f", libconfig.NewFloat(math.NaN())) }, `libconfig: cannot write "f": libconfig cannot express the float NaN`},
		{"infinity", func(r *libconfig.Setting) {
			g, _ := r.Set("g", libconfig.NewGroup())
			_, _ = g.Set("f", libconfig.NewFloat(math.Inf(-1)))
		}, `libconfig: cannot write "g.f": libconfig cannot express the float -Inf`},
		{"NUL in string", func(r *libconfig.Setting) { _, _ = r.Set("s", libconfig.NewString("a\x00b")) }, `libconfig: cannot write "s": a string cannot hold a NUL byte`},
		{"invalid name", func(r *libconfig.Setting) {
			s, _ := r.Set("ok", libconfig.NewBool(true))
			s.Name = "not ok"
		}, `libconfig: cannot write "not ok": invalid setting name "not ok"`},
		{"boolean word as name", func(r *libconfig.Setting) {
			s, _ := r.Set("ok", libconfig.NewBool(true))
			s.Name = "True"
		}, `libconfig: cannot write "True": invalid setting name "True"`},
		{"duplicate name", func(r *libconfig.Setting) {
			_, _ = r.Set("a", libconfig.NewBool(true))
			s, _ := r.Set("b", libconfig.NewBool(true))
			s.Name = "a"
		}, `libconfig: cannot write "a": duplicate setting name "a"`},
		{"mixed array", func(r *libconfig.Setting) {
			a, _ := r.Set("a", libconfig.NewAggregate(libconfig.KindArray))
			_ = a.Append(libconfig.NewInt(1))
			_ = a.Append(libconfig.NewInt(2))
			a.Index(1).Kind = libconfig.KindInt64
		}, `libconfig: cannot write "a": an array must hold scalars of one kind, found int and int64`},
		{"int beyond 32 bits", func(r *libconfig.Setting) {
			s, _ := r.Set("i", libconfig.NewInt64(1<<40))
			s.Kind = libconfig.KindInt
		}, `libconfig: cannot write "i": int value 1099511627776 does not fit 32 bits; make it an int64`},
		{"unknown kind", func(r *libconfig.Setting) {
			s, _ := r.Set("k", libconfig.NewBool(true))
			s.Kind = 99
		}, `libconfig: cannot write "k": unknown kind kind(99)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := libconfig.NewGroup()
			_, err := root.Set("before", libconfig.NewInt(1))
			require.NoError(t, err)
			tt.build(root)
			var buf bytes.Buffer
			err = libconfig.Write(&buf, root)
			assert.EqualError(t, err, tt.want)
			assert.Zero(t, buf.Len(), "Write wrote part of the tree before failing")
			assert.Nil(t, libconfig.Format(root))
		})
	}

	err := libconfig.Write(&bytes.Buffer{}, libconfig.NewAggregate(libconfig.KindList))
	assert.EqualError(t, err, "libconfig: cannot write: the root must be a group")
	assert.Nil(t, libconfig.Format(nil))
}

func TestFormatEmptyRoot(t *testing.T) {
	out := libconfig.Format(libconfig.NewGroup())
	assert.NotNil(t, out, "nil means the tree cannot be written")
	assert.Empty(t, out)
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWritePassesWriterErrors(t *testing.T) {
	assert.ErrorIs(t, libconfig.Write(failingWriter{}, mustParse(t, "a = 1;")), errDiskFull)
}

func TestEqual(t *testing.T) {
	base := "a = 1; b = { c = [1.5, 2.5]; d = (\"x\", true); };"
	same := "b : { c = [1.5, 2.5], d = (\"x\", TRUE) }\n a = 0x1;" // order differs
	assert.True(t, libconfig.Equal(mustParse(t, base), mustParse(t, base)))
	assert.False(t, libconfig.Equal(mustParse(t, base), mustParse(t, same)), "member order matters")
	assert.True(t, libconfig.Equal(mustParse(t, "a = 1;"), mustParse(t, "a = 0x1;")), "notation does not matter")
	for _, other := range []string{
		"a = 2; b = { c = [1.5, 2.5]; d = (\"x\", true); };",
		"a = 1L; b = { c = [1.5, 2.5]; d = (\"x\", true); };",
		"a = 1; b = { c = [1.5, 2.6]; d = (\"x\", true); };",
		"a = 1; b = { c = [1.5]; d = (\"x\", true); };",
		"a = 1; b = { c = [1.5, 2.5]; d = (\"y\", true); };",
		"a = 1; b = { c = [1.5, 2.5]; d = (\"x\", false); };",
		"a = 1; b = { c = [1.5, 2.5]; e = (\"x\", true); };",
		"a = 1; b = { c = (1.5, 2.5); d = (\"x\", true); };",
	} {
		assert.False(t, libconfig.Equal(mustParse(t, base), mustParse(t, other)), other)
	}
	assert.False(t, libconfig.Equal(mustParse(t, "a = 0.0;"), mustParse(t, "a = -0.0;")))
	assert.True(t, libconfig.Equal(nil, nil))
	assert.False(t, libconfig.Equal(mustParse(t, ""), nil))
}

func TestTreeEditingMatchesTheGrammar(t *testing.T) {
	root := libconfig.NewGroup()
	for _, name := range []string{"true", "FALSE", "", "1a", "a b", "a.b"} {
		_, err := root.Set(name, libconfig.NewInt(1))
		assert.Error(t, err, name)
	}
	arr := libconfig.NewAggregate(libconfig.KindArray)
	require.NoError(t, arr.Append(libconfig.NewInt(1)))
	assert.EqualError(t, arr.Append(libconfig.NewInt64(2)), "libconfig: cannot add a int64 to an array of int")
}
