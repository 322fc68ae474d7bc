package worker

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// A key generation resent with the retry flag is answered from memory:
// one key, the same handle.
func TestRetryMemoryCreatesOneKey(t *testing.T) {
	k := newKit(t)
	s := k.loggedIn()
	gen := &transport.GenerateKeyRequest{Session: s, Mechanism: ck.Mechanism{Type: ck.CKM_AES_KEY_GEN}, Template: []ck.Attribute{
		ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(16)), ck.StringAttr(ck.CKA_LABEL, "retried"),
	}}
	run := func(id uint64, retry bool) ck.ObjectHandle {
		resp, err := k.srv.handlers[transport.MsgGenerateKey](context.Background(), &transport.Inbound{ID: id, Type: transport.MsgGenerateKey, Retry: retry, Request: gen})
		require.NoError(t, err)
		require.Equal(t, ck.CKR_OK, resp.(*transport.ObjectResponse).RV)
		return resp.(*transport.ObjectResponse).Object
	}
	count := func() int {
		found := ok[*transport.FindObjectsOnceResponse](k, &transport.FindObjectsOnceRequest{Session: s, Template: []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "retried")}, Max: 10})
		return len(found.Objects)
	}
	first := run(41, false)
	assert.Equal(t, first, run(41, true), "the retry is answered from memory")
	assert.Equal(t, 1, count())
	// A retry of a request never seen runs; so does a new request.
	assert.NotEqual(t, first, run(42, true))
	assert.NotEqual(t, first, run(43, false))
	assert.Equal(t, 3, count())

	// Over the wire: Resend carries the retry flag.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := k.client.Resend(ctx, 41, gen)
	require.NoError(t, err)
	assert.Equal(t, first, resp.(*transport.ObjectResponse).Object)
	assert.Equal(t, 3, count())
}

func TestRetryMemoryBounds(t *testing.T) {
	m := newRetryMemory(0)
	assert.Equal(t, minRetryTTL, m.ttl)
	now := time.Unix(1000, 0)
	m.now = func() time.Time { return now }
	calls := 0
	h := func(context.Context, *transport.Inbound) (transport.Message, error) {
		calls++
		return &transport.ObjectResponse{Object: ck.ObjectHandle(calls)}, nil
	}
	in := func(id uint64, retry bool) *transport.Inbound {
		return &transport.Inbound{ID: id, Type: transport.MsgCreateObject, Retry: retry}
	}
	for id := uint64(1); id <= maxRetryEntries+10; id++ {
		_, err := m.run(context.Background(), in(id, false), h)
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, len(m.entries), maxRetryEntries)
	assert.Equal(t, len(m.entries), len(m.order))
	// The oldest were forgotten: their retry runs again.
	_, _ = m.run(context.Background(), in(1, true), h)
	assert.Equal(t, maxRetryEntries+11, calls)
	// A recent one is remembered...
	_, _ = m.run(context.Background(), in(maxRetryEntries+10, true), h)
	assert.Equal(t, maxRetryEntries+11, calls)
	// ...until its time is up.
	now = now.Add(minRetryTTL + time.Second)
	_, _ = m.run(context.Background(), in(maxRetryEntries+10, true), h)
	assert.Equal(t, maxRetryEntries+12, calls)
	assert.Len(t, m.entries, 1)
}

// A retry that arrives while the first run is still in the backend waits
// for it instead of running a second time.
func TestRetryWaitsForTheRunningRequest(t *testing.T) {
	m := newRetryMemory(time.Minute)
	started, release := make(chan struct{}), make(chan struct{})
	calls := 0
	h := func(context.Context, *transport.Inbound) (transport.Message, error) {
		calls++
		close(started)
		<-release
		return &transport.ObjectResponse{Object: 99}, nil
	}
	in := &transport.Inbound{ID: 5, Type: transport.MsgGenerateKey}
	first := make(chan transport.Message, 1)
	go func() {
		resp, _ := m.run(context.Background(), in, h)
		first <- resp
	}()
	<-started
	second := make(chan transport.Message, 1)
	go func() {
		resp, _ := m.run(context.Background(), &transport.Inbound{ID: 5, Type: transport.MsgGenerateKey, Retry: true}, h)
		second <- resp
	}()
	close(release)
	assert.Equal(t, ck.ObjectHandle(99), (<-first).(*transport.ObjectResponse).Object)
	assert.Equal(t, ck.ObjectHandle(99), (<-second).(*transport.ObjectResponse).Object)
	assert.Equal(t, 1, calls)
}
