package admin

import (
	"fmt"
	"time"

	"github.com/cloudp11/cloudp11/server/registry"
)

// SetupState is where a setup password stands.
type SetupState int

// Setup password states.
const (
	SetupUnused  SetupState = iota // never used: valid until first use, then for the validity period
	SetupInUse                     // used, within its validity period: Until says when it ends
	SetupExpired                   // used, and the period is over
)

// UserInfo is one line of hsmd user list.
type UserInfo struct {
	Name string
	// Token is the effective token label; FromConfig says it comes from the
	// configuration's partitions. Conflict is set when the registry and
	// the configuration disagree (Token is then the registry's).
	Token         string
	FromConfig    bool
	Conflict      bool
	Setup         SetupState
	SetupUntil    time.Time
	ActiveSecrets int
	LockedUntil   time.Time // zero when not locked now
}

// Users lists the HSM users, by name.
func (a *Admin) Users() ([]UserInfo, error) {
	r, err := a.store.Load()
	if err != nil {
		return nil, err
	}
	now := a.clock()
	static := a.cfg.PartitionMap()
	out := make([]UserInfo, 0, len(r.HSMUsers))
	for i := range r.HSMUsers {
		u := &r.HSMUsers[i]
		info := UserInfo{Name: u.Name, Token: u.Token, ActiveSecrets: u.ActiveSecrets()}
		if s, ok := static[u.Name]; ok {
			if u.Token == "" {
				info.Token, info.FromConfig = s, true
			} else if s != u.Token {
				info.Conflict = true
			}
		}
		if !u.Setup.FirstUse.IsZero() {
			info.SetupUntil = u.Setup.FirstUse.Add(a.cfg.Auth.SetupPasswordValidity)
			info.Setup = SetupInUse
			if !now.Before(info.SetupUntil) {
				info.Setup = SetupExpired
			}
		}
		if u.Lockout.Locked(now) {
			info.LockedUntil = u.Lockout.Until
		}
		out = append(out, info)
	}
	return out, nil
}

// ProxyInfo is one line of hsmd proxy-user list.
type ProxyInfo struct {
	Name        string
	Created     time.Time
	LockedUntil time.Time
}

// ProxyUsers lists the proxy users, by name.
func (a *Admin) ProxyUsers() ([]ProxyInfo, error) {
	r, err := a.store.Load()
	if err != nil {
		return nil, err
	}
	now := a.clock()
	out := make([]ProxyInfo, 0, len(r.ProxyUsers))
	for _, p := range r.ProxyUsers {
		info := ProxyInfo{Name: p.Name, Created: p.Created}
		if p.Lockout.Locked(now) {
			info.LockedUntil = p.Lockout.Until
		}
		out = append(out, info)
	}
	return out, nil
}

// SecretInfo describes a permanent secret, never the secret itself.
type SecretInfo struct {
	User     string
	ID       string
	Created  time.Time
	LastUsed time.Time
	Revoked  time.Time
}

// Secrets lists the secrets of HSM user name, or of every user when name
// is empty, by user then creation.
func (a *Admin) Secrets(name string) ([]SecretInfo, error) {
	r, err := a.store.Load()
	if err != nil {
		return nil, err
	}
	users := r.HSMUsers
	if name != "" {
		u := r.HSMUser(name)
		if u == nil {
			return nil, fmt.Errorf("HSM user %q: %w", name, registry.ErrNoSuchUser)
		}
		users = []registry.HSMUser{*u}
	}
	var out []SecretInfo
	for _, u := range users {
		for _, s := range u.Secrets {
			out = append(out, SecretInfo{User: u.Name, ID: s.ID, Created: s.Created, LastUsed: s.LastUsed, Revoked: s.Revoked})
		}
	}
	return out, nil
}
