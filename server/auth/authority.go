package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"time"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/registry"
)

// Policy is the authentication policy of the service.
type Policy struct {
	SetupValidity   time.Duration // from the first use of a setup password
	MaxFailures     int           // wrong tries before a lockout
	LockoutDuration time.Duration
	// Argon2 is used for the decoy hash of unknown proxy users; set it to
	// the parameters new proxy passwords are hashed with.
	Argon2 Argon2Params
}

// Validate checks the policy's ranges.
func (p Policy) Validate() error {
	switch {
	case p.SetupValidity <= 0:
		return errors.New("setup password validity must be positive")
	case p.MaxFailures < 1:
		return errors.New("max failed tries must be at least 1")
	case p.LockoutDuration <= 0:
		return errors.New("lockout duration must be positive")
	}
	return p.Argon2.Validate()
}

// Options configure an Authority.
type Options struct {
	Store  *registry.Store
	Audit  *audit.Log // nil: no audit log
	Policy Policy
	// Partitions are the static partitions of the configuration: HSM user
	// name → backend token label. Users registered with a token need none.
	Partitions map[string]string
	Clock      func() time.Time // nil: time.Now
	Rand       io.Reader        // nil: crypto/rand.Reader
	// MaxConcurrentHashes bounds the argon2id computations running at
	// once; 0 means runtime.NumCPU().
	MaxConcurrentHashes int
	// OnAuditError receives audit write errors of failed authentications.
	OnAuditError func(error)
}

// Partition is what an authenticated HSM user reaches: one backend token.
type Partition struct {
	User  string
	Token string
}

// Authority checks credentials against the registry of one state folder.
type Authority struct {
	store      *registry.Store
	audit      *audit.Log
	policy     Policy
	partitions map[string]string
	clock      func() time.Time
	rand       io.Reader
	hashSlots  chan struct{}
	onAuditErr func(error)
	// decoy is hashed in place of an unknown proxy user's password; its
	// parameters are the policy's, so the work matches a real user's.
	decoy registry.Argon2Hash
}

// New returns an Authority. It copies what it keeps of opts.
func New(opts Options) (*Authority, error) {
	if opts.Store == nil {
		return nil, errors.New("auth: no registry store")
	}
	if err := opts.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	a := &Authority{
		store:      opts.Store,
		audit:      opts.Audit,
		policy:     opts.Policy,
		partitions: maps.Clone(opts.Partitions),
		clock:      opts.Clock,
		rand:       opts.Rand,
		onAuditErr: opts.OnAuditError,
	}
	if a.clock == nil {
		a.clock = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	n := opts.MaxConcurrentHashes
	if n <= 0 {
		n = runtime.NumCPU()
	}
	a.hashSlots = make(chan struct{}, n)
	decoy, err := HashProxyPassword(a.rand, "decoy", opts.Policy.Argon2)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	a.decoy = decoy
	return a, nil
}

type peerKey struct{}

// WithPeer attaches the peer's identity to ctx, for the audit log.
func WithPeer(ctx context.Context, p audit.Peer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

func peerOf(ctx context.Context) audit.Peer {
	p, _ := ctx.Value(peerKey{}).(audit.Peer)
	return p
}

// recordFailure counts one failure on l and starts a lockout at the limit.
// It reports the lockout it started, if any.
func (a *Authority) recordFailure(l *registry.Lockout, now time.Time) *LockedOutError {
	l.Failures++
	if l.Failures < a.policy.MaxFailures {
		return nil
	}
	l.Failures = 0
	l.Until = now.Add(a.policy.LockoutDuration)
	return &LockedOutError{Until: l.Until}
}

// failure joins a wrong-credential error with the lockout it caused.
func failure(err error, locked *LockedOutError) error {
	if locked != nil {
		return errors.Join(err, locked)
	}
	return err
}

// auditFailure records an event of a failed authentication.
func (a *Authority) auditFailure(user string, e audit.Event) {
	if a.audit == nil {
		return
	}
	if err := a.audit.Write(user, e); err != nil && a.onAuditErr != nil {
		a.onAuditErr(err)
	}
}

// auditSuccess records an event that grants access; an error refuses it.
func (a *Authority) auditSuccess(user string, e audit.Event) error {
	if a.audit == nil {
		return nil
	}
	if err := a.audit.Write(user, e); err != nil {
		return fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
	}
	return nil
}

// auditLockout records a lockout that a failure started.
func (a *Authority) auditLockout(user string, locked *LockedOutError, e audit.Event) {
	if locked != nil {
		e.Type, e.Until, e.Reason = audit.LockedOut, locked.Until, ""
		a.auditFailure(user, e)
	}
}

// partition resolves the token of HSM user u.
func (a *Authority) partition(u *registry.HSMUser) (Partition, error) {
	static, ok := a.partitions[u.Name]
	switch {
	case u.Token != "" && ok && static != u.Token:
		return Partition{}, fmt.Errorf("%w: HSM user %q has token %q in the registry and %q in the configuration", ErrNoPartition, u.Name, u.Token, static)
	case u.Token != "":
		return Partition{User: u.Name, Token: u.Token}, nil
	case ok:
		return Partition{User: u.Name, Token: static}, nil
	}
	return Partition{}, fmt.Errorf("%w: HSM user %q has no token (hsmd user add --token, or partitions in the configuration)", ErrNoPartition, u.Name)
}
