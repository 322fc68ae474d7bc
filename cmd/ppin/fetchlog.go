package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport"
)

// Paging of --fetchlog. A page is small enough to stay far below the frame
// limit with long lines; the total is bounded so that a server that never
// says "done" cannot make ppin run, or fill a disk, forever.
const (
	fetchlogPageSize   = 500
	maxFetchlogEntries = 10_000_000
)

// fetchLog is --fetchlog: page through the audit log of HSM user --user on
// HSM --hsm and write its lines to standard output or --out.
func (a *app) fetchLog(inv *invocation) error {
	n, err := a.openNetwork(inv)
	if err != nil {
		return err
	}
	if !hasHSM(n.cfg, inv.hsm) {
		return fmt.Errorf("no HSM '%s' in '%s' (configured: %s)", printable(inv.hsm), printable(n.cfg.Path), hsmNames(n.cfg))
	}
	var entry *slotEntry
	for _, e := range n.slotsOf(inv.user) {
		if e.hsm.Name == inv.hsm {
			entry = &e
			break
		}
	}
	if entry == nil {
		return fmt.Errorf("%s has no slot for HSM user '%s' in '%s'", printable(inv.hsm), printable(inv.user), printable(n.cfg.Path))
	}
	m, err := n.member(*entry)
	if err != nil {
		return err
	}
	creds, err := core.Credentials(m, n.secrets)
	if err != nil {
		return explain(err, entry.slot)
	}
	client, err := n.dialer.Connect(context.Background(), m, creds, transport.ModeAuditLog)
	if err != nil {
		return explain(err, entry.slot)
	}
	defer client.Close()

	if inv.out == "" {
		w := bufio.NewWriter(a.stdout)
		if _, err := copyAuditLog(w, client, entry, inv); err != nil {
			return err
		}
		return w.Flush()
	}
	return writeFileAtomically(inv.out, func(w io.Writer) error {
		count, err := copyAuditLog(w, client, entry, inv)
		if err == nil {
			fmt.Fprintf(a.stderr, "%d audit log entries written to '%s'\n", count, printable(inv.out))
		}
		return err
	})
}

// copyAuditLog pages through the audit log and writes one entry per line.
func copyAuditLog(w io.Writer, client *transport.Client, entry *slotEntry, inv *invocation) (int, error) {
	req := &transport.AuditLogRequest{Since: inv.since, Reverse: inv.reverse, MaxEntries: fetchlogPageSize}
	count := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), entry.hsm.CallTimeout)
		page, err := transport.Invoke[*transport.AuditLogResponse](ctx, client, req)
		cancel()
		if err != nil {
			return count, fmt.Errorf("%s: reading the audit log: %w", printable(entry.hsm.Name), err)
		}
		for _, line := range page.Entries {
			// Entries are JSON lines, which hold no control characters;
			// a server that sends some must not rewrite the terminal or
			// split one entry into several lines.
			if _, err := io.WriteString(w, printable(line)+"\n"); err != nil {
				return count, err
			}
		}
		count += len(page.Entries)
		switch {
		case page.Done:
			return count, nil
		case count > maxFetchlogEntries:
			return count, fmt.Errorf("%s: the audit log has more than %d entries; narrow it with --since", printable(entry.hsm.Name), maxFetchlogEntries)
		case len(page.Cursor) == 0 || bytes.Equal(page.Cursor, req.Cursor):
			return count, fmt.Errorf("%s: the server's audit log paging did not advance", printable(entry.hsm.Name))
		}
		req.Cursor = page.Cursor
	}
}

// writeFileAtomically writes path through a temporary file in the same
// folder, mode 0600 (an audit log names users, clients and addresses), and
// renames it into place only when write succeeded: a failed fetch leaves
// no half file behind and an existing file unchanged.
func writeFileAtomically(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if err := write(w); err != nil {
		return err
	}
	if err := errors.Join(w.Flush(), tmp.Sync()); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}
