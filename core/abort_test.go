package core

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// cryptoFunctions are the functions of v2.40 5.8-5.13 in pkcs11f.h's
// order: C_EncryptInit to C_DecryptVerifyUpdate.
func cryptoFunctions(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "include", "pkcs11f.h"))
	require.NoError(t, err)
	var all []string
	for _, m := range regexp.MustCompile(`(?m)^CK_PKCS11_FUNCTION\((C_\w+),`).FindAllSubmatch(src, -1) {
		all = append(all, string(m[1]))
	}
	start, end := -1, -1
	for i, fn := range all {
		switch fn {
		case "C_EncryptInit":
			start = i
		case "C_DecryptVerifyUpdate":
			end = i
		}
	}
	require.True(t, start >= 0 && end > start, "pkcs11f.h lists C_EncryptInit before C_DecryptVerifyUpdate")
	return all[start : end+1]
}

// Every function of 5.8-5.13 but the inits runs under the operations its
// name says, the dual-function updates under both of theirs; nothing else
// is listed.
func TestFunctionOperationsCoverTheCryptographicFunctions(t *testing.T) {
	fns := cryptoFunctions(t)
	require.Len(t, fns, 29, "7 inits and 22 functions under an operation")
	byPrefix := []struct {
		prefix string
		kind   opKind
	}{
		// Longest first: C_SignRecover before C_Sign.
		{"C_SignRecover", opSignRecover}, {"C_VerifyRecover", opVerifyRecover},
		{"C_Encrypt", opEncrypt}, {"C_Decrypt", opDecrypt}, {"C_Digest", opDigest},
		{"C_Sign", opSign}, {"C_Verify", opVerify},
	}
	dual := map[string][]opKind{
		"C_DigestEncryptUpdate": {opDigest, opEncrypt},
		"C_DecryptDigestUpdate": {opDecrypt, opDigest},
		"C_SignEncryptUpdate":   {opSign, opEncrypt},
		"C_DecryptVerifyUpdate": {opDecrypt, opVerify},
	}
	listed := 0
	for _, fn := range fns {
		got, ok := functionOperations[fn]
		if strings.HasSuffix(fn, "Init") {
			assert.False(t, ok, "%s starts an operation; an error of it ends none", fn)
			continue
		}
		listed++
		if want, isDual := dual[fn]; isDual {
			assert.ElementsMatch(t, want, got, fn)
			continue
		}
		var want opKind = -1
		for _, p := range byPrefix {
			if strings.HasPrefix(fn, p.prefix) {
				want = p.kind
				break
			}
		}
		assert.Equal(t, []opKind{want}, got, fn)
	}
	assert.Len(t, functionOperations, listed, "functionOperations lists only functions of 5.8-5.13")
}

// The calls that end an operation on the server: the final first, with
// nothing to verify for a verification; the single-part call with empty
// input after it; the recover functions have no final.
func TestEndingRequests(t *testing.T) {
	s := &session{remote: 42}
	types := func(k opKind) []transport.MsgType {
		var out []transport.MsgType
		for _, r := range endingRequests(s, k) {
			out = append(out, r.Type())
		}
		return out
	}
	assert.Equal(t, []transport.MsgType{transport.MsgEncryptFinal, transport.MsgEncrypt}, types(opEncrypt))
	assert.Equal(t, []transport.MsgType{transport.MsgDecryptFinal, transport.MsgDecrypt}, types(opDecrypt))
	assert.Equal(t, []transport.MsgType{transport.MsgDigestFinal, transport.MsgDigest}, types(opDigest))
	assert.Equal(t, []transport.MsgType{transport.MsgSignFinal, transport.MsgSign}, types(opSign))
	assert.Equal(t, []transport.MsgType{transport.MsgVerifyFinal, transport.MsgVerify}, types(opVerify))
	assert.Equal(t, []transport.MsgType{transport.MsgSignRecover}, types(opSignRecover))
	assert.Equal(t, []transport.MsgType{transport.MsgVerifyRecover}, types(opVerifyRecover))

	for k := range opKindCount {
		for _, r := range endingRequests(s, k) {
			switch r := r.(type) {
			case *transport.VerifyFinalRequest:
				assert.Equal(t, ck.SessionHandle(42), r.Session)
				assert.Empty(t, r.Signature)
			case *transport.VerifyRequest:
				assert.Equal(t, ck.SessionHandle(42), r.Session)
				assert.Empty(t, r.Data)
				assert.Empty(t, r.Signature)
			case *transport.VerifyRecoverRequest:
				assert.Equal(t, ck.SessionHandle(42), r.Session)
				assert.Empty(t, r.Signature)
				assert.False(t, r.LengthOnly)
			default:
				assertEndingShape(t, r)
			}
		}
	}
}

// assertEndingShape checks a final or a single-part call: the session's
// remote handle, no input, the output asked for (not its length only).
func assertEndingShape(t *testing.T, r transport.Request) {
	t.Helper()
	switch r := r.(type) {
	case *transport.EncryptFinalRequest:
		assert.Equal(t, transport.FinalPart{Session: 42}, r.FinalPart)
	case *transport.DecryptFinalRequest:
		assert.Equal(t, transport.FinalPart{Session: 42}, r.FinalPart)
	case *transport.DigestFinalRequest:
		assert.Equal(t, transport.FinalPart{Session: 42}, r.FinalPart)
	case *transport.SignFinalRequest:
		assert.Equal(t, transport.FinalPart{Session: 42}, r.FinalPart)
	case *transport.EncryptRequest:
		assert.Equal(t, transport.DataPart{Session: 42}, r.DataPart)
	case *transport.DecryptRequest:
		assert.Equal(t, transport.DataPart{Session: 42}, r.DataPart)
	case *transport.DigestRequest:
		assert.Equal(t, transport.DataPart{Session: 42}, r.DataPart)
	case *transport.SignRequest:
		assert.Equal(t, transport.DataPart{Session: 42}, r.DataPart)
	case *transport.SignRecoverRequest:
		assert.Equal(t, transport.DataPart{Session: 42}, r.DataPart)
	default:
		t.Errorf("unexpected ending request %T", r)
	}
}

// Whether the server still holds an operation: once its init was sent,
// until a single-part call or a final computed its output.
func TestHeldByServer(t *testing.T) {
	assert.False(t, (&operation{}).heldByServer(), "deferred")
	assert.True(t, (&operation{remote: true}).heldByServer(), "init sent")
	assert.False(t, (&operation{remote: true, serverEnded: true}).heldByServer(), "output computed")
	assert.False(t, (&operation{serverEnded: true}).heldByServer(), "fused call computed the output")
}

// Without a library to speak of, AbortOperation has nothing to end.
func TestAbortOperationOnAFinalizedLibrary(t *testing.T) {
	l := &Library{sessions: newSessionTable()}
	l.closed.Store(true)
	assert.NotPanics(t, func() { l.AbortOperation(1, "C_Sign") })
}
