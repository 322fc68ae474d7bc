package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/auth"
	"github.com/cloudp11/cloudp11/server/hsmdconfig"
	"github.com/cloudp11/cloudp11/server/registry"
)

// actor is written in the audit log for changes made by admin commands.
const actor = "admin"

// Admin administers the state folder of a configuration.
type Admin struct {
	cfg   *hsmdconfig.Config
	store *registry.Store
	audit *audit.Log
	clock func() time.Time
	rand  io.Reader
}

// Options are for tests: nil fields take the real clock and crypto/rand.
type Options struct {
	Clock func() time.Time
	Rand  io.Reader
}

// New returns an Admin for cfg's state folder, which must have been
// initialised. Close it when done.
func New(cfg *hsmdconfig.Config, opts Options) (*Admin, error) {
	store := registry.NewStore(cfg.StateDir)
	if _, err := store.Load(); err != nil {
		return nil, err
	}
	log, err := audit.Open(cfg.StateDir, opts.Clock)
	if err != nil {
		return nil, err
	}
	a := &Admin{cfg: cfg.Clone(), store: store, audit: log, clock: opts.Clock, rand: opts.Rand}
	if a.clock == nil {
		a.clock = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	return a, nil
}

// Close releases the audit log.
func (a *Admin) Close() error { return a.audit.Close() }

// ErrTokenNeeded, ErrTokenConflict: hsmd user add without a usable token.
// ErrNotAudited: the change was made but its audit record could not be
// written; the command's result (a setup password) is still returned.
var (
	ErrNotAudited    = errors.New("the change is made, but the audit log could not be written")
	ErrTokenNeeded   = errors.New("no token: give --token LABEL, or list the user in the configuration's partitions")
	ErrTokenConflict = errors.New("the configuration's partitions map the user to another token")
)

// AddUser registers HSM user name with token (empty when the
// configuration's partitions name it) and returns its setup password,
// which is shown once and stored only as a hash.
func (a *Admin) AddUser(ctx context.Context, name, token string) (string, error) {
	static, hasStatic := a.cfg.PartitionMap()[name]
	switch {
	case token == "" && !hasStatic:
		return "", fmt.Errorf("HSM user %q: %w", name, ErrTokenNeeded)
	case token != "" && hasStatic && token != static:
		return "", fmt.Errorf("HSM user %q: %w: %q, not %q", name, ErrTokenConflict, static, token)
	}
	setup, err := auth.GenerateSetupPassword(a.rand)
	if err != nil {
		return "", err
	}
	now := a.clock()
	err = a.store.Update(ctx, false, func(r *registry.Registry) error {
		return r.AddHSMUser(registry.HSMUser{
			Name: name, Token: token,
			Setup: registry.SetupPassword{Hash: auth.HashSetupPassword(setup), Issued: now},
		})
	})
	if err != nil {
		return "", err
	}
	return setup, a.record(name, audit.Event{Type: audit.UserAdded, Actor: actor})
}

// ResetSetup gives HSM user name a new setup password, unused, in place
// of the old one.
func (a *Admin) ResetSetup(ctx context.Context, name string) (string, error) {
	setup, err := auth.GenerateSetupPassword(a.rand)
	if err != nil {
		return "", err
	}
	now := a.clock()
	err = a.updateUser(ctx, name, func(u *registry.HSMUser) error {
		u.Setup = registry.SetupPassword{Hash: auth.HashSetupPassword(setup), Issued: now}
		return nil
	})
	if err != nil {
		return "", err
	}
	return setup, a.record(name, audit.Event{Type: audit.SetupIssued, Actor: actor})
}

// RemoveUser deletes HSM user name and its secrets. Its audit log stays.
func (a *Admin) RemoveUser(ctx context.Context, name string) error {
	err := a.store.Update(ctx, false, func(r *registry.Registry) error { return r.RemoveHSMUser(name) })
	if err != nil {
		return err
	}
	return a.record(name, audit.Event{Type: audit.UserRemoved, Actor: actor})
}

// Unlock lifts HSM user name's lockout and clears its failure count.
func (a *Admin) Unlock(ctx context.Context, name string) error {
	err := a.updateUser(ctx, name, func(u *registry.HSMUser) error {
		u.Lockout = registry.Lockout{}
		return nil
	})
	if err != nil {
		return err
	}
	return a.record(name, audit.Event{Type: audit.Unlocked, Actor: actor})
}

// RevokeSecret revokes the permanent secret id of HSM user name; the other
// clients' secrets stay valid.
func (a *Admin) RevokeSecret(ctx context.Context, name, id string) error {
	if err := registry.ValidateSecretID(id); err != nil {
		return err
	}
	now := a.clock()
	err := a.updateUser(ctx, name, func(u *registry.HSMUser) error {
		s := u.Secret(id)
		switch {
		case s == nil:
			return fmt.Errorf("HSM user %q has no secret %s: %w", name, id, registry.ErrNoSuchSecret)
		case !s.Active():
			return fmt.Errorf("secret %s of HSM user %q: %w", id, name, registry.ErrAlreadyRevoked)
		}
		s.Revoked = now
		return nil
	})
	if err != nil {
		return err
	}
	return a.record(name, audit.Event{Type: audit.SecretRevoked, Actor: actor, SecretID: id})
}

// record writes the audit event of a change already made.
func (a *Admin) record(user string, e audit.Event) error {
	if err := a.audit.Write(user, e); err != nil {
		return fmt.Errorf("%w: %v", ErrNotAudited, err)
	}
	return nil
}

func (a *Admin) updateUser(ctx context.Context, name string, fn func(*registry.HSMUser) error) error {
	return a.store.Update(ctx, false, func(r *registry.Registry) error {
		u := r.HSMUser(name)
		if u == nil {
			return fmt.Errorf("HSM user %q: %w", name, registry.ErrNoSuchUser)
		}
		return fn(u)
	})
}

// AddProxyUser registers proxy user name with an argon2id hash of
// password, made with the configuration's parameters.
func (a *Admin) AddProxyUser(ctx context.Context, name, password string) error {
	if err := registry.ValidateUserName(name); err != nil {
		return err
	}
	// Refuse a duplicate before spending a hash on it.
	if r, err := a.store.Load(); err != nil {
		return err
	} else if r.ProxyUser(name) != nil {
		return fmt.Errorf("proxy user %q: %w", name, registry.ErrUserExists)
	}
	h, err := auth.HashProxyPassword(a.rand, password, a.cfg.Auth.Argon2)
	if err != nil {
		return err
	}
	now := a.clock()
	err = a.store.Update(ctx, false, func(r *registry.Registry) error {
		return r.AddProxyUser(registry.ProxyUser{Name: name, Password: h, Created: now})
	})
	if err != nil {
		return err
	}
	return a.record("", audit.Event{Type: audit.ProxyUserAdded, Actor: actor, User: name})
}

// RemoveProxyUser deletes proxy user name.
func (a *Admin) RemoveProxyUser(ctx context.Context, name string) error {
	err := a.store.Update(ctx, false, func(r *registry.Registry) error { return r.RemoveProxyUser(name) })
	if err != nil {
		return err
	}
	return a.record("", audit.Event{Type: audit.ProxyUserRemoved, Actor: actor, User: name})
}

// UnlockProxyUser lifts proxy user name's lockout.
func (a *Admin) UnlockProxyUser(ctx context.Context, name string) error {
	err := a.store.Update(ctx, false, func(r *registry.Registry) error {
		p := r.ProxyUser(name)
		if p == nil {
			return fmt.Errorf("proxy user %q: %w", name, registry.ErrNoSuchUser)
		}
		p.Lockout = registry.Lockout{}
		return nil
	})
	if err != nil {
		return err
	}
	return a.record("", audit.Event{Type: audit.Unlocked, Actor: actor, User: name})
}
