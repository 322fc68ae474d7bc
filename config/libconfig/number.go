package libconfig

import (
	"math"
	"strconv"
	"strings"
)

// numberForm is which of the reference scanner's number rules matched.
type numberForm int

const (
	numNone numberForm = iota
	numDecimal
	numHex
	numBinary
	numOctal
	numFloat
)

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isBinDigit(c byte) bool { return c == '0' || c == '1' }
func isOctDigit(c byte) bool { return c >= '0' && c <= '7' }

// scanNumber finds the longest number at data[i:], as flex's longest-match
// rule picks among the reference's patterns:
//
//	integer   [-+]?[0-9]+(L(L)?)?
//	hex       0[Xx][0-9A-Fa-f]+(L(L)?)?
//	binary    0[Bb][01]+(L(L)?)?      (libconfig 1.7)
//	octal     0[Oo][0-7]+(L(L)?)?     (libconfig 1.7)
//	float     [-+]?[0-9]*\.[0-9]*([eE][-+]?[0-9]+)?
//	          | [-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+
//
// It returns the length of the match (0 for none), its form, and whether it
// carries the 64-bit L suffix. The float pattern matches a lone "." too,
// which the reference reads as 0.
func scanNumber(data []byte, i int) (n int, form numberForm, long bool) {
	if data[i] == '0' && i+2 < len(data) {
		var digit func(byte) bool
		switch data[i+1] {
		case 'x', 'X':
			digit, form = isHexDigit, numHex
		case 'b', 'B':
			digit, form = isBinDigit, numBinary
		case 'o', 'O':
			digit, form = isOctDigit, numOctal
		}
		if digit != nil && digit(data[i+2]) {
			j := i + 3
			for j < len(data) && digit(data[j]) {
				j++
			}
			j, long = scanLongSuffix(data, j)
			return j - i, form, long
		}
		form = numNone
	}

	j := i
	if data[j] == '+' || data[j] == '-' {
		j++
	}
	intStart := j
	for j < len(data) && isDigit(data[j]) {
		j++
	}
	intDigits := j - intStart
	intEnd := j

	floatEnd := -1
	if j < len(data) && data[j] == '.' {
		j++
		for j < len(data) && isDigit(data[j]) {
			j++
		}
		floatEnd = j
	}
	if (floatEnd >= 0 || intDigits > 0) && j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		k := j + 1
		if k < len(data) && (data[k] == '+' || data[k] == '-') {
			k++
		}
		expStart := k
		for k < len(data) && isDigit(data[k]) {
			k++
		}
		if k > expStart {
			floatEnd = k
		}
	}
	if floatEnd >= 0 {
		return floatEnd - i, numFloat, false
	}
	if intDigits == 0 {
		return 0, numNone, false
	}
	end, long := scanLongSuffix(data, intEnd)
	return end - i, numDecimal, long
}

// scanLongSuffix consumes an "L" or "LL" at data[j:].
func scanLongSuffix(data []byte, j int) (int, bool) {
	if j < len(data) && data[j] == 'L' {
		j++
		if j < len(data) && data[j] == 'L' {
			j++
		}
		return j, true
	}
	return j, false
}

// numberToken converts the text of a number into a token. Integers that do
// not fit 32 bits become int64, as in libconfig 1.6 and later; values beyond
// 64 bits or float64 are errors (the reference saturates them).
func numberToken(text string, form numberForm, long bool, pos Position) (token, *Error) {
	tok := token{kind: tokInt, pos: pos, text: text}
	if form == numFloat {
		tok.kind = tokFloat
		if !strings.ContainsAny(strings.SplitN(strings.ToLower(text), "e", 2)[0], "0123456789") {
			// "." and "-.e5" have no digits; the reference's atof reads 0.
			return tok, nil
		}
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(v, 0) {
			return tok, errorf(pos, "float %s out of range", clip(text))
		}
		tok.fltVal = v
		return tok, nil
	}

	digits := strings.TrimRight(text, "L")
	var base int
	switch form {
	case numHex:
		base, tok.format = 16, FormatHex
	case numBinary:
		base, tok.format = 2, FormatBinary
	case numOctal:
		base, tok.format = 8, FormatOctal
	default:
		v, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return tok, errorf(pos, "integer %s out of range", clip(text))
		}
		tok.intVal = v
		tok.intKind = KindInt64
		if !long && v >= math.MinInt32 && v <= math.MaxInt32 {
			tok.intKind = KindInt
		}
		return tok, nil
	}
	u, err := strconv.ParseUint(digits[2:], base, 64)
	if err != nil {
		return tok, errorf(pos, "integer %s out of range", clip(text))
	}
	// 64-bit values above MaxInt64 wrap to negative, as the reference's
	// strtoull does: 0xFFFFFFFFFFFFFFFF is -1.
	tok.intVal = int64(u)
	tok.intKind = KindInt64
	if !long && u <= math.MaxInt32 {
		tok.intKind = KindInt
	}
	return tok, nil
}
