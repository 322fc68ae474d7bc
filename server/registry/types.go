package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// FormatVersion is the version of the users.json layout this package
// writes; Decode refuses any other.
const FormatVersion = 1

// Registry is the content of users.json. Users are kept sorted by name.
type Registry struct {
	HSMUsers   []HSMUser
	ProxyUsers []ProxyUser
}

// HSMUser is an HSM user: one partition, served from one backend token.
type HSMUser struct {
	Name string
	// Token is the label of the backend token holding the partition. It is
	// empty when the hsmd configuration's static partitions name the token.
	Token   string
	Setup   SetupPassword
	Secrets []Secret
	Lockout Lockout
}

// SetupPassword is the hash of the one-time setup password an operator
// handed out, and when it was issued and first used. It is valid for the
// configured period from FirstUse.
type SetupPassword struct {
	Hash     Digest
	Issued   time.Time
	FirstUse time.Time // zero while unused
}

// Secret is one permanent secret issued to a client of an HSM user.
type Secret struct {
	ID       string
	Hash     Digest
	Created  time.Time
	LastUsed time.Time // zero when never used; updated to the minute
	Revoked  time.Time // zero while active
}

// Active reports whether the secret has not been revoked.
func (s *Secret) Active() bool { return s.Revoked.IsZero() }

// ProxyUser is a service (proxy) user: the first login of every connection.
type ProxyUser struct {
	Name     string
	Password Argon2Hash
	Created  time.Time
	Lockout  Lockout
}

// Lockout is the failed-login state of a user.
type Lockout struct {
	// Failures counts wrong credentials since the last success or the
	// last lockout.
	Failures int
	// Until is the end of the current lockout; zero or past when none.
	Until time.Time
}

// Locked reports whether the user is locked out at now.
func (l Lockout) Locked(now time.Time) bool { return now.Before(l.Until) }

// Argon2Hash is an argon2id password hash with the parameters it was made
// with, so parameters can change without invalidating stored hashes.
type Argon2Hash struct {
	Salt    []byte
	Hash    []byte
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8  // lanes
}

// Digest is a SHA-256 hash, written in hex.
type Digest [sha256.Size]byte

// SumSHA256 hashes b.
func SumSHA256(b []byte) Digest { return sha256.Sum256(b) }

// MarshalText writes the digest in lower-case hex.
func (d Digest) MarshalText() ([]byte, error) {
	out := make([]byte, hex.EncodedLen(len(d)))
	hex.Encode(out, d[:])
	return out, nil
}

// UnmarshalText reads exactly 64 hex digits.
func (d *Digest) UnmarshalText(text []byte) error {
	if len(text) != hex.EncodedLen(len(d)) {
		return fmt.Errorf("want %d hex digits, have %d characters", hex.EncodedLen(len(d)), len(text))
	}
	if _, err := hex.Decode(d[:], text); err != nil {
		return fmt.Errorf("not hex: %v", err)
	}
	return nil
}

// IsZero reports whether the digest is all zero bytes (no hash stored).
func (d Digest) IsZero() bool { return d == Digest{} }

// HSMUser returns the HSM user with the given name, or nil.
func (r *Registry) HSMUser(name string) *HSMUser {
	for i := range r.HSMUsers {
		if r.HSMUsers[i].Name == name {
			return &r.HSMUsers[i]
		}
	}
	return nil
}

// ProxyUser returns the proxy user with the given name, or nil.
func (r *Registry) ProxyUser(name string) *ProxyUser {
	for i := range r.ProxyUsers {
		if r.ProxyUsers[i].Name == name {
			return &r.ProxyUsers[i]
		}
	}
	return nil
}

// Secret returns the secret with the given id, or nil.
func (u *HSMUser) Secret(id string) *Secret {
	for i := range u.Secrets {
		if u.Secrets[i].ID == id {
			return &u.Secrets[i]
		}
	}
	return nil
}

// ActiveSecrets counts the secrets not revoked.
func (u *HSMUser) ActiveSecrets() int {
	n := 0
	for i := range u.Secrets {
		if u.Secrets[i].Active() {
			n++
		}
	}
	return n
}
