package auth

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/cloudp11/cloudp11/server/registry"
)

// Sizes of the credentials this package makes.
const (
	SetupPasswordLen = 29 // 5 groups of 5, 4 dashes
	SecretLen        = 32
	MaxCredentialLen = 1024
	argon2SaltLen    = 16
	argon2KeyLen     = 32
)

// setupAlphabet is the alphabet of setup passwords: 36 symbols. A random
// byte is used when it is below 252 = 7×36, so that every symbol is equally
// likely (rejection sampling).
const setupAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

const setupAccept = 256 - 256%len(setupAlphabet)

// GenerateSetupPassword makes a setup password, "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
// from rand (crypto/rand.Reader in production).
func GenerateSetupPassword(rand io.Reader) (string, error) {
	out := make([]byte, 0, SetupPasswordLen)
	var buf [32]byte
	for len(out) < SetupPasswordLen {
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			return "", fmt.Errorf("setup password: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if len(out) == SetupPasswordLen {
				break
			}
			if int(b) >= setupAccept {
				continue
			}
			if len(out)%6 == 5 {
				out = append(out, '-')
			}
			out = append(out, setupAlphabet[int(b)%len(setupAlphabet)])
		}
	}
	return string(out), nil
}

// ValidSetupPasswordFormat reports whether s (after upper-casing and
// trimming, as HashSetupPassword does) has the setup password format.
func ValidSetupPasswordFormat(s string) bool {
	s = normaliseSetupPassword(s)
	if len(s) != SetupPasswordLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i%6 == 5 {
			if s[i] != '-' {
				return false
			}
		} else if !strings.ContainsRune(setupAlphabet, rune(s[i])) {
			return false
		}
	}
	return true
}

func normaliseSetupPassword(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// HashSetupPassword is the digest the registry keeps of a setup password.
func HashSetupPassword(s string) registry.Digest {
	return registry.SumSHA256([]byte(normaliseSetupPassword(s)))
}

// Argon2Params are the argon2id parameters for new proxy password hashes.
type Argon2Params struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// RFC9106Params is the second recommended option of RFC 9106 §4: 3 passes,
// 64 MiB, 4 lanes. BenchmarkArgon2RFC9106 measured 0.3 s per hash on the
// project's 2-core machine while it was busy: every proxy login costs that,
// which is why Options.MaxConcurrentHashes bounds them.
var RFC9106Params = Argon2Params{Time: 3, MemoryKiB: 64 << 10, Threads: 4}

// Validate checks the parameters against the limits the registry accepts.
func (p Argon2Params) Validate() error {
	switch {
	case p.Time < 1 || p.Time > registry.MaxArgon2Time:
		return fmt.Errorf("argon2 time must be 1 to %d passes, not %d", registry.MaxArgon2Time, p.Time)
	case p.Threads < 1 || p.Threads > registry.MaxArgon2Threads:
		return fmt.Errorf("argon2 threads must be 1 to %d, not %d", registry.MaxArgon2Threads, p.Threads)
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > registry.MaxArgon2Memory:
		return fmt.Errorf("argon2 memory must be 8×threads (%d) to %d KiB, not %d", 8*uint32(p.Threads), registry.MaxArgon2Memory, p.MemoryKiB)
	}
	return nil
}

// HashProxyPassword hashes a proxy user's password with argon2id and a
// fresh salt from rand.
func HashProxyPassword(rand io.Reader, password string, p Argon2Params) (registry.Argon2Hash, error) {
	if err := p.Validate(); err != nil {
		return registry.Argon2Hash{}, err
	}
	if password == "" {
		return registry.Argon2Hash{}, errors.New("the password is empty")
	}
	if len(password) > MaxCredentialLen {
		return registry.Argon2Hash{}, fmt.Errorf("the password is longer than %d bytes", MaxCredentialLen)
	}
	salt := make([]byte, argon2SaltLen)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return registry.Argon2Hash{}, fmt.Errorf("password salt: %w", err)
	}
	return registry.Argon2Hash{
		Salt: salt, Time: p.Time, Memory: p.MemoryKiB, Threads: p.Threads,
		Hash: argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, argon2KeyLen),
	}, nil
}

// argon2Matches recomputes h for password with h's own parameters and
// compares in constant time.
func argon2Matches(h registry.Argon2Hash, password string) bool {
	got := argon2.IDKey([]byte(password), h.Salt, h.Time, h.Memory, h.Threads, uint32(len(h.Hash)))
	return subtle.ConstantTimeCompare(got, h.Hash) == 1
}

// newSecret makes a permanent secret and its id.
func newSecret(rand io.Reader) (secret []byte, id string, err error) {
	buf := make([]byte, SecretLen+registry.SecretIDLen/2)
	if _, err := io.ReadFull(rand, buf); err != nil {
		return nil, "", fmt.Errorf("permanent secret: reading random bytes: %w", err)
	}
	return buf[:SecretLen], hex.EncodeToString(buf[SecretLen:]), nil
}
