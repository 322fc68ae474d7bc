package core

import (
	"iter"
	"sort"
)

// selector decides in which order a slot's cluster members are tried when
// the slot needs a member (primus facts, "Selection among cluster
// members"): members are grouped into pools by priority, the lowest number
// first; the first attempt in a pool starts at a random member, later ones
// go round-robin from the member after the one last chosen; a pool whose
// members all fail gives way to the next pool. Every attempt starts with
// the best pool again, so a slot returns to a preferred member as soon as
// it needs a new one and that member answers.
//
// A selector is not safe for concurrent use: the cluster calls it while it
// holds its bind semaphore.
type selector struct {
	pools  [][]int       // member indexes per pool, best pool first, file order within a pool
	cursor []int         // per pool: where the next attempt starts; -1 until first used
	intn   func(int) int // random number in [0, n)
}

// newSelector groups members by priority (0..127, lower first).
func newSelector(priorities []int, intn func(int) int) *selector {
	byPriority := map[int][]int{}
	var levels []int
	for i, p := range priorities {
		if _, ok := byPriority[p]; !ok {
			levels = append(levels, p)
		}
		byPriority[p] = append(byPriority[p], i)
	}
	sort.Ints(levels)
	s := &selector{intn: intn}
	for _, p := range levels {
		s.pools = append(s.pools, byPriority[p])
		s.cursor = append(s.cursor, -1)
	}
	return s
}

// order yields the member indexes to try, in order, for one attempt:
// every pool, best first, each starting at its cursor and going round. A
// pool's random start is drawn when the attempt first reaches the pool.
func (s *selector) order() iter.Seq[int] {
	return func(yield func(int) bool) {
		for p, pool := range s.pools {
			start := s.cursor[p]
			if start < 0 {
				start = s.intn(len(pool))
				s.cursor[p] = start
			}
			for k := range pool {
				if !yield(pool[(start+k)%len(pool)]) {
					return
				}
			}
		}
	}
}

// chosen records that member i answered and is now used: the next attempt
// in its pool starts after it (round-robin).
func (s *selector) chosen(i int) {
	for p, pool := range s.pools {
		for k, m := range pool {
			if m == i {
				s.cursor[p] = (k + 1) % len(pool)
				return
			}
		}
	}
}
