package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors of the registry's changes, for errors.Is.
var (
	ErrUserExists      = errors.New("user already exists")
	ErrNoSuchUser      = errors.New("no such user")
	ErrNoSuchSecret    = errors.New("no such secret")
	ErrTooManyUsers    = fmt.Errorf("the registry holds at most %d users of each kind", MaxUsers)
	ErrTooManySecrets  = fmt.Errorf("an HSM user holds at most %d secrets, revoked ones included; revoke and wait, or remove old ones", MaxSecretsPerUser)
	ErrAlreadyRevoked  = errors.New("secret already revoked")
	ErrDuplicateSecret = errors.New("secret id already in use")
)

// AddHSMUser adds u, keeping the users sorted by name.
func (r *Registry) AddHSMUser(u HSMUser) error {
	if err := ValidateUserName(u.Name); err != nil {
		return err
	}
	if u.Token != "" {
		if err := ValidateTokenLabel(u.Token); err != nil {
			return err
		}
	}
	if r.HSMUser(u.Name) != nil {
		return fmt.Errorf("HSM user %q: %w", u.Name, ErrUserExists)
	}
	if len(r.HSMUsers) >= MaxUsers {
		return ErrTooManyUsers
	}
	i, _ := slices.BinarySearchFunc(r.HSMUsers, u.Name, func(e HSMUser, name string) int { return strings.Compare(e.Name, name) })
	r.HSMUsers = slices.Insert(r.HSMUsers, i, u)
	return nil
}

// RemoveHSMUser deletes the HSM user called name.
func (r *Registry) RemoveHSMUser(name string) error {
	i := slices.IndexFunc(r.HSMUsers, func(u HSMUser) bool { return u.Name == name })
	if i < 0 {
		return fmt.Errorf("HSM user %q: %w", name, ErrNoSuchUser)
	}
	r.HSMUsers = slices.Delete(r.HSMUsers, i, i+1)
	return nil
}

// AddProxyUser adds p, keeping the users sorted by name.
func (r *Registry) AddProxyUser(p ProxyUser) error {
	if err := ValidateUserName(p.Name); err != nil {
		return err
	}
	if err := p.Password.validate(); err != nil {
		return err
	}
	if r.ProxyUser(p.Name) != nil {
		return fmt.Errorf("proxy user %q: %w", p.Name, ErrUserExists)
	}
	if len(r.ProxyUsers) >= MaxUsers {
		return ErrTooManyUsers
	}
	i, _ := slices.BinarySearchFunc(r.ProxyUsers, p.Name, func(e ProxyUser, name string) int { return strings.Compare(e.Name, name) })
	r.ProxyUsers = slices.Insert(r.ProxyUsers, i, p)
	return nil
}

// RemoveProxyUser deletes the proxy user called name.
func (r *Registry) RemoveProxyUser(name string) error {
	i := slices.IndexFunc(r.ProxyUsers, func(u ProxyUser) bool { return u.Name == name })
	if i < 0 {
		return fmt.Errorf("proxy user %q: %w", name, ErrNoSuchUser)
	}
	r.ProxyUsers = slices.Delete(r.ProxyUsers, i, i+1)
	return nil
}

// AddSecret appends s to the user's secrets. When the user is at
// MaxSecretsPerUser, the oldest revoked secret makes room; when every one is
// active, it fails with ErrTooManySecrets.
func (u *HSMUser) AddSecret(s Secret) error {
	if err := ValidateSecretID(s.ID); err != nil {
		return err
	}
	if u.Secret(s.ID) != nil {
		return ErrDuplicateSecret
	}
	if len(u.Secrets) >= MaxSecretsPerUser {
		oldest := -1
		for i := range u.Secrets {
			if !u.Secrets[i].Active() && (oldest < 0 || u.Secrets[i].Revoked.Before(u.Secrets[oldest].Revoked)) {
				oldest = i
			}
		}
		if oldest < 0 {
			return ErrTooManySecrets
		}
		u.Secrets = slices.Delete(u.Secrets, oldest, oldest+1)
	}
	u.Secrets = append(u.Secrets, s)
	return nil
}
