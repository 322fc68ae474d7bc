package core

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/tests/testenv"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// signInFlight starts a C_SignInit + C_Sign on h while p is stalled and
// returns the call's outcome once p has cut the connection it was sent on.
func signInFlight(t *testing.T, l *Library, h ck.SessionHandle, priv ck.ObjectHandle, p *proxy) error {
	t.Helper()
	digest := sha256.Sum256([]byte("in flight"))
	require.NoError(t, l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, priv))
	held := p.held.Load()
	p.stall()
	done := make(chan error, 1)
	go func() {
		_, _, err := l.Sign(h, digest[:], Output{Cap: 64})
		done <- err
	}()
	require.Eventually(t, func() bool { return p.held.Load() > held }, 30*time.Second, time.Millisecond,
		"the request never reached the proxy")
	p.cut()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("the call in flight never failed")
		return nil
	}
}

// noLiveConnection reports whether the slot's binding has lost every
// connection (the library noticed the cut).
func noLiveConnection(l *Library) bool {
	e := l.slots[0].cluster.current()
	return e == nil || e.liveClient() == nil
}

func TestE2EConnectionLostInFlightThenResumed(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	p := newProxy(t, c.members[0].Addr)
	l := c.open(c.config([]memberSpec{{port: p.port()}}, cfgOptions{connections: 1}))
	h := rwSession(t, l)
	pub, priv := ecKeyPair(t, l, h, "resume", false)
	goKey := ecPublicKey(t, l, h, pub)

	err := signInFlight(t, l, h, priv, p)
	assert.Equal(t, ck.CKR_DEVICE_ERROR, rv(err), "%v", err)
	_, _, err = l.Sign(h, make([]byte, 32), Output{Cap: 64})
	assert.Equal(t, ck.CKR_OPERATION_NOT_INITIALIZED, rv(err), "the failed call ended the operation")
	require.Eventually(t, func() bool { return noLiveConnection(l) }, 30*time.Second, time.Millisecond)

	// The next call reconnects with the same instance id; the worker kept
	// the session (and its login, and the session key) for its lease.
	digest := sha256.Sum256([]byte("after"))
	require.NoError(t, l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, priv))
	sig, _, err := l.Sign(h, digest[:], Output{Cap: 64})
	require.NoError(t, err)
	verifyECDSA(t, goKey, digest[:], sig)

	log := c.log()
	assert.Contains(t, log, "connection lost with the call in flight")
	assert.Contains(t, log, "member=hsm0")
	assert.Contains(t, log, "reconnected; the sessions are still there")
}

func TestE2ENewWorkerInvalidatesSessionsAndHandles(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	l := c.single(cfgOptions{connections: 1})
	h := rwSession(t, l)
	pub, priv := ecKeyPair(t, l, h, "kept", true)

	workers := c.members[0].Workers(t)
	require.Len(t, workers, 1)
	require.NoError(t, syscall.Kill(workers[0].Pid, syscall.SIGKILL))
	require.Eventually(t, func() bool { return noLiveConnection(l) }, 30*time.Second, time.Millisecond)

	// The member answers from a new worker without our sessions: never act
	// on another session or object, say so.
	err := l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, priv)
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rv(err), "%v", err)
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rv(l.CloseSession(h)))
	h2 := rwSession(t, l)
	_, err = l.GetAttributeValue(h2, pub, nil)
	assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rv(err), "handles of the old worker are gone")

	// The key itself is on the token: found again, it gets a new handle.
	require.NoError(t, l.FindObjectsInit(h2, []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "kept"), ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY)}))
	found, err := l.FindObjects(h2, 5)
	require.NoError(t, err)
	require.NoError(t, l.FindObjectsFinal(h2))
	require.Len(t, found, 1)
	assert.Greater(t, found[0], priv)
	assert.Contains(t, c.log(), "reconnected to a new worker")
}

func TestE2EFailoverToTheNextMember(t *testing.T) {
	c := newE2ECluster(t, 2, testenv.HsmdOptions{})
	p := newProxy(t, c.members[0].Addr)
	// hsm0 (through the proxy) is the best pool; hsm1 the fallback.
	l := c.open(c.config([]memberSpec{{port: p.port(), priority: 0}, {port: portOf(t, c.members[1].Addr), priority: 1}},
		cfgOptions{connections: 1}))
	h := rwSession(t, l)
	pub, priv := ecKeyPair(t, l, h, "cluster-key", true)
	goKey := ecPublicKey(t, l, h, pub)
	first, err := l.TokenInfo(0)
	require.NoError(t, err)

	// hsm0 goes away with a call in flight.
	err = signInFlight(t, l, h, priv, p)
	assert.Equal(t, ck.CKR_DEVICE_ERROR, rv(err), "%v", err)
	c.members[0].Stop(t)
	require.Eventually(t, func() bool { return noLiveConnection(l) }, 30*time.Second, time.Millisecond)

	// The session lived in hsm0's worker: it is gone. New sessions go to
	// hsm1, which serves the same partition.
	err = l.SignInit(h, ck.Mechanism{Type: ck.CKM_ECDSA}, priv)
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rv(err), "%v", err)
	h2 := rwSession(t, l)
	assert.Equal(t, "hsm1", l.sessions.get(h2).epoch.member.HSM.Name)
	info, err := l.TokenInfo(0)
	require.NoError(t, err)
	assert.Equal(t, first.Label, info.Label)
	assert.Equal(t, first.SerialNumber, info.SerialNumber)

	require.NoError(t, l.FindObjectsInit(h2, []ck.Attribute{ck.StringAttr(ck.CKA_LABEL, "cluster-key"), ck.ULONGAttr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY)}))
	found, err := l.FindObjects(h2, 5)
	require.NoError(t, err)
	require.NoError(t, l.FindObjectsFinal(h2))
	require.Len(t, found, 1)
	digest := sha256.Sum256([]byte("on hsm1"))
	require.NoError(t, l.SignInit(h2, ck.Mechanism{Type: ck.CKM_ECDSA}, found[0]))
	sig, _, err := l.Sign(h2, digest[:], Output{Cap: 64})
	require.NoError(t, err)
	verifyECDSA(t, goKey, digest[:], sig)

	// With every member gone, the token is not present.
	c.members[1].Stop(t)
	require.Eventually(t, func() bool { return noLiveConnection(l) }, 30*time.Second, time.Millisecond)
	_, err = l.OpenSession(0, ck.CKF_SERIAL_SESSION)
	assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, rv(err), "%v", err)
	_, err = l.TokenInfo(0)
	assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, rv(err))
	slots, err := l.SlotList(true)
	require.NoError(t, err)
	assert.Equal(t, []ck.SlotID{0}, slots)

	log := c.log()
	assert.Contains(t, log, "the member does not answer any more")
	assert.Contains(t, log, "no cluster member answered")
}

func TestE2ENoMemberReachable(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	cfg := c.config([]memberSpec{{port: closedPort(t)}, {port: closedPort(t), priority: 3}}, cfgOptions{connectOnInit: true})
	l := c.open(cfg)
	_, err := l.OpenSession(0, ck.CKF_SERIAL_SESSION)
	assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, rv(err), "%v", err)
	_, err = l.MechanismList(0)
	assert.Equal(t, ck.CKR_TOKEN_NOT_PRESENT, rv(err))
	log := c.log()
	// connect_on_init tried both members, each wait_max_tries (2) times,
	// and C_Initialize still succeeded.
	assert.GreaterOrEqual(t, strings.Count(log, "cannot connect"), 4)
	assert.Contains(t, log, "C_Initialize() - rv: 0x0")
}

func TestE2EMissingCredentialsNameTheFix(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	cfg := c.config([]memberSpec{{port: portOf(t, c.members[0].Addr)}}, cfgOptions{})

	_, err := config.UpdateSecrets(c.secretsPath, func(s *config.Secrets) error {
		s.RemoveHSMUser(e2eUser)
		return nil
	})
	require.NoError(t, err)
	l := c.open(cfg)
	_, err = l.OpenSession(0, ck.CKF_SERIAL_SESSION)
	assert.Equal(t, ck.CKR_TOKEN_NOT_RECOGNIZED, rv(err), "%v", err)
	assert.Contains(t, c.log(), "ppin -a -e "+e2eUser)
	require.NoError(t, l.Finalize())

	_, err = config.UpdateSecrets(c.secretsPath, func(s *config.Secrets) error {
		s.RemoveProxyPassword(e2eProxy)
		return nil
	})
	require.NoError(t, err)
	l = c.open(cfg)
	_, err = l.OpenSession(0, ck.CKF_SERIAL_SESSION)
	assert.Equal(t, ck.CKR_TOKEN_NOT_RECOGNIZED, rv(err))
	assert.Contains(t, c.log(), "ppin -p -e "+e2eProxy)
}

func TestE2EHandlesAreNeverReused(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	cfg := c.config([]memberSpec{{port: portOf(t, c.members[0].Addr)}}, cfgOptions{})
	l := c.open(cfg)
	h := rwSession(t, l)
	pub, _ := ecKeyPair(t, l, h, "first", false)
	require.NoError(t, l.Finalize())

	l2 := c.open(cfg)
	assert.Equal(t, ck.CKR_SESSION_HANDLE_INVALID, rv(l2.CloseSession(h)), "a session of the finalized instance")
	h2 := rwSession(t, l2)
	assert.Greater(t, h2, h)
	pub2, _ := ecKeyPair(t, l2, h2, "second", false)
	assert.Greater(t, pub2, pub)
	_, err := l2.GetAttributeValue(h2, pub, nil)
	assert.Equal(t, ck.CKR_OBJECT_HANDLE_INVALID, rv(err))
}

func TestE2EConnectionsPerMember(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	p := newProxy(t, c.members[0].Addr)
	l := c.open(c.config([]memberSpec{{port: p.port()}}, cfgOptions{connections: 3, connectOnInit: true}))
	require.Eventually(t, func() bool { return p.count() == 3 }, 30*time.Second, time.Millisecond,
		"connect_on_init opens the first connection, the others follow in the background")
	h := rwSession(t, l)
	for i := range 12 {
		_, err := l.GenerateRandom(h, 16)
		require.NoError(t, err, "call %d", i)
	}
	e := l.slots[0].cluster.current()
	require.NotNil(t, e)
	e.mu.Lock()
	live := 0
	for _, cl := range e.clients {
		if cl != nil && cl.Err() == nil {
			live++
		}
	}
	e.mu.Unlock()
	assert.Equal(t, 3, live)
	assert.Equal(t, 3, p.count(), "calls reuse the connections")
}

func TestE2ELogFileSettings(t *testing.T) {
	c := newE2ECluster(t, 1, testenv.HsmdOptions{})
	logFile := filepath.Join(t.TempDir(), "primus.log")
	l := c.open(c.config([]memberSpec{{port: portOf(t, c.members[0].Addr)}}, cfgOptions{logFile: logFile}))
	h := rwSession(t, l)
	_, err := l.GenerateRandom(h, 8)
	require.NoError(t, err)
	require.NoError(t, l.Finalize())
	data := readFile(t, logFile)
	lines := strings.Split(strings.TrimSpace(data), "\n")
	require.NotEmpty(t, lines)
	for _, line := range lines {
		parts := strings.SplitN(line, " - ", 4)
		require.Len(t, parts, 4, "line %q", line)
		_, err := time.Parse(timeLayout, parts[0])
		assert.NoError(t, err, "timestamp of %q", line)
		assert.Regexp(t, `^core\.test\[\d+:\d+\]$`, parts[1])
		assert.Contains(t, line, "client_id=core-e2e")
	}
	assert.Contains(t, data, fmt.Sprintf("- 7 - C_GenerateRandom() - rv: 0x0"))
	assert.Contains(t, data, "- 5 - C_Login() - login")
	assert.NotContains(t, data, e2eUserPIN)
}
