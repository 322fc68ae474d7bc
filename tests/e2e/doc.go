// Package e2e holds the end-to-end suites of cloudp11: real applications
// and libraries driving a PKCS#11 module, every result checked with Go's
// own crypto, never with the module under test.
//
// Every suite takes a testenv.Module and runs once per fixture:
//
//   - softhsm: SoftHSMv2 loaded directly, the reference;
//   - cloudp11: libcloudp11.so (built once per test binary, as make lib
//     does) talking to hsmd on loopback TLS, whose worker serves a fresh
//     SoftHSM token; primus.cfg and .secrets.cfg are made by the real
//     ppin -p and ppin -a.
//
// CLOUDP11_E2E_MODULES (a comma-separated list of those names) narrows the
// run, e.g. to softhsm while the library is being worked on.
//
// The suites: miekg_*_test.go drive github.com/miekg/pkcs11 (key
// generation, signatures, encryption, wrapping, derivation, digests,
// random, objects and attributes); badcalls_test.go and
// concurrency_test.go the calls an application gets wrong and 64
// goroutines at once; crypto11_test.go github.com/ThalesGroup/crypto11's
// API; pkcs11tool_test.go OpenSC's pkcs11-tool; openssl_test.go OpenSSL's
// pkcs11 engine; peersuite_test.go crypto11 v1.6.2's own tests.
//
// # Concurrency
//
// A PKCS#11 module's state belongs to the process, so the tests of one
// fixture never run in parallel with each other; the goroutines of
// concurrency_test.go share one initialised module as an application's
// threads do. Child processes (pkcs11-tool, openssl, go test) get the
// module's environment explicitly.
//
// # Limits
//
// The modules read their variables with getenv(3) at C_Initialize, so each
// test sets them in this process (testenv.Module.SetenvInProcess);
// environment_test.go checks that an application's setenv before loading
// reaches libcloudp11.so. github.com/miekg/pkcs11 answers short buffers
// and NULL pointers itself; those are covered by the C test program of
// package p11, and rawp11 reads C_GetAttributeValue's per-attribute
// answers that miekg hides.
package e2e
