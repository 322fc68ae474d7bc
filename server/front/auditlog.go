package front

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/transport"
)

// Page sizes of AuditLog.
const (
	defaultAuditPage = 1000
	maxAuditPage     = 10000
	// auditPageOverhead is what a response holds besides its entries:
	// the count, the cursor and done, with room to spare.
	auditPageOverhead = 4 + 4 + auditCursorLen + 1 + 64
)

// serveAuditLog serves a connection in mode audit_log: Ping and AuditLog
// on the logged-in user's partition log, until the client leaves or the
// server shuts down.
func (s *Server) serveAuditLog(c *clientConn, conn net.Conn, hs *transport.Handshake, log zerolog.Logger) {
	user, maxFrame := hs.Peer.User, hs.Conn.MaxFrame
	d := transport.NewDispatcher()
	transport.Handle(d, func(ctx context.Context, _ *transport.Inbound, req *transport.AuditLogRequest) (*transport.AuditLogResponse, error) {
		resp, err := s.auditPage(user, req, maxFrame)
		if err != nil {
			log.Warn().Err(err).Msg("audit log request failed")
		}
		return resp, err
	})
	sc := transport.NewServerConn(conn, d, hs.Conn)
	c.serveAuditLogWith(sc)
	// Shutdown ends the connection with Goodbye, not by cancelling.
	if err := sc.Serve(context.Background()); err != nil {
		log.Info().Err(err).Msg("audit log connection ended")
		return
	}
	log.Info().Msg("audit log connection ended")
}

// auditPage answers one AuditLog request: the records of user's log that
// the request selects and earlier pages (its cursor) did not send, as many
// as fit max_entries and the frame.
func (s *Server) auditPage(user string, req *transport.AuditLogRequest, maxFrame uint32) (*transport.AuditLogResponse, error) {
	var (
		pos       auditCursor
		hasCursor = len(req.Cursor) > 0
	)
	if hasCursor {
		var err error
		if pos, err = decodeAuditCursor(req.Cursor); err != nil {
			return nil, &transport.RemoteError{Code: transport.CodeMalformed, Detail: err.Error()}
		}
		if pos.reverse != req.Reverse {
			return nil, &transport.RemoteError{Code: transport.CodeMalformed, Detail: "cursor: it belongs to a listing in the other order"}
		}
	}
	q := audit.Query{Since: req.Since, Reverse: req.Reverse}
	if hasCursor && !req.Reverse && pos.time.After(q.Since) {
		q.Since = pos.time // older records were sent already
	}
	res, err := audit.Read(s.cfg.StateDir, user, q)
	if err != nil {
		return nil, fmt.Errorf("audit log of %q: %w", user, err)
	}
	records := orderRecords(res.Records, req.Reverse)
	if hasCursor {
		records = records[pos.skip(records):]
	}

	limit := int(req.MaxEntries)
	if limit == 0 {
		limit = defaultAuditPage
	}
	limit = min(limit, maxAuditPage)
	budget := int(maxFrame) - auditPageOverhead
	resp := &transport.AuditLogResponse{Entries: []string{}}
	taken, size := 0, 0
	for _, r := range records {
		if len(resp.Entries) == limit {
			break
		}
		entry := strings.ToValidUTF8(string(r.Line), "\uFFFD")
		if 4+len(entry) > budget {
			// Cannot happen with audit.MaxLineLen under the smallest
			// frame, but a page must never be empty and unfinished.
			taken++
			continue
		}
		if size+4+len(entry) > budget {
			break
		}
		size += 4 + len(entry)
		resp.Entries = append(resp.Entries, entry)
		taken++
	}
	if taken == len(records) {
		resp.Done = true
		return resp, nil
	}
	next := pos.advance(records[:taken], req.Reverse)
	resp.Cursor = next.encode()
	return resp, nil
}

// orderRecords sorts records by time, oldest first or newest first, keeping
// the file's order among equal times. audit.Read gives the file's order,
// which processes appending at once can leave slightly out of time order;
// the cursor needs a strict one.
func orderRecords(records []audit.Record, reverse bool) []audit.Record {
	slices.SortStableFunc(records, func(a, b audit.Record) int {
		if reverse {
			return b.Time.Compare(a.Time)
		}
		return a.Time.Compare(b.Time)
	})
	return records
}

// auditCursor is where a listing stopped: after the first count records
// whose time is time (in the listing's order), all records before that
// time (after it, newest first) having been sent.
type auditCursor struct {
	reverse bool
	time    time.Time
	count   uint32
}

const (
	auditCursorVersion = 1
	// version u8, reverse u8, time i64 (Unix nanoseconds), count u32.
	auditCursorLen = 1 + 1 + 8 + 4
)

func (c auditCursor) encode() []byte {
	b := make([]byte, auditCursorLen)
	b[0] = auditCursorVersion
	if c.reverse {
		b[1] = 1
	}
	binary.BigEndian.PutUint64(b[2:10], uint64(c.time.UnixNano()))
	binary.BigEndian.PutUint32(b[10:14], c.count)
	return b
}

// decodeAuditCursor reads a cursor a client sent back; it is client input
// and checked as such.
func decodeAuditCursor(b []byte) (auditCursor, error) {
	var c auditCursor
	switch {
	case len(b) != auditCursorLen:
		return c, fmt.Errorf("cursor: %d bytes, not %d", len(b), auditCursorLen)
	case b[0] != auditCursorVersion:
		return c, fmt.Errorf("cursor: version %d, not %d", b[0], auditCursorVersion)
	case b[1] > 1:
		return c, fmt.Errorf("cursor: order flag %d is not 0 or 1", b[1])
	}
	c.reverse = b[1] == 1
	c.time = time.Unix(0, int64(binary.BigEndian.Uint64(b[2:10]))).UTC()
	c.count = binary.BigEndian.Uint32(b[10:14])
	if c.count == 0 || c.count > audit.MaxRecords {
		return c, fmt.Errorf("cursor: count %d out of range 1..%d", c.count, audit.MaxRecords)
	}
	return c, nil
}

// skip is how many of records (ordered as the cursor's listing) earlier
// pages sent.
func (c auditCursor) skip(records []audit.Record) int {
	i, same := 0, uint32(0)
	for i < len(records) {
		t := records[i].Time
		before := t.Before(c.time)
		if c.reverse {
			before = t.After(c.time)
		}
		switch {
		case before:
		case t.Equal(c.time) && same < c.count:
			same++
		default:
			return i
		}
		i++
	}
	return i
}

// advance is the cursor after sent, the records of this page (non-empty).
func (c auditCursor) advance(sent []audit.Record, reverse bool) auditCursor {
	last := sent[len(sent)-1].Time
	next := auditCursor{reverse: reverse, time: last}
	if c.count > 0 && c.time.Equal(last) {
		next.count = c.count
	}
	for _, r := range slices.Backward(sent) {
		if !r.Time.Equal(last) {
			break
		}
		next.count++
	}
	return next
}
