package core

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// TestE2EConcurrentSessions runs 64 goroutines at once, each with its own
// session (every signature must verify), and 64 more on one shared
// session, which break PKCS#11's one-call-per-session rule: they must get
// PKCS#11 answers (an operation active, not initialised...) and never
// corrupt the library's state. Run it with -race.
func TestE2EConcurrentSessions(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{connections: 4})
	setup := rwSession(t, l)
	pub, priv := ecKeyPair(t, l, setup, "shared-key", true)
	goKey := ecPublicKey(t, l, setup, pub)
	const goroutines, rounds = 64, 5

	var wg sync.WaitGroup
	errs := make(chan error, 2*goroutines*rounds)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := l.OpenSession(0, ck.CKF_SERIAL_SESSION)
			if err != nil {
				errs <- err
				return
			}
			defer l.CloseSession(h)
			for r := range rounds {
				digest := sha256.Sum256([]byte(fmt.Sprintf("%d/%d", g, r)))
				if err := l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, priv); err != nil {
					errs <- fmt.Errorf("SignInit: %w", err)
					return
				}
				_, n, err := l.Sign(h, digest[:], Output{Query: true})
				if err != nil || n != 64 {
					errs <- fmt.Errorf("Sign(NULL): %d, %w", n, err)
					return
				}
				sig, _, err := l.Sign(h, digest[:], Output{Cap: n})
				if err != nil {
					errs <- fmt.Errorf("Sign: %w", err)
					return
				}
				if !ecdsaValid(goKey, digest[:], sig) {
					errs <- fmt.Errorf("goroutine %d round %d: the signature does not verify", g, r)
				}
			}
		}()
	}

	shared := rwSession(t, l)
	answers := make(chan ck.RV, goroutines*rounds*2)
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				digest := sha256.Sum256([]byte("shared"))
				answers <- rv(l.SignInit(shared, ck.Mechanism{Type: ck.CKM_ECDSA}, priv))
				_, _, err := l.Sign(shared, digest[:], Output{Cap: 64})
				answers <- rv(err)
				if _, err := l.GenerateRandom(shared, 32); err != nil {
					errs <- fmt.Errorf("GenerateRandom on the shared session: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(answers)
	for err := range errs {
		assert.NoError(t, err)
	}
	counts := map[ck.RV]int{}
	for a := range answers {
		counts[a]++
	}
	for a := range counts {
		assert.Contains(t, []ck.RV{ck.CKR_OK, ck.CKR_OPERATION_ACTIVE, ck.CKR_OPERATION_NOT_INITIALIZED}, a,
			"shared-session answers: %v", counts)
	}
	assert.Positive(t, counts[ck.CKR_OK])

	// The state is sound afterwards: the shared session works, and every
	// separate session was closed.
	_, _, _ = l.Sign(shared, make([]byte, 32), Output{Cap: 64}) // end a leftover operation, if any
	require.NoError(t, l.SignInit(shared, ck.Mechanism{Type: ck.CKM_ECDSA}, priv))
	_, _, err := l.Sign(shared, make([]byte, 32), Output{Cap: 64})
	require.NoError(t, err)
	ti, err := l.TokenInfo(0)
	require.NoError(t, err)
	assert.EqualValues(t, 2, ti.SessionCount)
}

// TestE2EFinalizeWhileCallsRun finalizes under 16 busy goroutines: every
// call returns a CK_RV, none after Finalize reaches the server, and every
// connection is closed.
func TestE2EFinalizeWhileCallsRun(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	p := newProxy(t, c.members[0].Addr)
	l := c.open(c.config([]memberSpec{{port: p.port()}}, cfgOptions{connections: 2}))
	h := rwSession(t, l)
	var wg sync.WaitGroup
	started := make(chan struct{}, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			for {
				_, err := l.GenerateRandom(h, 64)
				if rv(err) == ck.CKR_CRYPTOKI_NOT_INITIALIZED {
					return
				}
			}
		}()
	}
	for range 16 {
		<-started
	}
	require.NoError(t, l.Finalize())
	wg.Wait()
	require.Eventually(t, func() bool { return p.count() == 0 }, 30*time.Second, time.Millisecond,
		"the connections are closed")
	_, err := l.OpenSession(0, ck.CKF_SERIAL_SESSION)
	assert.Equal(t, ck.CKR_CRYPTOKI_NOT_INITIALIZED, rv(err))
}
