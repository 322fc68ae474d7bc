package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudp11/cloudp11/config/libconfig"
)

// decoder turns a libconfig tree into typed values. It collects warnings;
// the first error ends decoding, so errors come back in file order.
type decoder struct {
	file     string // for positions the parser left without a file name
	warnings []Warning
}

func (d *decoder) pos(s *libconfig.Setting) libconfig.Position {
	p := s.Pos
	if p.File == "" {
		p.File = d.file
	}
	return p
}

func (d *decoder) errorf(s *libconfig.Setting, format string, args ...any) *Error {
	return &Error{Pos: d.pos(s), Path: s.Path(), Msg: fmt.Sprintf(format, args...)}
}

// missing reports a required member that is absent, at its group.
func (d *decoder) missing(g *libconfig.Setting, name, why string) *Error {
	return &Error{Pos: d.pos(g), Path: joinPath(g.Path(), name), Msg: "missing; " + why}
}

func (d *decoder) warn(s *libconfig.Setting, format string, args ...any) {
	d.warnings = append(d.warnings, Warning{Pos: d.pos(s), Path: s.Path(), Msg: fmt.Sprintf(format, args...)})
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// checkMembers warns about members of g not in known, with a hint when one
// is close, and rejects a name given twice (the parser may allow it; which
// of the two counts would be a guess).
func (d *decoder) checkMembers(g *libconfig.Setting, known []string) error {
	seen := map[string]*libconfig.Setting{}
	for _, m := range g.Children() {
		if first, dup := seen[m.Name]; dup {
			return d.errorf(m, "set twice (first at %s); remove one", d.pos(first))
		}
		seen[m.Name] = m
		if known == nil || slices.Contains(known, m.Name) {
			continue
		}
		if hint, ok := libconfig.Suggest(m.Name, known); ok {
			d.warn(m, "unknown setting %s; did you mean '%s'?", m.Path(), hint)
		} else {
			d.warn(m, "unknown setting %s (ignored); known here: %s", m.Path(), strings.Join(known, ", "))
		}
	}
	return nil
}

// article returns the kind's name with "a" or "an", for messages.
func article(k libconfig.Kind) string {
	switch k {
	case libconfig.KindArray, libconfig.KindInt, libconfig.KindInt64:
		return "an " + kindWord(k)
	}
	return "a " + kindWord(k)
}

func kindWord(k libconfig.Kind) string {
	switch k {
	case libconfig.KindInt, libconfig.KindInt64:
		return "integer"
	case libconfig.KindFloat:
		return "number with a fraction"
	}
	return k.String()
}

// The getters below return the member's setting, nil when absent, and an
// error naming the expected type when it has another. Values of strings are
// never quoted in type errors: the setting may hold a password.

func (d *decoder) str(g *libconfig.Setting, name string) (string, *libconfig.Setting, error) {
	s := g.Member(name)
	if s == nil {
		return "", nil, nil
	}
	v, ok := s.Str()
	if !ok {
		return "", s, d.errorf(s, "must be a string (in double quotes), got %s", article(s.Kind))
	}
	return v, s, nil
}

// nonEmptyStr is str for settings that must not be "" when present.
func (d *decoder) nonEmptyStr(g *libconfig.Setting, name string) (string, *libconfig.Setting, error) {
	v, s, err := d.str(g, name)
	if err == nil && s != nil && strings.TrimSpace(v) == "" {
		err = d.errorf(s, "must not be empty")
	}
	return v, s, err
}

func (d *decoder) integer(g *libconfig.Setting, name string, lo, hi int64) (int64, *libconfig.Setting, error) {
	s := g.Member(name)
	if s == nil {
		return 0, nil, nil
	}
	v, ok := s.Int()
	if !ok {
		return 0, s, d.errorf(s, "must be an integer %d..%d, got %s", lo, hi, article(s.Kind))
	}
	if v < lo || v > hi {
		return 0, s, d.errorf(s, "must be %d..%d, got %d", lo, hi, v)
	}
	return v, s, nil
}

func (d *decoder) boolean(g *libconfig.Setting, name string) (bool, *libconfig.Setting, error) {
	s := g.Member(name)
	if s == nil {
		return false, nil, nil
	}
	v, ok := s.Bool()
	if !ok {
		return false, s, d.errorf(s, "must be true or false, got %s", article(s.Kind))
	}
	return v, s, nil
}

// setBool stores a present bool member into *dst, keeping the default
// otherwise.
func (d *decoder) setBool(g *libconfig.Setting, name string, dst *bool) error {
	v, s, err := d.boolean(g, name)
	if err == nil && s != nil {
		*dst = v
	}
	return err
}

func (d *decoder) group(g *libconfig.Setting, name string) (*libconfig.Setting, error) {
	s := g.Member(name)
	if s == nil {
		return nil, nil
	}
	if s.Kind != libconfig.KindGroup {
		return s, d.errorf(s, "must be a group ({ ... }), got %s", article(s.Kind))
	}
	return s, nil
}

// collection returns the members of a setting that may be written as a
// group of named groups (the vendor's "hsms: { hsm0: {...}; }") or as a list
// of groups ("hsms = ( {...}, {...} );").
func (d *decoder) collection(s *libconfig.Setting, what string) ([]*libconfig.Setting, error) {
	switch s.Kind {
	case libconfig.KindGroup:
		if err := d.checkMembers(s, nil); err != nil {
			return nil, err
		}
	case libconfig.KindList:
	default:
		return nil, d.errorf(s, "must be a group of %s groups ({ ... }) or a list of groups (( ... )), got %s", what, article(s.Kind))
	}
	items := s.Children()
	for _, it := range items {
		if it.Kind != libconfig.KindGroup {
			return nil, d.errorf(it, "must be a group describing one %s, got %s", what, article(it.Kind))
		}
	}
	return items, nil
}

// itemName is the name of a group in a collection: its own in a group,
// prefix plus index in a list.
func itemName(s *libconfig.Setting, prefix string, index int) string {
	if s.Parent() != nil && s.Parent().Kind == libconfig.KindGroup {
		return s.Name
	}
	return fmt.Sprintf("%s%d", prefix, index)
}

// printable returns s in single quotes for a message, or escaped as a Go
// string when it holds control or non-UTF-8 bytes, so a hostile name cannot
// forge log lines.
func printable(s string) string {
	if b := bare(s); b != s {
		return b
	}
	return "'" + s + "'"
}

// bare returns s as it is when it is plain printable text, else escaped as
// a Go string (with its double quotes).
func bare(s string) string {
	q := strconv.Quote(s)
	if q[1:len(q)-1] == s {
		return s
	}
	return q
}
