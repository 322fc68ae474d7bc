package auth

import (
	"context"
	"fmt"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/registry"
)

// reasonReplaced is the audit reason of a secret its own client replaced.
const reasonReplaced = "replaced"

// RevokeReplaced revokes HSM user user's secret id on behalf of the client
// that has just obtained its replacement with IssueSecret (ppin -u, the
// FetchSecret request's "replaces"): that exchange proved the setup
// password and the PIN, which is more than holding the old secret does.
// The user's other secrets stay valid. Errors: registry.ErrNoSuchUser,
// registry.ErrNoSuchSecret, registry.ErrAlreadyRevoked (nothing changed),
// ErrAuditUnavailable (revoked, but not recorded).
func (a *Authority) RevokeReplaced(ctx context.Context, user, id string) error {
	if err := registry.ValidateSecretID(id); err != nil {
		return err
	}
	now := a.clock()
	err := a.store.Update(ctx, false, func(r *registry.Registry) error {
		u := r.HSMUser(user)
		if u == nil {
			return fmt.Errorf("HSM user %q: %w", user, registry.ErrNoSuchUser)
		}
		s := u.Secret(id)
		switch {
		case s == nil:
			return fmt.Errorf("HSM user %q has no secret %s: %w", user, id, registry.ErrNoSuchSecret)
		case !s.Active():
			return fmt.Errorf("secret %s of HSM user %q: %w", id, user, registry.ErrAlreadyRevoked)
		}
		s.Revoked = now
		return nil
	})
	if err != nil {
		return err
	}
	return a.auditSuccess(user, audit.Event{Type: audit.SecretRevoked, Peer: peerOf(ctx), SecretID: id, Reason: reasonReplaced})
}
