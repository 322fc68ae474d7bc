package libconfig_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

func TestParseGrammar(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"empty file", "", "{}"},
		{"only blanks and comments", " \t\r\f\n# c\n// c\n/* c\n c */\n", "{}"},
		{"equals", "a = 1;", "{a=int(1)}"},
		{"colon", "a : 1;", "{a=int(1)}"},
		{"comma terminator", "a = 1, b = 2,", "{a=int(1); b=int(2)}"},
		{"no terminator", "a = 1 b = 2", "{a=int(1); b=int(2)}"},
		{"no blanks", "a=1;b:2;", "{a=int(1); b=int(2)}"},
		{"spread over lines", "a\n=\n1\n;", "{a=int(1)}"},
		{"name characters", "* = 1; a-b_c*9 = 2; Z = 3;", "{*=int(1); a-b_c*9=int(2); Z=int(3)}"},
		{"same name in different groups", "a = { x = 1; }; b = { x = 2; };", "{a={x=int(1)}; b={x=int(2)}}"},
		{"name is case sensitive", "a = 1; A = 2;", "{a=int(1); A=int(2)}"},
		{"number then name", "a = 12abc = 5;", "{a=int(12); abc=int(5)}"},
		{"name starting like a bool", "truex = 1; false_ = 2;", "{truex=int(1); false_=int(2)}"},

		{"group", "g = { a = 1; b = \"x\"; };", `{g={a=int(1); b=string("x")}}`},
		{"group with colon", "g : { a : 1 };", "{g={a=int(1)}}"},
		{"empty group", "g = {};", "{g={}}"},
		{"nested groups", "a = { b = { c = { d = 1; }; }; };", "{a={b={c={d=int(1)}}}}"},
		{"array", "a = [1, 2, 3];", "{a=[int(1), int(2), int(3)]}"},
		{"empty array", "a = [];", "{a=[]}"},
		{"array of strings joined", `a = ["x" "y", "z"];`, `{a=[string("xy"), string("z")]}`},
		{"array of int64", "a = [1L, 2L];", "{a=[int64(1), int64(2)]}"},
		{"array of hex and decimal ints", "a = [0x10, 16];", "{a=[int(0x10), int(16)]}"},
		{"array of bools", "a = [true, FALSE];", "{a=[bool(true), bool(false)]}"},
		{"array of floats", "a = [1.5, .5];", "{a=[float(1.5), float(0.5)]}"},
		{"list", `a = (1, "x", 2.5, true);`, `{a=(int(1), string("x"), float(2.5), bool(true))}`},
		{"empty list", "a = ();", "{a=()}"},
		{"list of aggregates", "a = ({x = 1;}, [1, 2], (3), ());", "{a=({x=int(1)}, [int(1), int(2)], (int(3)), ())}"},
		{"groups in a list", "a = ({}, {b = 2});", "{a=({}, {b=int(2)})}"},

		{"decimal", "a = 0; b = -5; c = +7; d = 007;", "{a=int(0); b=int(-5); c=int(7); d=int(7)}"},
		{"int32 bounds", "a = 2147483647; b = -2147483648;", "{a=int(2147483647); b=int(-2147483648)}"},
		{"above int32 becomes int64", "a = 2147483648; b = -2147483649;", "{a=int64(2147483648); b=int64(-2147483649)}"},
		{"int64 bounds", "a = 9223372036854775807; b = -9223372036854775808;", "{a=int64(9223372036854775807); b=int64(-9223372036854775808)}"},
		{"L suffix", "a = 5L; b = 5LL; c = -1L;", "{a=int64(5); b=int64(5); c=int64(-1)}"},
		{"hex", "a = 0x1f; b = 0X1F; c = 0x00;", "{a=int(0x1F); b=int(0x1F); c=int(0x0)}"},
		{"hex int32 bound", "a = 0x7fffffff;", "{a=int(0x7FFFFFFF)}"},
		{"hex above int32 becomes int64", "a = 0x80000000; b = 0xFFFFFFFF;", "{a=int64(0x80000000); b=int64(0xFFFFFFFF)}"},
		{"hex 64-bit pattern wraps", "a = 0xFFFFFFFFFFFFFFFF; b = 0x8000000000000000L;", "{a=int64(0xFFFFFFFFFFFFFFFF); b=int64(0x8000000000000000)}"},
		{"hex L suffix", "a = 0x5L; b = 0x5LL;", "{a=int64(0x5); b=int64(0x5)}"},
		{"binary (1.7)", "a = 0b1010; b = 0B1L;", "{a=int(0b1010); b=int64(0b1)}"},
		{"octal (1.7)", "a = 0o17; b = 0O777L;", "{a=int(0o17); b=int64(0o777)}"},
		{"binary above int32", "a = 0b11111111111111111111111111111111;", "{a=int64(0b11111111111111111111111111111111)}"},
		{"0b without digit is 0 then a name", "a = 0 b2 = 1;", "{a=int(0); b2=int(1)}"},

		{"floats", "a = 1.5; b = -2.5E-3; c = 1e10; d = +.5; e = 1.; f = 1.e2; g = 1E+5;",
			"{a=float(1.5); b=float(-0.0025); c=float(1e+10); d=float(0.5); e=float(1); f=float(100); g=float(100000)}"},
		{"float without digits is 0 as in the reference", "a = .; b = -.; c = .e5;", "{a=float(0); b=float(0); c=float(0)}"},
		{"negative zero", "a = -0.0;", "{a=float(-0)}"},
		{"float underflow is 0", "a = 1e-999;", "{a=float(0)}"},
		{"subnormal", "a = 5e-324;", "{a=float(5e-324)}"},
		{"bools in any case", "a = true; b = FALSE; c = TrUe;", "{a=bool(true); b=bool(false); c=bool(true)}"},

		{"string", `a = "hello";`, `{a=string("hello")}`},
		{"empty string", `a = "";`, `{a=string("")}`},
		{"escapes", `a = "\\ \" \n \r \t \f";`, `{a=string("\\ \" \n \r \t \f")}`},
		{"hex escapes", `a = "\x41\x7e\xFF\X42";`, `{a=string("A~\xffB")}`},
		{"unknown escape keeps the backslash", `a = "\q\x4z\x";`, `{a=string("\\q\\x4z\\x")}`},
		{"raw newline in string", "a = \"x\ny\";", `{a=string("x\ny")}`},
		{"invalid UTF-8 kept as bytes", "a = \"\xff\xfe\xc3\";", `{a=string("\xff\xfe\xc3")}`},
		{"UTF-8", `a = "grüß";`, `{a=string("grüß")}`},
		{"adjacent literals join", "a = \"x\" \"y\"\n  /* c */ \"z\" # c\n \"w\";", `{a=string("xyzw")}`},
		{"comment markers inside strings", `a = "# // /* */";`, `{a=string("# // /* */")}`},

		{"comments between tokens", "a /* c */ = # c\n 1 // c\n ;", "{a=int(1)}"},
		{"block comment does not nest", "/* /* */ a = 1;", "{a=int(1)}"},
		{"block comment closing star shared", "/*/ still a comment */ a = 1;", "{a=int(1)}"},
		{"comment at end of file without newline", "a = 1; # c", "{a=int(1)}"},
		{"slash comment at end of file", "a = 1; // c", "{a=int(1)}"},
		{"CR LF line ends", "a = 1;\r\nb = 2;\r\n", "{a=int(1); b=int(2)}"},
		{"NUL inside a comment is ignored", "a = 1; /* \x00 */ # \x00\n", "{a=int(1)}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, renderTree(mustParse(t, tt.src)))
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing value", "a = ;", `t.cfg:1:5: expected a value for setting "a", found ';'`},
		{"missing value at end", "a =", `t.cfg:1:4: expected a value for setting "a", found end of file`},
		{"missing equals", "a 1;", `t.cfg:1:3: expected '=' or ':' after setting name "a", found an integer`},
		{"group without equals", "a { b = 1; };", `t.cfg:1:3: expected '=' or ':' after setting name "a", found '{'`},
		{"missing terminator before brace", "port = 1 }", `t.cfg:1:10: expected ';' or ',' after setting "port", found '}'`},
		{"nested path in message", "a = { port = 1 2 };", `t.cfg:1:16: expected ';' or ',' after setting "a.port", found an integer`},
		{"double terminator", "a = 1;;", `t.cfg:1:7: expected a setting name, found ';'`},
		{"lone terminator", ";", `t.cfg:1:1: expected a setting name, found ';'`},
		{"stray closing brace", "}", `t.cfg:1:1: expected a setting name, found '}'`},
		{"unclosed group", "a = { b = 1;", `t.cfg:1:13: expected a setting name or '}', found end of file`},
		{"bool as a name", "true = 5;", `t.cfg:1:1: expected a setting name, found a boolean`},
		{"name as a value is not echoed", "password = hunter2;", `t.cfg:1:12: expected a value for setting "password", found a name`},
		{"duplicate", "port = 1;\nport = 2;", `t.cfg:2:1: duplicate setting name "port" (first set at t.cfg:1:1)`},
		{"duplicate in group", "g = { x = 1; x = 2; };", `t.cfg:1:14: duplicate setting name "x" (first set at t.cfg:1:7)`},
		{"duplicate found before the rest", "a = 1; a b", `t.cfg:1:8: duplicate setting name "a" (first set at t.cfg:1:1)`},
		{"duplicate in a large group", largeGroupWithDuplicate(), `t.cfg:101:1: duplicate setting name "s50" (first set at t.cfg:51:1)`},

		{"array trailing comma", "a = [1, 2,];", `t.cfg:1:11: expected a value after ',' in array "a", found ']'`},
		{"list trailing comma", "a = (1,);", `t.cfg:1:8: expected a value after ',' in list "a", found ')'`},
		{"list leading comma", "a = (,1);", `t.cfg:1:6: expected a value or ')' in list "a", found ','`},
		{"array missing comma", "a = [1 2];", `t.cfg:1:8: expected ',' or ']' after an element of array "a", found an integer`},
		{"unclosed list", "a = (1", `t.cfg:1:7: expected ',' or ')' after an element of list "a", found end of file`},
		{"group in array", "a = [{}];", `t.cfg:1:6: array "a" can hold only scalar values (int, int64, float, bool, string), found '{'; use a list ( ) instead`},
		{"array in array", "a = [1, [2]];", `t.cfg:1:9: array "a" can hold only scalar values (int, int64, float, bool, string), found '['; use a list ( ) instead`},
		{"mixed int and float", "a = [1, 1.0];", `t.cfg:1:9: mismatched element type in array "a": float after int`},
		{"mixed int and int64", "a = [1, 5L];", `t.cfg:1:9: mismatched element type in array "a": int64 after int`},
		{"mixed int and big int", "a = [1,\n3000000000];", `t.cfg:2:1: mismatched element type in array "a": int64 after int`},
		{"mixed int and string", `a = [1, "x"];`, `t.cfg:1:9: mismatched element type in array "a": string after int`},
		{"array path in a list", "a = (1, [true, 2]);", `t.cfg:1:16: mismatched element type in array "a.[1]": int after bool`},

		{"integer out of range", "a = 99999999999999999999;", `t.cfg:1:5: integer 99999999999999999999 out of range`},
		{"negative integer out of range", "a = -9223372036854775809;", `t.cfg:1:5: integer -9223372036854775809 out of range`},
		{"int64 out of range", "a = 9223372036854775808L;", `t.cfg:1:5: integer 9223372036854775808L out of range`},
		{"hex out of range", "a = 0x1FFFFFFFFFFFFFFFF;", `t.cfg:1:5: integer 0x1FFFFFFFFFFFFFFFF out of range`},
		{"long number clipped in message", "a = 1" + repeat("0", 60) + ";", `t.cfg:1:5: integer 1000000000000000000000000000000000000000... (61 characters) out of range`},
		{"float out of range", "a = 1e999;", `t.cfg:1:5: float 1e999 out of range`},
		{"negative float out of range", "a = -1.5e400;", `t.cfg:1:5: float -1.5e400 out of range`},
		{"negative hex is zero then a name", "x = -0x5;", `t.cfg:1:9: expected '=' or ':' after setting name "x5", found ';'`},
		{"lower case l suffix", "a = 5l;", `t.cfg:1:7: expected '=' or ':' after setting name "l", found ';'`},
		{"LLL suffix", "a = 5LLL;", `t.cfg:1:9: expected '=' or ':' after setting name "L", found ';'`},
		{"float with L", "a = 1.5L;", `t.cfg:1:9: expected '=' or ':' after setting name "L", found ';'`},
		{"dangling exponent", "x = 1.5e;", `t.cfg:1:9: expected '=' or ':' after setting name "e", found ';'`},
		{"lone minus", "a = -;", `t.cfg:1:5: unexpected '-'`},
		{"two floats", "a = 1.5.5;", `t.cfg:1:8: expected ';' or ',' after setting "a", found a float`},

		{"unterminated string", "a = \"abc;\n", `t.cfg:1:5: unterminated string`},
		{"unterminated string after backslash", `a = "abc\`, `t.cfg:1:5: unterminated string`},
		{"escaped quote does not close", `a = "\"`, `t.cfg:1:5: unterminated string`},
		{"NUL escape", `a = "x\x00y";`, `t.cfg:1:7: \x00 in string: strings cannot hold NUL bytes`},
		{"raw NUL in string", "a = \"x\n\x00y\";", `t.cfg:2:1: NUL byte in string: strings cannot hold NUL bytes`},
		{"unterminated comment", "a = 1;\n  /* abc", `t.cfg:2:3: unterminated comment: '/*' without '*/'`},
		{"lone slash", "a = 1/2;", `t.cfg:1:6: unexpected '/'`},
		{"NUL outside strings", "a = 1;\x00", `t.cfg:1:7: unexpected NUL byte`},
		{"non-ASCII name", "a = 1; \xc3\xa9 = 2;", `t.cfg:1:8: unexpected byte 0xC3`},
		{"vertical tab", "a = 1;\v", `t.cfg:1:7: unexpected byte 0x0B`},
		{"stray character", "a = 1;\n\n   $", `t.cfg:3:4: unexpected '$'`},
		{"stray quote character", "a = 'x';", `t.cfg:1:5: unexpected "'"`},
		{"column after CR", "a = 1;\r\nb = 2;\rc = ;", `t.cfg:2:12: expected a value for setting "c", found ';'`},
		{"include not at line start", "a = 1; @include \"x.cfg\"\n", `t.cfg:1:8: misplaced @include: it must start a line and be followed by a blank and a quoted file name`},
		{"include without blank", "@include\"x.cfg\"\n", `t.cfg:1:1: misplaced @include: it must start a line and be followed by a blank and a quoted file name`},
		{"include after CR", "a = 1;\r@include \"x.cfg\"\n", `t.cfg:1:8: misplaced @include: it must start a line and be followed by a blank and a quoted file name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseError(t, tt.src, nil)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func largeGroupWithDuplicate() string {
	var b []byte
	for i := range 100 {
		b = append(b, []byte("s"+itoa(i)+" = 1;\n")...)
	}
	return string(b) + "s50 = 2;\n"
}

func itoa(i int) string { return fmtInt(int64(i)) }

func TestErrorNeverQuotesStrings(t *testing.T) {
	const secret = "hunter2-secret"
	inputs := []string{
		`password = "` + secret + `" 5;`,
		`password = ` + secret + `;`,
		`p = ["` + secret + `", 1];`,
		`p = "` + secret + ``,
		`p = "` + secret + `\x00";`,
		`p = ("` + secret + `",);`,
	}
	for _, src := range inputs {
		err := parseError(t, src, nil)
		assert.NotContains(t, err.Error(), "hunter2", "input %q", src)
	}
}

func TestPositions(t *testing.T) {
	src := "a = 1;\n" +
		"g = {\n" +
		"  b = [ 10,\n" +
		"        20 ];\n" +
		"  \tl = ( { x = 1; }, \"s\" );\n" +
		"};\n"
	root, err := libconfig.Parse("pos.cfg", []byte(src), nil)
	require.NoError(t, err)
	tests := []struct {
		path       string
		line, col  int
		wantParent string
	}{
		{"a", 1, 1, ""},
		{"g", 2, 1, ""},
		{"g.b", 3, 3, "g"},
		{"g.b.[0]", 3, 9, "g.b"},
		{"g.b.[1]", 4, 9, "g.b"},
		{"g.l", 5, 4, "g"},
		{"g.l.[0]", 5, 10, "g.l"},
		{"g.l.[0].x", 5, 12, "g.l.[0]"},
		{"g.l.[1]", 5, 22, "g.l"},
	}
	for _, tt := range tests {
		s := root.Lookup(tt.path)
		require.NotNil(t, s, tt.path)
		assert.Equal(t, libconfig.Position{File: "pos.cfg", Line: tt.line, Column: tt.col}, s.Pos, tt.path)
		assert.Equal(t, tt.path, s.Path())
		assert.Equal(t, tt.wantParent, s.Parent().Path(), tt.path)
	}
	assert.Equal(t, libconfig.Position{File: "pos.cfg"}, root.Pos)
	assert.Equal(t, "", root.Name)
	assert.Equal(t, libconfig.KindGroup, root.Kind)
	assert.Nil(t, root.Parent())
}

func TestErrorType(t *testing.T) {
	_, err := libconfig.Parse("", []byte("a = ;"), nil)
	var perr *libconfig.Error
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, "<input>:1:5: expected a value for setting \"a\", found ';'", err.Error())
	assert.Equal(t, libconfig.Position{Line: 1, Column: 5}, perr.Pos)
	assert.Nil(t, perr.Unwrap())
}

func TestOptionsNotModified(t *testing.T) {
	opts := &libconfig.Options{MaxDepth: 3}
	_, err := libconfig.Parse("t.cfg", []byte("a = 1;"), opts)
	require.NoError(t, err)
	assert.Equal(t, libconfig.Options{MaxDepth: 3}, *opts)
}
