// Package audit keeps the audit log of each partition of hsmd: one file of
// JSON lines per HSM user, audit/<user>.log in the state folder, written
// with zerolog. Events that belong to no partition (proxy logins, logins
// naming an unknown HSM user) go to audit/_service.log; the leading
// underscore cannot start a user name, so the two never collide.
//
// The API takes typed events whose fields are names, ids and outcomes. It
// has no field for a password, PIN, secret or key value, so none can reach
// a log line; free-text fields that a peer controls (client id, unknown
// user names) are cut to MaxFieldLen bytes and JSON-escaped.
//
// # Concurrency
//
// A Log is safe for concurrent use. Several processes (the service, its
// workers, admin commands) append to the same files: each event is one
// write(2) of one line on a file opened with O_APPEND, which Linux applies
// atomically, so lines never interleave.
//
// # Limits
//
// A Log keeps at most maxOpenFiles files open and closes them all when it
// needs more. Read returns at most MaxRecords records (the newest ones when
// more match) and skips lines over MaxLineLen bytes or without a valid
// time, counting them in Result.Skipped. Files are never rotated or
// truncated by hsmd: an operator's logrotate with copytruncate works.
package audit
