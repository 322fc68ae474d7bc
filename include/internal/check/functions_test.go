package check

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFunctionListOrder checks CK_FUNCTION_LIST against the specification: the version, then
// the 68 v2.40 functions in order, C_Initialize first and C_WaitForSlotEvent last, one pointer
// each; CK_FUNCTION_LIST_3_0 continues with the 24 functions of v3.0.
func TestFunctionListOrder(t *testing.T) {
	requireLP64(t)
	require.Len(t, v240Functions, 68)
	require.Len(t, v30Functions, 24)
	assert.Equal(t, "C_Initialize", v240Functions[0].name)
	assert.Equal(t, "C_WaitForSlotEvent", v240Functions[67].name)

	lists := []struct {
		name string
		fns  []specFunction
	}{
		{"CK_FUNCTION_LIST", v240Functions},
		{"CK_FUNCTION_LIST_3_0", allFunctions()},
	}
	var checks []string
	for _, l := range lists {
		checks = append(checks, fmt.Sprintf("P(%s, sizeof(%s));", cString(l.name), l.name))
		for _, f := range l.fns {
			checks = append(checks, fmt.Sprintf("P(%s, offsetof(%s, %s));",
				cString(layoutKey(l.name, f.name)), l.name, f.name))
		}
	}
	p := checkProgram{
		flags: append([]string{"-std=c99", "-I" + includeDir(t)}, strictC...),
		head: ourHeader + "#include <stddef.h>\n#include <stdio.h>\n" +
			"static void P(const char *key, size_t v) { printf(\"%s %lu\\n\", key, (unsigned long)v); }\n",
		open: "int main(void) {", checks: checks, close: "return 0; }",
	}
	dropped, prog := p.failingChecks(t)
	require.Empty(t, droppedLines(p, dropped), "functions missing from the lists")
	got := keyValues(t, prog.run(t))

	const pointer = 8
	for _, l := range lists {
		// CK_VERSION is two bytes, padded to the alignment of the first pointer.
		assert.EqualValuesf(t, pointer*(1+len(l.fns)), got[l.name], "sizeof(%s)", l.name)
		for i, f := range l.fns {
			assert.EqualValuesf(t, pointer*(1+i), got[layoutKey(l.name, f.name)],
				"%s.%s should be entry %d after the version", l.name, f.name, i)
		}
	}
}

// signatureChecks returns one C++11 static_assert per function: its pointer type, CK_ and the
// function's name (CK_C_Initialize), points to a function of the specification's parameter types
// returning CK_RV.
func signatureChecks(fns []specFunction) []string {
	var checks []string
	for _, f := range fns {
		checks = append(checks, fmt.Sprintf(
			"static_assert(std::is_same<CK_%s, CK_RV (*)(%s)>::value, %s);",
			f.name, strings.Join(f.params, ", "), cString("CK_"+f.name)))
	}
	return checks
}

func cxxCheckProgram(head string, flags []string, checks []string) checkProgram {
	return checkProgram{
		cxx:    true,
		flags:  append([]string{"-std=c++11"}, flags...),
		head:   head + "#include <type_traits>\n",
		checks: checks,
		close:  "int main() { return 0; }",
	}
}

// TestFunctionSignatures checks, in C++, the parameter types of every CK_C_xxx pointer type, that
// every prototype has the type of its CK_C_xxx, and that the function list members do too.
func TestFunctionSignatures(t *testing.T) {
	fns := allFunctions()
	checks := signatureChecks(fns)
	for _, f := range fns {
		checks = append(checks, fmt.Sprintf(
			"static_assert(std::is_same<decltype(&%s), CK_%s>::value, %s);",
			f.name, f.name, cString("prototype of "+f.name)))
		checks = append(checks, fmt.Sprintf(
			"static_assert(std::is_same<decltype(CK_FUNCTION_LIST_3_0::%s), CK_%s>::value, %s);",
			f.name, f.name, cString("CK_FUNCTION_LIST_3_0."+f.name)))
	}
	for _, f := range v240Functions {
		checks = append(checks, fmt.Sprintf(
			"static_assert(std::is_same<decltype(CK_FUNCTION_LIST::%s), CK_%s>::value, %s);",
			f.name, f.name, cString("CK_FUNCTION_LIST."+f.name)))
	}
	p := cxxCheckProgram(ourHeader, append([]string{"-I" + includeDir(t)}, strictCXX...), checks)
	dropped, _ := p.failingChecks(t)
	assert.Empty(t, droppedLines(p, dropped), "signatures that differ from the specification")
}

// TestFunctionSignaturesMatchReferences checks the same parameter types against each reference
// header, on the functions it defines: the table of the specification is then confirmed by a
// header written independently of ours.
func TestFunctionSignaturesMatchReferences(t *testing.T) {
	for _, ref := range referenceHeaders() {
		t.Run(ref.name, func(t *testing.T) {
			ref.skipIfAbsent(t)
			fns := allFunctions()
			// First find the functions the reference defines, then compare their types, so that
			// a missing function and a wrong one are told apart.
			var probes []string
			for i, f := range fns {
				probes = append(probes, fmt.Sprintf("typedef CK_%s probe%d;", f.name, i))
			}
			absent, _ := cxxCheckProgram(ref.head(), ref.flags, probes).failingChecks(t)
			var defined []specFunction
			for i, f := range fns {
				if !absent[i] {
					defined = append(defined, f)
				}
			}
			require.GreaterOrEqual(t, len(defined), len(v240Functions), "%s lacks v2.40 functions", ref.name)

			p := cxxCheckProgram(ref.head(), ref.flags, signatureChecks(defined))
			mismatched, _ := p.failingChecks(t)
			var differ []string
			for i := range mismatched {
				if _, known := ref.knownSignatures[defined[i].name]; !known {
					differ = append(differ, p.checks[i])
				}
			}
			assert.Empty(t, differ, "functions whose parameter types differ in %s", ref.name)
			t.Logf("%d function types compared with %s", len(defined), ref.name)
		})
	}
}
