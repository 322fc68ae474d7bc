package ck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

type carrierErr struct{ rv RV }

func (e carrierErr) Error() string { return "carrier" }
func (e carrierErr) CKRV() RV      { return e.rv }

func TestRVOfMapsEveryErrorShape(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want RV
	}{
		{"nil", nil, CKR_OK},
		{"ck error", &Error{RV: CKR_KEY_HANDLE_INVALID, Op: "C_SignInit"}, CKR_KEY_HANDLE_INVALID},
		{"wrapped ck error", fmt.Errorf("core: %w", &Error{RV: CKR_PIN_INCORRECT}), CKR_PIN_INCORRECT},
		{"outermost ck error wins", &Error{RV: CKR_ARGUMENTS_BAD, Err: &Error{RV: CKR_DEVICE_ERROR}}, CKR_ARGUMENTS_BAD},
		{"carrier", fmt.Errorf("x: %w", carrierErr{CKR_TOKEN_NOT_PRESENT}), CKR_TOKEN_NOT_PRESENT},
		{"ck error before carrier", &Error{RV: CKR_SESSION_COUNT, Err: carrierErr{CKR_DEVICE_ERROR}}, CKR_SESSION_COUNT},
		{"deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), CKR_DEVICE_ERROR},
		{"net deadline", fmt.Errorf("read: %w", os.ErrDeadlineExceeded), CKR_DEVICE_ERROR},
		{"cancelled", context.Canceled, CKR_FUNCTION_CANCELED},
		{"anything else", io.ErrUnexpectedEOF, CKR_FUNCTION_FAILED},
		{"plain text", errors.New("boom"), CKR_FUNCTION_FAILED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, RVOf(tt.err))
		})
	}
}

func TestErrorMessageAndUnwrap(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	err := &Error{RV: CKR_DEVICE_ERROR, Op: "C_Sign", Err: cause}
	assert.Equal(t, "C_Sign: CKR_DEVICE_ERROR: unexpected EOF", err.Error())
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, "CKR_PIN_LOCKED", (&Error{RV: CKR_PIN_LOCKED}).Error())

	err2 := Errorf(CKR_DATA_LEN_RANGE, "C_Encrypt", "%d bytes: %w", 5, cause)
	assert.Equal(t, "C_Encrypt: CKR_DATA_LEN_RANGE: 5 bytes: unexpected EOF", err2.Error())
	assert.ErrorIs(t, err2, cause)
	assert.Equal(t, CKR_DATA_LEN_RANGE, RVOf(err2))
}

func TestRVErrIsNilOnlyForOK(t *testing.T) {
	assert.NoError(t, CKR_OK.Err("C_Login"))
	err := CKR_USER_ALREADY_LOGGED_IN.Err("C_Login")
	assert.EqualError(t, err, "C_Login: CKR_USER_ALREADY_LOGGED_IN")
	assert.Equal(t, CKR_USER_ALREADY_LOGGED_IN, RVOf(err))
}
