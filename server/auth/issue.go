package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/registry"
)

// CheckPIN verifies a PKCS#11 PIN on a backend token. It returns nil for a
// right PIN, an error matching ErrBadPIN (errors.Is) for a wrong one, and
// any other error when the check could not be made (token absent, PIN
// locked on the token); only ErrBadPIN counts as a failed try.
type CheckPIN func(token, pin string) error

// IssueSecret exchanges HSM user user's setup password and the PKCS#11 PIN
// of its partition for a new permanent secret, and returns the secret and
// its id. The setup password's validity period starts at its first correct
// use, which is recorded before the PIN is checked. Errors: ErrUnknownUser,
// ErrBadSetupPassword, ErrSetupExpired, ErrBadPIN (the wrong ones joined
// with a *LockedOutError when they started a lockout), *LockedOutError,
// ErrNoPartition, or checkPIN's own error wrapped.
func (a *Authority) IssueSecret(ctx context.Context, user, setupPassword, pin string, checkPIN CheckPIN) (secret []byte, id string, err error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	now := a.clock()
	peer := peerOf(ctx)
	given := HashSetupPassword(setupPassword)
	if len(setupPassword) > MaxCredentialLen {
		given = registry.Digest{}
	}

	// Step 1, under the registry lock: the setup password, and its first use.
	var (
		outcome  error
		locked   *LockedOutError
		firstUse bool
		part     Partition
		accepted registry.Digest
	)
	known := true
	err = a.store.Update(ctx, false, func(r *registry.Registry) error {
		u := r.HSMUser(user)
		stored := registry.Digest{}
		if u != nil {
			stored = u.Setup.Hash
		}
		// A user without a setup password has a zero digest, which no
		// input hashes to.
		match := subtle.ConstantTimeCompare(given[:], stored[:]) == 1 && !stored.IsZero()
		switch {
		case u == nil:
			known = false
			outcome = ErrUnknownUser
		case u.Lockout.Locked(now):
			outcome = &LockedOutError{Until: u.Lockout.Until}
		case !match:
			locked = a.recordFailure(&u.Lockout, now)
			outcome = failure(ErrBadSetupPassword, locked)
		case !u.Setup.FirstUse.IsZero() && !now.Before(u.Setup.FirstUse.Add(a.policy.SetupValidity)):
			outcome = ErrSetupExpired
		default:
			p, err := a.partition(u)
			if err != nil {
				return err
			}
			part, accepted = p, stored
			if u.Setup.FirstUse.IsZero() {
				u.Setup.FirstUse, firstUse = now, true
			}
		}
		return nil
	})
	if err == nil && !known {
		// Unknown users cost a registry write too.
		err = a.store.Update(ctx, true, func(*registry.Registry) error { return nil })
	}
	if err != nil {
		return nil, "", err
	}
	if outcome != nil {
		a.auditSetupFailure(user, known, peer, outcome, locked)
		return nil, "", outcome
	}
	if firstUse {
		if err := a.auditSuccess(user, audit.Event{Type: audit.SetupFirstUse, Peer: peer}); err != nil {
			return nil, "", err
		}
	}

	// Step 2, without the lock: the backend checks the PIN.
	if len(pin) > MaxCredentialLen {
		err = ErrBadPIN
	} else {
		err = checkPIN(part.Token, pin)
	}
	if err != nil && !errors.Is(err, ErrBadPIN) {
		return nil, "", fmt.Errorf("checking the PIN of token %q: %w", part.Token, err)
	}
	badPIN := err != nil

	// Step 3, under the lock again: count the PIN failure or issue the
	// secret, unless the setup password was reset or the user removed or
	// locked out in between.
	err = a.store.Update(ctx, false, func(r *registry.Registry) error {
		u := r.HSMUser(user)
		switch {
		case u == nil:
			outcome = ErrUnknownUser
		case u.Setup.Hash != accepted:
			outcome = ErrBadSetupPassword
		case u.Lockout.Locked(now):
			outcome = &LockedOutError{Until: u.Lockout.Until}
		case badPIN:
			locked = a.recordFailure(&u.Lockout, now)
			outcome = failure(ErrBadPIN, locked)
		default:
			s, sid, err := newSecret(a.rand)
			if err != nil {
				return err
			}
			if err := u.AddSecret(registry.Secret{ID: sid, Hash: registry.SumSHA256(s), Created: now}); err != nil {
				return fmt.Errorf("HSM user %q: %w", user, err)
			}
			u.Lockout.Failures = 0
			secret, id = s, sid
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if outcome != nil {
		a.auditSetupFailure(user, true, peer, outcome, locked)
		return nil, "", outcome
	}
	if err := a.auditSuccess(user, audit.Event{Type: audit.SecretIssued, Peer: peer, SecretID: id}); err != nil {
		// The secret is stored but its holder never learns it: revoke it so
		// that no unrecorded credential stays valid.
		_ = a.store.Update(context.WithoutCancel(ctx), false, func(r *registry.Registry) error {
			if u := r.HSMUser(user); u != nil {
				if s := u.Secret(id); s != nil {
					s.Revoked = now
				}
			}
			return nil
		})
		return nil, "", err
	}
	return secret, id, nil
}

func (a *Authority) auditSetupFailure(user string, known bool, peer audit.Peer, outcome error, locked *LockedOutError) {
	reason := reasonBadSetup
	switch {
	case errors.Is(outcome, ErrUnknownUser):
		a.auditFailure("", audit.Event{Type: audit.SetupFailed, User: user, Peer: peer, Reason: reasonUnknownUser})
		return
	case errors.Is(outcome, ErrBadPIN):
		reason = reasonBadPIN
	case errors.Is(outcome, ErrSetupExpired):
		reason = reasonSetupExpired
	case errors.Is(outcome, ErrBadSetupPassword):
	case errors.Is(outcome, ErrLockedOut):
		reason = reasonLockedOut
	}
	if !known {
		return
	}
	a.auditFailure(user, audit.Event{Type: audit.SetupFailed, Peer: peer, Reason: reason})
	a.auditLockout(user, locked, audit.Event{Peer: peer})
}
