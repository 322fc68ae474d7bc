package libconfigref

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDumpShowsEveryDetail(t *testing.T) {
	root := &Node{Kind: KindGroup, Children: []*Node{
		{Name: "g", Kind: KindGroup, Children: []*Node{
			{Name: "h", Kind: KindInt, Int: -1, Hex: true},
			{Name: "l", Kind: KindList, Children: []*Node{
				{Kind: KindString, Str: "a\x00\xff\""},
				{Kind: KindFloat, Float: math.Copysign(0, -1)},
			}},
		}},
		{Name: "b", Kind: KindBool, Bool: true},
		{Name: "big", Kind: KindInt64, Int: 1 << 40},
		{Name: "arr", Kind: KindArray},
	}}
	want := `<root> group (4)
g group (2)
g.h int -1 hex
g.l list (2)
g.l.[0] string "a\x00\xff\""
g.l.[1] float -0 bits=0x8000000000000000
b bool true
big int64 1099511627776
arr array (0)
`
	assert.Equal(t, want, root.Dump())
}

func TestDumpDistinguishesFloatBits(t *testing.T) {
	a := &Node{Kind: KindFloat, Float: 0.1}
	b := &Node{Kind: KindFloat, Float: math.Nextafter(0.1, 1)}
	assert.NotEqual(t, a.Dump(), b.Dump())
}
