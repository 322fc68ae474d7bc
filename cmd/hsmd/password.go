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

	"github.com/cloudp11/cloudp11/server/auth"
)

// passwordReader reads a new password: twice without echo from a
// terminal, or one line from a pipe or file (printf 'pw\n' | hsmd
// proxy-user add NAME).
type passwordReader struct {
	prompts  io.Writer
	terminal *os.File
	lines    *bufio.Reader
}

func newPasswordReader(stdin *os.File, prompts io.Writer) *passwordReader {
	if term.IsTerminal(int(stdin.Fd())) {
		return &passwordReader{prompts: prompts, terminal: stdin}
	}
	return &passwordReader{prompts: prompts, lines: bufio.NewReader(stdin)}
}

// newPassword returns the password for whom; errors never contain it.
func (p *passwordReader) newPassword(whom string) (string, error) {
	var pw string
	var err error
	if p.terminal == nil {
		pw, err = p.readLine()
	} else {
		pw, err = p.askTwice(whom)
	}
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", errors.New("the password is empty")
	}
	return pw, nil
}

func (p *passwordReader) askTwice(whom string) (string, error) {
	fmt.Fprintf(p.prompts, "New password for %s: ", whom)
	first, err := p.readHidden()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(p.prompts, "Repeat the password: ")
	second, err := p.readHidden()
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("the two passwords differ; nothing changed")
	}
	return first, nil
}

// readLine reads one line, without "\n" or "\r\n", holding at most
// auth.MaxCredentialLen+1 bytes of it.
func (p *passwordReader) readLine() (string, error) {
	var line []byte
	for {
		c, err := p.lines.ReadByte()
		if errors.Is(err, io.EOF) {
			if len(line) == 0 {
				return "", errors.New("no password on standard input")
			}
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		if c == '\n' {
			break
		}
		if len(line) > auth.MaxCredentialLen {
			return "", fmt.Errorf("the password is longer than %d bytes", auth.MaxCredentialLen)
		}
		line = append(line, c)
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > auth.MaxCredentialLen {
		return "", fmt.Errorf("the password is longer than %d bytes", auth.MaxCredentialLen)
	}
	return string(line), nil
}

// readHidden reads a line from the terminal without echo. An interrupt
// gives the terminal its echo back before exiting with 128+signal, so ^C
// at the prompt does not leave the user typing blind.
func (p *passwordReader) readHidden() (string, error) {
	fd := int(p.terminal.Fd())
	saved, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("reading the password from the terminal: %w", err)
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
			fmt.Fprintln(p.prompts)
			os.Exit(128 + int(sig.(syscall.Signal)))
		case <-done:
		}
	}()
	answer, err := term.ReadPassword(fd)
	fmt.Fprintln(p.prompts) // the Enter key was not echoed
	if err != nil && !(errors.Is(err, io.EOF) && len(answer) > 0) {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no password given")
		}
		return "", fmt.Errorf("reading the password from the terminal: %w", err)
	}
	if len(answer) > auth.MaxCredentialLen {
		return "", fmt.Errorf("the password is longer than %d bytes", auth.MaxCredentialLen)
	}
	return string(answer), nil
}
