package auth

import (
	"errors"
	"fmt"
	"time"
)

// The outcomes of a failed authentication. See the package doc for which
// ones a peer may see.
var (
	ErrBadProxyPassword = errors.New("wrong proxy user name or password")
	ErrUnknownUser      = errors.New("unknown HSM user")
	ErrBadSetupPassword = errors.New("wrong setup password")
	ErrSetupExpired     = errors.New("setup password expired")
	ErrBadSecret        = errors.New("wrong permanent secret")
	ErrSecretRevoked    = errors.New("permanent secret revoked")
	ErrBadPIN           = errors.New("wrong PKCS#11 PIN")
	// ErrLockedOut matches every *LockedOutError with errors.Is.
	ErrLockedOut = errors.New("locked out")
	// ErrNoPartition means the HSM user is known but no token is configured
	// for it, or the registry and the configuration name different tokens:
	// a configuration error of the service, not of the client.
	ErrNoPartition = errors.New("no partition configured for the HSM user")
	// ErrAuditUnavailable refuses a successful authentication that could
	// not be recorded.
	ErrAuditUnavailable = errors.New("audit log unavailable")
)

// LockedOutError says a user is locked out, and until when.
type LockedOutError struct {
	Until time.Time
}

func (e *LockedOutError) Error() string {
	return fmt.Sprintf("too many failed attempts: locked out until %s", e.Until.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLockedOut) true.
func (e *LockedOutError) Is(target error) bool { return target == ErrLockedOut }
