package core

import "golang.org/x/sys/unix"

// gettid is the calling thread's id. A call from C runs its goroutine on
// the C thread that made it, so the id is the application's thread, as in
// the Primus provider's "process[pid:tid]".
func gettid() int { return unix.Gettid() }
