//go:build !linux

package core

import "os"

// gettid has no portable thread id to give: the process id stands in.
func gettid() int { return os.Getpid() }
