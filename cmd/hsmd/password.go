package main

import (
	"errors"
	"fmt"

	"github.com/cloudp11/cloudp11/cmd/internal/prompt"
)

// newPassword reads a new password for whom: twice without echo from a
// terminal, or one line from a pipe or file (printf 'pw\n' | hsmd
// proxy-user add NAME). Errors never contain the password.
func newPassword(r *prompt.Reader, whom string) (string, error) {
	var pw string
	var err error
	if r.Terminal() {
		pw, err = askTwice(r, whom)
	} else {
		pw, err = r.Ask("password", "")
	}
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", errors.New("the password is empty")
	}
	return pw, nil
}

func askTwice(r *prompt.Reader, whom string) (string, error) {
	first, err := r.Ask("password", fmt.Sprintf("New password for %s: ", whom))
	if err != nil {
		return "", err
	}
	second, err := r.Ask("password", "Repeat the password: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("the two passwords differ; nothing changed")
	}
	return first, nil
}
