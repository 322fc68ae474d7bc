package front

import (
	"bufio"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/transport"
)

// spliceBufferSize is the read and write buffer of the worker-to-client
// copy: frames that arrive together leave in one TLS write. One TLS
// record's worth: larger buffers would not make fewer records, and they
// cost memory per connection (two of them).
const spliceBufferSize = 16 << 10

// splice copies bytes between a client and its worker until either side
// ends. Client to worker is a plain copy: the worker reads and enforces the
// protocol. Worker to client goes frame by frame, headers read, bodies
// streamed, so that when the worker ends the connection at a frame
// boundary without a Goodbye of its own (it crashed, or the service is
// stopping it), the front can send one: worker_lost or shutdown.
func (s *Server) splice(client, workerEnd net.Conn, maxFrame uint32, log zerolog.Logger) {
	defer workerEnd.Close()
	var clientGone atomic.Bool
	up := make(chan struct{})
	go func() {
		defer close(up)
		_, err := io.Copy(workerEnd, client)
		clientGone.Store(true)
		if err != nil && !errors.Is(err, net.ErrClosed) {
			log.Debug().Err(err).Msg("client read ended")
		}
		// Answers still coming have no one to go to: closing the worker's
		// end ends the copy below, and the worker's side of the
		// connection, even when the worker is stuck.
		_ = workerEnd.Close()
	}()

	end := s.copyFrames(client, workerEnd, maxFrame)
	switch {
	case clientGone.Load() || end.clientFailed:
		log.Info().Msg("connection ended by the client")
	case end.err != nil:
		log.Warn().Err(end.err).Msg("connection to the worker failed")
	case end.goodbye:
		log.Info().Msg("connection ended by the worker")
	case end.atBoundary:
		reason, detail := transport.GoodbyeWorkerLost, "the backend process of this application instance ended"
		if s.isClosing() {
			reason, detail = transport.GoodbyeShutdown, "the server is shutting down"
		}
		sayGoodbye(client, reason, detail)
		log.Info().Str("goodbye", reason.String()).Msg("connection ended: worker gone")
	default:
		log.Warn().Msg("connection ended: the worker went away inside a frame")
	}
	_ = client.Close()
	<-up
}

// spliceEnd says how the worker-to-client copy ended.
type spliceEnd struct {
	atBoundary   bool  // the worker's stream ended between frames
	goodbye      bool  // the last frame was the worker's own Goodbye
	clientFailed bool  // a write to the client failed
	err          error // the worker broke the frame format
}

// copyFrames copies frames from the worker to the client until the
// worker's stream ends or a write to the client fails.
func (s *Server) copyFrames(client, workerEnd net.Conn, maxFrame uint32) spliceEnd {
	in := bufio.NewReaderSize(workerEnd, spliceBufferSize)
	out := bufio.NewWriterSize(client, spliceBufferSize)
	var end spliceEnd
	for {
		var h transport.Header
		n, err := io.ReadFull(in, h[:])
		if err != nil {
			end.atBoundary = n == 0
			_ = flush(client, out)
			return end
		}
		if err := h.Validate(maxFrame); err != nil {
			end.err = err
			return end
		}
		end.goodbye = h.Type() == transport.MsgGoodbye && !h.IsResponse()
		if _, err := out.Write(h[:]); err != nil {
			return spliceEnd{clientFailed: true}
		}
		if _, err := io.CopyN(out, in, int64(h.Length())); err != nil {
			if flush(client, out) != nil {
				return spliceEnd{clientFailed: true}
			}
			return end // inside a frame: no Goodbye can follow
		}
		// Batch what has already arrived; write when the worker pauses.
		if in.Buffered() == 0 {
			if err := flush(client, out); err != nil {
				return spliceEnd{clientFailed: true}
			}
		}
	}
}

// flush writes out to client within writeTimeout.
func flush(client net.Conn, out *bufio.Writer) error {
	if out.Buffered() == 0 {
		return nil
	}
	_ = client.SetWriteDeadline(time.Now().Add(writeTimeout))
	return out.Flush()
}

// sayGoodbye writes a Goodbye the front decided on.
func sayGoodbye(client net.Conn, reason transport.GoodbyeReason, detail string) {
	frame, err := transport.AppendFrame(nil, transport.MsgGoodbye, 0, 0, &transport.Goodbye{Reason: reason, Detail: detail}, transport.HandshakeMaxFrame)
	if err != nil {
		return
	}
	_ = client.SetWriteDeadline(time.Now().Add(goodbyeTimeout))
	_, _ = client.Write(frame)
}
