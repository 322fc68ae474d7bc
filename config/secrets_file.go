package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// The secrets file, in libconfig syntax (docs/configuration.md):
//
//	version = "1.0";
//	hsm_users = ( { user_name = "U"; secret = "..."; secret_id = "..."; created = "2026-11-28T05:00:00Z"; } );
//	proxy_users = ( { user_name = "P"; password = "..."; } );
const secretsVersion = "1.0"

var (
	secretsRootKeys  = []string{"version", "hsm_users", "proxy_users"}
	hsmUserKeys      = []string{"user_name", "secret", "secret_id", "created"}
	proxyUserKeys    = []string{"user_name", "password"}
	groupOtherRWBits = fs.FileMode(0o066)
)

// LoadSecrets reads the secrets file at path. A missing file is an empty
// store, not an error: ppin creates it. A file that cannot be read or
// parsed is an *Error with its position; its message never quotes the file.
func LoadSecrets(path string) (*Secrets, error) {
	src, err := readFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &Secrets{Path: path}, nil
		}
		return nil, err
	}
	s, err := decodeSecrets(path, src)
	if err != nil {
		return nil, err
	}
	if w := permissionWarning(path); w != "" {
		s.Warnings = append([]string{w}, s.Warnings...)
	}
	return s, nil
}

// permissionWarning describes group/other access to the file, "" if none.
func permissionWarning(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	perm := fi.Mode().Perm()
	if perm&groupOtherRWBits == 0 {
		return ""
	}
	what := "readable"
	switch {
	case perm&0o044 != 0 && perm&0o022 != 0:
		what = "readable and writable"
	case perm&0o022 != 0:
		what = "writable"
	}
	return fmt.Sprintf("file is %s by group/others (mode %04o); run chmod 600 %s", what, perm, path)
}

// decodeSecrets parses and decodes a secrets file. Errors are *Error.
func decodeSecrets(path string, src []byte) (*Secrets, error) {
	root, err := parse(path, src, secretsParseOptions)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: path}
	s := &Secrets{Path: path}
	if err := d.checkMembers(root, nil); err != nil {
		return nil, err
	}
	for _, m := range root.Children() {
		if !slices.Contains(secretsRootKeys, m.Name) {
			s.extra = append(s.extra, m)
			d.warn(m, "unknown setting %s (kept as it is)", m.Path())
		}
	}
	v, vs, err := d.str(root, "version")
	if err != nil {
		return nil, err
	}
	if vs != nil && v != secretsVersion {
		d.warn(vs, "version %q is not known; reading the file as version %s", v, secretsVersion)
	}
	if s.HSMUsers, err = d.hsmUserSecrets(root); err != nil {
		return nil, err
	}
	if s.ProxyUsers, err = d.proxyPasswords(root); err != nil {
		return nil, err
	}
	for _, w := range d.warnings {
		s.Warnings = append(s.Warnings, w.String())
	}
	return s, nil
}

// secretsParseOptions refuse @include: the store is one file, so that its
// permissions are the whole story of who can read the secrets.
var secretsParseOptions = &libconfig.Options{
	MaxFileSize: maxFileSize,
	ReadFile: func(string) ([]byte, error) {
		return nil, errors.New("@include is not allowed in a secrets file")
	},
}

// entries returns the groups of a list such as hsm_users; an absent list is
// empty.
func (d *decoder) entries(root *libconfig.Setting, name string) ([]*libconfig.Setting, error) {
	s := root.Member(name)
	if s == nil {
		return nil, nil
	}
	if s.Kind != libconfig.KindList {
		return nil, d.errorf(s, "must be a list of groups (( { ... }, { ... } )), got %s", article(s.Kind))
	}
	for _, it := range s.Children() {
		if it.Kind != libconfig.KindGroup {
			return nil, d.errorf(it, "must be a group ({ user_name = ...; ... }), got %s", article(it.Kind))
		}
	}
	return s.Children(), nil
}

// userName reads the user_name every entry has and rejects a repeat.
func (d *decoder) userName(it *libconfig.Setting, seen map[string]*libconfig.Setting) (string, error) {
	name, s, err := d.nonEmptyStr(it, "user_name")
	if err != nil {
		return "", err
	}
	if s == nil {
		return "", d.missing(it, "user_name", "every entry names its user")
	}
	if first, dup := seen[name]; dup {
		return "", d.errorf(s, "user %s is already listed at %s", printable(name), d.pos(first))
	}
	seen[name] = s
	return name, nil
}

func (d *decoder) hsmUserSecrets(root *libconfig.Setting) ([]HSMUserSecret, error) {
	items, err := d.entries(root, "hsm_users")
	if err != nil {
		return nil, err
	}
	seen := map[string]*libconfig.Setting{}
	var out []HSMUserSecret
	for _, it := range items {
		if err := d.checkMembers(it, hsmUserKeys); err != nil {
			return nil, err
		}
		var u HSMUserSecret
		if u.UserName, err = d.userName(it, seen); err != nil {
			return nil, err
		}
		var ss *libconfig.Setting
		if u.Secret, ss, err = d.nonEmptyStr(it, "secret"); err != nil {
			return nil, err
		}
		if ss == nil {
			return nil, d.missing(it, "secret", "run ppin -u -e "+bare(u.UserName)+" to fetch a new one")
		}
		if u.SecretID, _, err = d.str(it, "secret_id"); err != nil {
			return nil, err
		}
		created, cs, err := d.str(it, "created")
		if err != nil {
			return nil, err
		}
		if cs != nil {
			t, perr := time.Parse(time.RFC3339, created)
			if perr != nil {
				return nil, d.errorf(cs, "must be a time as 2006-01-02T15:04:05Z (RFC 3339)")
			}
			u.Created = t.UTC()
		}
		out = append(out, u)
	}
	return out, nil
}

func (d *decoder) proxyPasswords(root *libconfig.Setting) ([]ProxyPassword, error) {
	items, err := d.entries(root, "proxy_users")
	if err != nil {
		return nil, err
	}
	seen := map[string]*libconfig.Setting{}
	var out []ProxyPassword
	for _, it := range items {
		if err := d.checkMembers(it, proxyUserKeys); err != nil {
			return nil, err
		}
		var p ProxyPassword
		if p.UserName, err = d.userName(it, seen); err != nil {
			return nil, err
		}
		var ps *libconfig.Setting
		if p.Password, ps, err = d.str(it, "password"); err != nil {
			return nil, err
		}
		if ps == nil {
			return nil, d.missing(it, "password", "run ppin -p -e "+bare(p.UserName)+" to store it")
		}
		out = append(out, p)
	}
	return out, nil
}

// encodeSecrets prints the store in libconfig syntax.
func encodeSecrets(s *Secrets) ([]byte, error) {
	if err := checkSecrets(s); err != nil {
		return nil, err
	}
	root := libconfig.NewGroup()
	// Set fails only for invalid names, and these are ours.
	add := func(g *libconfig.Setting, name string, v *libconfig.Setting) { _, _ = g.Set(name, v) }
	add(root, "version", libconfig.NewString(secretsVersion))
	users := libconfig.NewAggregate(libconfig.KindList)
	for _, u := range s.HSMUsers {
		g := libconfig.NewGroup()
		add(g, "user_name", libconfig.NewString(u.UserName))
		add(g, "secret", libconfig.NewString(u.Secret))
		if u.SecretID != "" {
			add(g, "secret_id", libconfig.NewString(u.SecretID))
		}
		if !u.Created.IsZero() {
			add(g, "created", libconfig.NewString(u.Created.UTC().Format(time.RFC3339)))
		}
		if err := users.Append(g); err != nil {
			return nil, err
		}
	}
	add(root, "hsm_users", users)
	proxies := libconfig.NewAggregate(libconfig.KindList)
	for _, p := range s.ProxyUsers {
		g := libconfig.NewGroup()
		add(g, "user_name", libconfig.NewString(p.UserName))
		add(g, "password", libconfig.NewString(p.Password))
		if err := proxies.Append(g); err != nil {
			return nil, err
		}
	}
	add(root, "proxy_users", proxies)
	for _, x := range s.extra {
		if root.Member(x.Name) != nil {
			continue
		}
		c, err := cloneSetting(x)
		if err != nil {
			return nil, &Error{Pos: libconfig.Position{File: s.Path}, Path: x.Name, Msg: err.Error()}
		}
		if _, err := root.Set(x.Name, c); err != nil {
			return nil, &Error{Pos: libconfig.Position{File: s.Path}, Path: x.Name, Msg: err.Error()}
		}
	}
	return libconfig.Format(root), nil
}

// checkSecrets rejects what could not be read back: empty or repeated user
// names, empty secrets, NUL bytes (libconfig strings cannot hold them).
// Messages name users, never values.
func checkSecrets(s *Secrets) error {
	bad := func(format string, args ...any) error {
		return &Error{Pos: libconfig.Position{File: s.Path}, Msg: fmt.Sprintf(format, args...)}
	}
	seen := map[string]bool{}
	for i, u := range s.HSMUsers {
		switch {
		case strings.TrimSpace(u.UserName) == "" || strings.ContainsRune(u.UserName, 0):
			return bad("hsm_users.[%d].user_name: must be a non-empty name without NUL bytes", i)
		case seen[u.UserName]:
			return bad("hsm_users.[%d].user_name: user %s is listed twice", i, printable(u.UserName))
		case strings.TrimSpace(u.Secret) == "" || strings.ContainsRune(u.Secret, 0):
			return bad("hsm_users.[%d].secret: the secret of user %s must be non-empty text without NUL bytes", i, printable(u.UserName))
		case strings.ContainsRune(u.SecretID, 0):
			return bad("hsm_users.[%d].secret_id: must not contain NUL bytes", i)
		}
		seen[u.UserName] = true
	}
	seen = map[string]bool{}
	for i, p := range s.ProxyUsers {
		switch {
		case strings.TrimSpace(p.UserName) == "" || strings.ContainsRune(p.UserName, 0):
			return bad("proxy_users.[%d].user_name: must be a non-empty name without NUL bytes", i)
		case seen[p.UserName]:
			return bad("proxy_users.[%d].user_name: user %s is listed twice", i, printable(p.UserName))
		case strings.ContainsRune(p.Password, 0):
			return bad("proxy_users.[%d].password: the password of user %s must not contain NUL bytes", i, printable(p.UserName))
		}
		seen[p.UserName] = true
	}
	return nil
}

// cloneSetting copies a parsed setting into a new unattached tree, so the
// same Secrets can be encoded more than once.
func cloneSetting(s *libconfig.Setting) (*libconfig.Setting, error) {
	var c *libconfig.Setting
	switch s.Kind {
	case libconfig.KindGroup, libconfig.KindArray, libconfig.KindList:
		c = libconfig.NewAggregate(s.Kind)
		for _, m := range s.Children() {
			mc, err := cloneSetting(m)
			if err != nil {
				return nil, err
			}
			if s.Kind == libconfig.KindGroup {
				_, err = c.Set(m.Name, mc)
			} else {
				err = c.Append(mc)
			}
			if err != nil {
				return nil, err
			}
		}
		return c, nil
	case libconfig.KindInt:
		v, _ := s.Int()
		c = libconfig.NewInt(int32(v))
	case libconfig.KindInt64:
		v, _ := s.Int()
		c = libconfig.NewInt64(v)
	case libconfig.KindFloat:
		v, _ := s.Float()
		c = libconfig.NewFloat(v)
	case libconfig.KindBool:
		v, _ := s.Bool()
		c = libconfig.NewBool(v)
	case libconfig.KindString:
		v, _ := s.Str()
		c = libconfig.NewString(v)
	default:
		return nil, fmt.Errorf("cannot copy a setting of kind %s", s.Kind)
	}
	c.Format = s.Format
	return c, nil
}
