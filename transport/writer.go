package transport

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// writerBufferSize is how much the writer gathers before a write: frames
// queued together up to this size leave in one conn.Write (one TLS record
// batch, one syscall). Larger frames are written straight through.
const writerBufferSize = 64 << 10

// directWriteMax is the largest frame a caller writes itself (writeDirect):
// one that fits an idle socket's send buffer, so the write does not wait
// for the peer to read.
const directWriteMax = 16 << 10

// outFrame is a frame waiting for the writer. claim, when set, is asked
// just before the frame is written; false means the caller gave up on it
// and it is dropped unsent. last ends the writer once the frame is flushed:
// nothing leaves after a Goodbye.
type outFrame struct {
	data  []byte
	claim func() bool
	last  bool
}

// frameWriter is the goroutine that writes a connection. Callers enqueue
// whole frames; the writer copies every frame queued at that moment into
// its buffer and flushes once the queue is empty, so concurrent calls share
// writes (docs/protocol.md 8.1). A caller with nothing else in flight may
// instead write its frame itself (writeDirect) when the writer is idle:
// handing one frame to the writer goroutine costs a thread wake-up, which at
// one call at a time is most of a call's cost (docs/benchmarks.md).
type frameWriter struct {
	conn    net.Conn
	timeout time.Duration
	queue   chan outFrame
	stop    chan struct{} // closed to end the writer
	done    chan struct{} // closed when the writer has ended
	onError func(error)   // called once, when the first write fails

	// writeMu is held by whoever writes the connection: the writer
	// goroutine for a whole batch, or a caller writing its own frame.
	writeMu sync.Mutex
	ended   bool        // nothing may be written any more; guarded by writeMu
	last    atomic.Bool // a last frame (Goodbye) was queued: no more direct writes

	stopOnce sync.Once
	failOnce sync.Once
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
	if f.last {
		w.last.Store(true)
	}
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

// writeDirect writes f from the calling goroutine when the writer is idle:
// nothing queued, nobody writing, no Goodbye on its way. It returns false
// when the caller must enqueue f instead; true when f was written, dropped
// unclaimed, or its write failed (reported through onError, as the writer
// reports its own failures).
func (w *frameWriter) writeDirect(f outFrame) bool {
	if f.last || len(w.queue) > 0 || w.last.Load() || !w.writeMu.TryLock() {
		return false
	}
	defer w.writeMu.Unlock()
	select {
	case <-w.stop:
		return false // the writer drains and ends; enqueue says what became of f
	default:
	}
	if w.ended || w.last.Load() {
		return false
	}
	if f.claim != nil && !f.claim() {
		return true
	}
	w.setDeadline()
	if _, err := w.conn.Write(f.data); err != nil {
		w.ended = true
		w.fail(err)
	}
	return true
}

func (w *frameWriter) run() {
	defer close(w.done)
	defer w.end()
	bw := bufio.NewWriterSize(w.conn, writerBufferSize)
	for {
		var f outFrame
		select {
		case f = <-w.queue:
		case <-w.stop:
			// Drain what was queued before the stop (a Goodbye, the last
			// responses), then end.
			select {
			case f = <-w.queue:
			default:
				return
			}
		}
		if !w.writeBatch(bw, f) {
			return
		}
	}
}

// writeBatch writes f and every frame queued behind it, then flushes, all
// under writeMu. False means the writer must end (a write failed, or f or a
// frame after it was the last); ended is then set before writeMu is
// released, so no direct write can follow a Goodbye.
func (w *frameWriter) writeBatch(bw *bufio.Writer, f outFrame) (goOn bool) {
	w.writeMu.Lock()
	defer func() {
		if !goOn {
			w.ended = true
		}
		w.writeMu.Unlock()
	}()
	if w.ended || !w.write(bw, f) {
		return false
	}
batch:
	for !f.last {
		select {
		case f = <-w.queue:
			if !w.write(bw, f) {
				return false
			}
		default:
			break batch
		}
	}
	return w.flush(bw) && !f.last
}

// end marks the writer ended, so that callers stop writing directly.
func (w *frameWriter) end() {
	w.writeMu.Lock()
	w.ended = true
	w.writeMu.Unlock()
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

// fail records the first write error and reports it once: after a direct
// write fails, the writer may still fail on the frames queued behind it.
func (w *frameWriter) fail(err error) {
	w.failOnce.Do(func() {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		if w.onError != nil {
			w.onError(err)
		}
	})
}
