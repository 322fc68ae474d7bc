// Package core is the client side of cloudp11 that has nothing to do with C:
// what libcloudp11.so and ppin share. For now it holds the member
// connection: how one cluster member of primus.cfg is dialled, how its
// certificate is checked, and how a connection authenticates. ppin -t uses
// exactly this code, so a green "ppin -t" means the library can connect the
// same way.
//
// # Connecting to a member
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
// token take real time on a busy server).
//
// Credentials come from .secrets.cfg (Credentials, ProxyPassword): the proxy
// password of the slot's proxy_user (else primus.cfg's discouraged
// proxy_password) and the HSM user's permanent secret, which
// ppin stores as standard base64 (EncodeSecret, DecodeSecret).
//
// # Certificate pins
//
// tls_pin_sha256 adds to the certificate check, it does not replace it: the
// chain must verify against tls_ca (or the system roots) and name the
// server, and then the SHA-256 of the leaf certificate's
// SubjectPublicKeyInfo must be one of the pins. The pin check runs in
// tls.Config.VerifyConnection, which crypto/tls calls on every handshake,
// resumed ones included (VerifyPeerCertificate is skipped on resumption).
//
// # Instance ids
//
// hsmd routes all connections of one application instance to one worker
// process and binds an instance id to one HSM user. An application that
// uses several partitions therefore sends one id per partition:
// PartitionInstanceID derives it from the instance's random id and the user
// name, so it is stable for the life of the instance and different per
// partition.
//
// # Errors
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
// A Member and a Dialer are read-only after construction and may be used
// by many goroutines at once; each Connect opens its own connection.
//
// # Limits
//
// A tls_ca file larger than 1 MiB is refused. Only TLS 1.3 is spoken
// (package transport).
package core
