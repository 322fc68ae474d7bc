package transport

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"time"
)

// Protocol versions this implementation speaks.
const (
	MinVersion uint16 = 1
	MaxVersion uint16 = 1
)

// DefaultHandshakeTimeout bounds a whole handshake on the server.
const DefaultHandshakeTimeout = 10 * time.Second

// NewInstanceID returns a random application-instance id, made once per
// C_Initialize and sent on every connection of the instance.
func NewInstanceID() ([16]byte, error) {
	var id [16]byte
	_, err := rand.Read(id[:])
	return id, err
}

// negotiateFrame is the frame limit both ends use after Hello: the smaller
// of the two wishes (0 means the default), kept within the protocol's range.
func negotiateFrame(client, server uint32) uint32 {
	if client == 0 {
		client = DefaultMaxFrame
	}
	if server == 0 {
		server = DefaultMaxFrame
	}
	return min(max(min(client, server), MinMaxFrame), MaxMaxFrame)
}

// withDeadline makes conn's reads and writes fail when ctx ends, and
// returns the function that lifts that again. Handshakes run on the bare
// connection, so this is how their deadline and cancellation reach the I/O.
func withDeadline(ctx context.Context, conn net.Conn) func() {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	// A passed deadline already fails the I/O through SetDeadline; the
	// AfterFunc is for cancellation, and leaves a deadline alone so the
	// server can still say Goodbye after a timeout.
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			_ = conn.SetDeadline(time.Unix(1, 0))
		}
	})
	return func() {
		stop()
		_ = conn.SetDeadline(time.Time{})
	}
}

// writeMessage writes one frame holding m straight to conn.
func writeMessage(conn net.Conn, t MsgType, flags Flags, id uint64, m Message, maxBody uint32) error {
	frame, err := AppendFrame(nil, t, flags, id, m, maxBody)
	if err != nil {
		return err
	}
	_, err = conn.Write(frame)
	return err
}
