// Package core is the client side of cloudp11 that has nothing to do with
// C: the PKCS#11 library itself (Library, whose methods are the C_*
// functions libcloudp11.so exports through package p11) and the member
// connection that the library and ppin share.
//
// # The library
//
// Initialize is C_Initialize: it reads primus.cfg (found through
// $CLOUDP11_CONF, $SECUROSYS_PKCS11_CONF or the default paths; the only
// time it is read) and .secrets.cfg, sets up logging, and with
// connect_on_init connects every slot. Each logical slot of primus.cfg
// (config.LogicalSlots) is a slot with the configured id; its token is the
// partition of the slot's user_name, served by the slot's cluster members.
//
// Every method answers as its section of PKCS#11 v2.40 says, and every
// error is (or wraps) a *ck.Error or an error carrying its CK_RV, so the
// boundary maps errors with ck.RVOf alone. Functions the module does not
// offer (C_InitToken, C_WaitForSlotEvent, the 3.0 message functions) are
// answered by package p11.
//
// # Cluster members, failover and reconnection
//
// A slot is bound to one member at a time: its sessions live in one
// worker of that member (hsmd runs one worker per application instance
// and partition), and object handles are that worker's, so sessions
// cannot be spread over members. When the slot needs a member it asks
// the members in priority pools (the lowest priority number first): a
// random member of the best pool first, then round-robin within the pool
// from the member after the last one used; when no member of a pool
// answers, the next pool; when every pool is exhausted the call answers
// CKR_TOKEN_NOT_PRESENT (or the refusal's CK_RV when a member refused our
// credentials: CKR_TOKEN_NOT_RECOGNIZED, CKR_PIN_LOCKED). Each member is
// tried up to wait_max_tries times, wait_delay apart, before the next one.
//
// A bound member gets `connections` connections, opened one at first use
// and the rest in the background; calls are spread over them
// round-robin. A connection lost with a call in flight fails that call
// with CKR_DEVICE_ERROR, logged with the member and the cause (a request
// the connection never sent goes out once more on another). The next
// call reconnects to the same member (same instance id, up to
// wait_max_tries tries): when its worker kept our sessions (it does for
// its lease) everything carries on; when the member answers from a new
// worker, or does not answer at all, the binding ends: its sessions answer
// CKR_SESSION_HANDLE_INVALID and its object handles
// CKR_OBJECT_HANDLE_INVALID from then on, never reaching another session
// or object, and the next call that needs the slot binds anew, in the
// order above. Sessions cannot move to another member mid-session: an
// application sees CKR_SESSION_HANDLE_INVALID and opens new sessions,
// which go to the next member. Sessions a worker kept from an earlier
// binding (the slot failed over and came back within the lease) are
// closed when the slot binds to that member again.
//
// Each slot has its own instance id, so it is its own application on the
// server: its own worker, sessions and login state, even when two slot ids
// name one partition.
//
// # Handles
//
// Session and object handles count up from 1 for the life of the process
// (across C_Finalize and C_Initialize) and are never reused. One object of
// one worker has one library handle, however often it is found. Session
// objects the library saw created die with their session; objects of a
// gone binding die with it. Whether a private object may be used after
// C_Logout is the server's decision.
//
// # Operations
//
// A session holds one operation per kind; a second init answers
// CKR_OPERATION_ACTIVE, a call without init CKR_OPERATION_NOT_INITIALIZED,
// and any error of a single-part call, update or final ends the operation
// (whatever the backend does). Output follows Output's convention: a size
// query computes the whole output in one round trip and keeps it for the
// call that collects it, so that call costs nothing and returns the same
// bytes (an ECDSA signature is not computed twice).
//
// A call that fails before the server sees it (the boundary refused its
// arguments and called AbortOperation; core refused to hand a size
// query's output to another call) ends its operation in the server's
// worker too, with the final or single-part call of its kind whose answer
// is discarded (abort.go): PKCS#11 v2.40 has no cancel, and an operation
// left in the worker would make the next C_xxxInit answer
// CKR_OPERATION_ACTIVE.
//
// Fused messages (docs/protocol.md 5.2): when core can make every check
// the backend's init would make (fuse_checks.go lists them: the
// mechanism's flags and key size range from the token; the key's class,
// type, usage flag, CKA_ALLOWED_MECHANISMS, size and curve, its privacy
// and CKA_ALWAYS_AUTHENTICATE, read once per key; a parameter every token
// takes; a live connection; see canDefer), C_SignInit, C_VerifyInit,
// C_EncryptInit, C_DecryptInit and C_DigestInit send nothing and the
// single-part call sends init and operation together, so init-and-sign
// costs one round trip. C_FindObjectsInit of a template of common
// attributes sends nothing either; the first C_FindObjects runs init,
// search and final at once and keeps the result when the search is
// complete. Anything core cannot check (an unknown curve, a vendor key
// type or mechanism, a PSS or OAEP parameter) goes to the server as a
// plain init, so errors stay where the specification puts them. A
// C_SetAttributeValue, C_DestroyObject or C_Logout sends the deferred inits
// it would affect first (fuse_hold.go). What remains, and is then reported
// by the single-part call, is listed with canDefer: a key changed or
// destroyed by another application after core read it, and refusals
// PKCS#11 gives a client no way to foresee (the backend's own policy).
//
// # Logging
//
// primus.cfg's log group: a file (write_log_file) and/or syslog
// (write_syslog); trace_level 0..7 is the highest syslog severity written
// (3 errors, 4 warnings, 5 the library's life: C_Initialize, C_Finalize,
// logins; 6 connections and failed calls; 7 every call's return);
// trace_mask 0x01 adds a line with each call's inputs (handles,
// mechanism, never data), 0x02 a line per protocol round trip, both at
// severity 7; trace_inout a line on entry. Lines have the Primus shape,
//
//	2021-04-07 21:30:20.936 - pkcs11-tool[74481:74481] - 5 - C_Initialize() - rv: 0x0 - client_id=CLIENT_ID1
//
// and carry the client_id of their slot (all configured ones for lines
// about no slot). No PIN, password, secret, key or data is ever logged. A
// C_Initialize that fails before the log is set up writes its line to
// standard error and syslog.
//
// # Errors
//
// errors.go holds core's part of the table from failures to CK_RV; the
// transport's part is transport/errors.go (docs/protocol.md 6).
//
// # The member connection
//
// A Member is one HSM's entry for a partition (a config.HSM and one of its
// config.Slot) with its TLS configuration built once by TLSConfig: tls_ca
// (else the system roots), tls_server_name (else the host) and
// tls_pin_sha256. A Dialer holds what every connection of one application
// instance says about itself (instance id, software version, capabilities)
// and opens connections: Connect for PKCS#11 calls or the audit log,
// FetchSecret for ppin -a/-u. connect_timeout bounds the TCP connection and
// the TLS handshake; the logins that follow are a call to the server and are
// bounded by call_timeout (argon2id hashing and a PIN check on the backend
// token take real time on a busy server). ppin -t uses exactly this code,
// so a green "ppin -t" means the library can connect the same way.
//
// Credentials come from .secrets.cfg (Credentials, ProxyPassword): the proxy
// password of the slot's proxy_user (else primus.cfg's discouraged
// proxy_password) and the HSM user's permanent secret, which
// ppin stores as standard base64 (EncodeSecret, DecodeSecret).
//
// tls_pin_sha256 adds to the certificate check, it does not replace it: the
// chain must verify against tls_ca (or the system roots) and name the
// server, and then the SHA-256 of the leaf certificate's
// SubjectPublicKeyInfo must be one of the pins. The pin check runs in
// tls.Config.VerifyConnection, which crypto/tls calls on every handshake,
// resumed ones included (VerifyPeerCertificate is skipped on resumption).
//
// hsmd routes all connections of one application instance to one worker
// process and binds an instance id to one HSM user. PartitionInstanceID
// derives the id a connection sends from the instance's (for the library,
// the slot's) random id and the user name, so it is stable for the life of
// the instance and different per partition.
//
// Connect and FetchSecret return a *MemberError naming the member and the
// step (dial, login) around the transport's error, so errors.As finds a
// *transport.RemoteError (the server refused: wrong proxy password, revoked
// secret...) or a *transport.Error (unreachable, timeout...). A certificate
// whose key matches no pin is a *PinMismatchError in the chain. Missing
// credentials are a *MissingCredentialError. ck.RVOf maps all of them:
// unreachable is CKR_TOKEN_NOT_PRESENT, refused credentials
// CKR_TOKEN_NOT_RECOGNIZED, and so on (docs/protocol.md 3 and 6). No error
// of this package holds a password or a secret.
//
// # Concurrency
//
// Every Library method may be called from any number of threads at once.
// A session's calls run one at a time under the session's lock, held for
// the whole call (network included), so an application that breaks
// PKCS#11's one-call-per-session rule gets PKCS#11 answers, not corrupted
// state. Lock order: a session's mu; an epoch's mechMu (held while the
// token's mechanism information is fetched); a cluster's bind semaphore
// (binding, reconnecting); then the leaf locks (cluster.mu, epoch.mu,
// epoch.loginMu, epoch.attrMu, slot.identMu, the session and object
// tables), which are never held across a call to the server. Handle
// counters are atomic. holdFusing (C_SetAttributeValue, C_DestroyObject,
// C_Logout) takes the application's sessions' mu one at a time, before the
// call takes its own.
// A Member and a Dialer are read-only after construction.
//
// # Limits
//
//   - A single-part C_Encrypt or C_Decrypt carries at most the negotiated
//     frame (1 MiB by default, up to 16 MiB) of data; larger ones answer
//     CKR_DEVICE_MEMORY. C_Sign, C_Verify and C_Digest of more data are
//     sent as updates and a final; updates and C_GenerateRandom are split
//     to fit.
//   - A size query's output waits in the session until collected: at most
//     one per operation kind, as large as the output.
//   - Mechanisms whose parameter the protocol cannot carry are not listed
//     and answer CKR_MECHANISM_INVALID; vendor mechanisms are listed and
//     cross without a parameter.
//   - Object-creating calls are never resent, even to a server with
//     retry_memory: one lost in flight answers CKR_DEVICE_ERROR.
//   - C_SetOperationState restores the server's state; core then lets the
//     server answer for every operation kind.
//   - A tls_ca file larger than 1 MiB is refused. Only TLS 1.3 is spoken
//     (package transport).
package core
