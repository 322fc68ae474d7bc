package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// maxParallelTests bounds the connections -t opens at once: enough that
// unreachable members time out together rather than one after the other,
// few enough not to look like a flood to the service.
const maxParallelTests = 8

// slotTest is the outcome of connecting one slot of one HSM.
type slotTest struct {
	entry    slotEntry
	firmware string // the server's version, "" when the Hello never came
	err      error
}

// testConnection is -t: connect to every selected slot of every selected
// HSM, authenticate the proxy user and the HSM user with the stored
// credentials (exactly as the library does), and read the token's
// information to show the partition is served. The output is the vendor's,
// line for line; why a slot failed goes to standard error.
func (a *app) testConnection(inv *invocation) error {
	n, err := a.openNetwork(inv)
	if err != nil {
		return err
	}
	selected, err := selectSlots(n.cfg, inv)
	if err != nil {
		return err
	}
	results := make([]slotTest, len(selected))
	sem := make(chan struct{}, maxParallelTests)
	var wg sync.WaitGroup
	for i, e := range selected {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = n.testSlot(e)
		}()
	}
	wg.Wait()

	var out strings.Builder
	fmt.Fprintf(&out, "Load config file: '%s'\n", printable(n.cfg.Path))
	if err := a.write(out.String()); err != nil {
		return err
	}
	hsms, failures := 0, 0
	for start := 0; start < len(results); {
		h := results[start].entry.hsm
		end := start
		firmware := ""
		for end < len(results) && results[end].entry.hsm == h {
			firmware = cmp.Or(firmware, results[end].firmware)
			end++
		}
		hsms++
		out.Reset()
		fmt.Fprintf(&out, "\n%s: Connect to '%s' on port %d, firmware: %s\n",
			printable(h.Name), printable(h.Host), h.Port, printable(cmp.Or(firmware, "unknown")))
		if err := a.write(out.String()); err != nil {
			return err
		}
		for _, r := range results[start:end] {
			status := "OK"
			if r.err != nil {
				failures++
				status = ck.RVOf(r.err).String()
			}
			line := fmt.Sprintf("    %s (id=%d), user=%s: %s\n", printable(r.entry.slot.Name), r.entry.slot.ID, printable(r.entry.slot.UserName), status)
			if err := a.write(line); err != nil {
				return err
			}
			if r.err != nil {
				fmt.Fprintf(a.stderr, "ppin: %s.%s: %s\n", printable(h.Name), printable(r.entry.slot.Name), explain(r.err, r.entry.slot))
			}
		}
		start = end
	}
	summary := fmt.Sprintf("\nNumber of tested HSMs: %d (number of partitions: %d)\nNumber of failures: %d\n", hsms, len(results), failures)
	if err := a.write(summary); err != nil {
		return err
	}
	if failures > 0 {
		return fmt.Errorf("%d of %d connection tests failed", failures, len(results))
	}
	return nil
}

// selectSlots applies the filters of -t (--user, --hsm, --slot, --slotid)
// and returns the slots to test, in file order, grouped by HSM.
func selectSlots(cfg *config.Config, inv *invocation) ([]slotEntry, error) {
	if inv.given["--hsm"] && !hasHSM(cfg, inv.hsm) {
		return nil, fmt.Errorf("no HSM '%s' in '%s' (configured: %s)", printable(inv.hsm), printable(cfg.Path), hsmNames(cfg))
	}
	var out []slotEntry
	for i := range cfg.HSMs {
		h := &cfg.HSMs[i]
		if inv.given["--hsm"] && h.Name != inv.hsm {
			continue
		}
		for j := range h.Slots {
			s := &h.Slots[j]
			switch {
			case inv.hasUser() && s.UserName != inv.user,
				inv.given["--slot"] && s.Name != inv.slot,
				inv.given["--slotid"] && s.ID != inv.slotID:
				continue
			}
			out = append(out, slotEntry{hsm: h, slot: s})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no slot in '%s' matches%s", printable(cfg.Path), describeFilters(inv))
	}
	return out, nil
}

func hasHSM(cfg *config.Config, name string) bool {
	for _, h := range cfg.HSMs {
		if h.Name == name {
			return true
		}
	}
	return false
}

func hsmNames(cfg *config.Config) string {
	names := make([]string, len(cfg.HSMs))
	for i, h := range cfg.HSMs {
		names[i] = printable(h.Name)
	}
	return strings.Join(names, ", ")
}

// describeFilters repeats the filters of the command line for a message.
func describeFilters(inv *invocation) string {
	var b strings.Builder
	if inv.hasUser() {
		fmt.Fprintf(&b, " --user %s", printable(inv.user))
	}
	if inv.given["--hsm"] {
		fmt.Fprintf(&b, " --hsm %s", printable(inv.hsm))
	}
	if inv.given["--slot"] {
		fmt.Fprintf(&b, " --slot %s", printable(inv.slot))
	}
	if inv.given["--slotid"] {
		fmt.Fprintf(&b, " --slotid %d", inv.slotID)
	}
	return b.String()
}

// testSlot connects one slot and asks for its token's information.
func (n *network) testSlot(e slotEntry) slotTest {
	res := slotTest{entry: e}
	m, err := n.member(e)
	if err != nil {
		res.err = err
		return res
	}
	creds, err := core.Credentials(m, n.secrets)
	if err != nil {
		res.err = err
		return res
	}
	client, err := n.dialer.Connect(context.Background(), m, creds, transport.ModePKCS11)
	if err != nil {
		// A member that refused the login still said who it is.
		var refused *transport.RefusedError
		if errors.As(err, &refused) && refused.Server != nil {
			res.firmware = refused.Server.ServerVersion
		}
		res.err = err
		return res
	}
	defer client.Close()
	res.firmware = client.Session().Server.ServerVersion
	ctx, cancel := context.WithTimeout(context.Background(), e.hsm.CallTimeout)
	defer cancel()
	info, err := transport.Invoke[*transport.TokenInfoResponse](ctx, client, &transport.GetTokenInfoRequest{})
	switch {
	case err != nil:
		res.err = fmt.Errorf("%s (%s): C_GetTokenInfo: %w", e.hsm.Name, m.Addr(), err)
	case info.RV != ck.CKR_OK:
		res.err = fmt.Errorf("%s (%s): %w", e.hsm.Name, m.Addr(), info.RV.Err("C_GetTokenInfo"))
	}
	return res
}
