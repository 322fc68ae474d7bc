package libconfig

import "math"

// Equal reports whether two trees hold the same names, kinds and values in
// the same order. Positions, integer notation (hex or decimal) and parents
// are not compared; floats compare by their bits, so -0 differs from 0.
func Equal(a, b *Setting) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Name != b.Name || a.Kind != b.Kind || len(a.children) != len(b.children) {
		return false
	}
	switch a.Kind {
	case KindInt, KindInt64:
		if a.i != b.i {
			return false
		}
	case KindFloat:
		if math.Float64bits(a.f) != math.Float64bits(b.f) {
			return false
		}
	case KindBool:
		if a.b != b.b {
			return false
		}
	case KindString:
		if a.s != b.s {
			return false
		}
	}
	for i := range a.children {
		if !Equal(a.children[i], b.children[i]) {
			return false
		}
	}
	return true
}
