// Package auth is the authentication service of hsmd: the checks the
// network handshake calls (the proxy user's password, the HSM user's
// permanent secret) and the exchange of a setup password and a PKCS#11 PIN
// for a new permanent secret. It also makes the credentials the admin
// commands hand out: setup passwords and argon2id proxy password hashes.
//
// # Credentials
//
// A setup password is 25 characters of [A-Z0-9] in five dash-separated
// groups (about 129 bits from crypto/rand), so a plain SHA-256 hash is
// enough to store it; input is upper-cased and trimmed before hashing. It is
// valid for Policy.SetupValidity from its first correct use, and may be
// used by several clients in that window. A permanent secret is 32 bytes
// from crypto/rand, stored as its SHA-256 hash under a random 16-hex-digit
// id. Proxy passwords are chosen by people, so they are stored as argon2id
// hashes with their salt and parameters. PINs are passed to a callback
// (the service checks them on the backend token) and never stored.
//
// # Failures and lockout
//
// Every wrong proxy password, setup password, permanent secret or PIN adds
// one to the failure count of that user (the proxy user for the first, the
// HSM user for the others). At Policy.MaxFailures the user is locked out
// for Policy.LockoutDuration and the count starts again; a success resets
// it. The count and the lockout live in the registry, so a restart resets
// nothing. Two cases are not counted: a revoked secret (it proves its
// holder was once entitled, it is not a guess, and counting it would let a
// decommissioned client lock out the others) and a correct but expired
// setup password.
//
// # What a peer learns
//
// Before the proxy login succeeds the peer is unauthenticated: an unknown
// proxy user and a wrong password both give ErrBadProxyPassword, after the
// same work (an argon2id hash with the configured parameters, a registry
// rewrite, an audit line), so neither the answer nor its timing tells
// which names exist. A lockout (LockedOutError) is reported, because the
// legitimate user needs to know when to retry; the price is that after
// MaxFailures wrong tries an attacker learns that the name exists, at which
// point the lockout stops the guessing.
//
// After the proxy login the peer is a service account of the operator, and
// the errors are distinct so that ppin can say what is wrong:
// ErrUnknownUser, ErrBadSecret, ErrSecretRevoked, ErrBadSetupPassword,
// ErrSetupExpired, ErrBadPIN, LockedOutError. Unknown HSM users still cost
// the same work, so the service may fold ErrUnknownUser into ErrBadSecret
// if it prefers to reveal less. Every comparison of a hash is constant-time
// (crypto/subtle) and runs over every stored secret of the user.
//
// # Audit
//
// Logins, failures, lockouts, first uses of setup passwords and secret
// issuance go to the audit log. When the audit log cannot be written, a
// successful authentication is refused with ErrAuditUnavailable (no access
// without a record), and the write error of a failed one is handed to
// Options.OnAuditError.
//
// # Concurrency
//
// An Authority is safe for concurrent use, and several processes may use
// the same state folder: every change goes through registry.Store.Update.
// At most Options.MaxConcurrentHashes argon2id computations run at once;
// others wait, bounded by their context.
//
// # Limits
//
// Passwords, PINs and secrets longer than MaxCredentialLen bytes are
// refused as wrong without being hashed.
package auth
