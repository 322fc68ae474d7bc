package check

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// valueMacroName is the shape of a PKCS#11 constant: CKx_ and CK_ names, and the version.
var valueMacroName = regexp.MustCompile(`^(CK[A-Z]?_[A-Z0-9_]+|CRYPTOKI_VERSION_[A-Z]+)$`)

// notValues are CK names that are macros of the interface, not values.
var notValues = map[string]bool{
	"CK_PTR": true, "CK_SPEC": true, "CK_NEED_ARG_LIST": true, "CK_PKCS11_2_0_ONLY": true,
	"CK_DISABLE_TRUE_FALSE": true,
}

var objectMacro = regexp.MustCompile(`^#define ([A-Za-z_][A-Za-z0-9_]*) (.*)$`)

// valueMacros lists the constants a header defines: the object-like macros named like PKCS#11
// constants, read from the preprocessor's own list (gcc -dM).
func valueMacros(t *testing.T, head string, flags []string) []string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "macros.c")
	require.NoError(t, os.WriteFile(src, []byte(head), 0o600))
	ctx, cancel := context.WithTimeout(t.Context(), toolTimeout)
	defer cancel()
	args := append(append([]string{}, flags...), "-dM", "-E", src)
	out, err := exec.CommandContext(ctx, tool(t, "gcc"), args...).CombinedOutput()
	require.NoErrorf(t, err, "gcc -dM -E:\n%s", out)
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		m := objectMacro.FindStringSubmatch(line)
		if m == nil || !valueMacroName.MatchString(m[1]) || notValues[m[1]] {
			continue
		}
		body := strings.TrimSpace(m[2])
		if body == "" || strings.HasPrefix(body, `"`) {
			continue
		}
		names = append(names, m[1])
	}
	require.NotEmpty(t, names, "no PKCS#11 constants found by gcc -dM")
	return names
}

// constantValues compiles and runs a program that prints, for each name the header defines,
// its value as an unsigned 64-bit integer. Names the header does not define are absent.
func constantValues(t *testing.T, head string, flags []string, names []string) map[string]uint64 {
	t.Helper()
	var b strings.Builder
	b.WriteString(head)
	b.WriteString("#include <stdio.h>\n")
	b.WriteString("static void P(const char *name, unsigned long long v) { printf(\"%s %llu\\n\", name, v); }\n")
	b.WriteString("int main(void) {\n")
	for _, n := range names {
		fmt.Fprintf(&b, "#ifdef %s\n\tP(%s, (unsigned long long)(%s));\n#endif\n", n, cString(n), n)
	}
	b.WriteString("\treturn 0;\n}\n")
	prog := program{flags: append([]string{"-std=c99"}, flags...), source: b.String()}
	return keyValues(t, prog.run(t))
}

// ourConstants is every constant our headers define, with its value.
func ourConstants(t *testing.T) map[string]uint64 {
	t.Helper()
	flags := append([]string{"-I" + includeDir(t)}, strictC...)
	return constantValues(t, ourHeader, flags, valueMacros(t, ourHeader, flags))
}

func union(sets ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sets {
		for _, n := range s {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// miekgDivergences are the v2.40 values our headers deliberately do not keep, and why.
var miekgDivergences = map[string]string{
	"CKK_SHA3_224_HMAC": "v2.40 errata 0x33; v3.0 moved it to 0x36 (0x33 is CKK_CHACHA20 there)",
	"CKK_SHA3_256_HMAC": "v2.40 errata 0x34; v3.0 moved it to 0x37 (0x34 is CKK_POLY1305 there)",
	"CKK_SHA3_384_HMAC": "v2.40 errata 0x35; v3.0 moved it to 0x38 (0x35 is CKK_AES_XTS there)",
	"CKK_SHA3_512_HMAC": "v2.40 errata 0x36; v3.0 moved it to 0x39",
}

// oasisOnly are v3.0 constants that neither reference header defines, transcribed from the
// OASIS v3.0 pkcs11t.h (github.com/oasis-tcs/pkcs11, working/3-00-current) to be checked here.
var oasisOnly = map[string]uint64{
	"CKA_UNIQUE_ID":           0x4,
	"CKR_AEAD_DECRYPT_FAILED": 0x42,
}

// TestConstantsMatchMiekg checks every constant of the OASIS v2.40 pkcs11t.h, through the table
// generated from miekg/pkcs11's rendering of it: each must be defined, with the same value.
func TestConstantsMatchMiekg(t *testing.T) {
	requireLP64(t)
	require.Len(t, miekgConstants, 756, "zmiekg_test.go is not the table of miekg/pkcs11 v1.1.2: run go generate")
	ours := ourConstants(t)

	var missing, wrong []string
	for _, c := range miekgConstants {
		v, ok := ours[c.name]
		switch {
		case !ok:
			missing = append(missing, c.name)
		case v == c.value:
			if why, known := miekgDivergences[c.name]; known {
				t.Logf("%s: listed as a divergence (%s) but agrees: remove it", c.name, why)
			}
		case miekgDivergences[c.name] == "":
			wrong = append(wrong, fmt.Sprintf("%s: ours %#x, v2.40 %#x", c.name, v, c.value))
		}
	}
	assert.Empty(t, missing, "v2.40 constants our headers do not define")
	assert.Empty(t, wrong, "v2.40 constants with another value in our headers")

	inMiekg := map[string]bool{}
	for _, c := range miekgConstants {
		inMiekg[c.name] = true
	}
	var extra []string
	for _, n := range sortedKeys(ours) {
		if !inMiekg[n] {
			extra = append(extra, n)
		}
	}
	t.Logf("%d constants checked against v2.40; %d of ours are not in that table: %s",
		len(miekgConstants), len(extra), strings.Join(extra, " "))
}

// TestConstantsMatchReferences compares every constant both our headers and a reference header
// define. A difference fails unless it is a known divergence of that reference.
func TestConstantsMatchReferences(t *testing.T) {
	requireLP64(t)
	ours := ourConstants(t)
	for _, ref := range referenceHeaders() {
		t.Run(ref.name, func(t *testing.T) {
			ref.skipIfAbsent(t)
			theirNames := valueMacros(t, ref.head(), ref.flags)
			theirs := constantValues(t, ref.head(), ref.flags, union(sortedKeys(ours), theirNames))

			var differ []string
			compared := 0
			for _, n := range sortedKeys(ours) {
				v, ok := theirs[n]
				if !ok {
					continue
				}
				compared++
				if v == ours[n] {
					if why, known := ref.knownValues[n]; known {
						t.Logf("%s: listed as a known divergence (%s) but now agrees: remove it", n, why)
					}
					continue
				}
				if _, known := ref.knownValues[n]; !known {
					differ = append(differ, fmt.Sprintf("%s: ours %#x, %s %#x", n, ours[n], ref.name, v))
				}
			}
			assert.Empty(t, differ, "constants whose value differs from %s's", ref.name)
			assert.Greater(t, compared, 300, "too few constants in common with %s to be a comparison", ref.name)

			var onlyTheirs []string
			for _, n := range theirNames {
				if _, ok := ours[n]; !ok {
					onlyTheirs = append(onlyTheirs, n)
				}
			}
			if len(onlyTheirs) > 20 {
				onlyTheirs = append(onlyTheirs[:20], "...")
			}
			t.Logf("%d constants compared with %s; only in %s: %s", compared, ref.name, ref.name,
				strings.Join(onlyTheirs, " "))
		})
	}
}

// TestNewConstantsAreVerified requires each constant beyond v2.40, and each v2.40 value we do not
// keep, to be confirmed by a reference header: the v3.0 additions have no generated table.
func TestNewConstantsAreVerified(t *testing.T) {
	requireLP64(t)
	ours := ourConstants(t)
	inMiekg := map[string]bool{}
	for _, c := range miekgConstants {
		inMiekg[c.name] = true
	}
	unverified := map[string]bool{}
	for n := range ours {
		if !inMiekg[n] || miekgDivergences[n] != "" {
			unverified[n] = true
		}
	}
	for n, v := range oasisOnly {
		assert.Equalf(t, v, ours[n], "%s, against the OASIS v3.0 header", n)
		delete(unverified, n)
	}
	var absent []string
	for _, ref := range referenceHeaders() {
		if ref.header == "" {
			absent = append(absent, ref.missing)
			continue
		}
		theirs := constantValues(t, ref.head(), ref.flags, sortedKeys(unverified))
		for n, v := range theirs {
			if v == ours[n] {
				delete(unverified, n)
			}
		}
	}
	if len(unverified) > 0 && len(absent) > 0 {
		t.Skipf("%d constants beyond v2.40 not confirmed by the headers present (%s); missing: %s",
			len(unverified), strings.Join(sortedKeys(unverified), " "), strings.Join(absent, "; "))
	}
	assert.Empty(t, sortedKeys(unverified), "constants beyond v2.40 that no reference header defines with our value")
}
