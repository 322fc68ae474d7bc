// Command hsmd is the HSM service of cloudp11: the network end of the
// Primus workflow, serving each HSM user's partition from a token of a
// PKCS#11 backend module. Its admin commands prepare the state folder
// (hsmd init), manage HSM users, proxy users and permanent secrets; "hsmd
// help" lists them, docs/hsmd.md describes the configuration.
//
// Exit status: 0 success, 1 failure, 2 usage error.
//
// # Concurrency
//
// Admin commands may run while the service runs and while other admin
// commands run: every registry change is serialised by a lock in the state
// folder (package registry).
//
// # Limits
//
// Passwords typed or piped in are at most 1024 bytes. hsmd serve's limits
// are those of the configuration (limits.*) and of package front.
package main

import (
	"os"

	"github.com/cloudp11/cloudp11/cmd/internal/prompt"
	"github.com/cloudp11/cloudp11/server/auth"
)

// version is set at build time: go build -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	a := &app{stdout: os.Stdout, stderr: os.Stderr, passwords: prompt.New(os.Stdin, os.Stderr, auth.MaxCredentialLen), getenv: os.Getenv}
	os.Exit(a.run(os.Args[1:]))
}
