package main

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cloudp11/cloudp11/config"
)

// The commands that need nothing but the local files: primus.cfg and
// .secrets.cfg.

func (a *app) help(*invocation) error { return a.write(helpText) }

func (a *app) version(*invocation) error {
	return a.write("ppin (cloudp11) " + version + "\n")
}

// list is -l: the configured HSM hosts and their slots.
func (a *app) list(inv *invocation) error {
	cfg, err := a.loadConfig(inv)
	if err != nil {
		return err
	}
	return a.write(formatList(cfg))
}

// storeProxyPassword is -p: store the password of a service/proxy user.
func (a *app) storeProxyPassword(inv *invocation) error {
	cfg, err := a.loadConfig(inv)
	if err != nil {
		return err
	}
	path := secretsFile(inv, cfg)
	// A corrupt secrets file fails now, before the user types a password
	// that could not be stored.
	if _, err := config.LoadSecrets(path); err != nil {
		return err
	}
	if !slices.Contains(cfg.ProxyUsers(), inv.user) {
		a.warn(fmt.Sprintf("no slot in '%s' names proxy user '%s'; storing its password anyway",
			printable(cfg.Path), printable(inv.user)))
	}
	password, err := a.password(inv, 0, fmt.Sprintf("Provide proxy password for '%s' : ", printable(inv.user)))
	if err != nil {
		return err
	}
	secrets, err := config.UpdateSecrets(path, func(s *config.Secrets) error {
		s.SetProxyPassword(inv.user, password)
		return nil
	})
	if err != nil {
		return err
	}
	return a.showState(cfg, secrets)
}

// removeProxyPassword is -x: remove the password of a service/proxy user.
func (a *app) removeProxyPassword(inv *invocation) error {
	return a.remove(inv, "proxy password", (*config.Secrets).RemoveProxyPassword)
}

// removeSecret is -r: remove the permanent secret of an HSM user.
func (a *app) removeSecret(inv *invocation) error {
	return a.remove(inv, "permanent secret", (*config.Secrets).RemoveHSMUser)
}

// errNothingToRemove stops an update that would not change the file.
var errNothingToRemove = errors.New("nothing to remove")

// remove takes the entry of inv.user out of the secrets file. Removing what
// is not stored is an error and leaves the file as it was: a mistyped name
// must not look like success.
func (a *app) remove(inv *invocation, what string, remove func(*config.Secrets, string) bool) error {
	cfg, err := a.loadConfig(inv)
	if err != nil {
		return err
	}
	path := secretsFile(inv, cfg)
	secrets, err := config.UpdateSecrets(path, func(s *config.Secrets) error {
		if !remove(s, inv.user) {
			return errNothingToRemove
		}
		return nil
	})
	if errors.Is(err, errNothingToRemove) {
		return fmt.Errorf("no %s stored for '%s' in '%s'; nothing changed", what, printable(inv.user), printable(path))
	}
	if err != nil {
		return err
	}
	return a.showState(cfg, secrets)
}

// password returns the i-th password of the command: from the command line
// when it was given there, else asked for.
func (a *app) password(inv *invocation, i int, prompt string) (string, error) {
	if i < len(inv.passwords) {
		return inv.passwords[i], nil
	}
	what := inv.command.passwords[i]
	p, err := a.prompt.Ask(what, prompt)
	if err != nil {
		return "", err
	}
	if err := checkPassword(what, p); err != nil {
		return "", err
	}
	return p, nil
}

// loadConfig reads primus.cfg from -c or from where config.Locate finds it
// and prints its warnings.
func (a *app) loadConfig(inv *invocation) (*config.Config, error) {
	path := inv.configPath
	if path == "" {
		located, _, err := config.Locate()
		if err != nil {
			return nil, err
		}
		path = located
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		a.warn(w.String())
	}
	return cfg, nil
}

// secretsFile is the .secrets.cfg to use: -s, else where the library looks.
func secretsFile(inv *invocation, cfg *config.Config) string {
	if inv.secretsPath != "" {
		return inv.secretsPath
	}
	path, _ := config.LocateSecrets(cfg.Path)
	return path
}

// showState prints the warnings about the secrets file and the banner with
// the state of every configured slot and proxy user.
func (a *app) showState(cfg *config.Config, secrets *config.Secrets) error {
	for _, w := range secrets.Warnings {
		a.warn(w)
	}
	return a.write(formatState(cfg, secrets))
}

func (a *app) write(s string) error {
	_, err := io.WriteString(a.stdout, s)
	return err
}

func (a *app) warn(msg string) {
	fmt.Fprintf(a.stderr, "warning: %s\n", printable(msg))
}
