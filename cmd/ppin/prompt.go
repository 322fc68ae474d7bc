package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// prompter asks for passwords. On a terminal it reads without echo; from a
// pipe or file it reads one line per password, so that
// "printf 'a\nb\n' | ppin -ae USER" answers two prompts.
type prompter struct {
	out      io.Writer     // where prompts go: standard error
	terminal *os.File      // standard input when it is a terminal
	lines    *bufio.Reader // standard input otherwise
}

func newPrompter(stdin *os.File, out io.Writer) *prompter {
	if term.IsTerminal(int(stdin.Fd())) {
		return &prompter{out: out, terminal: stdin}
	}
	return &prompter{out: out, lines: bufio.NewReader(stdin)}
}

// ask prints prompt and reads the answer; what names the password in
// errors, which never contain the answer.
func (p *prompter) ask(what, prompt string) (string, error) {
	if _, err := io.WriteString(p.out, prompt); err != nil {
		return "", err
	}
	var answer string
	var err error
	if p.terminal != nil {
		answer, err = p.readHidden(what)
	} else {
		answer, err = p.readLine(what)
	}
	// The Enter key was not echoed (terminal) or not typed here at all
	// (pipe): end the prompt's line so that what follows starts afresh.
	io.WriteString(p.out, "\n")
	return answer, err
}

// readLine reads one line, without its "\n" or "\r\n". It reads at most
// maxPasswordLen+2 bytes of it, so endless input cannot exhaust memory.
func (p *prompter) readLine(what string) (string, error) {
	var line []byte
	for {
		c, err := p.lines.ReadByte()
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
		if len(line) > maxPasswordLen {
			return "", fmt.Errorf("the %s is longer than %d bytes", what, maxPasswordLen)
		}
		line = append(line, c)
	}
	return string(bytes.TrimSuffix(line, []byte("\r"))), nil
}

// readHidden reads a line from the terminal without echo. An interrupt
// while reading gives the terminal its echo back before ppin exits with the
// shell's status for the signal (128+n); without this, ^C at the prompt
// would leave the user typing blind.
func (p *prompter) readHidden(what string) (string, error) {
	fd := int(p.terminal.Fd())
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
			term.Restore(fd, saved)
			io.WriteString(p.out, "\n")
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
	return string(answer), nil
}
