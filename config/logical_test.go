package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogicalSlotsMerging(t *testing.T) {
	c := mustLoad(t, `primus: { hsms: {
  hsm0: { host = "a"; port = 1; slots: {
    s0: { user_name = "A"; proxy_user = "P1"; id = 0; };
    s1: { user_name = "B"; proxy_user = "P2"; id = 1; };
  }; };
  hsm1: { host = "b"; port = 1; priority = 1; slots: {
    s0: { user_name = "A"; proxy_user = "P1"; id = 0; };
  }; };
  hsm2: { host = "c"; port = 1; slots: {
    s5: { user_name = "A"; proxy_user = "P3"; id = 5; };
    s1: { user_name = "B"; proxy_user = "P2"; id = 1; };
  }; };
}; };`)
	type member struct{ hsm, slot string }
	members := func(ls LogicalSlot) []member {
		var out []member
		for _, m := range ls.Members {
			out = append(out, member{m.HSM.Name, m.Slot.Name})
		}
		return out
	}
	slots := c.LogicalSlots()
	require.Len(t, slots, 3)
	assert.Equal(t, uint64(0), slots[0].ID)
	assert.Equal(t, "A", slots[0].UserName)
	assert.Equal(t, []member{{"hsm0", "s0"}, {"hsm1", "s0"}}, members(slots[0]))
	assert.Equal(t, uint64(1), slots[1].ID)
	assert.Equal(t, "B", slots[1].UserName)
	assert.Equal(t, []member{{"hsm0", "s1"}, {"hsm2", "s1"}}, members(slots[1]))
	assert.Equal(t, uint64(5), slots[2].ID, "sorted by id, not file order")
	assert.Equal(t, []member{{"hsm2", "s5"}}, members(slots[2]))

	// Members point into the Config.
	assert.Same(t, &c.HSMs[2].Slots[1], slots[1].Members[1].Slot)
	assert.Equal(t, 1, slots[0].Members[1].HSM.Priority)

	assert.Equal(t, []string{"P1", "P2", "P3"}, c.ProxyUsers())
}
