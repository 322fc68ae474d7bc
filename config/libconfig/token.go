package libconfig

// tokenKind is the class of a lexical token.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokName
	tokEquals // '=' or ':'
	tokComma
	tokSemicolon
	tokGroupStart
	tokGroupEnd
	tokArrayStart
	tokArrayEnd
	tokListStart
	tokListEnd
	tokBool
	tokInt
	tokFloat
	tokString
)

// token is one lexical token. Only the fields of its kind are set.
type token struct {
	kind tokenKind
	pos  Position
	// text is the name of a tokName, the source text of a number, and the
	// decoded value of a tokString.
	text    string
	boolVal bool
	intVal  int64
	intKind Kind // KindInt or KindInt64
	format  IntFormat
	fltVal  float64
}

var punctuation = map[tokenKind]string{
	tokEquals: "'='", tokComma: "','", tokSemicolon: "';'",
	tokGroupStart: "'{'", tokGroupEnd: "'}'", tokArrayStart: "'['",
	tokArrayEnd: "']'", tokListStart: "'('", tokListEnd: "')'",
}

// describe names a token for "found ..." in messages. The text of names and
// strings is left out on purpose: in a secrets file an unquoted password
// lexes as a name.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokName:
		return "a name"
	case tokBool:
		return "a boolean"
	case tokInt:
		return "an integer"
	case tokFloat:
		return "a float"
	case tokString:
		return "a string"
	}
	if t.kind == tokEquals && t.text == ":" {
		return "':'"
	}
	return punctuation[t.kind]
}

func (t token) isScalar() bool {
	return t.kind == tokBool || t.kind == tokInt || t.kind == tokFloat || t.kind == tokString
}
