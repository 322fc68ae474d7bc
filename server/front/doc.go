// Package front is the serving process of hsmd ("hsmd serve"): the TLS
// listener, the protocol handshake of every connection, and the routing of
// authenticated connections to the worker process of their application
// instance (package worker).
//
// # Process model
//
// The front never loads the backend PKCS#11 module. Per connection it runs
// the handshake (docs/protocol.md 4) with an Authenticator backed by
// server/auth: Hello, ProxyLogin, then one of
//
//   - UserLogin in mode pkcs11: the connection goes to the worker of its
//     application instance, the key being Hello's instance_id, which is bound
//     to the HSM user that first used it (another user presenting the same id
//     is refused with not_allowed). The first connection of an instance
//     spawns its worker (hsmd re-executed as "hsmd worker"); later ones,
//     and reconnections within the lease, reach the same live worker, which
//     says whether the instance's sessions are still there (resumed). The
//     worker is handed one end of a socketpair and the negotiated max_frame;
//     the front copies bytes between the TLS connection and its end.
//   - UserLogin in mode audit_log: the front serves AuditLog itself from
//     the partition's audit log (server/audit), with paging cursors.
//   - FetchSecret: server/auth checks the setup password and asks a worker
//     of the HSM user (a live one, else a short-lived one) to check the
//     PKCS#11 PIN on the token, then issues the permanent secret.
//
// The front reads the frame headers of what a worker sends (not the bodies,
// and nothing the client sends: the worker enforces the protocol), so that
// it can end a connection at a frame boundary with a Goodbye of its own:
// worker_lost when the worker went away without saying goodbye (a crash of
// the backend kills one worker; its clients get CKR_DEVICE_ERROR and other
// instances carry on), shutdown when the service stops.
//
// The worker owns the lease: when its last connection ends it keeps its
// sessions for Config.Lease, then exits. The front only notices the exit
// (clean or not), forgets the instance, and spawns a fresh worker for its
// next connection.
//
// # Concurrency
//
// A Server is safe for concurrent use. Each connection runs in its own
// goroutines (the handshake, then two copy loops or a transport.ServerConn).
// Locks: Server.mu guards the instance table and the set of live
// connections; it is never held while waiting on a worker or the network.
// An instance's spawn runs once (other connections of the same instance wait
// for it, each within its own handshake deadline).
//
// # Limits
//
//   - Config.MaxConnections connections at once; beyond it a client is told
//     busy (error 6) after TLS and Hello, a few at a time, and any further
//     ones are closed unanswered.
//   - Config.MaxWorkers application instances at once (live workers,
//     including those waiting out their lease): a UserLogin that would need
//     one more is refused with busy.
//   - TLS and the whole protocol handshake must finish within
//     Config.HandshakeTimeout (Goodbye handshake_timeout otherwise).
//   - AuditLog serves at most audit.MaxRecords records of a log (the newest,
//     as audit.Read does), in pages that fit the negotiated frame size.
//
// Nothing here logs a password, PIN or secret: the handshake messages
// redact them (transport.Secret) and only names, ids and outcomes are
// logged.
package front
