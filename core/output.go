package core

import (
	"bytes"
	"slices"

	"github.com/cloudp11/cloudp11/transport/ck"
)

// Output describes the caller's output buffer for a function with
// variable-length output: Query is true when the output pointer was NULL
// (the caller asks for the length), Cap is *pulLen otherwise.
//
// The functions that take one return (data, needed, err) (PKCS#11 v2.40
// §5.2, "Conventions for functions returning output in a variable-length
// buffer"):
//
//   - Query: (nil, n, nil); the operation stays active.
//   - Cap < n: (nil, n, CKR_BUFFER_TOO_SMALL); the operation stays active.
//   - otherwise (data, len(data), nil); a single-part call or a final ends
//     the operation.
//   - any other error ends the operation.
//
// Core answers a size query with one round trip that computes the whole
// output (length_only false) and keeps it, so the call that collects it
// costs none and returns the very bytes the length was computed for: an
// ECDSA or PSS signature, or a random IV, is never computed twice. The
// call that collects it must be the same function with the same input;
// another function or input ends the operation with CKR_ARGUMENTS_BAD
// (its input was already consumed by the server).
type Output struct {
	Query bool
	Cap   uint64
}

// pendingOutput is an output computed for a size query and not collected
// yet.
type pendingOutput struct {
	fn    string
	input []byte
	data  []byte
}

func (p *pendingOutput) matches(fn string, input []byte) bool {
	return p.fn == fn && bytes.Equal(p.input, input)
}

// deliver applies the convention to a computed result. It reports whether
// the output was handed over (the caller then ends a single-part
// operation); when it was not, pending holds it.
func deliver(fn string, input, result []byte, out Output, pending **pendingOutput) ([]byte, uint64, bool, error) {
	n := uint64(len(result))
	if out.Query || out.Cap < n {
		*pending = &pendingOutput{fn: fn, input: slices.Clone(input), data: result}
		if out.Query {
			return nil, n, false, nil
		}
		return nil, n, false, rvErr(ck.CKR_BUFFER_TOO_SMALL, fn)
	}
	*pending = nil
	return result, n, true, nil
}

// outputOnce applies the convention to a function that runs no operation
// (C_WrapKey, C_GetOperationState): a size query's result waits in the
// session for the same call with the same input; any other call computes
// afresh. s.mu is held.
func (s *session) outputOnce(fn string, input []byte, out Output, compute func() ([]byte, error)) ([]byte, uint64, error) {
	var result []byte
	if p := s.lastOutput; p != nil && p.matches(fn, input) {
		result = p.data
	} else {
		var err error
		if result, err = compute(); err != nil {
			s.lastOutput = nil
			return nil, 0, err
		}
	}
	data, n, _, err := deliver(fn, input, result, out, &s.lastOutput)
	return data, n, err
}
