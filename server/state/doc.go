// Package state makes and describes the state folder of hsmd:
//
//	STATE/            0700
//	  ca.pem          the CA certificate clients trust (primus.cfg tls_ca)
//	  ca.key          0600, the CA's ECDSA P-256 key
//	  server.pem      the server certificate, signed by the CA
//	  server.key      0600, its ECDSA P-256 key
//	  users.json      0600, the user registry (package registry)
//	  registry.lock   0600, the flock that serialises registry changes
//	  audit/          0700, one audit log per partition (package audit)
//
// # Concurrency
//
// Init holds the registry lock while it checks for an existing state and
// writes the new one, so two concurrent inits, or an init and an admin
// command, do not interleave. Every file is written atomically.
//
// # Limits
//
// At most MaxNames names per server certificate. The CA is valid for ten
// years and the server certificate for two; renew both with init --force
// (which also empties the registry: clients must fetch new secrets).
package state
