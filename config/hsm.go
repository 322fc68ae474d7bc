package config

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// connDefaults are the connection settings an HSM inherits.
type connDefaults struct {
	TLS            TLS
	ConnectTimeout time.Duration
	CallTimeout    time.Duration
	Connections    int
}

// connSettings reads our optional connection settings from g (primus or one
// hsmX), each one overriding the inherited value.
func (d *decoder) connSettings(g *libconfig.Setting, dir string, in connDefaults) (connDefaults, error) {
	out := in
	out.TLS.PinSHA256 = append([]string(nil), in.TLS.PinSHA256...)

	ca, caSetting, err := d.nonEmptyStr(g, "tls_ca")
	if err != nil {
		return out, err
	}
	if caSetting != nil {
		out.TLS.CAFile = resolve(dir, ca)
		if err := checkReadableFile(out.TLS.CAFile); err != nil {
			return out, d.errorf(caSetting, "cannot use CA file %s: %v", out.TLS.CAFile, err)
		}
	}
	name, nameSetting, err := d.nonEmptyStr(g, "tls_server_name")
	if err != nil {
		return out, err
	}
	if nameSetting != nil {
		if strings.ContainsAny(name, " \t\r\n") {
			return out, d.errorf(nameSetting, "must be a DNS name or IP address without spaces")
		}
		out.TLS.ServerName = name
	}
	if pins, ok, err := d.pins(g); err != nil {
		return out, err
	} else if ok {
		out.TLS.PinSHA256 = pins
	}
	if n, s, err := d.integer(g, "connect_timeout", 1, 600000); err != nil {
		return out, err
	} else if s != nil {
		out.ConnectTimeout = time.Duration(n) * time.Millisecond
	}
	if n, s, err := d.integer(g, "call_timeout", 1, 3600000); err != nil {
		return out, err
	} else if s != nil {
		out.CallTimeout = time.Duration(n) * time.Millisecond
	}
	if n, s, err := d.integer(g, "connections", 1, 64); err != nil {
		return out, err
	} else if s != nil {
		out.Connections = int(n)
	}
	return out, nil
}

func checkReadableFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s", describe(err))
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file")
	}
	return nil
}

// pins reads tls_pin_sha256: one string or an array or list of strings.
func (d *decoder) pins(g *libconfig.Setting) ([]string, bool, error) {
	s := g.Member("tls_pin_sha256")
	if s == nil {
		return nil, false, nil
	}
	var items []*libconfig.Setting
	switch s.Kind {
	case libconfig.KindString:
		items = []*libconfig.Setting{s}
	case libconfig.KindArray, libconfig.KindList:
		items = s.Children()
		if len(items) == 0 {
			return nil, false, d.errorf(s, "empty; give at least one pin or remove the setting")
		}
	default:
		return nil, false, d.errorf(s, "must be a string or an array of strings ([ \"...\", \"...\" ]), got %s", article(s.Kind))
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		v, ok := it.Str()
		if !ok {
			return nil, false, d.errorf(it, "must be a string, got %s", article(it.Kind))
		}
		pin, err := normalisePin(v)
		if err != nil {
			return nil, false, d.errorf(it, "%v", err)
		}
		out = append(out, pin)
	}
	return out, true, nil
}

// normalisePin accepts the SHA-256 of a SubjectPublicKeyInfo as 64 hex
// digits (colons allowed, as openssl prints them) or as standard base64,
// optionally prefixed "sha256//" (curl's --pinnedpubkey form), and returns
// 64 lowercase hex digits.
func normalisePin(v string) (string, error) {
	const want = "must be the SHA-256 of a public key (SubjectPublicKeyInfo) as 64 hex digits or 44 base64 characters"
	s := strings.TrimPrefix(strings.TrimSpace(v), "sha256//")
	if h := strings.ReplaceAll(s, ":", ""); len(h) == 64 {
		if b, err := hex.DecodeString(h); err == nil {
			return hex.EncodeToString(b), nil
		}
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return hex.EncodeToString(b), nil
	}
	if len(s) > 80 {
		return "", fmt.Errorf("%s, got %d characters", want, len(s))
	}
	return "", fmt.Errorf("%s, got %q", want, s)
}

// errNoHSMs is the error for a primus group without hsms.
func (d *decoder) errNoHSMs(primus *libconfig.Setting) error {
	return d.missing(primus, "hsms", "configure at least one HSM: hsms: { hsm0: { host = \"...\"; port = \"2310\"; slots: { ... }; }; };")
}

// hsms reads primus.hsms, nil when absent, and checks the slot IDs across all HSMs.
func (d *decoder) hsms(primus *libconfig.Setting, dir string, global connDefaults) ([]HSM, error) {
	hs := primus.Member("hsms")
	if hs == nil {
		return nil, nil
	}
	items, err := d.collection(hs, "HSM")
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, d.errorf(hs, "no HSM configured; add at least one hsmX group with host, port and slots")
	}
	ids := slotIDs{}
	endpoints := map[string]*libconfig.Setting{}
	out := make([]HSM, 0, len(items))
	for i, it := range items {
		h, err := d.hsm(it, itemName(it, "hsm", i), dir, global, ids)
		if err != nil {
			return nil, err
		}
		ep := strings.ToLower(h.Host) + ":" + strconv.Itoa(h.Port)
		if first, dup := endpoints[ep]; dup {
			d.warn(it, "%s: same host and port as %s at %s; the cluster member is listed twice", it.Path(), first.Path(), d.pos(first))
		} else {
			endpoints[ep] = it
		}
		out = append(out, h)
	}
	return out, nil
}

func (d *decoder) hsm(g *libconfig.Setting, name, dir string, global connDefaults, ids slotIDs) (HSM, error) {
	h := HSM{Name: name, Pos: d.pos(g)}
	if err := d.checkMembers(g, hsmKeys); err != nil {
		return h, err
	}
	host, hostSetting, err := d.nonEmptyStr(g, "host")
	if err != nil {
		return h, err
	}
	if hostSetting == nil {
		return h, d.missing(g, "host", "every HSM needs the name or address of its server")
	}
	if strings.ContainsAny(host, " \t\r\n/") {
		return h, d.errorf(hostSetting, "must be a host name or IP address, got %q", host)
	}
	h.Host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]") // "[::1]" as well as "::1"
	if h.Port, err = d.port(g); err != nil {
		return h, err
	}
	if n, s, err := d.integer(g, "priority", 0, 127); err != nil {
		return h, err
	} else if s != nil {
		h.Priority = int(n)
	}
	conn, err := d.connSettings(g, dir, global)
	if err != nil {
		return h, err
	}
	h.TLS, h.ConnectTimeout, h.CallTimeout, h.Connections = conn.TLS, conn.ConnectTimeout, conn.CallTimeout, conn.Connections

	ss := g.Member("slots")
	if ss == nil {
		return h, d.missing(g, "slots", "every HSM needs at least one slot: slots: { slot0: { user_name = \"...\"; id = 0; }; };")
	}
	items, err := d.collection(ss, "slot")
	if err != nil {
		return h, err
	}
	if len(items) == 0 {
		return h, d.errorf(ss, "no slot configured; add at least one slotX group with user_name and id")
	}
	for i, it := range items {
		s, err := d.slot(it, itemName(it, "slot", i), ids)
		if err != nil {
			return h, err
		}
		h.Slots = append(h.Slots, s)
	}
	ids.endHSM()
	return h, nil
}

// port reads a port given as the vendor's string ("2310") or as an integer.
func (d *decoder) port(g *libconfig.Setting) (int, error) {
	const hint = "must be a port number 1..65535"
	s := g.Member("port")
	if s == nil {
		return 0, d.missing(g, "port", "every HSM needs the TCP port of its server, e.g. port = \"2310\";")
	}
	var n int64
	switch s.Kind {
	case libconfig.KindInt, libconfig.KindInt64:
		n, _ = s.Int()
	case libconfig.KindString:
		v, _ := s.Str()
		if len(v) > 12 {
			return 0, d.errorf(s, "%s, got a string of %d characters", hint, len(v))
		}
		parsed, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, d.errorf(s, "%s, got %q", hint, v)
		}
		n = parsed
	default:
		return 0, d.errorf(s, "%s (an integer or a string of digits), got %s", hint, article(s.Kind))
	}
	if n < 1 || n > 65535 {
		return 0, d.errorf(s, "must be 1..65535, got %d", n)
	}
	return int(n), nil
}

func (d *decoder) slot(g *libconfig.Setting, name string, ids slotIDs) (Slot, error) {
	s := Slot{Name: name, Pos: d.pos(g)}
	if err := d.checkMembers(g, slotKeys); err != nil {
		return s, err
	}
	var err error
	if s.ClientID, _, err = d.str(g, "client_id"); err != nil {
		return s, err
	}
	var userSetting *libconfig.Setting
	if s.UserName, userSetting, err = d.nonEmptyStr(g, "user_name"); err != nil {
		return s, err
	}
	if userSetting == nil {
		return s, d.missing(g, "user_name", "every slot names its HSM user (the partition)")
	}
	var proxySetting, passwordSetting *libconfig.Setting
	if s.ProxyUser, proxySetting, err = d.nonEmptyStr(g, "proxy_user"); err != nil {
		return s, err
	}
	if s.ProxyPassword, passwordSetting, err = d.str(g, "proxy_password"); err != nil {
		return s, err
	}
	if passwordSetting != nil {
		if proxySetting == nil {
			return s, d.errorf(passwordSetting, "given without proxy_user; name the service user it belongs to")
		}
		d.warn(passwordSetting, "%s: a password in primus.cfg can be read by everyone who can read the file; store it with 'ppin -p -e %s' in .secrets.cfg and remove it here",
			passwordSetting.Path(), bare(s.ProxyUser))
	}
	idSetting := g.Member("id")
	if idSetting == nil {
		return s, d.missing(g, "id", "every slot needs the PKCS#11 slot id applications will see, e.g. id = 0;")
	}
	id, ok := idSetting.Int()
	if !ok {
		return s, d.errorf(idSetting, "must be a non-negative integer, got %s", article(idSetting.Kind))
	}
	if id < 0 {
		return s, d.errorf(idSetting, "must be a non-negative integer, got %d", id)
	}
	s.ID = uint64(id)
	return s, ids.claim(d, idSetting, s.ID, s.UserName)
}

// slotIDs checks that a slot id names one partition: the same id may appear
// on several HSMs (cluster members) with the same user_name, but not with
// two user names, nor twice on one HSM.
type slotIDs map[uint64]*idClaim

type idClaim struct {
	user  string
	first *libconfig.Setting // the first id setting in the file
	here  *libconfig.Setting // the one on the HSM being read, or nil
}

func (ids slotIDs) claim(d *decoder, s *libconfig.Setting, id uint64, user string) error {
	c, ok := ids[id]
	if !ok {
		ids[id] = &idClaim{user: user, first: s, here: s}
		return nil
	}
	if c.user != user {
		return d.errorf(s, "slot id %d is already used by user %s at %s; a slot id names one partition", id, printable(c.user), d.pos(c.first))
	}
	if c.here != nil {
		return d.errorf(s, "slot id %d is already configured on this HSM at %s; list each partition once per HSM", id, d.pos(c.here))
	}
	c.here = s
	return nil
}

// endHSM is called after each HSM's slots, so the next may reuse the ids.
func (ids slotIDs) endHSM() {
	for _, c := range ids {
		c.here = nil
	}
}
