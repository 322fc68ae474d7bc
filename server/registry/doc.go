// Package registry is the user registry of hsmd: the HSM users (partitions)
// with their setup passwords and permanent secrets, and the proxy (service)
// users with their argon2id password hashes. It keeps hashes only, never a
// secret, and holds no policy: checking credentials and counting failures is
// the job of package auth.
//
// # Storage
//
// The registry is one JSON file, users.json, in the state folder. Every
// change rewrites it whole: a temporary file in the same folder, fsync,
// rename over the old file, fsync of the folder, so a crash leaves either
// the old or the new registry and never a torn one.
//
// # Concurrency
//
// Store.Update serialises read-modify-write cycles: an in-process mutex
// first, then an exclusive flock(2) on registry.lock, so admin commands,
// the service and its workers, all separate processes, never lose one
// another's changes. Store.Load takes no lock: the rename makes every
// version it can open complete. A Store is safe for concurrent use.
//
// # Limits
//
// Decode refuses files over MaxFileSize bytes, more than MaxUsers users of
// each kind, more than MaxSecretsPerUser secrets per HSM user, and argon2
// parameters beyond MaxArgon2Memory KiB, MaxArgon2Time passes or
// MaxArgon2Threads lanes, so a damaged or hostile file cannot exhaust
// memory or time. Names are limited to 64 bytes and token labels to the 32
// bytes of a PKCS#11 label.
package registry
