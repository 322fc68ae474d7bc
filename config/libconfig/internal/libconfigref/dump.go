package libconfigref

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Dump renders the tree one setting per line, "path kind value", in source
// order. Differential tests compare dumps and print them on a mismatch, so
// the form is exact: strings are Go-quoted (a NUL or an invalid UTF-8 byte
// shows), floats carry their IEEE-754 bits, integers say whether they were
// written in hex. Positions are left out.
func (n *Node) Dump() string {
	var b strings.Builder
	n.dump(&b, "")
	return b.String()
}

func (n *Node) dump(b *strings.Builder, path string) {
	shown := path
	if shown == "" {
		shown = "<root>"
	}
	fmt.Fprintf(b, "%s %s", shown, n.Kind)
	switch n.Kind {
	case KindGroup, KindArray, KindList:
		fmt.Fprintf(b, " (%d)\n", len(n.Children))
		for i, c := range n.Children {
			seg := "[" + strconv.Itoa(i) + "]"
			if n.Kind == KindGroup {
				seg = c.Name
			}
			if path != "" {
				seg = path + "." + seg
			}
			c.dump(b, seg)
		}
		return
	case KindInt, KindInt64:
		b.WriteString(" " + strconv.FormatInt(n.Int, 10))
		if n.Hex {
			b.WriteString(" hex")
		}
	case KindFloat:
		fmt.Fprintf(b, " %s bits=%#016x", strconv.FormatFloat(n.Float, 'g', -1, 64), math.Float64bits(n.Float))
	case KindBool:
		b.WriteString(" " + strconv.FormatBool(n.Bool))
	case KindString:
		b.WriteString(" " + strconv.Quote(n.Str))
	}
	b.WriteByte('\n')
}
