/*
 * abi.c: the C side of p11's tests (abi_test.go compiles and runs it). It loads libcloudp11.so
 * with dlopen as an application does and checks what only a C caller can: the function lists,
 * NULL arguments, calls before C_Initialize, CK_C_INITIALIZE_ARGS, C_Initialize from several
 * threads at once, C_Finalize then C_Initialize in a loop, fork(), and dlclose then dlopen.
 *
 * Usage: abi LIBRARY. primus.cfg comes from CLOUDP11_CONF, with connect_on_init = false so that
 * no server is needed: nothing here opens a session on a token. Prints "ok NAME" or
 * "FAIL NAME: ..." per check and exits 1 if any failed.
 *
 * abi LIBRARY operations USER_PIN runs the checks of abi_operations.c instead, which need an
 * hsmd behind primus.cfg's first slot (abi_operations_test.go starts one).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi.h"

int failures;
CK_FUNCTION_LIST_PTR p11;
static const char *library_path;
static void *library;
static CK_FUNCTION_LIST_3_0_PTR p11v3;

/* ---- Calling every function with zero arguments ----------------------------------------------
 * Every parameter of every PKCS#11 function is an integer or a pointer (CK_BBOOL included), which
 * the x86-64 and AArch64 calling conventions pass the same way, in integer registers, and a
 * callee ignores registers it has no parameter for. So each entry of the function list can be
 * called as a function of nine CK_ULONGs, all zero: NULL for pointers, 0 for handles and lengths.
 * (The cast goes through void (*)(void), which tells the compiler the conversion is meant.)
 */
typedef CK_RV (*zero_call)(CK_ULONG, CK_ULONG, CK_ULONG, CK_ULONG, CK_ULONG, CK_ULONG, CK_ULONG,
	CK_ULONG, CK_ULONG);

struct entry {
	const char *name;
	zero_call fn;
};

static int entries(struct entry *out)
{
	int n = 0;
#define CK_PKCS11_FUNCTION(fn_name, args) \
	out[n].name = #fn_name;               \
	out[n].fn = (zero_call)(void (*)(void))p11v3->fn_name; \
	n++;
#include "pkcs11f.h"
#undef CK_PKCS11_FUNCTION
	return n;
}

static CK_RV call_with_zeros(zero_call fn) { return fn(0, 0, 0, 0, 0, 0, 0, 0, 0); }

/* The three functions that work without C_Initialize, in a forked child too. */
static int works_uninitialized(const char *name)
{
	return strcmp(name, "C_GetFunctionList") == 0 || strcmp(name, "C_GetInterfaceList") == 0 ||
		strcmp(name, "C_GetInterface") == 0;
}

/* Before C_Initialize (and in a forked child): every function but those three answers
 * CKR_CRYPTOKI_NOT_INITIALIZED. C_Initialize itself is left out: zeros would initialise. */
static void check_all_not_initialized(const char *when, CK_RV want)
{
	struct entry list[128];
	int i, n = entries(list), bad = 0;
	char name[160];

	for (i = 0; i < n; i++) {
		CK_RV rv;
		if (strcmp(list[i].name, "C_Initialize") == 0 || works_uninitialized(list[i].name))
			continue;
		rv = call_with_zeros(list[i].fn);
		if (rv != want) {
			printf("FAIL %s: %s answered 0x%lx, want 0x%lx\n", when, list[i].name, (unsigned long)rv,
				(unsigned long)want);
			bad++;
		}
	}
	snprintf(name, sizeof name, "%s: %d functions", when, n - 4);
	CHECK(name, bad == 0, "%d functions answered otherwise", bad);
}

/* After C_Initialize: zeros must never crash or panic (CKR_GENERAL_ERROR), and the functions
 * with a required output pointer answer CKR_ARGUMENTS_BAD before anything else. */
static const char *const needs_pointer[] = {
	"C_GetInfo", "C_GetSlotList", "C_GetSlotInfo", "C_GetTokenInfo", "C_GetMechanismList",
	"C_GetMechanismInfo", "C_OpenSession", "C_GetSessionInfo", "C_GetOperationState",
	"C_SetOperationState", "C_CreateObject", "C_CopyObject", "C_GetObjectSize", "C_FindObjects",
	"C_EncryptInit", "C_Encrypt", "C_EncryptUpdate", "C_EncryptFinal", "C_DecryptInit", "C_Decrypt",
	"C_DecryptUpdate", "C_DecryptFinal", "C_DigestInit", "C_Digest", "C_DigestFinal", "C_SignInit",
	"C_Sign", "C_SignFinal", "C_SignRecoverInit", "C_SignRecover", "C_VerifyInit",
	"C_VerifyRecoverInit", "C_VerifyRecover", "C_DigestEncryptUpdate", "C_DecryptDigestUpdate",
	"C_SignEncryptUpdate", "C_DecryptVerifyUpdate", "C_GenerateKey", "C_GenerateKeyPair",
	"C_WrapKey", "C_UnwrapKey", "C_DeriveKey", NULL,
};

static int in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

static void check_all_zero_arguments(void)
{
	struct entry list[128];
	int i, n = entries(list), bad = 0;

	for (i = 0; i < n; i++) {
		CK_RV rv;
		if (strcmp(list[i].name, "C_Initialize") == 0 || strcmp(list[i].name, "C_Finalize") == 0 ||
			works_uninitialized(list[i].name))
			continue;
		rv = call_with_zeros(list[i].fn);
		if (rv == CKR_GENERAL_ERROR || rv == CKR_CRYPTOKI_NOT_INITIALIZED ||
			(in_list(needs_pointer, list[i].name) && rv != CKR_ARGUMENTS_BAD)) {
			printf("FAIL zero arguments: %s answered 0x%lx\n", list[i].name, (unsigned long)rv);
			bad++;
		}
	}
	CHECK("zero arguments: NULL pointers are CKR_ARGUMENTS_BAD, nothing crashes", bad == 0,
		"%d functions answered wrongly", bad);
}

/* ---- The checks ------------------------------------------------------------------------------ */

void load(const char *path)
{
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	CK_RV (*get_interface)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS);
	CK_INTERFACE_PTR iface = NULL_PTR;

	library_path = path;
	library = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
	if (library == NULL) {
		printf("FAIL dlopen: %s\n", dlerror());
		exit(1);
	}
	*(void **)&get_list = dlsym(library, "C_GetFunctionList");
	*(void **)&get_interface = dlsym(library, "C_GetInterface");
	if (get_list == NULL || get_interface == NULL) {
		printf("FAIL dlsym: %s\n", dlerror());
		exit(1);
	}
	CHECK_RV("C_GetFunctionList(NULL)", get_list(NULL_PTR), CKR_ARGUMENTS_BAD);
	CHECK_RV("C_GetFunctionList", get_list(&p11), CKR_OK);
	CHECK("function list version 2.40", p11->version.major == 2 && p11->version.minor == 40,
		"version %d.%d", p11->version.major, p11->version.minor);
	CHECK_RV("C_GetInterface default", get_interface(NULL_PTR, NULL_PTR, &iface, 0), CKR_OK);
	p11v3 = (CK_FUNCTION_LIST_3_0_PTR)iface->pFunctionList;
	CHECK("default interface is PKCS 11 3.0",
		strcmp((char *)iface->pInterfaceName, "PKCS 11") == 0 && p11v3->version.major == 3 &&
			p11v3->version.minor == 0,
		"%s %d.%d", iface->pInterfaceName, p11v3->version.major, p11v3->version.minor);
}

static void check_interfaces(void)
{
	CK_INTERFACE list[4];
	CK_ULONG count = 0;
	CK_INTERFACE_PTR iface = NULL_PTR;
	CK_VERSION v240 = {2, 40}, v31 = {3, 1};

	CHECK_RV("C_GetInterfaceList(NULL, NULL)", p11v3->C_GetInterfaceList(NULL_PTR, NULL_PTR),
		CKR_ARGUMENTS_BAD);
	CHECK_RV("C_GetInterfaceList size query", p11v3->C_GetInterfaceList(NULL_PTR, &count), CKR_OK);
	CHECK("two interfaces", count == 2, "count %lu", (unsigned long)count);
	count = 1;
	CHECK_RV("C_GetInterfaceList too small", p11v3->C_GetInterfaceList(list, &count),
		CKR_BUFFER_TOO_SMALL);
	CHECK("C_GetInterfaceList too small gives the count", count == 2, "count %lu",
		(unsigned long)count);
	count = 4;
	CHECK_RV("C_GetInterfaceList", p11v3->C_GetInterfaceList(list, &count), CKR_OK);
	CHECK("C_GetInterfaceList lists 3.0 and 2.40",
		count == 2 && list[0].pFunctionList == (CK_VOID_PTR)p11v3 &&
			list[1].pFunctionList == (CK_VOID_PTR)p11,
		"count %lu", (unsigned long)count);
	CHECK_RV("C_GetInterface 2.40", p11v3->C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v240, &iface, 0),
		CKR_OK);
	CHECK("C_GetInterface 2.40 is C_GetFunctionList's", iface->pFunctionList == (CK_VOID_PTR)p11,
		"another list");
	CHECK_RV("C_GetInterface of an unknown name",
		p11v3->C_GetInterface((CK_UTF8CHAR_PTR) "Vendor", NULL_PTR, &iface, 0), CKR_ARGUMENTS_BAD);
	CHECK_RV("C_GetInterface of an unknown version",
		p11v3->C_GetInterface(NULL_PTR, &v31, &iface, 0), CKR_ARGUMENTS_BAD);
	CHECK_RV("C_GetInterface fork-safe (not claimed)",
		p11v3->C_GetInterface(NULL_PTR, NULL_PTR, &iface, CKF_INTERFACE_FORK_SAFE), CKR_ARGUMENTS_BAD);
	CHECK_RV("C_GetInterface(ppInterface NULL)", p11v3->C_GetInterface(NULL_PTR, NULL_PTR, NULL_PTR, 0),
		CKR_ARGUMENTS_BAD);
	CHECK("the 3.0 list begins with the 2.40 one",
		memcmp((char *)p11v3 + sizeof(CK_VERSION), (char *)p11 + sizeof(CK_VERSION),
			sizeof(CK_FUNCTION_LIST) - sizeof(CK_VERSION)) == 0,
		"the shared entries differ");
}

static CK_RV fake_create(CK_VOID_PTR_PTR m) { (void)m; return CKR_OK; }
static CK_RV fake_mutex(CK_VOID_PTR m) { (void)m; return CKR_OK; }

static void check_initialize_arguments(void)
{
	CK_C_INITIALIZE_ARGS args;
	CK_INFO info;
	int reserved = 0;

	memset(&args, 0, sizeof args);
	args.pReserved = &reserved;
	CHECK_RV("C_Initialize with pReserved set", p11->C_Initialize(&args), CKR_ARGUMENTS_BAD);

	memset(&args, 0, sizeof args);
	args.CreateMutex = fake_create;
	args.LockMutex = fake_mutex;
	CHECK_RV("C_Initialize with 2 of 4 mutex functions", p11->C_Initialize(&args), CKR_ARGUMENTS_BAD);

	memset(&args, 0, sizeof args);
	args.flags = CKF_LIBRARY_CANT_CREATE_OS_THREADS;
	CHECK_RV("C_Initialize with CKF_LIBRARY_CANT_CREATE_OS_THREADS", p11->C_Initialize(&args),
		CKR_NEED_TO_CREATE_THREADS);
	CHECK_RV("refused C_Initialize leaves the module uninitialised", p11->C_GetInfo(&info),
		CKR_CRYPTOKI_NOT_INITIALIZED);

	/* The four combinations of 5.4 are all accepted. */
	memset(&args, 0, sizeof args);
	args.flags = CKF_OS_LOCKING_OK;
	CHECK_RV("C_Initialize with CKF_OS_LOCKING_OK", p11->C_Initialize(&args), CKR_OK);
	CHECK_RV("C_Initialize twice", p11->C_Initialize(NULL_PTR), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	CHECK_RV("C_Finalize", p11->C_Finalize(NULL_PTR), CKR_OK);
	args.CreateMutex = fake_create;
	args.DestroyMutex = fake_mutex;
	args.LockMutex = fake_mutex;
	args.UnlockMutex = fake_mutex;
	CHECK_RV("C_Initialize with mutex functions and CKF_OS_LOCKING_OK", p11->C_Initialize(&args), CKR_OK);
	CHECK_RV("C_Finalize", p11->C_Finalize(NULL_PTR), CKR_OK);
	args.flags = 0;
	CHECK_RV("C_Initialize with mutex functions only", p11->C_Initialize(&args), CKR_OK);
	CHECK_RV("C_Finalize", p11->C_Finalize(NULL_PTR), CKR_OK);
}

static void check_initialized(void)
{
	CK_INFO info;
	CK_SLOT_ID slots[8];
	CK_ULONG count = 0;
	CK_SLOT_INFO slot_info;
	int reserved = 0;
	size_t i;
	int padded = 1;

	CHECK_RV("C_Initialize(NULL)", p11->C_Initialize(NULL_PTR), CKR_OK);
	CHECK_RV("C_GetInfo", p11->C_GetInfo(&info), CKR_OK);
	for (i = 0; i < sizeof info.manufacturerID; i++)
		padded = padded && info.manufacturerID[i] != 0 && info.libraryDescription[i] != 0;
	CHECK("CK_INFO text fields blank padded, no NUL", padded, "a NUL in the text fields");
	CHECK_RV("C_GetSlotList size query", p11->C_GetSlotList(CK_FALSE, NULL_PTR, &count), CKR_OK);
	CHECK("one slot configured", count == 1, "count %lu", (unsigned long)count);
	count = 0;
	CHECK_RV("C_GetSlotList too small", p11->C_GetSlotList(CK_FALSE, slots, &count),
		CKR_BUFFER_TOO_SMALL);
	CHECK("C_GetSlotList too small gives the count", count == 1, "count %lu", (unsigned long)count);
	count = 8;
	CHECK_RV("C_GetSlotList", p11->C_GetSlotList(CK_FALSE, slots, &count), CKR_OK);
	CHECK("slot id 7 from primus.cfg", count == 1 && slots[0] == 7, "count %lu, first %lu",
		(unsigned long)count, (unsigned long)slots[0]);
	CHECK_RV("C_GetSlotInfo", p11->C_GetSlotInfo(7, &slot_info), CKR_OK);
	CHECK_RV("C_GetSlotInfo of an unknown slot", p11->C_GetSlotInfo(99, &slot_info),
		CKR_SLOT_ID_INVALID);

	check_all_zero_arguments();

	CHECK_RV("C_InitToken", p11->C_InitToken(7, (CK_UTF8CHAR_PTR) "1234", 4, (CK_UTF8CHAR_PTR) "label"),
		CKR_FUNCTION_NOT_SUPPORTED);
	CHECK_RV("C_GetFunctionStatus", p11->C_GetFunctionStatus(1), CKR_FUNCTION_NOT_PARALLEL);
	CHECK_RV("C_CancelFunction", p11->C_CancelFunction(1), CKR_FUNCTION_NOT_PARALLEL);
	CHECK_RV("C_WaitForSlotEvent", p11->C_WaitForSlotEvent(CKF_DONT_BLOCK, slots, NULL_PTR),
		CKR_FUNCTION_NOT_SUPPORTED);
	CHECK_RV("C_MessageEncryptInit", p11v3->C_MessageEncryptInit(1, NULL_PTR, 0),
		CKR_FUNCTION_NOT_SUPPORTED);

	CHECK_RV("C_Finalize with pReserved set", p11->C_Finalize(&reserved), CKR_ARGUMENTS_BAD);
	CHECK_RV("C_Finalize", p11->C_Finalize(NULL_PTR), CKR_OK);
	CHECK_RV("C_Finalize twice", p11->C_Finalize(NULL_PTR), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void check_initialize_loop(void)
{
	int i, bad = 0;

	for (i = 0; i < 25; i++) {
		CK_SLOT_ID slot;
		CK_ULONG count = 1;
		if (p11->C_Initialize(NULL_PTR) != CKR_OK || p11->C_GetSlotList(CK_TRUE, &slot, &count) == CKR_GENERAL_ERROR ||
			p11->C_Finalize(NULL_PTR) != CKR_OK)
			bad++;
	}
	CHECK("C_Initialize, C_GetSlotList, C_Finalize 25 times", bad == 0, "%d rounds failed", bad);
}

#define THREADS 16
static pthread_barrier_t start_together;

static void *initialize_thread(void *arg)
{
	pthread_barrier_wait(&start_together);
	*(CK_RV *)arg = p11->C_Initialize(NULL_PTR);
	return NULL;
}

static void check_concurrent_initialize(void)
{
	pthread_t threads[THREADS];
	CK_RV rvs[THREADS];
	int i, ok = 0, already = 0;

	/* A deadlock would hang here for ever: SIGALRM ends the program, and the test with it. */
	alarm(20);
	pthread_barrier_init(&start_together, NULL, THREADS);
	for (i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, initialize_thread, &rvs[i]);
	for (i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		ok += rvs[i] == CKR_OK;
		already += rvs[i] == CKR_CRYPTOKI_ALREADY_INITIALIZED;
	}
	pthread_barrier_destroy(&start_together);
	alarm(0);
	CHECK("C_Initialize from 16 threads at once: one succeeds, the others are told",
		ok == 1 && already == THREADS - 1, "%d CKR_OK, %d already initialised", ok, already);
	CHECK_RV("C_Finalize", p11->C_Finalize(NULL_PTR), CKR_OK);
}

/* C_Finalize and C_Initialize while other threads are calling: every call answers CKR_OK or
 * CKR_CRYPTOKI_NOT_INITIALIZED, nothing crashes or hangs. */
static int stop_callers;

static void *caller_thread(void *arg)
{
	long *wrong = arg;

	while (!__atomic_load_n(&stop_callers, __ATOMIC_SEQ_CST)) {
		CK_SLOT_ID slot;
		CK_ULONG count = 1;
		CK_INFO info;
		CK_RV rv = p11->C_GetSlotList(CK_FALSE, &slot, &count);
		*wrong += rv != CKR_OK && rv != CKR_CRYPTOKI_NOT_INITIALIZED;
		rv = p11->C_GetInfo(&info);
		*wrong += rv != CKR_OK && rv != CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	return NULL;
}

static void check_finalize_during_calls(void)
{
	pthread_t threads[8];
	long wrong[8] = {0};
	int i, cycles = 0, bad_cycles = 0;

	alarm(60);
	__atomic_store_n(&stop_callers, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < 8; i++)
		pthread_create(&threads[i], NULL, caller_thread, &wrong[i]);
	for (cycles = 0; cycles < 30; cycles++) {
		bad_cycles += p11->C_Initialize(NULL_PTR) != CKR_OK;
		bad_cycles += p11->C_Finalize(NULL_PTR) != CKR_OK;
	}
	__atomic_store_n(&stop_callers, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 8; i++) {
		pthread_join(threads[i], NULL);
		bad_cycles += wrong[i] != 0;
	}
	alarm(0);
	CHECK("C_Initialize and C_Finalize 30 times while 8 threads call", bad_cycles == 0,
		"%d wrong answers", bad_cycles);
}

/* The child must answer at once without entering Go; alarm(1) kills it if anything hangs, and
 * the parent sees the signal. Exit status: the number of wrong answers. */
static int child_checks(void)
{
	CK_SLOT_ID slot;
	CK_ULONG count = 1;
	CK_SESSION_HANDLE session;
	CK_FUNCTION_LIST_PTR list = NULL_PTR;
	CK_INTERFACE_PTR iface = NULL_PTR;
	int bad = 0;

	alarm(1);
	bad += p11->C_GetSlotList(CK_FALSE, &slot, &count) != CKR_CRYPTOKI_NOT_INITIALIZED;
	bad += p11->C_OpenSession(7, CKF_SERIAL_SESSION, NULL_PTR, NULL_PTR, &session) !=
		CKR_CRYPTOKI_NOT_INITIALIZED;
	bad += p11->C_Initialize(NULL_PTR) != CKR_GENERAL_ERROR;
	bad += p11->C_Finalize(NULL_PTR) != CKR_CRYPTOKI_NOT_INITIALIZED;
	bad += p11->C_GetFunctionList(&list) != CKR_OK || list != p11;
	bad += p11v3->C_GetInterface(NULL_PTR, NULL_PTR, &iface, 0) != CKR_OK;
	check_all_not_initialized("forked child", CKR_CRYPTOKI_NOT_INITIALIZED);
	return bad + failures;
}

static void check_fork(int initialized)
{
	CK_SLOT_ID slot;
	CK_ULONG count = 1;
	pid_t pid;
	int status = 0;
	char name[96];
	const char *when = initialized ? "after C_Initialize" : "before C_Initialize";

	if (initialized) {
		CHECK_RV("C_Initialize before fork", p11->C_Initialize(NULL_PTR), CKR_OK);
		CHECK_RV("C_GetSlotList before fork", p11->C_GetSlotList(CK_FALSE, &slot, &count), CKR_OK);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int bad = child_checks();
		fflush(stdout);
		_exit(bad);
	}
	waitpid(pid, &status, 0);
	snprintf(name, sizeof name, "fork %s: the child is answered at once, without Go", when);
	CHECK(name, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		WIFSIGNALED(status) ? "child killed by signal %d (SIGALRM = a hang)" : "child exit status %d",
		WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	if (initialized) {
		count = 1;
		CHECK_RV("the parent's C_GetSlotList after the child exited",
			p11->C_GetSlotList(CK_FALSE, &slot, &count), CKR_OK);
		CHECK_RV("the parent's C_Finalize", p11->C_Finalize(NULL_PTR), CKR_OK);
	}
}

/* The application may set the variables after loading the library and before C_Initialize: the
 * module must read them then (the Go runtime's own copy of the environment dates from dlopen). */
static void check_environment_set_late(void)
{
	const char *missing = getenv("ABI_MISSING_CONF");
	const char *conf = getenv("CLOUDP11_CONF");
	int before = failures;
	char *saved;

	if (missing == NULL || conf == NULL) {
		CHECK("environment set after dlopen", 0, "ABI_MISSING_CONF and CLOUDP11_CONF must be set");
		return;
	}
	saved = strdup(conf);
	setenv("CLOUDP11_CONF", missing, 1);
	CHECK_RV("C_Initialize with CLOUDP11_CONF set after dlopen to a missing file",
		p11->C_Initialize(NULL_PTR), CKR_GENERAL_ERROR);
	setenv("CLOUDP11_CONF", saved, 1);
	CHECK_RV("C_Initialize with CLOUDP11_CONF set back", p11->C_Initialize(NULL_PTR), CKR_OK);
	CHECK_RV("C_Finalize", p11->C_Finalize(NULL_PTR), CKR_OK);
	free(saved);
	CHECK("environment set after dlopen is read at C_Initialize", failures == before, "see above");
}

static void check_dlclose(void)
{
	void *again;

	CHECK("dlclose", dlclose(library) == 0, "%s", dlerror());
	again = dlopen(library_path, RTLD_NOW | RTLD_NOLOAD);
	CHECK("still loaded after dlclose (-z nodelete)", again != NULL, "unloaded");
	if (again != NULL)
		dlclose(again);
	load(library_path);
	CHECK_RV("C_Initialize after dlclose and dlopen", p11->C_Initialize(NULL_PTR), CKR_OK);
	CHECK_RV("C_Finalize", p11->C_Finalize(NULL_PTR), CKR_OK);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[2], "operations") == 0) {
		load(argv[1]);
		check_operations(argv[3]);
		printf("%d failures\n", failures);
		return failures != 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s LIBRARY [operations USER_PIN]\n", argv[0]);
		return 2;
	}
	load(argv[1]);
	check_interfaces();
	check_all_not_initialized("before C_Initialize", CKR_CRYPTOKI_NOT_INITIALIZED);
	check_initialize_arguments();
	check_initialized();
	check_all_not_initialized("after C_Finalize", CKR_CRYPTOKI_NOT_INITIALIZED);
	check_environment_set_late();
	check_initialize_loop();
	check_concurrent_initialize();
	check_finalize_during_calls();
	check_fork(0);
	check_fork(1);
	check_dlclose();
	printf("%d failures\n", failures);
	return failures != 0;
}
