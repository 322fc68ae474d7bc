package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// The control protocol between hsmd's front and a worker runs over a
// SOCK_SEQPACKET socketpair: one JSON object per packet, so message
// boundaries come from the kernel and a file descriptor (SCM_RIGHTS) rides
// with the packet it belongs to. The parent sends requests with an id; the
// worker answers each with the same id, in any order. Packets are at most
// maxControlPacket bytes; the worker trusts its parent (same binary, same
// user) but still refuses what it cannot decode rather than crashing.
//
//	parent → worker                      worker → parent
//	init   {params}                      {ok} or {error, rv, not_found}
//	attach {conn} + one fd               {sessions} or {gone}
//	check_pin {pin}                      {rv}
//	sessions                             {sessions}
//	stop                                 {ok}, then the worker exits
const maxControlPacket = 64 << 10

// Control operations.
const (
	opInit     = "init"
	opAttach   = "attach"
	opCheckPIN = "check_pin"
	opSessions = "sessions"
	opStop     = "stop"
)

// controlMsg is every control packet; only the fields of its op are set.
// PIN is a []byte, not a transport.Secret, because Secret marshals as
// "<redacted>"; the struct is never logged.
type controlMsg struct {
	Op       string    `json:"op,omitempty"`
	ID       uint64    `json:"id"`
	Params   *Params   `json:"params,omitempty"`
	Conn     *ConnInfo `json:"conn,omitempty"`
	PIN      []byte    `json:"pin,omitempty"`
	Sessions int       `json:"sessions,omitempty"`
	Resumed  bool      `json:"resumed,omitempty"`
	RV       uint64    `json:"rv,omitempty"`
	Error    string    `json:"error,omitempty"`
	NotFound bool      `json:"not_found,omitempty"`
	Gone     bool      `json:"gone,omitempty"`
}

// newControlPair returns a connected SOCK_SEQPACKET pair, both ends
// close-on-exec (the child's end is handed over through exec.Cmd's
// ExtraFiles, which clears the flag on the copy the child gets).
func newControlPair() (parent *net.UnixConn, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("control socketpair: %w", err)
	}
	parentFile := os.NewFile(uintptr(fds[0]), "worker-control")
	child = os.NewFile(uintptr(fds[1]), "worker-control-child")
	fc, err := net.FileConn(parentFile)
	parentFile.Close()
	if err != nil {
		child.Close()
		return nil, nil, fmt.Errorf("control socket: %w", err)
	}
	return fc.(*net.UnixConn), child, nil
}

// newStreamPair returns a connected SOCK_STREAM pair for one client
// connection: the front keeps local, remote goes to the worker.
func newStreamPair() (local net.Conn, remote *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("connection socketpair: %w", err)
	}
	localFile := os.NewFile(uintptr(fds[0]), "client-conn")
	remote = os.NewFile(uintptr(fds[1]), "client-conn-worker")
	local, err = net.FileConn(localFile)
	localFile.Close()
	if err != nil {
		remote.Close()
		return nil, nil, fmt.Errorf("connection socket: %w", err)
	}
	return local, remote, nil
}

// writeControl sends m, with fd attached when it is not nil.
func writeControl(c *net.UnixConn, m *controlMsg, fd *os.File) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("control %s: %w", m.Op, err)
	}
	if len(b) > maxControlPacket {
		return fmt.Errorf("control %s: message of %d bytes exceeds %d", m.Op, len(b), maxControlPacket)
	}
	var oob []byte
	if fd != nil {
		oob = unix.UnixRights(int(fd.Fd()))
	}
	if _, _, err := c.WriteMsgUnix(b, oob, nil); err != nil {
		return fmt.Errorf("control %s: %w", m.Op, err)
	}
	return nil
}

// readControl reads one packet. It returns the file descriptors that came
// with it as files (the caller owns them). A packet that is not a control
// message is an error; its descriptors are closed.
func readControl(c *net.UnixConn, buf, oob []byte) (*controlMsg, []*os.File, error) {
	n, oobn, flags, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, err
	}
	files, ferr := parseRights(oob[:oobn])
	if n == 0 && oobn == 0 {
		// SOCK_SEQPACKET signals the peer's close with a zero-length read.
		return nil, nil, errControlClosed
	}
	fail := func(err error) (*controlMsg, []*os.File, error) {
		for _, f := range files {
			f.Close()
		}
		return nil, nil, err
	}
	if ferr != nil {
		return fail(ferr)
	}
	if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 {
		return fail(errors.New("control packet truncated"))
	}
	var m controlMsg
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		return fail(fmt.Errorf("control packet: %w", err))
	}
	return &m, files, nil
}

var errControlClosed = errors.New("control socket closed by the peer")

func parseRights(oob []byte) ([]*os.File, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("control message: %w", err)
	}
	var files []*os.File
	var firstErr error
	for i := range msgs {
		fds, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), "passed"))
		}
	}
	return files, firstErr
}

// controlOOBSize fits one passed descriptor, with room to notice more.
var controlOOBSize = unix.CmsgSpace(4 * 4)
