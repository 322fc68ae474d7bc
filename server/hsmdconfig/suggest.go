package hsmdconfig

import "strings"

// suggest returns the known name closest to name when it is close enough
// to be a typo: at most two edits, case ignored, fewer edits than the
// known name has letters. (Package config has its own copy for primus.cfg;
// it is unexported there.)
func suggest(name string, known []string) (string, bool) {
	const maxEdits = 2
	if len(name) > 64 {
		return "", false
	}
	best, bestDist := "", maxEdits+1
	lower := strings.ToLower(name)
	for _, k := range known {
		if d := distance(lower, k); d < bestDist && d < len(k) {
			best, bestDist = k, d
		}
	}
	return best, bestDist <= maxEdits
}

// distance is the optimal-string-alignment distance (edits: insert,
// delete, substitute, swap neighbours) between two short names.
func distance(a, b string) int {
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, rows[i-2][j-2]+1)
			}
			rows[i][j] = v
		}
	}
	return rows[len(a)][len(b)]
}
