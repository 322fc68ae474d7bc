package transport

import (
	"encoding/binary"
	"fmt"
	"io"
)

// HeaderSize is the size of a frame header (docs/protocol.md 3).
const HeaderSize = 16

// Frame size limits (bodies, not counting the header).
const (
	HandshakeMaxFrame = 64 << 10 // before the handshake has negotiated a limit
	DefaultMaxFrame   = 1 << 20
	MinMaxFrame       = 64 << 10
	MaxMaxFrame       = 16 << 20
)

// Flags are a frame's flag bits.
type Flags uint16

// Frame flags.
const (
	FlagResponse Flags = 1 << 0 // answers the request with the same id
	FlagError    Flags = 1 << 1 // with FlagResponse: the body is an error body
	FlagRetry    Flags = 1 << 2 // on a request: resent after a connection failed

	knownFlags = FlagResponse | FlagError | FlagRetry
)

// Header is a frame header: length u32, type u16, flags u16, request id u64,
// big-endian.
type Header [HeaderSize]byte

// MakeHeader builds a header.
func MakeHeader(length uint32, t MsgType, flags Flags, id uint64) Header {
	var h Header
	binary.BigEndian.PutUint32(h[0:4], length)
	binary.BigEndian.PutUint16(h[4:6], uint16(t))
	binary.BigEndian.PutUint16(h[6:8], uint16(flags))
	binary.BigEndian.PutUint64(h[8:16], id)
	return h
}

func (h Header) Length() uint32    { return binary.BigEndian.Uint32(h[0:4]) }
func (h Header) Type() MsgType     { return MsgType(binary.BigEndian.Uint16(h[4:6])) }
func (h Header) Flags() Flags      { return Flags(binary.BigEndian.Uint16(h[6:8])) }
func (h Header) RequestID() uint64 { return binary.BigEndian.Uint64(h[8:16]) }

// IsResponse reports whether the frame answers a request.
func (h Header) IsResponse() bool { return h.Flags()&FlagResponse != 0 }

func (h Header) String() string {
	return fmt.Sprintf("frame{%s id=%d flags=0x%x len=%d}", h.Type(), h.RequestID(), uint16(h.Flags()), h.Length())
}

// Validate checks the header against the protocol's rules and a body limit.
// A header that fails is a protocol violation: the receiver closes the
// connection without reading the body.
func (h Header) Validate(maxBody uint32) error {
	flags := h.Flags()
	switch {
	case flags&^knownFlags != 0:
		return protocolErrorf("%s: unknown flag bits 0x%x", h, uint16(flags&^knownFlags))
	case flags&FlagError != 0 && flags&FlagResponse == 0:
		return protocolErrorf("%s: error flag on a request", h)
	case flags&FlagRetry != 0 && flags&FlagResponse != 0:
		return protocolErrorf("%s: retry flag on a response", h)
	case h.Length() > maxBody:
		return protocolErrorf("%s: body of %d bytes over the limit of %d", h, h.Length(), maxBody)
	}
	return nil
}

func protocolErrorf(format string, args ...any) *Error {
	return &Error{Kind: KindProtocol, Op: "read frame", Err: fmt.Errorf(format, args...)}
}

// ReadFrame reads one frame. The header is validated before the body is
// allocated, so a forged length costs nothing beyond maxBody. It returns
// io.EOF when the stream ends cleanly before a header, a *Error of kind
// KindProtocol for a bad header, and the reader's error otherwise.
func ReadFrame(r io.Reader, maxBody uint32) (Header, []byte, error) {
	var h Header
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return h, nil, err
	}
	if err := h.Validate(maxBody); err != nil {
		return h, nil, err
	}
	body := make([]byte, h.Length())
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return h, nil, err
	}
	return h, body, nil
}

// AppendFrame encodes m as a frame after dst: header and body in one slice,
// ready for one write. It fails with *Error KindTooLarge when the body
// exceeds maxBody, and with the encoder's error (which carries a CK_RV) when
// m holds what the wire cannot carry.
func AppendFrame(dst []byte, t MsgType, flags Flags, id uint64, m Message, maxBody uint32) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, HeaderSize)...)
	out, err := AppendBody(dst, m)
	if err != nil {
		return dst[:start], err
	}
	n := len(out) - start - HeaderSize
	if uint64(n) > uint64(maxBody) {
		return dst[:start], &Error{Kind: KindTooLarge, Op: t.String(), Err: fmt.Errorf("body of %d bytes over the frame limit of %d", n, maxBody)}
	}
	h := MakeHeader(uint32(n), t, flags, id)
	copy(out[start:], h[:])
	return out, nil
}
