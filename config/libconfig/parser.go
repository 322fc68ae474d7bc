package libconfig

// Parse parses a configuration held in memory. filename is used in positions
// and error messages, and @include paths are resolved relative to its
// directory (the working directory when it has none). It returns the root
// group, or an *Error.
func Parse(filename string, src []byte, opts *Options) (*Setting, error) {
	lim := opts.resolve()
	root, err := parse(filename, src, &lim)
	if err != nil {
		return nil, err
	}
	return root, nil
}

// ParseFile reads and parses a configuration file with opts.ReadFile (by
// default the operating system's file, refused without being read when it
// is larger than MaxFileSize). It returns the root group, or an *Error.
func ParseFile(path string, opts *Options) (*Setting, error) {
	lim := opts.resolve()
	data, err := lim.readFile(path)
	if err != nil {
		return nil, &Error{Pos: Position{File: path}, Msg: "cannot read: " + describeReadError(err), Err: err}
	}
	root, perr := parse(path, data, &lim)
	if perr != nil {
		return nil, perr
	}
	return root, nil
}

func parse(filename string, data []byte, lim *limits) (*Setting, *Error) {
	lx := &lexer{lim: lim}
	main, err := lx.newSource(filename, data, Position{File: filename})
	if err != nil {
		return nil, err
	}
	lx.stack = append(lx.stack, main)
	p := &parser{lx: lx, lim: lim}
	root := &Setting{Kind: KindGroup, Pos: Position{File: filename}}
	if err := p.parseMembers(root, 0, tokEOF); err != nil {
		return nil, err
	}
	return root, nil
}

// parser is a recursive-descent parser for the reference grammar (grammar.y
// of libconfig 1.5). Recursion is bounded: every group, array and list
// checks MaxDepth before descending.
type parser struct {
	lx       *lexer
	lim      *limits
	peeked   token
	hasPeek  bool
	settings int
}

func (p *parser) next() (token, *Error) {
	if p.hasPeek {
		p.hasPeek = false
		return p.peeked, nil
	}
	return p.lx.next()
}

func (p *parser) peek() (token, *Error) {
	if !p.hasPeek {
		tok, err := p.lx.next()
		if err != nil {
			return token{}, err
		}
		p.peeked, p.hasPeek = tok, true
	}
	return p.peeked, nil
}

// indexThreshold is the member count from which a group's duplicate check
// uses a map instead of a scan, so that a huge group is not quadratic.
const indexThreshold = 16

// parseMembers reads settings into group until closer: '}' for a group,
// the end of input for the root.
//
//	setting    = name ( '=' | ':' ) value [ ';' | ',' ]
func (p *parser) parseMembers(group *Setting, depth int, closer tokenKind) *Error {
	var index map[string]*Setting
	for {
		tok, err := p.next()
		if err != nil {
			return err
		}
		if tok.kind == closer {
			return nil
		}
		if tok.kind != tokName {
			want := "a setting name or '}'"
			if closer == tokEOF {
				want = "a setting name"
			}
			return errorf(tok.pos, "expected %s, found %s", want, tok.describe())
		}
		// The reference checks for a duplicate as soon as it sees the name.
		var first *Setting
		if index != nil {
			first = index[tok.text]
		} else {
			first = group.Member(tok.text)
		}
		if first != nil {
			return errorf(tok.pos, "duplicate setting name %q (first set at %s)", tok.text, first.Pos)
		}
		child, err := p.newSetting(tok.pos)
		if err != nil {
			return err
		}
		child.Name = tok.text
		attach(group, child)
		if index != nil {
			index[child.Name] = child
		} else if len(group.children) >= indexThreshold {
			index = make(map[string]*Setting, 2*indexThreshold)
			for _, c := range group.children {
				index[c.Name] = c
			}
		}

		eq, err := p.next()
		if err != nil {
			return err
		}
		if eq.kind != tokEquals {
			return errorf(eq.pos, "expected '=' or ':' after setting name %q, found %s", child.Name, eq.describe())
		}
		value, err := p.next()
		if err != nil {
			return err
		}
		if !value.isScalar() && !isAggregateStart(value.kind) {
			return errorf(value.pos, "expected a value for setting %q, found %s", child.Path(), value.describe())
		}
		if err := p.parseValue(child, value, depth); err != nil {
			return err
		}

		after, err := p.peek()
		if err != nil {
			return err
		}
		switch after.kind {
		case tokSemicolon, tokComma:
			p.hasPeek = false
		case tokName, closer:
			// The terminator is optional.
		default:
			return errorf(after.pos, "expected ';' or ',' after setting %q, found %s", child.Path(), after.describe())
		}
	}
}

func isAggregateStart(k tokenKind) bool {
	return k == tokGroupStart || k == tokArrayStart || k == tokListStart
}

// newSetting counts a setting against MaxSettings.
func (p *parser) newSetting(pos Position) (*Setting, *Error) {
	p.settings++
	if p.settings > p.lim.maxSettings {
		return nil, errorf(pos, "more than %d settings", p.lim.maxSettings)
	}
	return &Setting{Pos: pos}, nil
}

func attach(parent, child *Setting) {
	child.parent = parent
	parent.children = append(parent.children, child)
}

// parseValue fills s from the value starting with tok, which is a scalar or
// the opening of a group, array or list.
func (p *parser) parseValue(s *Setting, tok token, depth int) *Error {
	if tok.isScalar() {
		return p.parseScalar(s, tok)
	}
	if depth+1 > p.lim.maxDepth {
		return errorf(tok.pos, "groups, arrays and lists nested deeper than %d levels", p.lim.maxDepth)
	}
	switch tok.kind {
	case tokGroupStart:
		s.Kind = KindGroup
		return p.parseMembers(s, depth+1, tokGroupEnd)
	case tokArrayStart:
		s.Kind = KindArray
		return p.parseElements(s, depth+1, tokArrayEnd)
	default:
		s.Kind = KindList
		return p.parseElements(s, depth+1, tokListEnd)
	}
}

// parseElements reads the elements of an array or list up to closer.
//
//	array = '[' [ scalar { ',' scalar } ] ']'
//	list  = '(' [ value { ',' value } ] ')'
//
// There is no trailing comma, as in the reference.
func (p *parser) parseElements(s *Setting, depth int, closer tokenKind) *Error {
	what, closeText := "list", "')'"
	if s.Kind == KindArray {
		what, closeText = "array", "']'"
	}
	tok, err := p.next()
	if err != nil {
		return err
	}
	if tok.kind == closer {
		return nil
	}
	for {
		switch {
		case s.Kind == KindArray && isAggregateStart(tok.kind):
			return errorf(tok.pos, "array %q can hold only scalar values (int, int64, float, bool, string), found %s; use a list ( ) instead", s.Path(), tok.describe())
		case !tok.isScalar() && !isAggregateStart(tok.kind):
			if len(s.children) == 0 {
				return errorf(tok.pos, "expected a value or %s in %s %q, found %s", closeText, what, s.Path(), tok.describe())
			}
			return errorf(tok.pos, "expected a value after ',' in %s %q, found %s", what, s.Path(), tok.describe())
		}
		elem, err := p.newSetting(tok.pos)
		if err != nil {
			return err
		}
		attach(s, elem)
		if err := p.parseValue(elem, tok, depth); err != nil {
			return err
		}
		if s.Kind == KindArray && elem.Kind != s.children[0].Kind {
			return errorf(tok.pos, "mismatched element type in array %q: %s after %s", s.Path(), elem.Kind, s.children[0].Kind)
		}
		sep, err := p.next()
		if err != nil {
			return err
		}
		if sep.kind == closer {
			return nil
		}
		if sep.kind != tokComma {
			return errorf(sep.pos, "expected ',' or %s after an element of %s %q, found %s", closeText, what, s.Path(), sep.describe())
		}
		if tok, err = p.next(); err != nil {
			return err
		}
	}
}

// parseScalar fills s from a scalar token. Adjacent string literals join
// into one string, as "a" "b" does in C.
func (p *parser) parseScalar(s *Setting, tok token) *Error {
	switch tok.kind {
	case tokBool:
		s.Kind, s.b = KindBool, tok.boolVal
	case tokInt:
		s.Kind, s.i, s.Format = tok.intKind, tok.intVal, tok.format
	case tokFloat:
		s.Kind, s.f = KindFloat, tok.fltVal
	case tokString:
		s.Kind, s.s = KindString, tok.text
		var joined []byte // a builder: += on strings would be quadratic
		for {
			more, err := p.peek()
			if err != nil {
				return err
			}
			if more.kind != tokString {
				break
			}
			p.hasPeek = false
			if len(s.s)+len(joined)+len(more.text) > p.lim.maxStringLen {
				return errorf(more.pos, "string longer than %d bytes", p.lim.maxStringLen)
			}
			if joined == nil {
				joined = append(joined, s.s...)
				s.s = ""
			}
			joined = append(joined, more.text...)
		}
		if joined != nil {
			s.s = string(joined)
		}
	}
	return nil
}
