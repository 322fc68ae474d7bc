package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// File names in the state folder.
const (
	FileName     = "users.json"
	LockFileName = "registry.lock"
)

// ErrNotInitialised means the state folder has no registry: hsmd init has
// not been run there.
var ErrNotInitialised = errors.New("no user registry in the state folder (run hsmd init first)")

// Store is the registry file of one state folder.
type Store struct {
	dir string
	// mu queues the writers of this process before the flock, which
	// serialises processes, so goroutines do not spin on the lock file.
	mu sync.Mutex
}

// NewStore returns the store of the state folder dir. It touches nothing.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Path is the registry file.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// Load reads the current registry.
func (s *Store) Load() (*Registry, error) {
	data, err := readLimited(s.Path())
	if err != nil {
		return nil, err
	}
	r, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.dir, err)
	}
	return r, nil
}

// Create writes an empty registry, replacing any, under the lock. It is
// for hsmd init, which passes before to check and prepare the rest of the
// state folder under the same lock; when before fails, nothing is written.
// The state folder must exist.
func (s *Store) Create(ctx context.Context, before func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if before != nil {
		if err := before(); err != nil {
			return err
		}
	}
	data, err := (&Registry{}).Encode()
	if err != nil {
		return err
	}
	return writeAtomic(s.dir, FileName, data, 0o600)
}

// Update applies fn to the current registry and writes the result, holding
// the lock from the read to the write. When fn fails, nothing is written
// and its error is returned as is. When fn changes nothing, nothing is
// written either, unless force is set: the authority forces a write for
// unknown users so that their failed logins cost what a known user's do.
func (s *Store) Update(ctx context.Context, force bool, fn func(*Registry) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	before, err := readLimited(s.Path())
	if err != nil {
		return err
	}
	r, err := Decode(before)
	if err != nil {
		return fmt.Errorf("%s: %w", s.dir, err)
	}
	if err := fn(r); err != nil {
		return err
	}
	after, err := r.Encode()
	if err != nil {
		return fmt.Errorf("registry change refused: %w", err)
	}
	if !force && string(after) == string(before) {
		return nil
	}
	return writeAtomic(s.dir, FileName, after, 0o600)
}

// lockPoll bounds the wait between two tries of a contended flock. flock
// cannot be interrupted by a context, so the lock is tried without
// blocking and retried until ctx ends.
const (
	lockPollMin = time.Millisecond
	lockPollMax = 50 * time.Millisecond
)

func (s *Store) lock(ctx context.Context) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(s.dir, LockFileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("state folder %s: %w", s.dir, ErrNotInitialised)
		}
		return nil, fmt.Errorf("registry lock: %w", err)
	}
	wait := lockPollMin
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() {
				_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("registry lock %s: %w", f.Name(), err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = f.Close()
			return nil, fmt.Errorf("waiting for the registry lock %s: %w", f.Name(), ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, lockPollMax)
	}
}

// readLimited reads the registry file, refusing one over MaxFileSize
// without reading it all.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", filepath.Dir(path), ErrNotInitialised)
		}
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %w", path, &DecodeError{Msg: fmt.Sprintf("file is %d bytes, the limit is %d", st.Size(), MaxFileSize)})
	}
	// The file may grow between Stat and Read: read one byte past the
	// limit to notice.
	buf, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(buf) > MaxFileSize {
		return nil, fmt.Errorf("%s: %w", path, &DecodeError{Msg: fmt.Sprintf("file grew past the limit of %d bytes", MaxFileSize)})
	}
	return buf, nil
}
