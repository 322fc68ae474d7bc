package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/transport/ck"
)

type muxOptions struct {
	serverInFlight int
	clientInFlight int
	maxFrame       uint32
	wrapClient     func(net.Conn) net.Conn
}

// startMux connects a Client and a ServerConn over pair, without a
// handshake, and tears both down at the end of the test.
func startMux(t *testing.T, pair connPair, d *Dispatcher, opt muxOptions) (*Client, *ServerConn) {
	t.Helper()
	cConn, sConn := pair(t)
	if opt.wrapClient != nil {
		cConn = opt.wrapClient(cConn)
	}
	if opt.maxFrame == 0 {
		opt.maxFrame = DefaultMaxFrame
	}
	if opt.clientInFlight == 0 {
		opt.clientInFlight = 256
	}
	server := NewServerConn(sConn, d, ServerConfig{MaxFrame: opt.maxFrame, MaxInFlight: opt.serverInFlight})
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background()) }()
	client := NewClient(cConn, Session{Server: HelloResponse{MaxFrame: opt.maxFrame, MaxInFlight: uint32(opt.clientInFlight)}}, ClientConfig{})
	t.Cleanup(func() {
		client.Close()
		server.Close()
		<-served
	})
	return client, server
}

// echoDispatcher answers C_Sign with the data reversed and C_Digest with
// the request id, so a mismatched answer is seen.
func echoDispatcher() *Dispatcher {
	d := NewDispatcher()
	Handle(d, func(_ context.Context, _ *Inbound, req *SignRequest) (*OutputResponse, error) {
		out := bytes.Clone(req.Data)
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		if req.LengthOnly {
			return &OutputResponse{Out: Output{Len: ck.ULONG(len(out))}}, nil
		}
		return &OutputResponse{Out: NewOutput(out)}, nil
	})
	Handle(d, func(_ context.Context, in *Inbound, req *DigestRequest) (*OutputResponse, error) {
		return &OutputResponse{Out: NewOutput(fmt.Appendf(nil, "%d:%s", in.ID, req.Data))}, nil
	})
	return d
}

func sign(ctx context.Context, c *Client, data string) (string, error) {
	resp, err := Invoke[*OutputResponse](ctx, c, &SignRequest{DataPart{Session: 1, Data: []byte(data)}})
	if err != nil {
		return "", err
	}
	return string(resp.Out.Data), nil
}

func TestConcurrentCallsAreMatchedByID(t *testing.T) {
	for _, ct := range testConnTypes {
		t.Run(ct.name, func(t *testing.T) {
			client, _ := startMux(t, ct.pair, echoDispatcher(), muxOptions{serverInFlight: 16})
			const goroutines, calls = 32, 40
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range calls {
						data := fmt.Sprintf("g%02d-call%03d", g, i)
						got, err := sign(t.Context(), client, data)
						if err != nil {
							errs <- err
							return
						}
						if want := reverse(data); got != want {
							errs <- fmt.Errorf("got %q for %q", got, data)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			require.NoError(t, client.Ping(t.Context()))
		})
	}
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// A slow call does not hold up a fast one: answers arrive out of order and
// each reaches its caller.
func TestAnswersOutOfOrder(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	d := echoDispatcher()
	Handle(d, func(ctx context.Context, _ *Inbound, req *SignFinalRequest) (*OutputResponse, error) {
		close(entered)
		<-release
		return &OutputResponse{Out: NewOutput([]byte("slow"))}, nil
	})
	client, _ := startMux(t, pipePair, d, muxOptions{})
	slow := make(chan string, 1)
	go func() {
		resp, err := Invoke[*OutputResponse](t.Context(), client, &SignFinalRequest{FinalPart{Session: 1}})
		if err != nil {
			slow <- err.Error()
			return
		}
		slow <- string(resp.Out.Data)
	}()
	<-entered
	got, err := sign(t.Context(), client, "fast")
	require.NoError(t, err)
	assert.Equal(t, "tsaf", got)
	close(release)
	assert.Equal(t, "slow", <-slow)
}

func TestFramesQueuedTogetherShareOneWrite(t *testing.T) {
	var counted *countingConn
	client, _ := startMux(t, pipePair, echoDispatcher(), muxOptions{
		serverInFlight: 64,
		wrapClient: func(c net.Conn) net.Conn {
			counted = &countingConn{Conn: c}
			return counted
		},
	})
	const goroutines, calls = 64, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				_, err := sign(t.Context(), client, fmt.Sprintf("%d-%d", g, i))
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	frames := int64(goroutines * calls)
	writes := counted.writes.Load()
	t.Logf("%d request frames went out in %d writes (%.1f frames per write)", frames, writes, float64(frames)/float64(writes))
	assert.Less(t, writes, frames/2, "concurrent requests must share writes")
}

func TestDeadlineFailsOnlyThatCall(t *testing.T) {
	for _, ct := range testConnTypes {
		t.Run(ct.name, func(t *testing.T) {
			release := make(chan struct{})
			entered := make(chan struct{}, 1)
			d := echoDispatcher()
			Handle(d, func(ctx context.Context, _ *Inbound, req *SignFinalRequest) (*OutputResponse, error) {
				entered <- struct{}{}
				<-release
				return &OutputResponse{Out: NewOutput([]byte("late"))}, nil
			})
			client, _ := startMux(t, ct.pair, d, muxOptions{})
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			_, err := client.Call(ctx, &SignFinalRequest{FinalPart{Session: 1}})
			var te *Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, KindTimeout, te.Kind)
			assert.True(t, te.Sent, "the server had the request")
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, ck.CKR_DEVICE_ERROR, ck.RVOf(err))
			<-entered

			// The connection still serves, and the late answer is dropped.
			got, err := sign(t.Context(), client, "abc")
			require.NoError(t, err)
			assert.Equal(t, "cba", got)
			close(release)
			require.NoError(t, client.Ping(t.Context()))

			cancelled, cancelNow := context.WithCancel(t.Context())
			cancelNow()
			_, err = client.Call(cancelled, &PingRequest{})
			assert.Equal(t, ck.CKR_FUNCTION_CANCELED, ck.RVOf(err))
		})
	}
}

// A call given up before the writer sent it is never sent, and says so.
func TestAbandonedBeforeSendingIsNeverSent(t *testing.T) {
	var gated *gatedConn
	var signs atomic.Int64
	d := echoDispatcher()
	Handle(d, func(_ context.Context, _ *Inbound, req *SignUpdateRequest) (*StatusResponse, error) {
		signs.Add(1)
		return &StatusResponse{}, nil
	})
	client, _ := startMux(t, pipePair, d, muxOptions{wrapClient: func(c net.Conn) net.Conn {
		gated = newGatedConn(c)
		return gated
	}})
	first := make(chan error, 1)
	go func() { first <- client.Ping(t.Context()) }()
	<-gated.started // the writer is stuck writing the Ping

	ctx, cancel := context.WithCancel(t.Context())
	second := make(chan error, 1)
	go func() {
		_, err := client.Call(ctx, &SignUpdateRequest{DataInput{Session: 1, Data: []byte("x")}})
		second <- err
	}()
	require.Eventually(t, func() bool { return len(client.writer.queue) == 1 }, 5*time.Second, time.Millisecond,
		"the second request waits in the writer's queue")
	cancel()
	err := <-second
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.False(t, te.Sent, "abandoned before the writer took it")
	close(gated.gate)
	require.NoError(t, <-first)
	require.NoError(t, client.Ping(t.Context()), "pings after it are answered in order, so the server has seen everything")
	assert.Zero(t, signs.Load(), "the abandoned request never reached the server")
}

// blockingDispatcher's C_SignFinal handlers report that they started and
// wait until the test ends.
func blockingDispatcher(entered chan<- struct{}, release <-chan struct{}) *Dispatcher {
	d := echoDispatcher()
	Handle(d, func(ctx context.Context, _ *Inbound, req *SignFinalRequest) (*OutputResponse, error) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return &OutputResponse{}, nil
	})
	return d
}

// startBlockedCalls makes n calls that the server holds, and returns their
// errors' channel once all n handlers run.
func startBlockedCalls(t *testing.T, client *Client, entered <-chan struct{}, n int) <-chan error {
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := client.Call(t.Context(), &SignFinalRequest{FinalPart{Session: 1}})
			errs <- err
		}()
	}
	for range n {
		<-entered
	}
	return errs
}

func TestConnectionDroppedMidCallFailsEveryWaiter(t *testing.T) {
	for _, ct := range testConnTypes {
		t.Run(ct.name, func(t *testing.T) {
			entered := make(chan struct{}, 8)
			release := make(chan struct{})
			defer close(release)
			client, server := startMux(t, ct.pair, blockingDispatcher(entered, release), muxOptions{})
			errs := startBlockedCalls(t, client, entered, 8)

			server.Close() // the network drops
			for range 8 {
				err := <-errs
				var te *Error
				require.ErrorAs(t, err, &te)
				assert.Equal(t, KindConnectionLost, te.Kind)
				assert.True(t, te.Sent)
				assert.Equal(t, ck.CKR_DEVICE_ERROR, ck.RVOf(err), err.Error())
			}
			<-client.Done()
			_, err := sign(t.Context(), client, "after")
			assert.Equal(t, ck.CKR_DEVICE_ERROR, ck.RVOf(err), "later calls fail at once")
			assert.Error(t, client.Err())
		})
	}
}

func TestGoodbyeFailsPendingCallsWithItsReason(t *testing.T) {
	entered := make(chan struct{}, 3)
	release := make(chan struct{})
	defer close(release)
	client, server := startMux(t, tcpPair, blockingDispatcher(entered, release), muxOptions{})
	errs := startBlockedCalls(t, client, entered, 3)
	server.Goodbye(GoodbyeWorkerLost, "backend exited with status 2")
	for range 3 {
		err := <-errs
		var te *Error
		require.ErrorAs(t, err, &te)
		assert.Equal(t, KindGoodbye, te.Kind)
		require.NotNil(t, te.Goodbye)
		assert.Equal(t, GoodbyeWorkerLost, te.Goodbye.Reason)
		assert.Contains(t, err.Error(), "worker_lost: backend exited with status 2")
		assert.Equal(t, ck.CKR_DEVICE_ERROR, ck.RVOf(err))
	}
}

func TestCloseFailsPendingCalls(t *testing.T) {
	entered := make(chan struct{}, 4)
	release := make(chan struct{})
	defer close(release)
	client, _ := startMux(t, pipePair, blockingDispatcher(entered, release), muxOptions{})
	errs := startBlockedCalls(t, client, entered, 4)
	require.NoError(t, client.Close())
	for range 4 {
		var te *Error
		require.ErrorAs(t, <-errs, &te)
		assert.Equal(t, KindClosed, te.Kind)
	}
	_, err := client.Call(t.Context(), &PingRequest{})
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, KindClosed, te.Kind)
	assert.False(t, te.Sent)
}

func TestServerBoundsRequestsInFlight(t *testing.T) {
	var running, peak atomic.Int64
	d := NewDispatcher()
	Handle(d, func(ctx context.Context, _ *Inbound, req *SeedRandomRequest) (*StatusResponse, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		defer running.Add(-1)
		// Yield so other handlers get a chance to overlap with this one.
		for range 100 {
			_ = ctx.Err()
		}
		return &StatusResponse{}, nil
	})
	client, _ := startMux(t, tcpPair, d, muxOptions{serverInFlight: 3})
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				_, err := client.Call(t.Context(), &SeedRandomRequest{Session: 1, Seed: []byte{1}})
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int64(3))
	assert.Positive(t, peak.Load())
}

func TestClientBoundsRequestsInFlight(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	client, _ := startMux(t, pipePair, blockingDispatcher(entered, release), muxOptions{clientInFlight: 1})
	startBlockedCalls(t, client, entered, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err := client.Ping(ctx)
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, KindTimeout, te.Kind)
	assert.False(t, te.Sent, "it waited for a slot and was never sent")
}

func TestHandlerErrorsBecomeAnswers(t *testing.T) {
	d := NewDispatcher()
	Handle(d, func(context.Context, *Inbound, *SignInitRequest) (*StatusResponse, error) {
		return nil, &ck.Error{RV: ck.CKR_KEY_FUNCTION_NOT_PERMITTED, Op: "C_SignInit"}
	})
	Handle(d, func(context.Context, *Inbound, *SignOnceRequest) (*FusedOutputResponse, error) {
		return nil, errors.New("backend said no")
	})
	Handle(d, func(context.Context, *Inbound, *VerifyInitRequest) (*StatusResponse, error) {
		panic("handler bug")
	})
	Handle(d, func(context.Context, *Inbound, *AuditLogRequest) (*AuditLogResponse, error) {
		return nil, &RemoteError{Code: CodeNotAllowed, Detail: "no audit log here"}
	})
	Handle(d, func(context.Context, *Inbound, *GenerateRandomRequest) (*RandomResponse, error) {
		return &RandomResponse{Data: make([]byte, 2*MinMaxFrame)}, nil
	})
	d.HandleFunc(MsgVerify, func(context.Context, *Inbound) (Message, error) {
		return &OutputResponse{}, nil // the wrong response type
	})
	client, _ := startMux(t, pipePair, d, muxOptions{maxFrame: MinMaxFrame})

	init, err := Invoke[*StatusResponse](t.Context(), client, &SignInitRequest{OperationInit{Mechanism: ck.Mechanism{Type: ck.CKM_ECDSA}}})
	require.NoError(t, err)
	assert.Equal(t, ck.CKR_KEY_FUNCTION_NOT_PERMITTED, init.RV)

	once, err := Invoke[*FusedOutputResponse](t.Context(), client, &SignOnceRequest{OnceRequest{Mechanism: ck.Mechanism{Type: ck.CKM_ECDSA}}})
	require.NoError(t, err)
	assert.Equal(t, ck.CKR_FUNCTION_FAILED, once.RV)
	assert.Equal(t, StageInit, once.Stage)

	verify, err := Invoke[*StatusResponse](t.Context(), client, &VerifyInitRequest{OperationInit{Mechanism: ck.Mechanism{Type: ck.CKM_ECDSA}}})
	require.NoError(t, err)
	assert.Equal(t, ck.CKR_GENERAL_ERROR, verify.RV, "a panicking handler answers CKR_GENERAL_ERROR")

	_, err = client.Call(t.Context(), &AuditLogRequest{})
	var remote *RemoteError
	require.ErrorAs(t, err, &remote)
	assert.Equal(t, CodeNotAllowed, remote.Code)
	assert.Equal(t, "no audit log here", remote.Detail)

	random, err := Invoke[*RandomResponse](t.Context(), client, &GenerateRandomRequest{Session: 1, Length: 2 * MinMaxFrame})
	require.NoError(t, err)
	assert.Equal(t, ck.CKR_DEVICE_MEMORY, random.RV, "an answer over the frame limit")

	wrong, err := Invoke[*StatusResponse](t.Context(), client, &VerifyRequest{Session: 1})
	require.NoError(t, err)
	assert.NotEqual(t, ck.CKR_OK, wrong.RV)

	_, err = client.Call(t.Context(), &DigestKeyRequest{Session: 1, Key: 2})
	require.ErrorAs(t, err, &remote)
	assert.Equal(t, CodeUnknownMessage, remote.Code)
	assert.Equal(t, ck.CKR_FUNCTION_NOT_SUPPORTED, ck.RVOf(err))

	_, err = client.Call(t.Context(), &ProxyLoginRequest{User: "late"})
	require.ErrorAs(t, err, &remote)
	assert.Equal(t, CodeNotAllowed, remote.Code, "handshake messages after the handshake")

	_, err = client.Call(t.Context(), &EncryptRequest{DataPart{Data: make([]byte, MinMaxFrame)}})
	var te *Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, KindTooLarge, te.Kind)
	assert.Equal(t, ck.CKR_DEVICE_MEMORY, ck.RVOf(err))

	require.NoError(t, client.Ping(t.Context()), "none of that broke the connection")
}

func TestDispatcherRegistrationMistakesPanic(t *testing.T) {
	d := NewDispatcher()
	assert.Panics(t, func() { d.HandleFunc(MsgHello, nil) })
	assert.Panics(t, func() { d.HandleFunc(MsgPing, nil) })
	assert.Panics(t, func() { d.HandleFunc(MsgType(0x7777), nil) })
	assert.Panics(t, func() {
		Handle(d, func(context.Context, *Inbound, *SignRequest) (*StatusResponse, error) { return nil, nil })
	})
}

func TestResendCarriesTheIDAndTheRetryFlag(t *testing.T) {
	type seen struct {
		id    uint64
		retry bool
	}
	calls := make(chan seen, 2)
	d := NewDispatcher()
	Handle(d, func(_ context.Context, in *Inbound, req *GenerateKeyRequest) (*ObjectResponse, error) {
		calls <- seen{in.ID, in.Retry}
		return &ObjectResponse{Object: 77}, nil
	})
	ids := new(RequestIDs)
	cConn, sConn := pipePair(t)
	server := NewServerConn(sConn, d, ServerConfig{})
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background()) }()
	client := NewClient(cConn, Session{Server: HelloResponse{MaxFrame: DefaultMaxFrame, MaxInFlight: 4}}, ClientConfig{RequestIDs: ids})
	defer func() { client.Close(); server.Close(); <-served }()

	req := &GenerateKeyRequest{Session: 1, Mechanism: ck.Mechanism{Type: ck.CKM_AES_KEY_GEN}, Template: []ck.Attribute{ck.ULONGAttr(ck.CKA_VALUE_LEN, ck.ULONG(32))}}
	_, err := client.Call(t.Context(), req)
	require.NoError(t, err)
	first := <-calls
	assert.False(t, first.retry)
	assert.Equal(t, uint64(1), first.id, "ids come from the shared source")

	resp, err := Invoke[*ObjectResponse](t.Context(), client, req)
	require.NoError(t, err)
	assert.Equal(t, ck.ObjectHandle(77), resp.Object)
	<-calls

	_, err = client.Resend(t.Context(), first.id, req)
	require.NoError(t, err)
	again := <-calls
	assert.Equal(t, seen{first.id, true}, again)
	assert.Equal(t, uint64(3), ids.Next(), "Resend does not take a new id")

	_, err = client.Resend(t.Context(), 0, req)
	assert.Error(t, err)
}
