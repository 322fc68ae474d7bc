package core

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzDecodeSecret feeds DecodeSecret what a hand-edited or damaged
// .secrets.cfg may hold: it never panics, never quotes the value in its
// error, and what it accepts encodes back to an equivalent value.
func FuzzDecodeSecret(f *testing.F) {
	for _, seed := range []string{"", "c2VjcmV0", "YQ==", "YQ=", "Y!==", "====", strings.Repeat("A", 1400)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, stored string) {
		got, err := DecodeSecret("u", stored)
		if err != nil {
			if len(stored) >= 8 && strings.Contains(err.Error(), stored) {
				t.Fatalf("the error quotes the value: %v", err)
			}
			return
		}
		if len(got) == 0 {
			t.Fatal("an empty secret was accepted")
		}
		again, err := DecodeSecret("u", EncodeSecret(got.Reveal()))
		if err != nil || !bytes.Equal(again.Reveal(), got.Reveal()) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
