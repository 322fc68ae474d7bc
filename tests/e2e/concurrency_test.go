package e2e

import (
	"crypto"
	"fmt"
	"sync"
	"testing"

	"github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
)

// concurrency is how many goroutines call the module at once, as many
// threads of a server would.
const concurrency = 64

// TestConcurrentSessions has 64 goroutines each open a session and sign,
// digest in parts and draw random bytes on it at the same time; every
// signature is checked with Go. Under -race (make test runs it so) the
// host side of the calls is checked too.
func TestConcurrentSessions(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		_, priv, pub := tok.ecPair(t, curves[0], "concurrent", false)
		rounds := 5
		if testing.Short() {
			rounds = 2
		}
		var wg sync.WaitGroup
		for g := range concurrency {
			wg.Go(func() {
				sh, err := tok.ctx.OpenSession(tok.slot, pkcs11.CKF_SERIAL_SESSION)
				if !assert.NoError(t, err, "goroutine %d: C_OpenSession", g) {
					return
				}
				defer func() { assert.NoError(t, tok.ctx.CloseSession(sh), "goroutine %d: C_CloseSession", g) }()
				for r := range rounds {
					msg := fmt.Appendf(nil, "goroutine %d round %d", g, r)
					d := digest(crypto.SHA256, msg)
					if !assert.NoError(t, tok.ctx.SignInit(sh, mech(pkcs11.CKM_ECDSA, nil), priv)) {
						return
					}
					sig, err := tok.ctx.Sign(sh, d)
					if !assert.NoError(t, err, "goroutine %d: C_Sign", g) {
						return
					}
					assert.True(t, verifyRawECDSA(pub, d, sig, 32), "goroutine %d round %d: signature", g, r)

					if !assert.NoError(t, tok.ctx.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil))) {
						return
					}
					for _, part := range [][]byte{msg[:5], msg[5:]} {
						assert.NoError(t, tok.ctx.DigestUpdate(sh, part))
					}
					got, err := tok.ctx.DigestFinal(sh)
					assert.NoError(t, err)
					assert.Equal(t, d, got, "goroutine %d round %d: digest in parts", g, r)

					random, err := tok.ctx.GenerateRandom(sh, 32)
					assert.NoError(t, err)
					assert.Len(t, random, 32)
				}
			})
		}
		wg.Wait()
	})
}

// TestConcurrentSharedSession has 64 goroutines call one session at once
// with calls that carry no operation state (random, attributes, object
// creation and destruction), as applications that share a session between
// threads do.
func TestConcurrentSharedSession(t *testing.T) {
	forEachModule(t, func(t *testing.T, m *testenv.Module) {
		tok := openToken(t, m)
		key, value := tok.secretKey(t, pkcs11.CKM_AES_KEY_GEN, 32, "shared")
		var wg sync.WaitGroup
		for g := range concurrency {
			wg.Go(func() {
				random, err := tok.ctx.GenerateRandom(tok.sh, 16)
				assert.NoError(t, err, "goroutine %d: C_GenerateRandom", g)
				assert.Len(t, random, 16)

				got, err := tok.ctx.GetAttributeValue(tok.sh, key, attrs(attr(pkcs11.CKA_VALUE, nil), attr(pkcs11.CKA_LABEL, nil)))
				if assert.NoError(t, err, "goroutine %d: C_GetAttributeValue", g) {
					assert.Equal(t, value, got[0].Value)
					assert.Equal(t, "shared", string(got[1].Value))
				}

				label := fmt.Sprintf("shared-%d", g)
				obj, err := tok.ctx.CreateObject(tok.sh, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA), attr(pkcs11.CKA_TOKEN, false),
					attr(pkcs11.CKA_LABEL, label), attr(pkcs11.CKA_VALUE, []byte(label))))
				if !assert.NoError(t, err, "goroutine %d: C_CreateObject", g) {
					return
				}
				got, err = tok.ctx.GetAttributeValue(tok.sh, obj, attrs(attr(pkcs11.CKA_VALUE, nil)))
				if assert.NoError(t, err) {
					assert.Equal(t, label, string(got[0].Value), "goroutine %d reads its own object", g)
				}
				assert.NoError(t, tok.ctx.DestroyObject(tok.sh, obj), "goroutine %d: C_DestroyObject", g)
			})
		}
		wg.Wait()
		require.Len(t, tok.find(t, attrs(attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA)), 100), 0, "every object destroyed")
	})
}
