package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

func TestOutputConvention(t *testing.T) {
	s := &session{}
	calls := 0
	compute := func() ([]byte, error) {
		calls++
		return []byte{byte(calls), 2, 3, 4}, nil
	}
	s.ops[opSign] = &operation{kind: opSign}
	call := func(out Output) ([]byte, uint64, error) {
		return s.outputCall("C_Sign", opSign, []byte("in"), true, out, func(*operation) ([]byte, error) { return compute() })
	}

	data, n, err := call(Output{Query: true})
	require.NoError(t, err)
	assert.Nil(t, data)
	assert.EqualValues(t, 4, n)
	_, n, err = call(Output{Cap: 3})
	assert.Equal(t, ck.CKR_BUFFER_TOO_SMALL, ck.RVOf(err))
	assert.EqualValues(t, 4, n)
	require.NotNil(t, s.ops[opSign], "a short buffer keeps the operation")
	data, n, err = call(Output{Cap: 4})
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3, 4}, data, "computed once")
	assert.EqualValues(t, 4, n)
	assert.Equal(t, 1, calls)
	assert.Nil(t, s.ops[opSign], "collecting ends a single-part operation")

	_, _, err = call(Output{Cap: 4})
	assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, ck.RVOf(err))

	// An update's output does not end the operation; an error does.
	s.ops[opEncrypt] = &operation{kind: opEncrypt}
	_, _, err = s.outputCall("C_EncryptUpdate", opEncrypt, nil, false, Output{Cap: 10}, func(*operation) ([]byte, error) { return []byte{1}, nil })
	require.NoError(t, err)
	require.NotNil(t, s.ops[opEncrypt])
	_, _, err = s.outputCall("C_EncryptUpdate", opEncrypt, nil, false, Output{Cap: 10}, func(*operation) ([]byte, error) {
		return nil, rvErr(ck.CKR_DATA_LEN_RANGE, "C_EncryptUpdate")
	})
	assert.Equal(t, ck.CKR_DATA_LEN_RANGE, ck.RVOf(err))
	assert.Nil(t, s.ops[opEncrypt])

	// A function without operation recomputes for other input.
	calls = 0
	_, _, err = s.outputOnce("C_WrapKey", []byte("a"), Output{Query: true}, compute)
	require.NoError(t, err)
	data, _, err = s.outputOnce("C_WrapKey", []byte("b"), Output{Cap: 8}, compute)
	require.NoError(t, err)
	assert.Equal(t, byte(2), data[0])
	_, _, err = s.outputOnce("C_WrapKey", []byte("c"), Output{Query: true}, compute)
	require.NoError(t, err)
	data, _, err = s.outputOnce("C_WrapKey", []byte("c"), Output{Cap: 8}, compute)
	require.NoError(t, err)
	assert.Equal(t, byte(3), data[0], "the queried output is collected")
	assert.Nil(t, s.lastOutput)
}
