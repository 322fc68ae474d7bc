// Package config reads primus.cfg, the configuration of the cloudp11
// PKCS#11 library and of ppin, and keeps .secrets.cfg, where ppin stores the
// permanent secrets of HSM users and the passwords of proxy users.
//
// Both files are in libconfig syntax (package config/libconfig) and follow
// the vendor's Primus layout, so existing files work unchanged;
// docs/configuration.md describes every setting.
//
// # Loading primus.cfg
//
// Locate finds the file ($CLOUDP11_CONF, $SECUROSYS_PKCS11_CONF, then
// /etc/primus/primus.cfg and /usr/local/primus/etc/primus.cfg); Load parses,
// decodes and validates it into a Config, filling in defaults. Every error
// is an *Error naming file, line, column and setting path. Unknown settings
// are kept in Config.Tree and reported in Config.Warnings with a "did you
// mean" hint. LogicalSlots merges the slots that are one partition served by
// several cluster members.
//
// # Secrets
//
// LocateSecrets finds .secrets.cfg; LoadSecrets reads it (a missing file is
// an empty store); UpdateSecrets changes it under a lock with an atomic
// replace. Secrets, HSMUserSecret, ProxyPassword and Slot print and marshal
// with their secrets redacted, and no error message of this package quotes a
// secret or password.
//
// # Concurrency
//
// Load and LoadSecrets share no state and may run at once. A Config or
// Secrets is a plain value: read it from many goroutines, but do not change
// it while others read. UpdateSecrets is safe between goroutines and
// between processes on one host: each call takes an exclusive flock on
// "<path>.lock", which it leaves in place. Readers need no lock because the
// file is replaced by rename, so they see the old or the new file whole.
//
// # Limits
//
// Files larger than 1 MiB are refused. The secrets file may not use
// @include. The lock is advisory and local: two hosts writing one file over
// NFS are not serialised. UpdateSecrets waits at most 30 seconds for the
// lock. Times in the secrets file keep whole seconds only.
package config
