package config

import (
	"fmt"
	"sort"
	"time"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// Defaults of the optional settings. docs/configuration.md lists them too.
const (
	DefaultWaitDelay      = 250 * time.Millisecond
	DefaultWaitMaxTries   = 5
	DefaultConnectTimeout = 5 * time.Second
	DefaultCallTimeout    = 60 * time.Second
	DefaultConnections    = 2
	DefaultTraceLevel     = 4
)

// Config is a decoded and validated primus.cfg. Load returns a new one each
// time; nothing in it is shared with other Configs.
type Config struct {
	Path    string // the file it was read from
	Version string // root "version", "" when absent

	WaitDelay     time.Duration // primus.wait_delay
	WaitMaxTries  int           // primus.wait_max_tries
	ConnectOnInit bool          // primus.connect_on_init, default false

	HSMs []HSM // primus.hsms, in file order
	Log  Log   // primus.log

	// Global defaults for the HSMs (primus.tls_*, connect_timeout,
	// call_timeout, connections). Each HSM holds its effective values.
	TLS            TLS
	ConnectTimeout time.Duration
	CallTimeout    time.Duration
	Connections    int

	Warnings []Warning          // unknown settings, discouraged ones
	Tree     *libconfig.Setting // the parsed file, unknown settings included
}

// HSM is one cluster member, primus.hsms.hsmX.
type HSM struct {
	Name     string // "hsm0"
	Host     string
	Port     int
	Priority int // 0..127, 0 is tried first
	Slots    []Slot

	// Effective values: the HSM's own setting, else the global one, else
	// the default.
	TLS            TLS
	ConnectTimeout time.Duration
	CallTimeout    time.Duration
	Connections    int

	Pos libconfig.Position
}

// Slot is one partition served by an HSM, primus.hsms.hsmX.slots.slotY.
type Slot struct {
	Name          string // "slot0"
	ID            uint64 // the PKCS#11 slot ID applications see
	ClientID      string
	UserName      string // the HSM user, which is the partition
	ProxyUser     string // the service user of a CloudHSM, "" when none
	ProxyPassword string // discouraged; ppin -p stores it in .secrets.cfg

	Pos libconfig.Position
}

// TLS holds how a member's certificate is checked.
type TLS struct {
	CAFile     string // absolute path of a PEM bundle; "" = system roots
	ServerName string // name expected in the certificate; "" = Host
	// PinSHA256 lists SHA-256 digests of accepted SubjectPublicKeyInfo
	// (DER), as 64 lowercase hex digits. The file may give hex or base64
	// (optionally prefixed "sha256//", as curl writes them); Load
	// normalises to hex so callers compare strings.
	PinSHA256 []string
}

// Log is primus.log.
type Log struct {
	File         string // absolute (relative names are taken from primus.cfg's folder)
	WriteLogFile bool
	WriteSyslog  bool

	TraceTimestamp  bool
	TraceFunction   bool
	TracePID        bool
	TraceInOut      bool
	TraceLineNumber bool
	TraceFilename   bool

	TraceMask  uint32 // 0x01 function inputs, 0x02 protocol, 0x04 raw data
	TraceLevel int    // syslog severity 0..7; 4 (warnings) by default
}

// LogicalSlot is what an application sees as one slot: a partition
// (UserName) under one slot ID, served by one or more cluster members.
type LogicalSlot struct {
	ID       uint64
	UserName string
	Members  []Member // in the HSMs' file order
}

// Member is one HSM's entry for a logical slot. The pointers point into the
// Config they came from.
type Member struct {
	HSM  *HSM
	Slot *Slot
}

// LogicalSlots merges the slots that share an ID (Load has checked they
// share the user name too) and returns them sorted by ID.
func (c *Config) LogicalSlots() []LogicalSlot {
	index := map[uint64]int{}
	var out []LogicalSlot
	for i := range c.HSMs {
		h := &c.HSMs[i]
		for j := range h.Slots {
			s := &h.Slots[j]
			k, ok := index[s.ID]
			if !ok {
				k = len(out)
				index[s.ID] = k
				out = append(out, LogicalSlot{ID: s.ID, UserName: s.UserName})
			}
			out[k].Members = append(out[k].Members, Member{HSM: h, Slot: s})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// ProxyUsers returns the distinct proxy_user values in file order.
func (c *Config) ProxyUsers() []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range c.HSMs {
		for _, s := range h.Slots {
			if s.ProxyUser != "" && !seen[s.ProxyUser] {
				seen[s.ProxyUser] = true
				out = append(out, s.ProxyUser)
			}
		}
	}
	return out
}

// Format prints a Slot with its proxy password redacted, whatever the verb,
// so a Config can be logged with %v or %+v.
func (s Slot) Format(f fmt.State, verb rune) {
	pw := ""
	if s.ProxyPassword != "" {
		pw = redacted
	}
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "config.Slot{Name:%q, ID:%d, ClientID:%q, UserName:%q, ProxyUser:%q, ProxyPassword:%q, Pos:%#v}",
			s.Name, s.ID, s.ClientID, s.UserName, s.ProxyUser, pw, s.Pos)
		return
	}
	fmt.Fprintf(f, "{Name:%s ID:%d ClientID:%s UserName:%s ProxyUser:%s ProxyPassword:%s Pos:%s}",
		s.Name, s.ID, s.ClientID, s.UserName, s.ProxyUser, pw, s.Pos)
}

// GoString is Format's %#v, for callers that call it directly.
func (s Slot) GoString() string { return fmt.Sprintf("%#v", s) }

// MarshalJSON keeps the proxy password out of JSON logs.
func (s Slot) MarshalJSON() ([]byte, error) {
	return jsonObject("name", s.Name, "id", s.ID, "client_id", s.ClientID, "user_name", s.UserName,
		"proxy_user", s.ProxyUser, "proxy_password", mask(s.ProxyPassword), "pos", s.Pos.String())
}
