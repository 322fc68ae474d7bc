package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func warningTexts(c *Config) []string {
	var out []string
	for _, w := range c.Warnings {
		out = append(out, w.String())
	}
	return out
}

func TestUnknownSettingsWarnWithHints(t *testing.T) {
	c, path, err := loadText(t, `version = "1.0";
primus: {
  wait_dealy = 100;
  hsms: {
    hsm0: {
      host = "h"; port = 1;
      prioriy = 3;
      colour = "blue";
      slots: { slot0: { user_nmae = "x"; user_name = "A"; ID = 0; id = 0; }; };
    };
  };
  log: { trace_levle = 5; };
};
Primus: { };
`)
	require.NoError(t, err)
	assert.Equal(t, []string{
		path + ":14:1: unknown setting Primus; did you mean 'primus'?",
		path + ":3:3: unknown setting primus.wait_dealy; did you mean 'wait_delay'?",
		path + ":7:7: unknown setting primus.hsms.hsm0.prioriy; did you mean 'priority'?",
		path + ":8:7: unknown setting primus.hsms.hsm0.colour (ignored); known here: host, port, priority, slots, tls_ca, tls_server_name, tls_pin_sha256, connect_timeout, call_timeout, connections",
		path + ":9:25: unknown setting primus.hsms.hsm0.slots.slot0.user_nmae; did you mean 'user_name'?",
		path + ":9:59: unknown setting primus.hsms.hsm0.slots.slot0.ID; did you mean 'id'?",
		path + ":12:10: unknown setting primus.log.trace_levle; did you mean 'trace_level'?",
	}, warningTexts(c))
	assert.Equal(t, "primus.hsms.hsm0.prioriy", c.Warnings[2].Path)
	assert.Equal(t, 0, c.HSMs[0].Priority, "a misspelt setting keeps the default")

	// Unknown settings stay in the tree for tools that want them.
	v, ok := c.Tree.Lookup("primus.hsms.hsm0.colour").Str()
	require.True(t, ok)
	assert.Equal(t, "blue", v)
}

func TestDiscouragedSettingsWarn(t *testing.T) {
	c, path, err := loadText(t, `version = "2.0";
primus: {
  log: { trace_mask = 0x19; };
  hsms: {
    hsm0: { host = "h"; port = 1; slots: { s: { user_name = "A"; proxy_user = "P"; proxy_password = "secret-pw"; id = 0; }; }; };
    hsm1: { host = "H"; port = "1"; slots: { s: { user_name = "A"; id = 0; }; }; };
  };
};
`)
	require.NoError(t, err)
	assert.Equal(t, []string{
		path + `:1:1: version "2.0" is not known; reading the file as version 1.0`,
		path + ":5:84: primus.hsms.hsm0.slots.s.proxy_password: a password in primus.cfg can be read by everyone who can read the file; store it with 'ppin -p -e P' in .secrets.cfg and remove it here",
		path + ":6:5: primus.hsms.hsm1: same host and port as primus.hsms.hsm0 at " + path + ":5:5; the cluster member is listed twice",
		path + ":3:10: primus.log.trace_mask: bits 0x18 have no meaning (known: 0x01 function inputs, 0x02 protocol, 0x04 raw data)",
	}, warningTexts(c))
}
