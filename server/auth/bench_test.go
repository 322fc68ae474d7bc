package auth

import (
	"crypto/rand"
	"testing"
)

// BenchmarkArgon2RFC9106 measures one proxy login's hash with the default
// parameters (go test -bench Argon2 -benchtime 10x ./server/auth).
func BenchmarkArgon2RFC9106(b *testing.B) {
	h, err := HashProxyPassword(rand.Reader, "password", RFC9106Params)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !argon2Matches(h, "password") {
			b.Fatal("no match")
		}
	}
}
