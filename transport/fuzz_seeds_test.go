package transport

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriteFuzzSeedCorpus writes the committed seed corpora under
// testdata/fuzz from the same samples the fuzzers add in code, so the
// corpora cover every message type. It runs only on request:
//
//	CLOUDP11_WRITE_FUZZ_SEEDS=1 go test -run TestWriteFuzzSeedCorpus ./transport
func TestWriteFuzzSeedCorpus(t *testing.T) {
	if os.Getenv("CLOUDP11_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set CLOUDP11_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz seeds")
	}
	write := func(fuzzer, name string, values ...any) {
		dir := filepath.Join("testdata", "fuzz", fuzzer)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, v := range values {
			switch v := v.(type) {
			case uint16:
				fmt.Fprintf(&b, "uint16(%d)\n", v)
			case bool:
				fmt.Fprintf(&b, "bool(%t)\n", v)
			case []byte:
				fmt.Fprintf(&b, "[]byte(%q)\n", v)
			default:
				t.Fatalf("no corpus encoding for %T", v)
			}
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(b.String()), 0o644))
	}
	for _, s := range seedMessages() {
		dir := "request"
		flags := Flags(0)
		if s.response {
			dir, flags = "response", FlagResponse
		}
		name := fmt.Sprintf("%04x-%s-%s", uint16(s.typ), s.typ, dir)
		write("FuzzDecodeMessage", name, uint16(s.typ), s.response, false, s.body)
		h := MakeHeader(uint32(len(s.body)), s.typ, flags, 42)
		write("FuzzDecodeFrame", name, append(h[:], s.body...))
	}
	write("FuzzHandshake", "pkcs11-login", handshakeTranscript(t, &UserLoginRequest{User: "alice", Secret: Secret(aliceSecret), Mode: ModePKCS11}))
	write("FuzzHandshake", "audit-log-revoked", handshakeTranscript(t, &UserLoginRequest{User: "alice", Secret: Secret(revokedSecret), Mode: ModeAuditLog}))
	write("FuzzHandshake", "fetch-secret", handshakeTranscript(t, &FetchSecretRequest{User: "alice", SetupPassword: Secret(setupPassword), PIN: Secret(partitionPIN)}))
	write("FuzzHandshake", "http", []byte("GET / HTTP/1.1\r\nHost: hsm\r\n\r\n"))
}
