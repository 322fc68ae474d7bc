package libconfig

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the type of a setting's value.
type Kind int

// The kinds of value libconfig knows. Int is a 32-bit integer, Int64 one
// written with an L suffix or too large for 32 bits.
const (
	KindGroup Kind = iota + 1
	KindArray
	KindList
	KindInt
	KindInt64
	KindFloat
	KindBool
	KindString
)

var kindNames = map[Kind]string{
	KindGroup: "group", KindArray: "array", KindList: "list", KindInt: "int",
	KindInt64: "int64", KindFloat: "float", KindBool: "bool", KindString: "string",
}

func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// IsAggregate reports whether settings of this kind hold other settings.
func (k Kind) IsAggregate() bool { return k == KindGroup || k == KindArray || k == KindList }

// IsScalar reports whether settings of this kind hold a single value.
func (k Kind) IsScalar() bool { return k >= KindInt && k <= KindString }

// IntFormat records how an integer was written, so the printer can write it
// back the same way (a hex trace_mask stays hex).
type IntFormat int

// Integer notations.
const (
	FormatDecimal IntFormat = iota
	FormatHex
	FormatBinary
	FormatOctal
)

// Position is a place in a source file. Line and Column count from 1; the
// column counts bytes, as the reference library does.
type Position struct {
	File   string
	Line   int
	Column int
}

func (p Position) String() string {
	file := p.File
	if file == "" {
		file = "<input>"
	}
	if p.Line == 0 {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Column)
}

// Setting is one node of a parsed configuration: a named member of a group,
// or an unnamed element of an array or list. The root of a file is a group
// with an empty name.
type Setting struct {
	Name   string
	Kind   Kind
	Pos    Position
	Format IntFormat // for KindInt and KindInt64

	parent   *Setting
	children []*Setting
	i        int64
	f        float64
	b        bool
	s        string
}

// NewGroup returns an empty, unattached group, usable as a root.
func NewGroup() *Setting { return &Setting{Kind: KindGroup} }

// Parent returns the group, array or list that holds s, or nil for a root.
func (s *Setting) Parent() *Setting { return s.parent }

// Children returns the members of a group or elements of an array or list,
// in source order. The slice must not be modified.
func (s *Setting) Children() []*Setting { return s.children }

// Len is the number of children.
func (s *Setting) Len() int { return len(s.children) }

// Index returns the i-th child, or nil.
func (s *Setting) Index(i int) *Setting {
	if i < 0 || i >= len(s.children) {
		return nil
	}
	return s.children[i]
}

// Member returns the member of a group with the given name, or nil.
func (s *Setting) Member(name string) *Setting {
	if s == nil || s.Kind != KindGroup {
		return nil
	}
	for _, c := range s.children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Lookup follows a path of member names separated by '.', '/' or ':' and
// element indexes written "[n]" (as config_lookup does): "primus.hsms.hsm0",
// "list.[2]". It returns nil when any step is missing.
func (s *Setting) Lookup(path string) *Setting {
	cur := s
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '/' || r == ':' }) {
		if cur == nil {
			return nil
		}
		if strings.HasPrefix(part, "[") && strings.HasSuffix(part, "]") {
			n, err := strconv.Atoi(part[1 : len(part)-1])
			if err != nil || !cur.Kind.IsAggregate() {
				return nil
			}
			cur = cur.Index(n)
			continue
		}
		cur = cur.Member(part)
	}
	return cur
}

// Path returns the setting's full path from the root, as Lookup takes it.
func (s *Setting) Path() string {
	if s == nil || s.parent == nil {
		return ""
	}
	var seg string
	if s.parent.Kind == KindGroup {
		seg = s.Name
	} else {
		for i, c := range s.parent.children {
			if c == s {
				seg = "[" + strconv.Itoa(i) + "]"
				break
			}
		}
	}
	if p := s.parent.Path(); p != "" {
		return p + "." + seg
	}
	return seg
}

// Int returns the value of an int or int64 setting.
func (s *Setting) Int() (int64, bool) {
	if s == nil || (s.Kind != KindInt && s.Kind != KindInt64) {
		return 0, false
	}
	return s.i, true
}

// Float returns the value of a float setting. Integers are not converted:
// callers that accept both say so by calling Int as well.
func (s *Setting) Float() (float64, bool) {
	if s == nil || s.Kind != KindFloat {
		return 0, false
	}
	return s.f, true
}

// Bool returns the value of a bool setting.
func (s *Setting) Bool() (bool, bool) {
	if s == nil || s.Kind != KindBool {
		return false, false
	}
	return s.b, true
}

// Str returns the value of a string setting.
func (s *Setting) Str() (string, bool) {
	if s == nil || s.Kind != KindString {
		return "", false
	}
	return s.s, true
}

// NewInt, NewInt64, NewFloat, NewBool and NewString make unattached scalar
// settings for building a tree to print.
func NewInt(v int32) *Setting { return &Setting{Kind: KindInt, i: int64(v)} }

// NewInt64 makes an int64 setting.
func NewInt64(v int64) *Setting { return &Setting{Kind: KindInt64, i: v} }

// NewFloat makes a float setting.
func NewFloat(v float64) *Setting { return &Setting{Kind: KindFloat, f: v} }

// NewBool makes a bool setting.
func NewBool(v bool) *Setting { return &Setting{Kind: KindBool, b: v} }

// NewString makes a string setting.
func NewString(v string) *Setting { return &Setting{Kind: KindString, s: v} }

// NewAggregate makes an empty group, array or list.
func NewAggregate(k Kind) *Setting {
	if !k.IsAggregate() {
		panic("libconfig: NewAggregate of scalar kind " + k.String())
	}
	return &Setting{Kind: k}
}

// Set adds child to the group s under name, replacing any member of that
// name in place. It returns child. It fails when s is not a group, the name
// is not a valid setting name, or child already has a parent.
func (s *Setting) Set(name string, child *Setting) (*Setting, error) {
	if s.Kind != KindGroup {
		return nil, fmt.Errorf("libconfig: cannot add member %q to a %s", name, s.Kind)
	}
	if !ValidName(name) {
		return nil, fmt.Errorf("libconfig: invalid setting name %q", name)
	}
	if child.parent != nil {
		return nil, fmt.Errorf("libconfig: setting %q is already attached", name)
	}
	child.Name = name
	child.parent = s
	for i, c := range s.children {
		if c.Name == name {
			c.parent = nil
			s.children[i] = child
			return child, nil
		}
	}
	s.children = append(s.children, child)
	return child, nil
}

// Append adds an element to an array or list. Arrays take scalars of one
// kind only; int and int64 count as different kinds, as in the reference
// library ("mismatched element type in array").
func (s *Setting) Append(child *Setting) error {
	switch s.Kind {
	case KindList:
	case KindArray:
		if !child.Kind.IsScalar() {
			return fmt.Errorf("libconfig: an array holds scalars, not a %s", child.Kind)
		}
		if len(s.children) > 0 && s.children[0].Kind != child.Kind {
			return fmt.Errorf("libconfig: cannot add a %s to an array of %s", child.Kind, s.children[0].Kind)
		}
	default:
		return fmt.Errorf("libconfig: cannot append to a %s", s.Kind)
	}
	if child.parent != nil {
		return fmt.Errorf("libconfig: setting is already attached")
	}
	child.Name = ""
	child.parent = s
	s.children = append(s.children, child)
	return nil
}

// Remove deletes the member of a group with the given name and reports
// whether there was one.
func (s *Setting) Remove(name string) bool {
	if s.Kind != KindGroup {
		return false
	}
	for i, c := range s.children {
		if c.Name == name {
			c.parent = nil
			s.children = append(s.children[:i], s.children[i+1:]...)
			return true
		}
	}
	return false
}

// ValidName reports whether name matches [A-Za-z*][-A-Za-z0-9_*]* and is
// not "true" or "false" in any case, which the scanner reads as booleans.
func ValidName(name string) bool {
	if name == "" || strings.EqualFold(name, "true") || strings.EqualFold(name, "false") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '*':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return true
}
