//go:build unix

package core

import "log/syslog"

type unixSyslog struct{ w *syslog.Writer }

// openSyslog connects to the local syslog daemon, facility user, tagged
// with the process name.
func openSyslog(proc string) (syslogWriter, error) {
	w, err := syslog.New(syslog.LOG_USER|syslog.LOG_INFO, proc)
	if err != nil {
		return nil, err
	}
	return unixSyslog{w}, nil
}

func (s unixSyslog) write(sev severity, line string) error {
	switch {
	case sev <= sevAlert:
		return s.w.Alert(line)
	case sev == sevCritical:
		return s.w.Crit(line)
	case sev == sevError:
		return s.w.Err(line)
	case sev == sevWarning:
		return s.w.Warning(line)
	case sev == sevNotice:
		return s.w.Notice(line)
	case sev == sevInfo:
		return s.w.Info(line)
	}
	return s.w.Debug(line)
}

func (s unixSyslog) Close() error { return s.w.Close() }
