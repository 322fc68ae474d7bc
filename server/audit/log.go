package audit

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/cloudp11/cloudp11/server/registry"
)

// Dir is the audit folder in the state folder; ServiceLog the file of
// events that belong to no partition.
const (
	Dir         = "audit"
	ServiceLog  = "_service"
	MaxFieldLen = 128
	// maxOpenFiles bounds the descriptors a long-running service keeps.
	maxOpenFiles = 64
)

// TimeFormat is how the "time" field is written: UTC with milliseconds,
// fixed width so the lines sort as text.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Log writes audit events into the audit folder of a state folder.
type Log struct {
	dir   string
	clock func() time.Time

	mu    sync.Mutex
	files map[string]*os.File
}

// Open prepares the audit folder of stateDir (created 0700 if missing).
// clock gives the time of each event; nil means time.Now.
func Open(stateDir string, clock func() time.Time) (*Log, error) {
	dir := filepath.Join(stateDir, Dir)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("audit folder: %w", err)
	}
	if clock == nil {
		clock = time.Now
	}
	return &Log{dir: dir, clock: clock, files: map[string]*os.File{}}, nil
}

// Close closes the files the Log holds open.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for name, f := range l.files {
		errs = append(errs, f.Close())
		delete(l.files, name)
	}
	return errors.Join(errs...)
}

// Write appends e to the log of HSM user user, or to the service log when
// user is empty. user must be a valid user name: the service passes only
// names it found in the registry.
func (l *Log) Write(user string, e Event) error {
	file := ServiceLog
	if user != "" {
		if err := registry.ValidateUserName(user); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		file = user
	}
	line := l.encode(user, e)
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := l.file(file)
	if err != nil {
		return err
	}
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("audit: writing %s: %w", f.Name(), err)
	}
	return nil
}

func (l *Log) file(name string) (*os.File, error) {
	if f, ok := l.files[name]; ok {
		return f, nil
	}
	if len(l.files) >= maxOpenFiles {
		for n, f := range l.files {
			_ = f.Close()
			delete(l.files, n)
		}
	}
	f, err := os.OpenFile(filepath.Join(l.dir, name+".log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	l.files[name] = f
	return f, nil
}

// encode renders the event as one JSON line. zerolog builds it in a buffer
// so that Write hands the file the whole line at once.
func (l *Log) encode(user string, e Event) []byte {
	var buf lineBuffer
	logger := zerolog.New(&buf)
	ev := logger.Log().
		Str("time", l.clock().UTC().Format(TimeFormat)).
		Str("event", string(e.Type))
	name := user
	if name == "" {
		name = e.User
	}
	if name != "" {
		ev = ev.Str("user", clip(name))
	}
	str := func(key, v string) {
		if v != "" {
			ev = ev.Str(key, clip(v))
		}
	}
	str("actor", e.Actor)
	str("client_id", e.Peer.ClientID)
	str("app", e.Peer.AppID)
	str("remote", e.Peer.Remote)
	str("secret_id", e.SecretID)
	str("reason", e.Reason)
	if !e.Until.IsZero() {
		ev = ev.Str("until", e.Until.UTC().Format(TimeFormat))
	}
	if k := e.Key; k != nil {
		ev = ev.Uint64("handle", k.Handle)
		str("class", k.Class)
		str("key_type", k.KeyType)
		str("label", k.Label)
		if len(k.ID) > 0 {
			str("id", hex.EncodeToString(k.ID))
		}
	}
	ev.Send()
	return buf.data
}

// lineBuffer keeps the one line zerolog writes.
type lineBuffer struct{ data []byte }

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.data = append(b.data, p...)
	return len(p), nil
}

// clip cuts peer-controlled text to MaxFieldLen bytes on a rune boundary.
func clip(s string) string {
	if len(s) <= MaxFieldLen {
		return s
	}
	cut := MaxFieldLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
