package transport

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// coder encodes or decodes one message body. Every message describes its
// fields once, in a codec method that calls the coder's field methods in
// wire order; the same method encodes and decodes, so the two directions
// cannot drift apart, and limits are checked on both sides (the encoder
// never produces what the decoder refuses).
//
// Errors are sticky: after the first, every field method does nothing and
// the message's codec runs to its end harmlessly.
//
// Field names are built only when an error needs them: the hot path of
// every call must not allocate strings it will never show.
type coder struct {
	decoding bool
	buf      []byte  // encoding: the output; decoding: the input not yet read
	total    int     // decoding: the length of the whole body, for offsets
	msg      Message // the message coded, named in errors
	typ      MsgType // decoding: the frame's type, 0 if none
	role     string  // decoding: "request", "response", or what the body is
	err      error

	scopes [maxScopes]scope // the composite fields being coded, outermost first
	depth  int
}

// scope is a composite field being coded, such as template[CKA_CLASS].
type scope struct {
	field string
	attr  ck.AttributeType
	mech  ck.MechanismType
	named uint8 // 0: field alone, 1: with attr, 2: with mech
}

const maxScopes = 8

func newEncoder(m Message, buf []byte) *coder {
	return &coder{buf: buf, msg: m}
}

func newDecoder(m Message, t MsgType, role string, body []byte) *coder {
	return &coder{decoding: true, buf: body, total: len(body), msg: m, typ: t, role: role}
}

// enter opens a composite field; leave closes it.
func (c *coder) enter(field string) {
	if c.depth < maxScopes {
		c.scopes[c.depth] = scope{field: field}
	}
	c.depth++
}

func (c *coder) leave() { c.depth-- }

// nameAttr and nameMech give the innermost scope its type, once decoded.
func (c *coder) nameAttr(t ck.AttributeType) {
	if d := c.depth - 1; d >= 0 && d < maxScopes {
		c.scopes[d].attr, c.scopes[d].named = t, 1
	}
}

func (c *coder) nameMech(t ck.MechanismType) {
	if d := c.depth - 1; d >= 0 && d < maxScopes {
		c.scopes[d].mech, c.scopes[d].named = t, 2
	}
}

// fieldName is the full name of field in the current scopes, such as
// template[CKA_WRAP_TEMPLATE].template[CKA_KEY_TYPE].value.
func (c *coder) fieldName(field string) string {
	var b strings.Builder
	for i := 0; i < min(c.depth, maxScopes); i++ {
		s := c.scopes[i]
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.field)
		switch s.named {
		case 1:
			b.WriteString("[" + s.attr.String() + "]")
		case 2:
			b.WriteString("[" + s.mech.String() + "]")
		}
	}
	if field != "" {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(field)
	}
	return b.String()
}

// messageName names the message in errors: C_Sign request, HelloRequest...
func (c *coder) messageName() string {
	switch {
	case c.typ != 0 && c.role != "":
		return c.typ.String() + " " + c.role
	case c.typ != 0:
		return c.typ.String()
	case c.role != "":
		return c.role
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", c.msg), "*transport.")
}

// MalformedError says why a body could not be decoded: which message,
// which field, at which byte offset. It never quotes field contents.
type MalformedError struct {
	Message string
	Field   string
	Offset  int
	Reason  string
}

func (e *MalformedError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("transport: malformed %s at byte %d: %s", e.Message, e.Offset, e.Reason)
	}
	return fmt.Sprintf("transport: malformed %s: field %s at byte %d: %s", e.Message, e.Field, e.Offset, e.Reason)
}

// CKRV makes a malformed body from the peer a device error.
func (e *MalformedError) CKRV() ck.RV { return ck.CKR_DEVICE_ERROR }

// offset is where decoding stands in the body.
func (c *coder) offset() int { return c.total - len(c.buf) }

// failf records the first error, at the current offset.
func (c *coder) failf(field string, rv ck.RV, format string, args ...any) {
	c.failAt(c.offset(), field, rv, format, args...)
}

// failAt records the first error, for the field that starts at offset
// start. While encoding, rv is the CK_RV the caller gets for handing over
// something the wire cannot carry.
func (c *coder) failAt(start int, field string, rv ck.RV, format string, args ...any) {
	if c.err != nil {
		return
	}
	field = c.fieldName(field)
	if c.decoding {
		c.err = &MalformedError{Message: c.messageName(), Field: field, Offset: start, Reason: fmt.Sprintf(format, args...)}
		return
	}
	c.err = &ck.Error{RV: rv, Op: "encode " + c.messageName() + "." + field, Err: fmt.Errorf(format, args...)}
}

// take returns the next n bytes of the input, or nil after recording an
// error when fewer remain. n comes from the peer: it is compared, never
// allocated.
func (c *coder) take(field string, n uint64) []byte {
	if c.err != nil {
		return nil
	}
	if n > uint64(len(c.buf)) {
		c.failf(field, ck.CKR_GENERAL_ERROR, "needs %d bytes, %d left", n, len(c.buf))
		return nil
	}
	b := c.buf[:n:n]
	c.buf = c.buf[n:]
	return b
}

// finish checks that decoding consumed the whole body and returns the error.
func (c *coder) finish() error {
	if c.err == nil && c.decoding && len(c.buf) != 0 {
		c.failf("", 0, "%d bytes after the last field", len(c.buf))
	}
	return c.err
}

func (c *coder) u8(field string, v *uint8) {
	if !c.decoding {
		c.buf = append(c.buf, *v)
		return
	}
	if b := c.take(field, 1); b != nil {
		*v = b[0]
	}
}

func (c *coder) u16(field string, v *uint16) {
	if !c.decoding {
		c.buf = binary.BigEndian.AppendUint16(c.buf, *v)
		return
	}
	if b := c.take(field, 2); b != nil {
		*v = binary.BigEndian.Uint16(b)
	}
}

func (c *coder) u32(field string, v *uint32) {
	if !c.decoding {
		c.buf = binary.BigEndian.AppendUint32(c.buf, *v)
		return
	}
	if b := c.take(field, 4); b != nil {
		*v = binary.BigEndian.Uint32(b)
	}
}

func (c *coder) u64(field string, v *uint64) {
	if !c.decoding {
		c.buf = binary.BigEndian.AppendUint64(c.buf, *v)
		return
	}
	if b := c.take(field, 8); b != nil {
		*v = binary.BigEndian.Uint64(b)
	}
}

func (c *coder) i64(field string, v *int64) {
	u := uint64(*v)
	c.u64(field, &u)
	*v = int64(u)
}

// ulong codes any CK_ULONG-based type as u64.
func ulong[T ~uint64](c *coder, field string, v *T) {
	u := uint64(*v)
	c.u64(field, &u)
	*v = T(u)
}

// boolean is one byte, 0 or 1; other values are refused, so every value has
// exactly one encoding.
func (c *coder) boolean(field string, v *bool) {
	var b uint8
	if *v {
		b = 1
	}
	start := c.offset()
	c.u8(field, &b)
	if c.decoding && c.err == nil {
		if b > 1 {
			c.failAt(start, field, 0, "boolean byte %d is neither 0 nor 1", b)
			return
		}
		*v = b == 1
	}
}

// raw codes a fixed-size field (a [N]byte array passed as a slice).
func (c *coder) raw(field string, v []byte) {
	if !c.decoding {
		c.buf = append(c.buf, v...)
		return
	}
	if b := c.take(field, uint64(len(v))); b != nil {
		copy(v, b)
	}
}

// noLimit marks a bytes field bounded only by the frame size.
const noLimit = math.MaxUint32

// bytes codes a u32 length and the bytes. A decoded slice aliases the body,
// which belongs to the decoded message.
func (c *coder) bytes(field string, v *[]byte, limit int) {
	if !c.decoding {
		if len(*v) > limit || uint64(len(*v)) > math.MaxUint32 {
			c.failf(field, ck.CKR_ARGUMENTS_BAD, "%d bytes, at most %d", len(*v), min(limit, math.MaxUint32))
			return
		}
		c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(*v)))
		c.buf = append(c.buf, *v...)
		return
	}
	var n uint32
	start := c.offset()
	c.u32(field, &n)
	if c.err != nil {
		return
	}
	if uint64(n) > uint64(limit) {
		c.failAt(start, field, 0, "length %d over the limit of %d", n, limit)
		return
	}
	if uint64(n) > uint64(len(c.buf)) {
		c.failAt(start, field, 0, "needs %d bytes, %d left", n, len(c.buf))
		return
	}
	if b := c.take(field, uint64(n)); b != nil {
		*v = b
	}
	if n == 0 {
		*v = nil // one form for "empty", so decoding and re-encoding round-trip exactly
	}
}

// str codes a UTF-8 string as bytes.
func (c *coder) str(field string, v *string, limit int) {
	if !c.decoding {
		if !utf8.ValidString(*v) {
			c.failf(field, ck.CKR_ARGUMENTS_BAD, "not valid UTF-8")
			return
		}
		b := []byte(*v)
		c.bytes(field, &b, limit)
		return
	}
	var b []byte
	start := c.offset()
	c.bytes(field, &b, limit)
	if c.err != nil {
		return
	}
	if !utf8.Valid(b) {
		c.failAt(start, field, 0, "not valid UTF-8")
		return
	}
	*v = string(b)
}

// secret codes a Secret as bytes; errors never quote it.
func (c *coder) secret(field string, v *Secret, limit int) {
	b := []byte(*v)
	c.bytes(field, &b, limit)
	*v = Secret(b)
}

// count codes a list length. While decoding, count × minSize must fit in
// what is left (each element takes at least minSize bytes), so a forged count
// can neither allocate nor loop beyond the body; limit caps it too.
func (c *coder) count(field string, n int, minSize int, limit int) int {
	if !c.decoding {
		if n > limit {
			c.failf(field, ck.CKR_ARGUMENTS_BAD, "%d elements, at most %d", n, limit)
			return 0
		}
		v := uint32(n)
		c.u32(field, &v)
		return n
	}
	var v uint32
	start := c.offset()
	c.u32(field, &v)
	if c.err != nil {
		return 0
	}
	if uint64(v) > uint64(limit) {
		c.failAt(start, field, 0, "%d elements, over the limit of %d", v, limit)
		return 0
	}
	if uint64(v)*uint64(minSize) > uint64(len(c.buf)) {
		c.failAt(start, field, 0, "%d elements need at least %d bytes, %d left", v, uint64(v)*uint64(minSize), len(c.buf))
		return 0
	}
	return int(v)
}

// list codes a slice whose elements each take at least minSize bytes.
func list[T any](c *coder, field string, v *[]T, minSize, limit int, elem func(*coder, *T)) {
	n := c.count(field, len(*v), minSize, limit)
	if c.err != nil {
		return
	}
	if c.decoding {
		*v = nil
		if n > 0 {
			*v = make([]T, n)
		}
	}
	for i := 0; i < n && c.err == nil; i++ {
		elem(c, &(*v)[i])
	}
}

// ulongs codes a list of CK_ULONG-based values.
func ulongs[T ~uint64](c *coder, field string, v *[]T) {
	list(c, field, v, 8, noLimit, func(c *coder, e *T) { ulong(c, field, e) })
}
