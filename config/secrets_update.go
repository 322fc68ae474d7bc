package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// lockTimeout bounds how long UpdateSecrets waits for another writer, so a
// stuck ppin (at a prompt, say) produces an error instead of a hang.
var lockTimeout = 30 * time.Second

// UpdateSecrets changes the secrets file at path under an exclusive lock:
// it locks "<path>.lock" (flock), reads the file afresh, calls update,
// and replaces the file atomically (temporary file in the same folder,
// fsync, rename, fsync of the folder). A new file gets mode 0600; an
// existing one keeps its owner, group and user/group bits, never others'.
//
// A file that does not parse is an error and is never overwritten. The
// error of update is returned unchanged and nothing is written. The result
// is the store as written, read back.
func UpdateSecrets(path string, update func(*Secrets) error) (*Secrets, error) {
	target, err := writeTarget(path)
	if err != nil {
		return nil, err
	}
	release, err := lockFile(target + ".lock")
	if err != nil {
		return nil, err
	}
	defer release()

	s, err := LoadSecrets(target)
	if err != nil {
		return nil, err
	}
	s.Path = path
	s.Warnings = nil
	if err := update(s); err != nil {
		return nil, err
	}
	data, err := encodeSecrets(s)
	if err != nil {
		return nil, err
	}
	back, err := decodeSecrets(path, data)
	if err == nil && !sameSecrets(s, back) {
		err = errors.New("the encoded file does not read back the same")
	}
	if err != nil {
		// A printer bug must not cost users their secrets: keep the old file.
		return nil, &Error{Pos: libconfig.Position{File: path}, Msg: "refusing to write: " + safeError(err)}
	}
	warn, err := writeAtomic(target, data)
	if err != nil {
		return nil, &Error{Pos: libconfig.Position{File: path}, Msg: err.Error(), Err: err}
	}
	back.Warnings = nil
	if warn != "" {
		back.Warnings = append(back.Warnings, warn)
	}
	if w := permissionWarning(target); w != "" {
		back.Warnings = append(back.Warnings, w)
	}
	return back, nil
}

// safeError returns the text of our own *Error (which never quotes values)
// and a generic text for anything else.
func safeError(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}

// sameSecrets compares what matters, at the precision the file keeps
// (times to the second).
func sameSecrets(a, b *Secrets) bool {
	if len(a.HSMUsers) != len(b.HSMUsers) || len(a.ProxyUsers) != len(b.ProxyUsers) {
		return false
	}
	for i, u := range a.HSMUsers {
		v := b.HSMUsers[i]
		if u.UserName != v.UserName || u.Secret != v.Secret || u.SecretID != v.SecretID ||
			!u.Created.Truncate(time.Second).Equal(v.Created) {
			return false
		}
	}
	for i, p := range a.ProxyUsers {
		if p != b.ProxyUsers[i] {
			return false
		}
	}
	return true
}

// writeTarget follows a symbolic link at path (a secrets file linked from
// elsewhere is updated where it lives, not replaced by a plain file).
func writeTarget(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	t, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", &Error{Pos: libconfig.Position{File: path}, Msg: "cannot follow symbolic link: " + describe(err), Err: err}
	}
	return t, nil
}

// lockFile takes an exclusive flock on p, creating it. The lock file is
// left in place: removing it would let two writers lock different files.
func lockFile(p string) (release func(), err error) {
	f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &Error{Pos: libconfig.Position{File: p}, Msg: "cannot open lock file: " + describe(err), Err: err}
	}
	fd := int(f.Fd())
	deadline := time.Now().Add(lockTimeout)
	delay := time.Millisecond
	for {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, &Error{Pos: libconfig.Position{File: p}, Msg: "cannot lock: " + err.Error(), Err: err}
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, &Error{Pos: libconfig.Position{File: p},
				Msg: fmt.Sprintf("another process has held the lock for %v; is a ppin waiting at a prompt?", lockTimeout), Err: err}
		}
		// Polling rather than a blocking flock, so the wait can end.
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
	return func() {
		_ = unix.Flock(fd, unix.LOCK_UN)
		f.Close()
	}, nil
}

// writeAtomic replaces target with data. It returns a warning when the
// owner or group of the old file could not be kept.
func writeAtomic(target string, data []byte) (warning string, err error) {
	dir := filepath.Dir(target)
	perm := fs.FileMode(0o600)
	uid, gid := -1, -1
	if fi, err := os.Stat(target); err == nil {
		perm = fi.Mode().Perm() & 0o660
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("cannot stat: %s", describe(err))
	}

	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("cannot create a temporary file in %s: %s", dir, describe(err))
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if uid >= 0 && (uid != os.Geteuid() || gid != os.Getegid()) {
		if tmp.Chown(uid, gid) != nil && tmp.Chown(-1, gid) != nil {
			warning = fmt.Sprintf("could not keep the group (gid %d) of %s; readers in that group may lose access", gid, target)
		}
	}
	if err := tmp.Chmod(perm); err != nil {
		return "", fmt.Errorf("cannot set mode %04o: %s", perm, describe(err))
	}
	if _, err := tmp.Write(data); err != nil {
		return "", fmt.Errorf("cannot write %s: %s", tmp.Name(), describe(err))
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("cannot sync %s: %s", tmp.Name(), describe(err))
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("cannot close %s: %s", tmp.Name(), describe(err))
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return "", fmt.Errorf("cannot replace the file: %s", describe(err))
	}
	done = true
	if err := syncDir(dir); err != nil {
		return warning, fmt.Errorf("file replaced, but syncing folder %s failed, so the change may not survive a crash: %s", dir, describe(err))
	}
	return warning, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, unix.EINVAL) {
		return err
	}
	return nil
}
