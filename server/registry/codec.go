package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Limits Decode enforces; see the package doc.
const (
	MaxFileSize       = 16 << 20
	MaxUsers          = 10000
	MaxSecretsPerUser = 256
	MaxArgon2Memory   = 1 << 20 // KiB: 1 GiB
	MaxArgon2Time     = 100
	MaxArgon2Threads  = 64
	minSaltLen        = 16
	maxSaltLen        = 64
	minKeyLen         = 16
	maxKeyLen         = 64
)

// DecodeError is a users.json that cannot be read: where, and what.
type DecodeError struct {
	Line, Column int    // 0 when the error has no position
	Field        string // the JSON path of the faulty value, when known
	Msg          string
}

func (e *DecodeError) Error() string {
	var b bytes.Buffer
	b.WriteString("users.json")
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// The JSON layout. Field names are stable: they are the file format.
type fileJSON struct {
	Version    int             `json:"version"`
	HSMUsers   []hsmUserJSON   `json:"hsm_users"`
	ProxyUsers []proxyUserJSON `json:"proxy_users"`
}

type hsmUserJSON struct {
	Name    string       `json:"name"`
	Token   string       `json:"token,omitzero"`
	Setup   setupJSON    `json:"setup"`
	Secrets []secretJSON `json:"secrets,omitzero"`
	Lockout lockoutJSON  `json:"lockout,omitzero"`
}

type setupJSON struct {
	Hash     Digest    `json:"sha256"`
	Issued   time.Time `json:"issued"`
	FirstUse time.Time `json:"first_use,omitzero"`
}

type secretJSON struct {
	ID       string    `json:"id"`
	Hash     Digest    `json:"sha256"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
}

type proxyUserJSON struct {
	Name     string      `json:"name"`
	Password argon2JSON  `json:"argon2id"`
	Created  time.Time   `json:"created"`
	Lockout  lockoutJSON `json:"lockout,omitzero"`
}

type argon2JSON struct {
	Salt    []byte `json:"salt"`
	Hash    []byte `json:"hash"`
	Time    uint32 `json:"time"`
	Memory  uint32 `json:"memory_kib"`
	Threads uint8  `json:"threads"`
}

type lockoutJSON struct {
	Failures int       `json:"failures,omitzero"`
	Until    time.Time `json:"until,omitzero"`
}

// Encode writes the registry as indented JSON ending in a newline.
func (r *Registry) Encode() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	f := fileJSON{Version: FormatVersion, HSMUsers: []hsmUserJSON{}, ProxyUsers: []proxyUserJSON{}}
	for _, u := range r.HSMUsers {
		j := hsmUserJSON{
			Name: u.Name, Token: u.Token,
			Setup:   setupJSON{Hash: u.Setup.Hash, Issued: u.Setup.Issued, FirstUse: u.Setup.FirstUse},
			Lockout: lockoutJSON(u.Lockout),
		}
		for _, s := range u.Secrets {
			j.Secrets = append(j.Secrets, secretJSON(s))
		}
		f.HSMUsers = append(f.HSMUsers, j)
	}
	for _, p := range r.ProxyUsers {
		f.ProxyUsers = append(f.ProxyUsers, proxyUserJSON{
			Name: p.Name, Password: argon2JSON(p.Password), Created: p.Created, Lockout: lockoutJSON(p.Lockout),
		})
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Decode reads users.json strictly: unknown fields, trailing data, a wrong
// version, invalid names and out-of-range values are errors.
func Decode(data []byte) (*Registry, error) {
	if len(data) > MaxFileSize {
		return nil, &DecodeError{Msg: fmt.Sprintf("file is %d bytes, the limit is %d", len(data), MaxFileSize)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileJSON
	if err := dec.Decode(&f); err != nil {
		return nil, jsonError(data, err)
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		line, col := lineColumn(data, int64(len(data)-len(rest)))
		return nil, &DecodeError{Line: line, Column: col, Msg: "unexpected data after the registry object"}
	}
	if f.Version != FormatVersion {
		return nil, &DecodeError{Field: "version", Msg: fmt.Sprintf("format version %d, this hsmd reads version %d", f.Version, FormatVersion)}
	}
	r := &Registry{}
	for _, j := range f.HSMUsers {
		u := HSMUser{
			Name: j.Name, Token: j.Token,
			Setup:   SetupPassword{Hash: j.Setup.Hash, Issued: j.Setup.Issued, FirstUse: j.Setup.FirstUse},
			Lockout: Lockout(j.Lockout),
		}
		for _, s := range j.Secrets {
			u.Secrets = append(u.Secrets, Secret(s))
		}
		r.HSMUsers = append(r.HSMUsers, u)
	}
	for _, j := range f.ProxyUsers {
		r.ProxyUsers = append(r.ProxyUsers, ProxyUser{
			Name: j.Name, Password: Argon2Hash(j.Password), Created: j.Created, Lockout: Lockout(j.Lockout),
		})
	}
	if err := r.Validate(); err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			return nil, de
		}
		return nil, &DecodeError{Msg: err.Error()}
	}
	return r, nil
}

// Validate checks every invariant Decode relies on: valid and unique names
// in sorted order, valid secret ids unique per user, counts within limits,
// argon2 parameters within limits, no negative failure counter.
func (r *Registry) Validate() error {
	if len(r.HSMUsers) > MaxUsers || len(r.ProxyUsers) > MaxUsers {
		return &DecodeError{Msg: ErrTooManyUsers.Error()}
	}
	for i := range r.HSMUsers {
		u := &r.HSMUsers[i]
		field := fmt.Sprintf("hsm_users[%d]", i)
		if err := ValidateUserName(u.Name); err != nil {
			return &DecodeError{Field: field + ".name", Msg: err.Error()}
		}
		if i > 0 && r.HSMUsers[i-1].Name >= u.Name {
			return &DecodeError{Field: field + ".name", Msg: fmt.Sprintf("%q is out of order or a duplicate", u.Name)}
		}
		if u.Token != "" {
			if err := ValidateTokenLabel(u.Token); err != nil {
				return &DecodeError{Field: field + ".token", Msg: err.Error()}
			}
		}
		if u.Lockout.Failures < 0 {
			return &DecodeError{Field: field + ".lockout.failures", Msg: "negative"}
		}
		if len(u.Secrets) > MaxSecretsPerUser {
			return &DecodeError{Field: field + ".secrets", Msg: ErrTooManySecrets.Error()}
		}
		seen := make(map[string]bool, len(u.Secrets))
		for k := range u.Secrets {
			s := &u.Secrets[k]
			sf := fmt.Sprintf("%s.secrets[%d]", field, k)
			if err := ValidateSecretID(s.ID); err != nil {
				return &DecodeError{Field: sf + ".id", Msg: err.Error()}
			}
			if seen[s.ID] {
				return &DecodeError{Field: sf + ".id", Msg: fmt.Sprintf("%q is a duplicate", s.ID)}
			}
			seen[s.ID] = true
		}
	}
	for i := range r.ProxyUsers {
		p := &r.ProxyUsers[i]
		field := fmt.Sprintf("proxy_users[%d]", i)
		if err := ValidateUserName(p.Name); err != nil {
			return &DecodeError{Field: field + ".name", Msg: err.Error()}
		}
		if i > 0 && r.ProxyUsers[i-1].Name >= p.Name {
			return &DecodeError{Field: field + ".name", Msg: fmt.Sprintf("%q is out of order or a duplicate", p.Name)}
		}
		if err := p.Password.validate(); err != nil {
			return &DecodeError{Field: field + ".argon2id", Msg: err.Error()}
		}
		if p.Lockout.Failures < 0 {
			return &DecodeError{Field: field + ".lockout.failures", Msg: "negative"}
		}
	}
	return nil
}

func (h *Argon2Hash) validate() error {
	switch {
	case len(h.Salt) < minSaltLen || len(h.Salt) > maxSaltLen:
		return fmt.Errorf("salt is %d bytes, want %d to %d", len(h.Salt), minSaltLen, maxSaltLen)
	case len(h.Hash) < minKeyLen || len(h.Hash) > maxKeyLen:
		return fmt.Errorf("hash is %d bytes, want %d to %d", len(h.Hash), minKeyLen, maxKeyLen)
	case h.Time < 1 || h.Time > MaxArgon2Time:
		return fmt.Errorf("time is %d passes, want 1 to %d", h.Time, MaxArgon2Time)
	case h.Threads < 1 || h.Threads > MaxArgon2Threads:
		return fmt.Errorf("threads is %d, want 1 to %d", h.Threads, MaxArgon2Threads)
	case h.Memory < 8*uint32(h.Threads) || h.Memory > MaxArgon2Memory:
		return fmt.Errorf("memory is %d KiB, want 8×threads to %d", h.Memory, MaxArgon2Memory)
	}
	return nil
}

// jsonError turns an encoding/json error into a DecodeError with a line
// and column.
// encoding/json gives no position for an unknown field or a value its
// UnmarshalText refused; those errors name the field or value instead.
func jsonError(data []byte, err error) *DecodeError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the offending byte.
		line, col := lineColumn(data, syn.Offset-1)
		return &DecodeError{Line: line, Column: col, Msg: syn.Error()}
	case errors.As(err, &typ):
		line, col := lineColumn(data, typ.Offset)
		return &DecodeError{Line: line, Column: col, Field: typ.Field, Msg: fmt.Sprintf("want a %s, have a JSON %s", typ.Type, typ.Value)}
	case errors.Is(err, io.EOF):
		return &DecodeError{Msg: "file is empty"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &DecodeError{Msg: "file ends in the middle of the registry"}
	}
	return &DecodeError{Msg: strings.TrimPrefix(err.Error(), "json: ")}
}

// lineColumn converts a byte offset to a 1-based line and byte column.
func lineColumn(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	prefix := data[:offset]
	line = bytes.Count(prefix, []byte{'\n'}) + 1
	col = int(offset) - (bytes.LastIndexByte(prefix, '\n') + 1) + 1
	return line, col
}
