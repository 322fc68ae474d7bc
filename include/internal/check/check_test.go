package check

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// useEverything touches what a module and an application use, so that a declaration that only
// breaks when used (an incomplete type, a bad function pointer type) fails too. It is valid C89
// and C++98.
const useEverything = `
static CK_RV create(CK_VOID_PTR_PTR mutex) { *mutex = NULL_PTR; return CKR_OK; }
static CK_RV notify(CK_SESSION_HANDLE s, CK_NOTIFICATION e, CK_VOID_PTR app) {
	(void)s; (void)e; (void)app; return CKR_OK;
}
int main(void) {
	CK_FUNCTION_LIST list;
	CK_FUNCTION_LIST_3_0 list30;
	CK_INTERFACE iface;
	CK_C_INITIALIZE_ARGS args;
	CK_ATTRIBUTE templ[1];
	CK_BBOOL yes = CK_TRUE;
	CK_MECHANISM mech;
	CK_GCM_PARAMS gcm;
	CK_NOTIFY cb = notify;
	list.version.major = CRYPTOKI_VERSION_MAJOR;
	list.C_Initialize = C_Initialize;
	list30.C_GetInterface = C_GetInterface;
	list30.C_MessageVerifyFinal = C_MessageVerifyFinal;
	iface.pFunctionList = &list30;
	iface.flags = CKF_INTERFACE_FORK_SAFE;
	args.CreateMutex = create;
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = NULL_PTR;
	templ[0].type = CKA_WRAP_TEMPLATE;
	templ[0].pValue = &yes;
	templ[0].ulValueLen = sizeof(yes);
	gcm.ulIvBits = 96;
	mech.mechanism = CKM_AES_GCM;
	mech.pParameter = &gcm;
	mech.ulParameterLen = sizeof(gcm);
	return (cb != 0 && list.version.major == 2 && iface.flags == 1 && args.flags == 2 &&
		templ[0].ulValueLen == 1 && mech.ulParameterLen > 0 &&
		CK_UNAVAILABLE_INFORMATION == (CK_ULONG)-1) ? 0 : 1;
}
`

// TestHeadersCompileCleanly compiles a program using the headers in every C and C++ standard
// they target, with every warning an error. The headers are included twice, to check their
// guards, and once after a consumer's own platform macros, which must be kept: a redefinition
// would be a warning.
func TestHeadersCompileCleanly(t *testing.T) {
	inc := "-I" + includeDir(t)
	variants := []struct {
		name string
		cxx  bool
		std  string
		head string
	}{
		{"C89", false, "-std=c89", ourHeader + ourHeader},
		{"C99", false, "-std=c99", ourHeader + ourHeader},
		{"C11", false, "-std=c11", ourHeader + ourHeader},
		{"C++98", true, "-std=c++98", ourHeader + ourHeader},
		{"C++11", true, "-std=c++11", ourHeader + ourHeader},
		{"C++17", true, "-std=c++17", ourHeader + ourHeader},
		{"consumer macros", false, "-std=c99", "#define CK_PTR *\n" +
			"#define CK_DECLARE_FUNCTION(r, n) r n\n" +
			"#define CK_DECLARE_FUNCTION_POINTER(r, n) r (*n)\n" +
			"#define CK_CALLBACK_FUNCTION(r, n) r (*n)\n" +
			"#define NULL_PTR ((void *)0)\n" + ourHeader},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			flags := append([]string{v.std, inc}, strictC...)
			if v.cxx {
				flags = append([]string{v.std, inc}, strictCXX...)
			}
			// Semantic checks only (-fsyntax-only): the program takes the address of functions
			// that no library here defines, so it would not link.
			prog := program{cxx: v.cxx, flags: flags, source: v.head + useEverything}
			diag, err := prog.compile(t, t.TempDir(), false)
			assert.NoErrorf(t, err, "%s\n--- source ---\n%s", diag, numbered(prog.source))
			assert.Empty(t, diag, "warnings")
		})
	}
}

// TestHeadersRefuseMisuse checks that including a header the wrong way stops the build with a
// message saying what to do, instead of a cascade of errors.
func TestHeadersRefuseMisuse(t *testing.T) {
	inc := "-I" + includeDir(t)
	cases := []struct {
		name, source, message string
	}{
		{"pkcs11t.h alone", "#include \"pkcs11t.h\"\n", "include pkcs11.h instead"},
		{"pkcs11f.h alone", "#include \"pkcs11f.h\"\n", "include pkcs11.h instead"},
		{"pkcs11f.h without a macro", ourHeader + "#include \"pkcs11f.h\"\n",
			"define CK_PKCS11_FUNCTION(name, args) or CK_PKCS11_FUNCTION_INFO(name) first"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prog := program{flags: []string{"-std=c99", inc}, source: c.source}
			diag, err := prog.compile(t, t.TempDir(), false)
			require.Error(t, err)
			assert.Contains(t, diag, c.message)
		})
	}
}

// TestPkcs11fConventions expands pkcs11f.h the two ways a consumer may: with
// CK_PKCS11_FUNCTION(name, args), and with the specification's CK_PKCS11_FUNCTION_INFO(name) and
// CK_NEED_ARG_LIST. Both must produce the same functions with the same types as pkcs11.h, and
// leave no helper macro behind.
func TestPkcs11fConventions(t *testing.T) {
	src := ourHeader + `
/* Our convention: a second set of prototypes, named my_C_xxx. */
#define CK_PKCS11_FUNCTION(name, args) CK_RV my_##name args;
#include "pkcs11f.h"
#undef CK_PKCS11_FUNCTION

/* The specification's: prototypes spec_C_xxx, then a function list of our own. */
#define CK_NEED_ARG_LIST 1
#define CK_PKCS11_FUNCTION_INFO(name) CK_RV spec_##name
#include "pkcs11f.h"
#undef CK_NEED_ARG_LIST
#undef CK_PKCS11_FUNCTION_INFO

#define CK_PKCS11_FUNCTION_INFO(name) CK_##name name;
struct spec_list {
	CK_VERSION version;
#include "pkcs11f.h"
};
#undef CK_PKCS11_FUNCTION_INFO

#if defined(CK_PKCS11_FUNCTION) || defined(CLOUDP11_PKCS11F_LOCAL)
#error "pkcs11f.h left a helper macro defined"
#endif

#include <type_traits>
static_assert(sizeof(struct spec_list) == sizeof(CK_FUNCTION_LIST_3_0), "list size");
static_assert(std::is_same<decltype(&my_C_EncryptMessageNext), CK_C_EncryptMessageNext>::value, "ours");
static_assert(std::is_same<decltype(&spec_C_EncryptMessageNext), CK_C_EncryptMessageNext>::value, "spec");
static_assert(std::is_same<decltype(&spec_C_OpenSession), CK_C_OpenSession>::value, "spec");
static_assert(std::is_same<decltype(spec_list::C_WaitForSlotEvent), CK_C_WaitForSlotEvent>::value, "member");
int main() { return 0; }
`
	flags := append([]string{"-std=c++11", "-I" + includeDir(t)}, strictCXX...)
	prog := program{cxx: true, flags: flags, source: src}
	diag, err := prog.compile(t, t.TempDir(), false)
	assert.NoErrorf(t, err, "%s\n--- source ---\n%s", diag, numbered(src))
	assert.Empty(t, diag, "warnings")
}

// TestCallersFromCPlusPlusLinkToC checks the extern "C" guards where they matter: a C++
// application calling through the prototypes links against a module written in C, and the
// function list it gets back works.
func TestCallersFromCPlusPlusLinkToC(t *testing.T) {
	dir := t.TempDir()
	inc := "-I" + includeDir(t)
	module := ourHeader + `
static CK_FUNCTION_LIST list;
CK_RV C_GetInfo(CK_INFO_PTR info) {
	info->cryptokiVersion.major = CRYPTOKI_VERSION_MAJOR;
	info->cryptokiVersion.minor = CRYPTOKI_VERSION_MINOR;
	return CKR_OK;
}
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out) {
	list.version.major = 2;
	list.version.minor = 40;
	list.C_GetInfo = C_GetInfo;
	*out = &list;
	return CKR_OK;
}
`
	app := ourHeader + `
#include <cstdio>
int main() {
	CK_FUNCTION_LIST_PTR list = 0;
	CK_INFO info;
	if (C_GetFunctionList(&list) != CKR_OK || list->C_GetInfo(&info) != CKR_OK) return 1;
	std::printf("%d.%d\n", info.cryptokiVersion.major, info.cryptokiVersion.minor);
	return 0;
}
`
	moduleSrc, appSrc := filepath.Join(dir, "module.c"), filepath.Join(dir, "app.cpp")
	require.NoError(t, os.WriteFile(moduleSrc, []byte(module), 0o600))
	require.NoError(t, os.WriteFile(appSrc, []byte(app), 0o600))
	moduleObj, exe := filepath.Join(dir, "module.o"), filepath.Join(dir, "app")

	ctx, cancel := context.WithTimeout(t.Context(), toolTimeout)
	defer cancel()
	cflags := append([]string{"-std=c99", inc}, strictC...)
	out, err := exec.CommandContext(ctx, tool(t, "gcc"), append(cflags, "-c", "-o", moduleObj, moduleSrc)...).CombinedOutput()
	require.NoErrorf(t, err, "compiling the C module:\n%s", out)
	cxxflags := append([]string{"-std=c++11", inc}, strictCXX...)
	out, err = exec.CommandContext(ctx, tool(t, "g++"), append(cxxflags, "-o", exe, appSrc, moduleObj)...).CombinedOutput()
	require.NoErrorf(t, err, "linking the C++ application to the C module (are the extern \"C\" guards there?):\n%s", out)
	out, err = exec.CommandContext(ctx, exe).Output()
	require.NoError(t, err)
	assert.Equal(t, "2.40\n", string(out))
}
