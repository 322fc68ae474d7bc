package transport

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// writerBufferSize is how much the writer gathers before a write: frames
// queued together up to this size leave in one conn.Write (one TLS record
// batch, one syscall). Larger frames are written straight through.
const writerBufferSize = 64 << 10

// outFrame is a frame waiting for the writer. claim, when set, is asked
// just before the frame is written; false means the caller gave up on it
// and it is dropped unsent. last ends the writer once the frame is flushed:
// nothing leaves after a Goodbye.
type outFrame struct {
	data  []byte
	claim func() bool
	last  bool
}

// frameWriter is the one goroutine that writes a connection. Callers
// enqueue whole frames; the writer copies every frame queued at that moment
// into its buffer and flushes once the queue is empty, so concurrent calls
// share writes (docs/protocol.md 8.1).
type frameWriter struct {
	conn    net.Conn
	timeout time.Duration
	queue   chan outFrame
	stop    chan struct{} // closed to end the writer
	done    chan struct{} // closed when the writer has ended
	onError func(error)   // called once, from the writer, when a write fails

	stopOnce sync.Once
	mu       sync.Mutex
	err      error // the write error, if any; guarded by mu
}

func newFrameWriter(conn net.Conn, queueLen int, timeout time.Duration, onError func(error)) *frameWriter {
	w := &frameWriter{
		conn:    conn,
		timeout: timeout,
		queue:   make(chan outFrame, queueLen),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		onError: onError,
	}
	go w.run()
	return w
}

// enqueue hands a frame to the writer. It returns false when the writer has
// ended (the frame will never be written).
func (w *frameWriter) enqueue(f outFrame) bool {
	select {
	case w.queue <- f:
		return true
	case <-w.done:
		return false
	}
}

// shutdown tells the writer to end after writing what is already queued,
// without waiting (it may be called from the writer itself).
func (w *frameWriter) shutdown() { w.stopOnce.Do(func() { close(w.stop) }) }

// close is shutdown, then waits for the writer to end.
func (w *frameWriter) close() {
	w.shutdown()
	<-w.done
}

func (w *frameWriter) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *frameWriter) run() {
	defer close(w.done)
	bw := bufio.NewWriterSize(w.conn, writerBufferSize)
	for {
		var f outFrame
		select {
		case f = <-w.queue:
		case <-w.stop:
			// Drain what was queued before the stop (a Goodbye, the last
			// responses), then end.
			for {
				select {
				case f = <-w.queue:
					if !w.write(bw, f) || f.last {
						w.flush(bw)
						return
					}
				default:
					w.flush(bw)
					return
				}
			}
		}
		if !w.write(bw, f) {
			return
		}
	batch:
		for !f.last {
			select {
			case f = <-w.queue:
				if !w.write(bw, f) {
					return
				}
			default:
				break batch
			}
		}
		if !w.flush(bw) || f.last {
			return
		}
	}
}

func (w *frameWriter) write(bw *bufio.Writer, f outFrame) bool {
	if f.claim != nil && !f.claim() {
		return true
	}
	if bw.Available() < len(f.data) {
		w.setDeadline() // this write reaches the connection
	}
	if _, err := bw.Write(f.data); err != nil {
		w.fail(err)
		return false
	}
	return true
}

func (w *frameWriter) flush(bw *bufio.Writer) bool {
	if bw.Buffered() == 0 {
		return true
	}
	w.setDeadline()
	if err := bw.Flush(); err != nil {
		w.fail(err)
		return false
	}
	return true
}

// setDeadline bounds each write, so a peer that stops reading fails the
// connection instead of blocking the writer forever.
func (w *frameWriter) setDeadline() {
	if w.timeout > 0 {
		_ = w.conn.SetWriteDeadline(time.Now().Add(w.timeout))
	}
}

func (w *frameWriter) fail(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	if w.onError != nil {
		w.onError(err)
	}
}
