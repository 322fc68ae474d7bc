package front

import (
	"errors"
	"syscall"
)

// isTemporaryAccept reports accept errors that pass: the process or the
// system out of file descriptors or buffers, a connection aborted before it
// was accepted.
func isTemporaryAccept(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}
