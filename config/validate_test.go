package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hsmFile is a primus.cfg with one HSM whose members are given, one per
// line from line 4, indented by six spaces (so a setting starts at
// column 7).
func hsmFile(members ...string) string {
	return "primus: {\n  hsms: {\n    hsm0: {\n      " + strings.Join(members, "\n      ") + "\n    };\n  };\n};\n"
}

const okSlots = `slots: { slot0: { user_name = "A"; id = 0; }; };`

func TestValidationErrors(t *testing.T) {
	cases := []struct {
		name, text, want string // want without the leading "<file>:"
	}{
		{"missing host", hsmFile(`port = 2310;`, okSlots),
			"3:5: primus.hsms.hsm0.host: missing; every HSM needs the name or address of its server"},
		{"empty host", hsmFile(`host = " ";`, `port = 2310;`, okSlots),
			"4:7: primus.hsms.hsm0.host: must not be empty"},
		{"host with a path", hsmFile(`host = "https://h/";`, `port = 2310;`, okSlots),
			`4:7: primus.hsms.hsm0.host: must be a host name or IP address, got "https://h/"`},
		{"host not a string", hsmFile(`host = 10;`, `port = 2310;`, okSlots),
			"4:7: primus.hsms.hsm0.host: must be a string (in double quotes), got an integer"},
		{"missing port", hsmFile(`host = "h";`, okSlots),
			`3:5: primus.hsms.hsm0.port: missing; every HSM needs the TCP port of its server, e.g. port = "2310";`},
		{"port not a number", hsmFile(`host = "h";`, `port = "23x0";`, okSlots),
			`5:7: primus.hsms.hsm0.port: must be a port number 1..65535, got "23x0"`},
		{"port too large", hsmFile(`host = "h";`, `port = 70000;`, okSlots),
			"5:7: primus.hsms.hsm0.port: must be 1..65535, got 70000"},
		{"port string too large", hsmFile(`host = "h";`, `port = "70000";`, okSlots),
			"5:7: primus.hsms.hsm0.port: must be 1..65535, got 70000"},
		{"port zero", hsmFile(`host = "h";`, `port = 0;`, okSlots),
			"5:7: primus.hsms.hsm0.port: must be 1..65535, got 0"},
		{"port float", hsmFile(`host = "h";`, `port = 23.5;`, okSlots),
			"5:7: primus.hsms.hsm0.port: must be a port number 1..65535 (an integer or a string of digits), got a number with a fraction"},
		{"priority too large", hsmFile(`host = "h";`, `port = 1;`, `priority = 128;`, okSlots),
			"6:7: primus.hsms.hsm0.priority: must be 0..127, got 128"},
		{"priority negative", hsmFile(`host = "h";`, `port = 1;`, `priority = -1;`, okSlots),
			"6:7: primus.hsms.hsm0.priority: must be 0..127, got -1"},
		{"priority string", hsmFile(`host = "h";`, `port = 1;`, `priority = "0";`, okSlots),
			"6:7: primus.hsms.hsm0.priority: must be an integer 0..127, got a string"},
		{"missing slots", hsmFile(`host = "h";`, `port = 1;`),
			`3:5: primus.hsms.hsm0.slots: missing; every HSM needs at least one slot: slots: { slot0: { user_name = "..."; id = 0; }; };`},
		{"empty slots", hsmFile(`host = "h";`, `port = 1;`, `slots: { };`),
			"6:7: primus.hsms.hsm0.slots: no slot configured; add at least one slotX group with user_name and id"},
		{"slot not a group", hsmFile(`host = "h";`, `port = 1;`, `slots: { slot0 = 5; };`),
			"6:16: primus.hsms.hsm0.slots.slot0: must be a group describing one slot, got an integer"},
		{"slot id missing", hsmFile(`host = "h";`, `port = 1;`, `slots: { slot0: { user_name = "A"; }; };`),
			"6:16: primus.hsms.hsm0.slots.slot0.id: missing; every slot needs the PKCS#11 slot id applications will see, e.g. id = 0;"},
		{"slot id negative", hsmFile(`host = "h";`, `port = 1;`, `slots: { slot0: { user_name = "A"; id = -1; }; };`),
			"6:42: primus.hsms.hsm0.slots.slot0.id: must be a non-negative integer, got -1"},
		{"slot id string", hsmFile(`host = "h";`, `port = 1;`, `slots: { slot0: { user_name = "A"; id = "0"; }; };`),
			"6:42: primus.hsms.hsm0.slots.slot0.id: must be a non-negative integer, got a string"},
		{"user_name missing", hsmFile(`host = "h";`, `port = 1;`, `slots: { slot0: { id = 0; }; };`),
			"6:16: primus.hsms.hsm0.slots.slot0.user_name: missing; every slot names its HSM user (the partition)"},
		{"user_name empty", hsmFile(`host = "h";`, `port = 1;`, `slots: { slot0: { user_name = ""; id = 0; }; };`),
			"6:25: primus.hsms.hsm0.slots.slot0.user_name: must not be empty"},
		{"id twice on one HSM", hsmFile(`host = "h";`, `port = 1;`, `slots: {`,
			`  slot0: { user_name = "A"; id = 0; };`, `  slot1: { user_name = "A"; id = 0; };`, `};`),
			"8:35: primus.hsms.hsm0.slots.slot1.id: slot id 0 is already configured on this HSM at FILE:7:35; list each partition once per HSM"},
		{"proxy_password without proxy_user", hsmFile(`host = "h";`, `port = 1;`,
			`slots: { slot0: { user_name = "A"; proxy_password = "pw"; id = 0; }; };`),
			"6:42: primus.hsms.hsm0.slots.slot0.proxy_password: given without proxy_user; name the service user it belongs to"},
		{"connect_on_init as integer", "primus: {\n  connect_on_init = 1;\n};\n",
			"2:3: primus.connect_on_init: must be true or false, got an integer"},
		{"wait_delay as string", "primus: {\n  wait_delay = \"250\";\n};\n",
			"2:3: primus.wait_delay: must be an integer 0..60000, got a string"},
		{"wait_max_tries zero", "primus: {\n  wait_max_tries = 0;\n};\n",
			"2:3: primus.wait_max_tries: must be 1..1000, got 0"},
		{"connections too many", "primus: {\n  connections = 65;\n};\n",
			"2:3: primus.connections: must be 1..64, got 65"},
		{"trace_level too high", "primus: {\n  log: { trace_level = 9; };\n};\n",
			"2:10: primus.log.trace_level: must be 0..7, got 9"},
		{"trace_mask negative", "primus: {\n  log: { trace_mask = -1; };\n};\n",
			"2:10: primus.log.trace_mask: must be 0..4294967295, got -1"},
		{"log file needed", "primus: {\n  log: { write_log_file = true; };\n};\n",
			"2:3: primus.log.file: missing; write_log_file is true, so the log needs a file name"},
		{"log not a group", "primus: {\n  log = \"x\";\n};\n",
			"2:3: primus.log: must be a group ({ ... }), got a string"},
		{"tls_ca missing file", "primus: {\n  tls_ca = \"nope.pem\";\n};\n",
			"2:3: primus.tls_ca: cannot use CA file DIR/nope.pem: no such file or directory"},
		{"tls_pin_sha256 bad", "primus: {\n  tls_pin_sha256 = [\"abc\"];\n};\n",
			`2:21: primus.tls_pin_sha256.[0]: must be the SHA-256 of a public key (SubjectPublicKeyInfo) as 64 hex digits or 44 base64 characters, got "abc"`},
		{"tls_pin_sha256 empty", "primus: {\n  tls_pin_sha256 = [];\n};\n",
			"2:3: primus.tls_pin_sha256: empty; give at least one pin or remove the setting"},
		{"tls_pin_sha256 integer", "primus: {\n  tls_pin_sha256 = 5;\n};\n",
			`2:3: primus.tls_pin_sha256: must be a string or an array of strings ([ "...", "..." ]), got an integer`},
		{"no hsms", "primus: {\n  wait_delay = 10;\n};\n",
			`1:1: primus.hsms: missing; configure at least one HSM: hsms: { hsm0: { host = "..."; port = "2310"; slots: { ... }; }; };`},
		{"empty hsms", "primus: {\n  hsms: { };\n};\n",
			"2:3: primus.hsms: no HSM configured; add at least one hsmX group with host, port and slots"},
		{"hsms scalar", "primus: {\n  hsms = 1;\n};\n",
			"2:3: primus.hsms: must be a group of HSM groups ({ ... }) or a list of groups (( ... )), got an integer"},
		{"hsm not a group", "primus: {\n  hsms: { host = \"h\"; };\n};\n",
			"2:11: primus.hsms.host: must be a group describing one HSM, got a string"},
		{"no primus", "version = \"1.0\";\n",
			"primus: missing; a primus.cfg holds a group 'primus: { hsms: { ... }; };'"},
		{"primus not a group", "primus = 1;\n",
			"1:1: primus: must be a group ({ ... }), got an integer"},
		{"version not a string", "version = 1;\n",
			"1:1: version: must be a string (in double quotes), got an integer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, path, err := loadText(t, tc.text)
			var e *Error
			require.ErrorAs(t, err, &e)
			want := strings.ReplaceAll(tc.want, "FILE", path)
			want = strings.ReplaceAll(want, "DIR", filepath.Dir(path))
			if strings.HasPrefix(want, "primus:") { // the root has no line
				assert.Regexp(t, `^`+regexpQuote(path)+`(:\d+:\d+)?: `+regexpQuote(want)+`$`, err.Error())
				return
			}
			assert.Equal(t, path+":"+want, err.Error())
			assert.Equal(t, path, e.Pos.File)
		})
	}
}

func TestSlotIDUsedByTwoUsers(t *testing.T) {
	_, path, err := loadText(t, `primus: {
  hsms: {
    hsm0: {
      host = "a"; port = 1;
      slots: {
        slot0: {
          user_name = "A";
          id = 0;
        };
      };
    };
    hsm1: {
      host = "b"; port = 1;
      slots: {
        slot0: {
          user_name = "B";
          id = 0;
        };
      };
    };
  };
};
`)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, path+":17:11: primus.hsms.hsm1.slots.slot0.id: slot id 0 is already used by user 'A' at "+path+
		":8:11; a slot id names one partition", err.Error())
	assert.Equal(t, "primus.hsms.hsm1.slots.slot0.id", e.Path)
	assert.Equal(t, 17, e.Pos.Line)
}

func TestOneUserUnderSeveralIDs(t *testing.T) {
	c := mustLoad(t, hsmFile(`host = "h";`, `port = 1;`,
		`slots: { a: { user_name = "A"; id = 0; }; b: { user_name = "A"; id = 1; }; };`))
	slots := c.LogicalSlots()
	require.Len(t, slots, 2)
	assert.Equal(t, "A", slots[0].UserName)
	assert.Equal(t, "A", slots[1].UserName)
}

func TestHostileNamesAreEscaped(t *testing.T) {
	_, _, err := loadText(t, `primus: { hsms: {
  hsm0: { host = "a"; port = 1; slots: { s: { user_name = "A\nfake log line"; id = 0; }; }; };
  hsm1: { host = "b"; port = 1; slots: { s: { user_name = "B"; id = 0; }; }; };
}; };`)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\n")
	assert.Contains(t, err.Error(), `"A\nfake log line"`)
}
