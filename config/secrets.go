package config

import (
	"fmt"
	"time"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// redacted stands in for a secret in every printed form.
const redacted = "[REDACTED]"

// Secrets is a decoded .secrets.cfg: the permanent secrets of HSM users and
// the passwords of proxy (service) users. Printing it with any fmt verb, or
// marshalling it to JSON, shows names only.
type Secrets struct {
	Path       string
	HSMUsers   []HSMUserSecret // file order
	ProxyUsers []ProxyPassword // file order
	Warnings   []string        // permissions, unknown settings

	// extra holds top-level settings this version does not know, so that a
	// rewrite by an older ppin keeps what a newer one wrote.
	extra []*libconfig.Setting
}

// HSMUserSecret is the permanent secret ppin obtained for an HSM user.
type HSMUserSecret struct {
	UserName string
	Secret   string
	SecretID string    // the HSM's identifier of the secret, if it gave one
	Created  time.Time // when ppin stored it; zero when unknown
}

// ProxyPassword is the password of a CloudHSM service (proxy) user.
type ProxyPassword struct {
	UserName string
	Password string
}

// HSMUser returns the stored secret of an HSM user.
func (s *Secrets) HSMUser(name string) (HSMUserSecret, bool) {
	for _, u := range s.HSMUsers {
		if u.UserName == name {
			return u, true
		}
	}
	return HSMUserSecret{}, false
}

// SetHSMUser stores v, replacing the entry of the same user in place or
// appending a new one.
func (s *Secrets) SetHSMUser(v HSMUserSecret) {
	for i := range s.HSMUsers {
		if s.HSMUsers[i].UserName == v.UserName {
			s.HSMUsers[i] = v
			return
		}
	}
	s.HSMUsers = append(s.HSMUsers, v)
}

// RemoveHSMUser deletes the user's secret and reports whether there was one.
func (s *Secrets) RemoveHSMUser(name string) bool {
	for i := range s.HSMUsers {
		if s.HSMUsers[i].UserName == name {
			s.HSMUsers = append(s.HSMUsers[:i], s.HSMUsers[i+1:]...)
			return true
		}
	}
	return false
}

// ProxyPassword returns the stored password of a proxy user.
func (s *Secrets) ProxyPassword(user string) (string, bool) {
	for _, p := range s.ProxyUsers {
		if p.UserName == user {
			return p.Password, true
		}
	}
	return "", false
}

// SetProxyPassword stores a proxy user's password, replacing any in place.
func (s *Secrets) SetProxyPassword(user, password string) {
	for i := range s.ProxyUsers {
		if s.ProxyUsers[i].UserName == user {
			s.ProxyUsers[i].Password = password
			return
		}
	}
	s.ProxyUsers = append(s.ProxyUsers, ProxyPassword{UserName: user, Password: password})
}

// RemoveProxyPassword deletes a proxy user's password and reports whether
// there was one.
func (s *Secrets) RemoveProxyPassword(user string) bool {
	for i := range s.ProxyUsers {
		if s.ProxyUsers[i].UserName == user {
			s.ProxyUsers = append(s.ProxyUsers[:i], s.ProxyUsers[i+1:]...)
			return true
		}
	}
	return false
}

// mask returns how a secret value is shown: redacted, or "" for none, so a
// reader can still tell set from unset.
func mask(v string) string {
	if v == "" {
		return ""
	}
	return redacted
}

// Format prints the entry with its secret redacted, whatever the verb.
func (u HSMUserSecret) Format(f fmt.State, verb rune) {
	created := ""
	if !u.Created.IsZero() {
		created = u.Created.UTC().Format(time.RFC3339)
	}
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "config.HSMUserSecret{UserName:%q, Secret:%q, SecretID:%q, Created:%q}", u.UserName, mask(u.Secret), u.SecretID, created)
		return
	}
	fmt.Fprintf(f, "{UserName:%s Secret:%s SecretID:%s Created:%s}", u.UserName, mask(u.Secret), u.SecretID, created)
}

// GoString is Format's %#v.
func (u HSMUserSecret) GoString() string { return fmt.Sprintf("%#v", u) }

// String is Format's %v.
func (u HSMUserSecret) String() string { return fmt.Sprintf("%v", u) }

// MarshalJSON keeps the secret out of JSON logs (zerolog's Interface).
func (u HSMUserSecret) MarshalJSON() ([]byte, error) {
	return jsonObject("user_name", u.UserName, "secret", mask(u.Secret), "secret_id", u.SecretID)
}

// Format prints the entry with its password redacted, whatever the verb.
func (p ProxyPassword) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "config.ProxyPassword{UserName:%q, Password:%q}", p.UserName, mask(p.Password))
		return
	}
	fmt.Fprintf(f, "{UserName:%s Password:%s}", p.UserName, mask(p.Password))
}

// GoString is Format's %#v.
func (p ProxyPassword) GoString() string { return fmt.Sprintf("%#v", p) }

// String is Format's %v.
func (p ProxyPassword) String() string { return fmt.Sprintf("%v", p) }

// MarshalJSON keeps the password out of JSON logs.
func (p ProxyPassword) MarshalJSON() ([]byte, error) {
	return jsonObject("user_name", p.UserName, "password", mask(p.Password))
}

// Format prints the store with every secret redacted, whatever the verb.
func (s Secrets) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "config.Secrets{Path:%q, HSMUsers:%#v, ProxyUsers:%#v, Warnings:%#v}", s.Path, s.HSMUsers, s.ProxyUsers, s.Warnings)
		return
	}
	fmt.Fprintf(f, "{Path:%s HSMUsers:%v ProxyUsers:%v Warnings:%v}", s.Path, s.HSMUsers, s.ProxyUsers, s.Warnings)
}

// GoString is Format's %#v.
func (s Secrets) GoString() string { return fmt.Sprintf("%#v", s) }

// String is Format's %v.
func (s Secrets) String() string { return fmt.Sprintf("%v", s) }

// MarshalJSON keeps the secrets out of JSON logs.
func (s Secrets) MarshalJSON() ([]byte, error) {
	return jsonObject("path", s.Path, "hsm_users", s.HSMUsers, "proxy_users", s.ProxyUsers, "warnings", s.Warnings)
}
