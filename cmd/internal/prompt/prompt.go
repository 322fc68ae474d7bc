// Package prompt reads passwords for the command-line tools (ppin, hsmd):
// without echo from a terminal (golang.org/x/term), or one line per
// password from a pipe or file, so that scripts and containers can answer
// prompts on standard input.
//
// Answers are bounded: a line longer than the limit is refused without
// reading the rest of it, and no error message ever contains an answer.
package prompt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// Reader asks for passwords on one input. It is not safe for concurrent use.
type Reader struct {
	out      io.Writer     // where prompts go: standard error
	terminal *os.File      // the input, when it is a terminal
	lines    *bufio.Reader // the input otherwise
	maxLen   int
}

// New returns a Reader of stdin that writes its prompts to out and refuses
// answers longer than maxLen bytes.
func New(stdin *os.File, out io.Writer, maxLen int) *Reader {
	if term.IsTerminal(int(stdin.Fd())) {
		return &Reader{out: out, terminal: stdin, maxLen: maxLen}
	}
	return NewLines(stdin, out, maxLen)
}

// NewLines returns a Reader that takes one line of in per answer, whatever
// in is.
func NewLines(in io.Reader, out io.Writer, maxLen int) *Reader {
	return &Reader{out: out, lines: bufio.NewReader(in), maxLen: maxLen}
}

// Terminal reports whether answers are typed on a terminal.
func (r *Reader) Terminal() bool { return r.terminal != nil }

// Ask writes prompt, reads the answer and ends the prompt's line (the Enter
// key was not echoed, or not typed here at all); an empty prompt writes
// nothing. what names the answer in errors ("proxy password"), which never
// contain the answer.
func (r *Reader) Ask(what, prompt string) (string, error) {
	if _, err := io.WriteString(r.out, prompt); err != nil {
		return "", err
	}
	var answer string
	var err error
	if r.terminal != nil {
		answer, err = r.readHidden(what)
	} else {
		answer, err = r.readLine(what)
	}
	if prompt != "" {
		io.WriteString(r.out, "\n")
	}
	return answer, err
}

// readLine reads one line, without its "\n" or "\r\n", holding at most
// maxLen+1 bytes of it, so endless input cannot exhaust memory.
func (r *Reader) readLine(what string) (string, error) {
	var line []byte
	for {
		c, err := r.lines.ReadByte()
		if errors.Is(err, io.EOF) {
			if len(line) == 0 {
				return "", fmt.Errorf("no %s on standard input", what)
			}
			break
		}
		if err != nil {
			return "", fmt.Errorf("read the %s from standard input: %w", what, err)
		}
		if c == '\n' {
			break
		}
		// One byte past the limit may still be the '\r' of "\r\n".
		if len(line) > r.maxLen {
			return "", r.tooLong(what)
		}
		line = append(line, c)
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > r.maxLen {
		return "", r.tooLong(what)
	}
	return string(line), nil
}

// readHidden reads a line from the terminal without echo. An interrupt
// while reading gives the terminal its echo back before the process exits
// with the shell's status for the signal (128+n); without this, ^C at the
// prompt would leave the user typing blind.
func (r *Reader) readHidden(what string) (string, error) {
	fd := int(r.terminal.Fd())
	saved, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read the %s from the terminal: %w", what, err)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	defer func() {
		signal.Stop(signals)
		close(done)
	}()
	go func() {
		select {
		case sig := <-signals:
			_ = term.Restore(fd, saved)
			io.WriteString(r.out, "\n")
			os.Exit(128 + int(sig.(syscall.Signal)))
		case <-done:
		}
	}()
	answer, err := term.ReadPassword(fd)
	if err != nil && !(errors.Is(err, io.EOF) && len(answer) > 0) {
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("no %s given", what)
		}
		return "", fmt.Errorf("read the %s from the terminal: %w", what, err)
	}
	if len(answer) > r.maxLen {
		return "", r.tooLong(what)
	}
	return string(answer), nil
}

func (r *Reader) tooLong(what string) error {
	return fmt.Errorf("the %s is longer than %d bytes", what, r.maxLen)
}
