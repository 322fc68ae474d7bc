//go:build !libconfigref

package libconfigref

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnavailableWithoutTag(t *testing.T) {
	assert.False(t, Available)
	root, err := ParseFile("any.cfg", "")
	require.ErrorIs(t, err, ErrUnavailable)
	assert.Nil(t, root)
}
