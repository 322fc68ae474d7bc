package main

import (
	"fmt"
	"slices"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport"
)

// network is what the commands that talk to the HSM service share: the
// configuration, the secrets file and one core.Dialer, so a run of ppin is
// one application instance, as one C_Initialize of the library is.
type network struct {
	cfg         *config.Config
	secretsPath string
	secrets     *config.Secrets
	dialer      *core.Dialer
}

// openNetwork loads primus.cfg and .secrets.cfg (printing their warnings)
// and makes the instance's dialer.
func (a *app) openNetwork(inv *invocation) (*network, error) {
	cfg, err := a.loadConfig(inv)
	if err != nil {
		return nil, err
	}
	path := secretsFile(inv, cfg)
	secrets, err := config.LoadSecrets(path)
	if err != nil {
		return nil, err
	}
	for _, w := range secrets.Warnings {
		a.warn(w)
	}
	id, err := transport.NewInstanceID()
	if err != nil {
		return nil, fmt.Errorf("random instance id: %w", err)
	}
	return &network{
		cfg: cfg, secretsPath: path, secrets: secrets,
		dialer: &core.Dialer{
			InstanceID:      id,
			SoftwareVersion: "ppin " + version,
			Capabilities:    transport.CapFused | transport.CapRetryMemory,
		},
	}, nil
}

// slotEntry is one slot of one HSM, with where it is in the configuration.
type slotEntry struct {
	hsm  *config.HSM
	slot *config.Slot
}

// slotsOf returns the slots of every HSM that names HSM user user, the
// best priority first and in file order within a priority.
func (n *network) slotsOf(user string) []slotEntry {
	var out []slotEntry
	for i := range n.cfg.HSMs {
		h := &n.cfg.HSMs[i]
		for j := range h.Slots {
			if h.Slots[j].UserName == user {
				out = append(out, slotEntry{hsm: h, slot: &h.Slots[j]})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b slotEntry) int { return a.hsm.Priority - b.hsm.Priority })
	return out
}

// member builds the core.Member of an entry.
func (n *network) member(e slotEntry) (*core.Member, error) {
	return core.NewMember(e.hsm, e.slot)
}
