// Command ppin is the permanent PIN tool of cloudp11. It keeps the
// permanent secrets of HSM users and the passwords of service/proxy users in
// .secrets.cfg, where libcloudp11.so reads them at C_Initialize, and it
// shows what primus.cfg configures. Run "ppin -h" for the commands, options
// and exit statuses; the output matches the vendor's ppin of the Primus
// workflow line for line.
//
// # Concurrency
//
// Several ppin processes may change one .secrets.cfg at once (containers
// started together, scripts in parallel): every change goes through
// config.UpdateSecrets, which holds an exclusive lock on "<file>.lock",
// re-reads the file, and replaces it atomically, so no update is lost and
// readers never see half a file.
//
// # Limits
//
// User names are at most 256 bytes and passwords at most 1024 bytes, without
// control characters or line breaks. Passwords and secrets are never
// printed, not even in error messages. Names from files or the command line
// are printed with control characters escaped.
package main

import (
	"os"

	"github.com/cloudp11/cloudp11/cmd/internal/prompt"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	a := &app{stdout: os.Stdout, stderr: os.Stderr, prompt: prompt.New(os.Stdin, os.Stderr, maxPasswordLen)}
	os.Exit(a.run(os.Args[1:]))
}
