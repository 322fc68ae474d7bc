// Libcloudp11 is the PKCS#11 module, built with "make lib" (go build
// -buildmode=c-shared) into build/libcloudp11.so. It is the cgo boundary
// between the application's C calls and package core, and nothing more: no
// PKCS#11 logic lives here.
//
// # Layout
//
// The C half: functionlist.c holds CK_FUNCTION_LIST (v2.40) and
// CK_FUNCTION_LIST_3_0 and hands them out (C_GetFunctionList,
// C_GetInterfaceList, C_GetInterface); general.c, slots.c, sessions.c,
// objects.c, crypt.c, digest.c, sign.c, dual.c, keys.c and random.c hold
// one trampoline per C_* function, by chapter of the base specification;
// unsupported.c the functions this module does not implement; fork.c the
// fork detection. p11.h declares what the two halves share.
//
// The Go half: one export goXxx per C_Xxx, in the file of its chapter
// (general.go, slots.go, sessions.go, objects.go, crypt.go, digest.go,
// sign.go, dual.go, keys.go, random.go, unsupported.go). Each defers
// recoverPanic, checks its pointers and lengths, converts, calls one
// method of core.Library and maps the error with rvFor, the only place an
// error becomes a CK_RV (through ck.RVOf). The conversions are shared:
// input.go (byte strings), template.go (CK_ATTRIBUTE arrays to wire
// templates), mechanism.go (CK_MECHANISM and its parameter structures),
// output.go (the size-query convention, once for every output),
// getattr.go (C_GetAttributeValue's rules), info.go (the information
// structures, blank padded).
//
// The functions that run under an active operation (v2.40 5.8-5.13 but
// the C_xxxInit ones) share operation.go's operationCall: when this
// module refuses a call's arguments before core sees them (a NULL output
// length pointer, NULL data with a length, an input longer than a frame),
// it has core.Library.AbortOperation end the operation, in the server's
// worker too, as the specification ends it on any error of such a call
// but CKR_BUFFER_TOO_SMALL. Argument errors of the inits end nothing, and
// neither does an invalid session handle.
//
// Only the C_* functions are exported from the .so (libcloudp11.map); it
// is linked with -z nodelete so that dlclose never unmaps a running Go
// runtime.
//
// # C_Initialize
//
// pReserved must be NULL and the mutex functions all set or all NULL
// (CKR_ARGUMENTS_BAD otherwise); CKF_LIBRARY_CANT_CREATE_OS_THREADS is
// CKR_NEED_TO_CREATE_THREADS, because the Go runtime runs threads of its
// own. Every combination of CKF_OS_LOCKING_OK and mutex functions is
// accepted and the application's mutex functions are never called: the
// module's locks are Go's, built on atomics and futexes rather than on the
// threading library, and work whatever threads the application uses. The
// state (a *core.Library) is created by C_Initialize and dropped by
// C_Finalize; nothing is set up when the library is loaded except the fork
// handler below.
//
// # Fork
//
// The Go runtime does not survive fork(): the child has none of the
// runtime's threads, and a call into Go there can hang for ever. So every
// trampoline first asks whether it runs in a process forked after the
// module was loaded (a pthread_atfork child handler registered by a C
// constructor, and the pid recorded at load) and, if so, answers without
// entering Go: CKR_CRYPTOKI_NOT_INITIALIZED for every function, and
// CKR_GENERAL_ERROR for C_Initialize, the code for "the module cannot work
// in this process" (CKR_CRYPTOKI_NOT_INITIALIZED would invite the caller
// to do what it just did), with one line on standard error saying why.
// C_GetFunctionList, C_GetInterfaceList and C_GetInterface are plain C and
// work in the child. The child never reaches Go, so it can neither use nor
// close the parent's connections and sessions. A forking server (nginx,
// Apache prefork, PHP-FPM) must therefore load the module in the worker
// processes, after they are forked; making a forked child able to
// initialise its own copy is future work. No interface claims
// CKF_INTERFACE_FORK_SAFE.
//
// # Concurrency
//
// Every function may be called from any number of threads at once. The
// state (state.go) is an atomic pointer to the core.Library: calls load it
// without a lock. C_Initialize and C_Finalize are serialised by one mutex,
// so two concurrent C_Initialize calls are taken in turn (the second
// answers CKR_CRYPTOKI_ALREADY_INITIALIZED). C_Finalize does not wait for
// the calls in flight: core cancels them (they fail) and answers any later
// call on the old library with CKR_CRYPTOKI_NOT_INITIALIZED, so an
// application shutting down never hangs on a dead network. Lock order: that
// mutex, then core's. No C pointer is kept past the call that passed it;
// inputs are copied into Go memory, outputs written with copy before the
// call returns.
//
// # Limits
//
//   - A byte string passed in (data, a PIN, an attribute value, a
//     mechanism parameter field), and the values of one template together,
//     may be at most 16 MiB (transport.MaxMaxFrame), the largest frame of
//     the wire protocol: longer data is the function's _LEN_RANGE code
//     (CKR_DATA_LEN_RANGE...), a longer template CKR_ARGUMENTS_BAD.
//     C_GenerateRandom gives at most 16 MiB per call.
//   - A template holds at most 1024 attributes (ck.MaxTemplateLen), nested
//     templates one level deep; a C_GetAttributeValue at most 65536 (core
//     asks 1024 per round trip).
//   - Only the mechanism parameters of ck.ParamKind cross the wire; any
//     other parameter is CKR_MECHANISM_PARAM_INVALID here. CK_GCM_PARAMS is
//     accepted in the v2.40 header's layout (with ulIvBits) and in the
//     v2.40 document's (without, as NSS passes it), told apart by
//     ulParameterLen.
//   - The functions listed in README.md ("PKCS#11 functions not supported")
//     answer CKR_FUNCTION_NOT_SUPPORTED (C_GetFunctionStatus and
//     C_CancelFunction CKR_FUNCTION_NOT_PARALLEL).
//   - Linux only, and tested on LP64 (x86-64) only; Windows, with its
//     packed structures, is not built.
package main
