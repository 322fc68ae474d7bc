package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/registry"
)

// lastUsedGranularity limits how often a login rewrites the registry just
// to move a secret's last-used time.
const lastUsedGranularity = time.Minute

// Reasons written in the audit log for failures.
const (
	reasonBadPassword  = "bad_password"
	reasonUnknownUser  = "unknown_user"
	reasonLockedOut    = "locked_out"
	reasonBadSecret    = "bad_secret"
	reasonRevoked      = "secret_revoked"
	reasonBadSetup     = "bad_setup_password"
	reasonSetupExpired = "setup_password_expired"
	reasonBadPIN       = "bad_pin"
)

// VerifyProxy checks the password of proxy user user: nil, or
// ErrBadProxyPassword (wrong password or unknown user, joined with a
// *LockedOutError when this failure started a lockout), or a
// *LockedOutError.
func (a *Authority) VerifyProxy(ctx context.Context, user, password string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	reg, err := a.store.Load()
	if err != nil {
		return err
	}
	now := a.clock()
	peer := peerOf(ctx)
	p := reg.ProxyUser(user)
	if p != nil && p.Lockout.Locked(now) {
		a.auditFailure("", audit.Event{Type: audit.ProxyLoginFailed, User: user, Peer: peer, Reason: reasonLockedOut})
		return &LockedOutError{Until: p.Lockout.Until}
	}
	stored := a.decoy
	if p != nil {
		stored = p.Password
	}
	ok, err := a.argon2Check(ctx, stored, password)
	if err != nil {
		return err
	}
	if ok && p != nil {
		if p.Lockout.Failures > 0 {
			err := a.store.Update(ctx, false, func(r *registry.Registry) error {
				if q := r.ProxyUser(user); q != nil {
					q.Lockout.Failures = 0
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return a.auditSuccess("", audit.Event{Type: audit.ProxyLogin, User: user, Peer: peer})
	}
	// Unknown names get the same registry rewrite as known ones.
	var locked *LockedOutError
	err = a.store.Update(ctx, p == nil, func(r *registry.Registry) error {
		if q := r.ProxyUser(user); q != nil {
			locked = a.recordFailure(&q.Lockout, now)
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.auditFailure("", audit.Event{Type: audit.ProxyLoginFailed, User: user, Peer: peer, Reason: reasonBadPassword})
	a.auditLockout("", locked, audit.Event{User: user, Peer: peer})
	return failure(ErrBadProxyPassword, locked)
}

// argon2Check runs one argon2id comparison in a hash slot.
func (a *Authority) argon2Check(ctx context.Context, h registry.Argon2Hash, password string) (bool, error) {
	select {
	case a.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-a.hashSlots }()
	if len(password) > MaxCredentialLen {
		// Still do the work: a long password must not answer faster.
		argon2Matches(h, "")
		return false, nil
	}
	return argon2Matches(h, password), nil
}

// matchSecret compares digest with every secret of u (or with a decoy when
// u is nil) in constant time, and returns the index of the match or -1.
func matchSecret(u *registry.HSMUser, digest registry.Digest) int {
	secrets := []registry.Secret{{}}
	if u != nil {
		secrets = u.Secrets
	}
	found := -1
	for i := range secrets {
		eq := subtle.ConstantTimeCompare(digest[:], secrets[i].Hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if u == nil {
		return -1
	}
	return found
}

// VerifySecret checks the permanent secret of HSM user user and returns
// the partition it reaches and the id of the secret. Errors:
// ErrUnknownUser, ErrBadSecret (joined with a *LockedOutError when it
// started a lockout), ErrSecretRevoked, *LockedOutError, ErrNoPartition.
func (a *Authority) VerifySecret(ctx context.Context, user string, secret []byte) (Partition, string, error) {
	if err := ctx.Err(); err != nil {
		return Partition{}, "", err
	}
	reg, err := a.store.Load()
	if err != nil {
		return Partition{}, "", err
	}
	now := a.clock()
	peer := peerOf(ctx)
	u := reg.HSMUser(user)
	var digest registry.Digest
	if len(secret) <= MaxCredentialLen {
		digest = registry.SumSHA256(secret)
	}
	match := matchSecret(u, digest)
	if len(secret) > MaxCredentialLen {
		match = -1
	}
	if u == nil {
		if err := a.store.Update(ctx, true, func(*registry.Registry) error { return nil }); err != nil {
			return Partition{}, "", err
		}
		a.auditFailure("", audit.Event{Type: audit.LoginFailed, User: user, Peer: peer, Reason: reasonUnknownUser})
		return Partition{}, "", ErrUnknownUser
	}
	if u.Lockout.Locked(now) {
		a.auditFailure(user, audit.Event{Type: audit.LoginFailed, Peer: peer, Reason: reasonLockedOut})
		return Partition{}, "", &LockedOutError{Until: u.Lockout.Until}
	}
	if match >= 0 && !u.Secrets[match].Active() {
		id := u.Secrets[match].ID
		a.auditFailure(user, audit.Event{Type: audit.LoginFailed, Peer: peer, SecretID: id, Reason: reasonRevoked})
		return Partition{}, "", ErrSecretRevoked
	}
	if match < 0 {
		var locked *LockedOutError
		err := a.store.Update(ctx, false, func(r *registry.Registry) error {
			if v := r.HSMUser(user); v != nil {
				locked = a.recordFailure(&v.Lockout, now)
			}
			return nil
		})
		if err != nil {
			return Partition{}, "", err
		}
		a.auditFailure(user, audit.Event{Type: audit.LoginFailed, Peer: peer, Reason: reasonBadSecret})
		a.auditLockout(user, locked, audit.Event{Peer: peer})
		return Partition{}, "", failure(ErrBadSecret, locked)
	}
	part, err := a.partition(u)
	if err != nil {
		return Partition{}, "", err
	}
	s := u.Secrets[match]
	if u.Lockout.Failures > 0 || now.Sub(s.LastUsed) >= lastUsedGranularity {
		err := a.store.Update(ctx, false, func(r *registry.Registry) error {
			v := r.HSMUser(user)
			if v == nil {
				return fmt.Errorf("%w: removed while logging in", ErrUnknownUser)
			}
			v.Lockout.Failures = 0
			if w := v.Secret(s.ID); w != nil {
				if !w.Active() {
					return ErrSecretRevoked
				}
				w.LastUsed = now
			}
			return nil
		})
		if err != nil {
			return Partition{}, "", err
		}
	}
	if err := a.auditSuccess(user, audit.Event{Type: audit.Login, Peer: peer, SecretID: s.ID}); err != nil {
		return Partition{}, "", err
	}
	return part, s.ID, nil
}
