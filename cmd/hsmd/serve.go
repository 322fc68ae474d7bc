package main

import (
	"context"
	"errors"
)

// errNotYet is a command this build does not have: exit status 2, as for
// ppin's network commands before the service existed.
var errNotYet = errors.New("serve is not available in this build: serving PKCS#11 needs the network layer (transport), which is not wired in yet")

func (a *app) serveCommand() command {
	return command{run: func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 0, 0, ""); err != nil {
			return err
		}
		return errNotYet
	}}
}
