package libconfig_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// TestVendorSample parses the vendor's documented primus.cfg.
func TestVendorSample(t *testing.T) {
	root, err := libconfig.ParseFile("testdata/primus.cfg", nil)
	require.NoError(t, err)

	str := func(path string) string {
		v, ok := root.Lookup(path).Str()
		require.True(t, ok, path)
		return v
	}
	integer := func(path string) int64 {
		v, ok := root.Lookup(path).Int()
		require.True(t, ok, path)
		return v
	}
	boolean := func(path string) bool {
		v, ok := root.Lookup(path).Bool()
		require.True(t, ok, path)
		return v
	}
	assert.Equal(t, "1.0", str("version"))
	assert.Equal(t, int64(250), integer("primus.wait_delay"))
	assert.Equal(t, int64(5), integer("primus.wait_max_tries"))
	assert.True(t, boolean("primus.connect_on_init"))
	assert.Equal(t, "a-api.cloudshsm.com", str("primus.hsms.hsm0.host"))
	assert.Equal(t, "2310", str("primus.hsms.hsm0.port"))
	assert.Equal(t, "SERVICE_USER", str("primus.hsms.hsm0.slots.slot0.proxy_user"))
	assert.Nil(t, root.Lookup("primus.hsms.hsm0.slots.slot0.proxy_password"), "it is commented out")
	assert.Equal(t, int64(0), integer("primus.hsms.hsm0.slots.slot0.id"))
	assert.Equal(t, "b-api.cloudshsm.com", str("primus.hsms.hsm1.host"))
	assert.Equal(t, "HSM_USERNAME", str("primus.hsms.hsm1.slots.slot0.user_name"))
	assert.Equal(t, "/tmp/primus.log", str("primus.log.file"))
	assert.False(t, boolean("primus.log.trace_inout"))
	assert.Equal(t, int64(4), integer("primus.log.trace_level"))

	mask := root.Lookup("primus.log.trace_mask")
	assert.Equal(t, libconfig.KindInt, mask.Kind)
	assert.Equal(t, libconfig.FormatHex, mask.Format)
	assert.Equal(t, libconfig.Position{File: "testdata/primus.cfg", Line: 27, Column: 5}, mask.Pos)

	assert.Equal(t, []string{"hsm0", "hsm1"}, names(root.Lookup("primus.hsms")))
	assert.Contains(t, string(libconfig.Format(root)), "    trace_mask = 0x0;\n")
}

func names(group *libconfig.Setting) []string {
	var out []string
	for _, c := range group.Children() {
		out = append(out, c.Name)
	}
	return out
}

func BenchmarkParsePrimusCfg(b *testing.B) {
	src, err := os.ReadFile("testdata/primus.cfg")
	require.NoError(b, err)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := libconfig.Parse("primus.cfg", src, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLarge parses a cluster of 64 HSMs with 16 slots each,
// about 100 KB, the size of the largest deployments imaginable.
func BenchmarkParseLarge(b *testing.B) {
	var src bytes.Buffer
	src.WriteString("primus = {\n  hsms = {\n")
	for h := range 64 {
		src.WriteString("    hsm" + fmtInt(int64(h)) + " = { host = \"hsm.example.com\"; port = 2310; priority = 1;\n      slots = {\n")
		for s := range 16 {
			src.WriteString("        slot" + fmtInt(int64(s)) + " = { client_id = \"client\"; user_name = \"USER" + fmtInt(int64(s)) + "\"; id = " + fmtInt(int64(s)) + "; };\n")
		}
		src.WriteString("      };\n    };\n")
	}
	src.WriteString("  };\n  log = { trace_mask = 0x07; trace_level = 4; };\n};\n")
	data := src.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := libconfig.Parse("large.cfg", data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormatPrimusCfg(b *testing.B) {
	root, err := libconfig.ParseFile("testdata/primus.cfg", nil)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if out := libconfig.Format(root); !strings.HasPrefix(string(out), "version") {
			b.Fatal("bad output")
		}
	}
}
