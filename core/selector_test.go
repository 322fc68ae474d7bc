package core

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedRand returns the given numbers in turn, and records the bounds it
// was asked for.
type fixedRand struct {
	next  []int
	asked []int
}

func (r *fixedRand) intn(n int) int {
	r.asked = append(r.asked, n)
	v := r.next[0]
	r.next = r.next[1:]
	return v
}

// simulate binds like cluster.bind: members answer when up[i]; it
// returns the member chosen, or -1 when none answered.
func simulate(s *selector, up []bool) (chosen int, tried []int) {
	for i := range s.order() {
		tried = append(tried, i)
		if up[i] {
			s.chosen(i)
			return i, tried
		}
	}
	return -1, tried
}

func TestSelectorRandomThenRoundRobinWithinThePool(t *testing.T) {
	// Members 0, 2 and 3 have priority 0, member 1 priority 5.
	r := &fixedRand{next: []int{1}}
	s := newSelector([]int{0, 5, 0, 0}, r.intn)
	require.Equal(t, [][]int{{0, 2, 3}, {1}}, s.pools)

	up := []bool{true, true, true, true}
	got, tried := simulate(s, up)
	assert.Equal(t, 2, got, "the random start (1) of the best pool is its second member")
	assert.Equal(t, []int{2}, tried)
	assert.Equal(t, []int{3}, r.asked, "random within the best pool only")

	// Member 2 fails: the next attempt goes round-robin after it.
	up[2] = false
	got, tried = simulate(s, up)
	assert.Equal(t, 3, got)
	assert.Equal(t, []int{3}, tried)
	up[2] = true
	got, _ = simulate(s, up)
	assert.Equal(t, 0, got, "round-robin wraps around the pool")
	got, _ = simulate(s, up)
	assert.Equal(t, 2, got)
	assert.Len(t, r.asked, 1, "drawn once, and never for a pool no attempt reached")
}

func TestSelectorFallsBackPoolByPoolAndReturns(t *testing.T) {
	r := &fixedRand{next: []int{0, 1, 0}}
	// Pools: {0, 1} at priority 1, {2, 3} at 7, {4} at 9.
	s := newSelector([]int{1, 1, 7, 7, 9}, r.intn)
	up := []bool{false, false, true, true, true}

	got, tried := simulate(s, up)
	assert.Equal(t, 3, got, "the best pool is down: the next pool, from its random start (1)")
	assert.Equal(t, []int{0, 1, 3}, tried, "every member of the best pool is tried first")

	up[3] = false
	got, tried = simulate(s, up)
	assert.Equal(t, 2, got)
	assert.Equal(t, []int{0, 1, 2}, tried)

	up[2] = false
	got, tried = simulate(s, up)
	assert.Equal(t, 4, got, "the last pool")
	assert.Equal(t, []int{0, 1, 3, 2, 4}, tried, "the middle pool round-robin from after member 2")

	up[4] = false
	got, tried = simulate(s, up)
	assert.Equal(t, -1, got, "all pools exhausted")
	assert.Equal(t, []int{0, 1, 3, 2, 4}, tried)

	// The best pool comes back: the next binding prefers it again.
	up[1] = true
	got, _ = simulate(s, up)
	assert.Equal(t, 1, got)
}

func TestSelectorSpreadsFirstChoices(t *testing.T) {
	// With the real random source, independent selectors (applications)
	// start on every member of the pool.
	seen := map[int]bool{}
	for range 200 {
		s := newSelector([]int{3, 3, 3}, nil)
		s.intn = func(n int) int { return len(seen) % n }
		got, _ := simulate(s, []bool{true, true, true})
		seen[got] = true
	}
	assert.Len(t, seen, 3)
}
