package libconfig

import "strings"

// Suggest returns the known setting name closest to name, when it is close
// enough to be a typo, for "did you mean" hints on unknown settings: at most two edits (insert, delete, substitute, swap two
// neighbours), case ignored, and fewer edits than the known name has
// letters, so that "x" does not become "id".
func Suggest(name string, known []string) (string, bool) {
	const maxEdits = 2
	best, bestDist := "", maxEdits+1
	lower := strings.ToLower(name)
	for _, k := range known {
		d := editDistance(lower, k, maxEdits)
		if d < bestDist && d < len(k) {
			best, bestDist = k, d
		}
	}
	return best, bestDist <= maxEdits
}

// editDistance is the optimal-string-alignment (restricted Damerau-
// Levenshtein) distance between a and b, in bytes. It stops early and
// returns limit+1 once the distance is known to exceed limit, so hostile
// long names cost O(len) each, not O(len²).
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	// Three rows: two back for transpositions.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}
