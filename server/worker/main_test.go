package worker

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
)

// childEnv switches the test binary into a worker process: the process
// tests re-execute it (os.Args[0]) with this variable set, as hsmd serve
// re-executes hsmd as "hsmd worker".
const childEnv = "CLOUDP11_WORKER_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

func runChild() int {
	f := os.NewFile(3, "worker-control")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker child:", err)
		return 3
	}
	if err := Run(context.Background(), c.(*net.UnixConn), os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "worker child:", err)
		return 1
	}
	return 0
}
