//go:build cgo

package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCgoSeesTheHeaders checks the headers the way p11/ uses them: cgo must translate the
// function lists in the specification's order, evaluate the constants to the specification's
// values and lay the structures out as the specification implies.
func TestCgoSeesTheHeaders(t *testing.T) {
	requireLP64(t)
	v240, v30 := cgoFunctionLists()
	want := []string{"version"}
	for _, f := range allFunctions() {
		want = append(want, f.name)
	}
	assert.Equal(t, want[:1+len(v240Functions)], v240, "CK_FUNCTION_LIST through cgo")
	assert.Equal(t, want, v30, "CK_FUNCTION_LIST_3_0 through cgo")

	spec := map[string]uint64{}
	for _, c := range miekgConstants {
		spec[c.name] = c.value
	}
	spec["CKM_EDDSA"] = 0x1057          // v3.0, not in the v2.40 table
	spec["CRYPTOKI_VERSION_MINOR"] = 40 // miekg keeps only the CK names
	for name, got := range cgoConstants() {
		want, ok := spec[name]
		if assert.Truef(t, ok, "%s has no expected value", name) {
			assert.Equalf(t, want, got, "%s through cgo", name)
		}
	}

	layout := expectedLayout()
	for name, got := range cgoSizes() {
		assert.Equalf(t, layout[name], got, "sizeof(%s) through cgo", name)
	}
}
