package ck

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Error is an error with a CK_RV: what PKCS#11 should answer, the operation
// that failed (a C_ function name or a step such as "decode attribute"), and
// the cause when there is one. Its message never holds a secret: callers
// must not put PINs, passwords or key material in Op or Err.
type Error struct {
	RV  RV
	Op  string
	Err error
}

func (e *Error) Error() string {
	msg := e.RV.String()
	if e.Op != "" {
		msg = e.Op + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a *Error for rv and op whose cause is the formatted text
// (%w wraps as in fmt.Errorf).
func Errorf(rv RV, op, format string, args ...any) error {
	return &Error{RV: rv, Op: op, Err: fmt.Errorf(format, args...)}
}

// Err returns nil for CKR_OK, else a *Error for rv and op: the form a Go
// function returns a CK_RV it received.
func (rv RV) Err(op string) error {
	if rv == CKR_OK {
		return nil
	}
	return &Error{RV: rv, Op: op}
}

// RVCarrier is implemented by errors that know the CK_RV they stand for
// without being a *Error, such as transport failures (their table is in
// transport/errors.go).
type RVCarrier interface {
	error
	CKRV() RV
}

// RVOf maps an error to the CK_RV a PKCS#11 function returns for it. It is
// the only such mapping: every layer returns errors and the C boundary calls
// RVOf once. In order:
//
//	nil                                       CKR_OK
//	a *Error in the chain                     its RV (the outermost one)
//	an RVCarrier in the chain                 its CKRV()
//	context.DeadlineExceeded, os.ErrDeadlineExceeded
//	                                          CKR_DEVICE_ERROR (PKCS#11 has no
//	                                          timeout code; the device did not answer)
//	context.Canceled                          CKR_FUNCTION_CANCELED
//	anything else                             CKR_FUNCTION_FAILED
func RVOf(err error) RV {
	if err == nil {
		return CKR_OK
	}
	var ckErr *Error
	if errors.As(err, &ckErr) {
		return ckErr.RV
	}
	var carrier RVCarrier
	if errors.As(err, &carrier) {
		return carrier.CKRV()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return CKR_DEVICE_ERROR
	case errors.Is(err, context.Canceled):
		return CKR_FUNCTION_CANCELED
	}
	return CKR_FUNCTION_FAILED
}
