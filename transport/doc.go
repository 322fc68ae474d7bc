// Package transport is the cloudp11 wire protocol: frames, the encoding of
// every PKCS#11 argument, the handshake, and the multiplexers on both ends.
// docs/protocol.md is its specification, written first and kept beside the
// code; package ck holds the PKCS#11 types it carries.
//
// # Pieces
//
//   - Frames (frame.go): a 16-byte header (length, type, flags, request id)
//     and a body. ReadFrame checks a header before allocating its body.
//   - Messages (messages_*.go): one request type per PKCS#11 function that
//     crosses the wire, shared response shapes that start with the CK_RV, the
//     fused messages (SignOnce, EncryptOnce, DecryptOnce, DigestOnce,
//     VerifyOnce, FindObjectsOnce) and the control messages. Each message
//     lists its fields once (codec), for encoding and decoding alike.
//   - Handshake (handshake_*.go): Connect and FetchSecret on the client,
//     ServerHandshake with an Authenticator on the server.
//   - Multiplexers: Client (client.go) and ServerConn with a Dispatcher
//     (server.go), both writing through one batching writer (writer.go).
//   - TLS (tls.go): Dial, Listen and the config helpers force TLS 1.3.
//   - Errors (errors.go): *Error for transport failures, *RemoteError for
//     refusals, each mapped to a CK_RV by one table; ck.RVOf applies it.
//
// # Concurrency
//
// A Client is safe for concurrent use: any number of goroutines call at
// once; calls are matched to answers by request id; a read error fails every
// waiting call at once; Close fails pending calls and waits for the client's
// goroutines. Each call carries a context: its deadline fails that call only
// (the connection stays up) and the error says whether the request had been
// written. One writer goroutine per connection writes every frame queued at
// a moment in one Write.
//
// A ServerConn runs each request's handler in its own goroutine, at most
// MaxInFlight at once; when all are busy it stops reading (back-pressure)
// rather than refuse. Handlers must be safe for concurrent use; requests of
// one connection run in no particular order. A Dispatcher is read-only once
// serving starts and may be shared.
//
// Messages are plain values: a decoded message aliases the frame it came
// from and belongs to whoever decoded it.
//
// # Limits
//
// Frames: 64 KiB until the handshake has negotiated a limit, then the
// smaller wish of the two ends (default 1 MiB, 64 KiB to 16 MiB). A request
// over the limit fails at the client (CKR_DEVICE_MEMORY); an answer over it
// is replaced by a CK_RV-only answer. Templates hold at most 1024 attributes
// and nest one level; strings and secrets have per-field limits
// (docs/protocol.md 7). Decoders compare every length and count with what
// is left before allocating, and never panic. Memory held by one server
// connection is bounded by MaxInFlight × the frame limit.
//
// The handshake has a timeout (10 s by default) and accepts nothing else
// before it completes. Nothing in this package logs; secrets (Secret) print
// as "<redacted>" and never appear in errors.
package transport
