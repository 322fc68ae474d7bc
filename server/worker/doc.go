// Package worker is hsmd's worker: the process that serves the PKCS#11
// messages of one application instance (docs/protocol.md 5.3-5.9) from the
// partition's token on the backend module, loaded with github.com/miekg/pkcs11.
//
// hsmd's front process authenticates a connection, then hands it to the
// worker of its application instance (HSM user + Hello's instance_id),
// which it starts by re-executing hsmd as the hidden "hsmd worker"
// subcommand. The parent side of this package is Spawn and Process; the
// child side is Run. They talk over a SOCK_SEQPACKET control socket
// (control.go describes its messages): the worker's parameters come over it,
// never through argv or the environment, and so do the client connections
// (one end of a socketpair per connection, SCM_RIGHTS) and PIN checks for
// FetchSecret.
//
// Server is the dispatch table itself, usable in process: it converts wire
// types (transport/ck) to miekg's and back, tracks the handles it gave out,
// and keeps the per-session state the protocol needs.
//
// # Isolation
//
// A worker serves one partition: the token of its HSM user, found by label
// when the worker starts. It accepts only session handles it opened and
// object handles it returned (from C_FindObjects, C_CreateObject,
// C_CopyObject, key generation, C_UnwrapKey, C_DeriveKey); any other handle
// is refused before the backend sees it, with CKR_SESSION_HANDLE_INVALID,
// CKR_OBJECT_HANDLE_INVALID or, where the specification says so,
// CKR_KEY_HANDLE_INVALID. C_InitToken is not served
// (CKR_FUNCTION_NOT_SUPPORTED): the operator initialises partitions. Login
// state is the backend's: one worker process is one PKCS#11 application, so
// C_Login and C_Logout have the specification's per-application meaning.
//
// # Size queries
//
// miekg's Sign, Encrypt and friends make the two-call dance themselves and
// return the whole output. A request with length_only runs the real call,
// answers the length, and keeps the output in the session (outputCache);
// the next call of the same function with the same input answers that
// output without running the operation again, so an ECDSA or PSS signature
// announced by a length query is the signature returned. Until it is
// collected the operation counts as active (a new Init answers
// CKR_OPERATION_ACTIVE); a call of the same operation with another input or
// another function ends it with CKR_ARGUMENTS_BAD.
//
// # Operation lifetime
//
// The worker enforces the operation lifetime rule of PKCS#11 v2.40
// §5.8-§5.13 for backends that do not: a single-part call (C_Encrypt,
// C_Decrypt, C_Digest, C_Sign, C_SignRecover, C_Verify, C_VerifyRecover)
// ends its operation whatever it answers, except CKR_BUFFER_TOO_SMALL and
// a successful length query, and an error of an update or a final ends it
// too. SoftHSMv2 2.6 keeps the operation after some errors (every
// dual-function update, which it does not serve; the final of ECDSA or raw
// RSA signatures and verifications; RSA encryption's and decryption's
// update and final), and the application's next C_xxxInit would answer
// CKR_OPERATION_ACTIVE; core counts on the server having ended it.
//
// The worker knows which operations it started on each session
// (lifetime.go). After an error of a call under one (a fused message's
// second stage and the worker's own refusals included) it ends the
// operation on the backend, in process, without a round trip: the kind's
// final with its output discarded (C_VerifyFinal with an empty signature),
// then, unless that succeeded, the single-part call on empty input, which
// ends what SoftHSM keeps after refusing the final. These calls go to the
// module's function list directly (raw_end_cgo.go); their answers are
// logged at debug level and the caller gets the failed call's CK_RV. An
// error that proves no operation exists costs nothing: the session is gone
// (CKR_SESSION_HANDLE_INVALID...), or the worker never started an
// operation of the kind (CKR_OPERATION_NOT_INITIALIZED for one it never
// began). On a backend that ended the operation itself, the ending calls
// answer CKR_OPERATION_NOT_INITIALIZED and change nothing. After
// C_SetOperationState every kind counts as started, the state being opaque.
//
// # Attributes
//
// C_GetAttributeValue answers a whole template in one round trip. The
// worker asks the backend for the whole template first; when that call
// fails, it asks attribute by attribute to give each its exact status
// (CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID). Nested templates
// (CKA_WRAP_TEMPLATE...) are read with a direct call to the module
// (raw_cgo.go), which miekg cannot make.
//
// # Retries
//
// A Server keeps the answers to object-creating requests by request id for
// the lease (at least a minute, at most 4096 of them), so a request resent
// with the retry flag after its connection failed is answered from memory
// and a retried key generation never makes two keys (docs/protocol.md 8.3);
// Capabilities lists retry_memory for the front's Hello.
//
// # Concurrency
//
// A Server is safe for concurrent use: requests of many connections run at
// once. Lock order: the Server's life (shared by every call, exclusive in
// Close, so the module is never finalized under a call), then a session's
// mu, then the Server's mu (tables). A session's mu is held for the whole
// of a call on that session, so calls on one session run one at a time, as
// PKCS#11 requires of applications anyway; C_CloseAllSessions takes every
// session's mu in handle order.
//
// # Limits
//
// At most Params.MaxSessions sessions (CKR_SESSION_COUNT beyond). FindObjects
// returns at most as many handles as fit the frame; GenerateRandom at most
// the frame limit less 64 bytes. The worker runs only on Unix (SCM_RIGHTS,
// socketpair); parameter structures are built for the System V ABI.
package worker
