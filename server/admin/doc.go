// Package admin is what the hsmd admin commands do to a state folder: add,
// list and remove HSM users and proxy users, reissue setup passwords, lift
// lockouts, list and revoke permanent secrets. Each change goes through the
// registry's locked update and leaves an audit record (actor "admin"). It
// returns data; cmd/hsmd prints it.
//
// # Concurrency
//
// An Admin is safe for concurrent use, and admin commands may run while
// the service runs: the registry serialises them (see package registry).
//
// # Limits
//
// Those of the registry: names, labels and counts.
package admin
