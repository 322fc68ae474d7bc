// Package bench compares the throughput of three ways to reach one SoftHSM
// token from an application: SoftHSM loaded directly, p11-kit's remote
// client (p11-kit-client.so talking to "p11-kit server"), and
// libcloudp11.so talking to hsmd, whose worker loads SoftHSM. "make bench"
// runs BenchmarkModules, which measures every case and writes the table
// into docs/benchmarks.md between the markers of Splice.
//
// The cases are ECDSA P-256 sign, RSA-2048 PKCS#1 v1.5 sign, AES-256-GCM
// encrypt of 1 KiB, C_GenerateRandom of 32 bytes, and C_OpenSession with
// C_CloseSession, each with 1, 8 and 64 goroutines, every goroutine on a
// session of its own. The three modules are loaded into the one test
// process through github.com/miekg/pkcs11, so each pays the same cgo cost
// and makes the same C calls (miekg/pkcs11 asks for the output length
// before every C_Sign and C_Encrypt, as many applications do).
//
// # Method
//
// A case runs its goroutines without pause; after a warm-up the ops
// completed within a fixed window of wall-clock time are counted. The
// window, not the op count, is fixed so that a slow module cannot stretch
// the run. Every case is measured in several rounds, the modules in a
// rotated order each round, so that a burst of load from elsewhere on a
// shared machine falls on all three rather than on one; the table gives
// the median of the rounds and their spread. Before any timing, each
// module's answer to each operation is checked with Go's crypto against
// keys the harness generated and imported (the modules never judge
// themselves), so a module cannot look fast by answering wrongly.
//
// Nothing in "make test" runs a measurement or asserts a speed: the
// package's tests check the report and its parsers only.
//
// # Concurrency
//
// The report, parsing and splicing functions are pure and safe for
// concurrent use. A measurement owns its sessions; the three modules are
// measured one after the other, never at once.
//
// # Limits
//
// The client, hsmd and SoftHSM share the machine's cores, so the remote
// paths pay for their server's CPU out of the same budget as the client:
// on a two-core machine the ratios say more about CPU cost per operation
// than about what a network HSM would do with cores of its own. Loading
// libcloudp11.so, a Go c-shared library, into a Go test binary puts two Go
// runtimes in one process; that works on linux/amd64, and the runtimes
// do not share a scheduler, so GOMAXPROCS of the test binary does not
// bound the module's threads.
package bench
