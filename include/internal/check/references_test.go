package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// referenceHeader is an independent pkcs11.h the checks compare ours with, on whatever both
// define. Its known divergences from the specification are listed with the reason, so that a new
// divergence fails and a fixed one is reported.
type referenceHeader struct {
	name    string
	header  string   // absolute path of its pkcs11.h
	missing string   // why it is absent, when header is ""
	flags   []string // -I and -D it needs
	// knownValues maps a constant to why this header's value differs from the specification's.
	knownValues map[string]string
	// knownLayouts maps "STRUCT" (its size) or "STRUCT.member" to why the layout differs.
	knownLayouts map[string]string
	// knownSignatures maps a function to why its parameter types differ.
	knownSignatures map[string]string
}

func (r referenceHeader) head() string {
	return "#include " + cString(r.header) + "\n"
}

// skipIfAbsent skips the calling (sub)test with the reason the header is missing.
func (r referenceHeader) skipIfAbsent(t *testing.T) {
	t.Helper()
	if r.header == "" {
		t.Skipf("%s: %s", r.name, r.missing)
	}
}

// referenceHeaders returns every reference the checks know, present or not.
func referenceHeaders() []referenceHeader {
	return []referenceHeader{p11kitReference(), nssReference()}
}

// p11kitReference is p11-kit's pkcs11.h (Debian libp11-kit-dev, installed by .ci/run), written
// by g10 Code and Red Hat from the specification, independent of the OASIS files.
func p11kitReference() referenceHeader {
	r := referenceHeader{
		name: "p11-kit",
		knownValues: map[string]string{
			// p11-kit (at least up to 0.24) kept the values of a PKCS#11 v2.30 draft for the five
			// codes v2.40 added after CKR_NEXT_OTP; v2.40 numbers them 0x1B5 to 0x1B9.
			"CKR_EXCEEDED_MAX_ITERATIONS": "p11-kit has the v2.30 draft's 0x1C0",
			"CKR_FIPS_SELF_TEST_FAILED":   "p11-kit has the v2.30 draft's 0x1C1",
			"CKR_LIBRARY_LOAD_FAILED":     "p11-kit has the v2.30 draft's 0x1C2",
			"CKR_PIN_TOO_WEAK":            "p11-kit has the v2.30 draft's 0x1C3",
			"CKR_PUBLIC_KEY_INVALID":      "p11-kit has the v2.30 draft's 0x1C4",
		},
		knownLayouts:    map[string]string{},
		knownSignatures: map[string]string{},
	}
	var dirs []string
	if out, err := exec.Command("pkg-config", "--cflags-only-I", "p11-kit-1").Output(); err == nil {
		for _, flag := range strings.Fields(string(out)) {
			if dir, ok := strings.CutPrefix(flag, "-I"); ok {
				dirs = append(dirs, dir)
			}
		}
	}
	if !slices.Contains(dirs, "/usr/include/p11-kit-1") {
		dirs = append(dirs, "/usr/include/p11-kit-1")
	}
	for _, dir := range dirs {
		header := filepath.Join(dir, "p11-kit", "pkcs11.h")
		if _, err := os.Stat(header); err == nil {
			r.header = header
			return r
		}
	}
	r.missing = "no p11-kit/pkcs11.h in " + strings.Join(dirs, ", ") + " (Debian: apt-get install libp11-kit-dev)"
	return r
}

// nssReference is NSS's pkcs11.h (Debian libnss3-dev and libnspr4-dev), Mozilla's copy of the
// OASIS v3.0 headers with NSS's corrections. It covers the v3.0 additions p11-kit lacks.
func nssReference() referenceHeader {
	r := referenceHeader{
		name: "NSS",
		knownValues: map[string]string{
			"CRYPTOKI_VERSION_MAJOR": "NSS's headers declare v3.0; ours v2.40, v3.0 being reached through C_GetInterface",
			"CRYPTOKI_VERSION_MINOR": "NSS's headers declare v3.0; ours v2.40, v3.0 being reached through C_GetInterface",
		},
		knownLayouts: map[string]string{
			// NSS inserts LibraryParameters before pReserved to pass module settings; the field
			// lands where a module built on the specification reads pReserved.
			"CK_C_INITIALIZE_ARGS":           "NSS adds CK_CHAR_PTR *LibraryParameters at offset 40",
			"CK_C_INITIALIZE_ARGS.pReserved": "NSS adds CK_CHAR_PTR *LibraryParameters at offset 40",
		},
		knownSignatures: map[string]string{},
	}
	const header, nspr = "/usr/include/nss/pkcs11.h", "/usr/include/nspr"
	if _, err := os.Stat(header); err != nil {
		r.missing = header + " is absent (Debian: apt-get install libnss3-dev)"
		return r
	}
	if _, err := os.Stat(filepath.Join(nspr, "prtypes.h")); err != nil {
		r.missing = nspr + "/prtypes.h, which NSS's pkcs11t.h includes, is absent (Debian: apt-get install libnspr4-dev)"
		return r
	}
	r.header = header
	r.flags = []string{"-I" + nspr}
	return r
}
