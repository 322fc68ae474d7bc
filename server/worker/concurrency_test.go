package worker

import (
	"context"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Many sessions over two connections of one application at once: every
// signature verifies, every session closes, none is left behind.
func TestConcurrentSessions(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	pub, priv := k.generateEC(s)
	goEC := k.ecPublicKey(s, pub)
	clients := []*transport.Client{k.client, k.connect()}

	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 6 {
		c := clients[i%len(clients)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			open, err := transport.Invoke[*transport.SessionResponse](ctx, c, &transport.OpenSessionRequest{Flags: ck.CKF_SERIAL_SESSION})
			if err != nil || open.RV != ck.CKR_OK {
				errs <- "open session failed"
				return
			}
			for j := range 10 {
				digest := sha256.Sum256([]byte{byte(i), byte(j)})
				resp, err := transport.Invoke[*transport.FusedOutputResponse](ctx, c, &transport.SignOnceRequest{OnceRequest: transport.OnceRequest{
					Session: open.Session, Mechanism: ck.Mechanism{Type: ck.CKM_ECDSA}, Key: priv, Data: digest[:]}})
				if err != nil || resp.RV != ck.CKR_OK || len(resp.Out.Data) != 64 || !verifyECDSA(t, goEC, digest[:], resp.Out.Data) {
					errs <- "a signature failed"
					return
				}
			}
			if resp, err := transport.Invoke[*transport.StatusResponse](ctx, c, &transport.CloseSessionRequest{Session: open.Session}); err != nil || resp.RV != ck.CKR_OK {
				errs <- "close session failed"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	assert.Equal(t, 1, k.srv.Sessions(), "only the first session is left")
}
