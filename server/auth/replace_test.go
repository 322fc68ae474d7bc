package auth

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudp11/cloudp11/server/audit"
	"github.com/cloudp11/cloudp11/server/registry"
)

func TestRevokeReplaced(t *testing.T) {
	f := newFixture(t, nil)
	setup := f.addUser("alice", "tok")
	f.addUser("bob", "tok-b")
	old, oldID, err := f.issue("alice", setup, testPIN)
	require.NoError(t, err)
	other, _, err := f.issue("alice", setup, testPIN)
	require.NoError(t, err)
	replacement, _, err := f.issue("alice", setup, testPIN)
	require.NoError(t, err)

	ctx := WithPeer(context.Background(), audit.Peer{ClientID: "ppin", Remote: "127.0.0.1:9"})
	require.NoError(t, f.auth.RevokeReplaced(ctx, "alice", oldID))
	_, _, err = f.auth.VerifySecret(ctx, "alice", old)
	assert.ErrorIs(t, err, ErrSecretRevoked)
	for _, s := range [][]byte{other, replacement} {
		_, _, err = f.auth.VerifySecret(ctx, "alice", s)
		assert.NoError(t, err, "the user's other secrets stay valid")
	}
	events := f.auditEvents("alice")
	assert.Contains(t, events, string(audit.SecretRevoked))

	assert.ErrorIs(t, f.auth.RevokeReplaced(ctx, "alice", oldID), registry.ErrAlreadyRevoked)
	assert.ErrorIs(t, f.auth.RevokeReplaced(ctx, "alice", "0123456789abcdef"), registry.ErrNoSuchSecret)
	assert.ErrorIs(t, f.auth.RevokeReplaced(ctx, "bob", oldID), registry.ErrNoSuchSecret, "only the user's own secrets")
	assert.ErrorIs(t, f.auth.RevokeReplaced(ctx, "carol", oldID), registry.ErrNoSuchUser)
	assert.Error(t, f.auth.RevokeReplaced(ctx, "alice", "../../etc"), "ids are checked")
	f.assertNoCredentialsInState(old, other, replacement)
}
