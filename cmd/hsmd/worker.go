package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/cloudp11/cloudp11/server/worker"
)

// workerControlFD is where "hsmd serve" puts the worker's control socket
// (exec.Cmd.ExtraFiles[0]).
const workerControlFD = 3

// workerCommand is the hidden "hsmd worker": the process "hsmd serve"
// starts per application instance (package server/worker). Its parameters
// come over the control socket, never the command line; it is not in the
// usage text because nobody runs it by hand.
func (a *app) workerCommand() command {
	return command{run: func(ctx context.Context, _ *env, args []string) error {
		if err := wantArgs(args, 0, 0, ""); err != nil {
			return err
		}
		f := os.NewFile(workerControlFD, "worker-control")
		if f == nil {
			return errors.New("worker: started without a control socket (hsmd serve starts workers)")
		}
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("worker: started without a control socket (hsmd serve starts workers): %w", err)
		}
		control, ok := c.(*net.UnixConn)
		if !ok {
			c.Close()
			return errors.New("worker: descriptor 3 is not a unix socket")
		}
		// SIGTERM ends the worker in order: sessions closed, module finalized.
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
		defer stop()
		return worker.Run(ctx, control, a.stderr)
	}}
}
