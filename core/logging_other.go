//go:build !unix

package core

import "errors"

func openSyslog(string) (syslogWriter, error) {
	return nil, errors.New("syslog is not available on this system")
}
