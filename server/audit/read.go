package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudp11/cloudp11/server/registry"
)

// Limits of Read.
const (
	MaxLineLen = 64 << 10
	MaxRecords = 100000
)

// Query selects records of one partition's log.
type Query struct {
	Since   time.Time // records at or after Since; zero means all
	Reverse bool      // newest first
	Limit   int       // at most this many, the newest that match; 0 or over MaxRecords means MaxRecords
}

// Record is one line of an audit log, as written.
type Record struct {
	Time time.Time
	Line []byte // the JSON object, without the newline
}

// Result is what Read found.
type Result struct {
	Records []Record
	// Skipped counts lines that were too long, not JSON, or without a
	// valid time: damage worth reporting, never a reason to fail.
	Skipped int
	// Truncated is set when more records matched than the limit allowed;
	// the oldest were dropped.
	Truncated bool
}

// ParseDate reads a --since date, YYYY-MM-DD, as midnight UTC.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// Read returns the records of HSM user user's audit log in stateDir that q
// selects. A user without a log has no records.
func Read(stateDir, user string, q Query) (*Result, error) {
	if err := registry.ValidateUserName(user); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	f, err := os.Open(filepath.Join(stateDir, Dir, user+".log"))
	if errors.Is(err, os.ErrNotExist) {
		return &Result{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	return scan(f, q)
}

func scan(r io.Reader, q Query) (*Result, error) {
	limit := q.Limit
	if limit <= 0 || limit > MaxRecords {
		limit = MaxRecords
	}
	res := &Result{}
	// ring keeps the newest limit records; start is the oldest's index
	// once it is full.
	var ring []Record
	start := 0
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, tooLong, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("audit: %w", err)
		}
		if tooLong {
			res.Skipped++
		} else if len(bytes.TrimSpace(line)) > 0 {
			rec, ok := parseRecord(line)
			switch {
			case !ok:
				res.Skipped++
			case rec.Time.Before(q.Since):
			case len(ring) < limit:
				ring = append(ring, rec)
			default:
				ring[start] = rec
				start = (start + 1) % limit
				res.Truncated = true
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	res.Records = append(ring[start:len(ring):len(ring)], ring[:start]...)
	if q.Reverse {
		for i, j := 0, len(res.Records)-1; i < j; i, j = i+1, j-1 {
			res.Records[i], res.Records[j] = res.Records[j], res.Records[i]
		}
	}
	return res, nil
}

// readLine reads one line without its newline. A line over MaxLineLen is
// consumed to its end and reported as tooLong, never held in memory.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > MaxLineLen+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(line, []byte{'\n'}), tooLong, err
	}
}

func parseRecord(line []byte) (Record, bool) {
	var head struct {
		Time string `json:"time"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return Record{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, head.Time)
	if err != nil {
		return Record{}, false
	}
	return Record{Time: t, Line: bytes.Clone(line)}, true
}
