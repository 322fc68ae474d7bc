// Package check holds the tests of the PKCS#11 C headers in include/. It has no API: its tests
// compile small C and C++ programs against the headers with gcc and g++ and compare what those
// programs print with independent sources.
//
//   - Cleanliness: the headers compile with -Wall -Wextra -Werror -pedantic as C89, C99 and C11
//     and as C++98, C++11 and C++17; their extern "C" guards give the functions C linkage (a C++
//     caller links against a C definition); pkcs11f.h works with both of its conventions.
//   - Constants: every constant of github.com/miekg/pkcs11 v1.1.2 (generated from the OASIS
//     v2.40 pkcs11t.h; the committed table zmiekg_test.go comes from `go generate`) is defined
//     with the same value. Where p11-kit's or NSS's pkcs11.h is installed, every name both
//     define has the same value, except the documented divergences of that header.
//   - Layout: the size and every member offset of every structure equals the layout an LP64
//     compiler gives the member types the specification lists (a table in the tests, written
//     from the specification), and equals p11-kit's and NSS's where they define it.
//   - Functions: CK_FUNCTION_LIST holds the 68 v2.40 functions in the specification's order,
//     CK_FUNCTION_LIST_3_0 those and the 24 of v3.0; every CK_C_xxx type and prototype has the
//     parameter types of the specification (a table in the tests), checked with C++
//     static_assert against our headers and the reference headers.
//   - cgo: the Go toolchain, the way p11/ uses the headers, sees the same function lists,
//     constants and sizes (cgoview.go; built only with cgo enabled).
//
// # Limits
//
// The layout and value checks assume LP64 (64-bit Linux and Unix) and skip elsewhere; Windows
// packing is compiled by no test. The reference headers are optional: the p11-kit comparison
// needs libp11-kit-dev (installed by .ci/run), the NSS one libnss3-dev and libnspr4-dev; each
// skips with the reason when its header is absent.
//
// The tests read the headers themselves so that go test's result cache notices an edit, but
// Go's build cache does not rebuild cgoview.go when only a header changed (golang/go#24355): run
// with -a after editing the headers for the cgo test to see the change. The other tests compile
// afresh every run. Tests run one after another: each starts compilers, and CI machines are
// small.
package check

//go:generate go run ./gen -o zmiekg_test.go
