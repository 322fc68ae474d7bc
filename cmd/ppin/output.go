package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cloudp11/cloudp11/config"
)

const helpText = `Usage: ppin [-c primus.cfg] [-s .secrets.cfg] <command>

ppin keeps the permanent secrets of HSM users and the passwords of
service/proxy users in .secrets.cfg, where libcloudp11.so reads them.

Commands:
  -h, --help             print this help
  -v, --version          print the version
  -l, --list             list the configured HSM hosts and their slots
  -a, --add -e USER [SETUP [PKCS11PIN]]
                         fetch and store the permanent secret of HSM user USER,
                         with its setup password and PKCS#11 PIN (not stored)
  -u, --update -e USER [SETUP [PKCS11PIN]]
                         fetch a new permanent secret for USER
  -r, --remove -e USER   remove the permanent secret of USER
  -p, --proxy -e PROXYUSER [PASSWORD]
                         store the password of service/proxy user PROXYUSER
  -x, --remove-proxy -e PROXYUSER
                         remove the password of PROXYUSER
  -t, --test [--user USER] [--hsm HSM] [--slot SLOT] [--slotid N]
                         connection test: connect and log in to the slots
      --fetchlog --user USER --hsm HSM [--reverse] [--since YYYY-MM-DD] [--out FILE]
                         dump the audit log of USER's partition on HSM
                         (newest first with --reverse; --out writes FILE, 0600)

Options:
  -c, --config FILE      the primus.cfg to use; default: $CLOUDP11_CONF, else
                         $SECUROSYS_PKCS11_CONF, else /etc/primus/primus.cfg,
                         else /usr/local/primus/etc/primus.cfg
  -s, --secrets FILE     the .secrets.cfg to use; default: $CLOUDP11_SECRETS,
                         else $SECUROSYS_SECRETS_CONF, else .secrets.cfg in the
                         folder of primus.cfg
  -e, --user NAME        the user the command acts on (-e and --user are one
                         option)

Short options combine: -ae USER SETUP PIN, -pe PROXYUSER PASSWORD, -re USER.
Option values may also be written -cFILE or --config=FILE.

Passwords not given as arguments are asked for: without echo on a terminal,
else one line each from standard input. Prompts go to standard error.
Arguments can be seen by other users of the machine (ps); prefer the prompt
or standard input. Write -- before a password that starts with '-'.

-a and -u need the proxy password of the slot's proxy user (store it first
with -p) and ask the cluster members in priority order until one answers;
-u tells the HSM which secret the new one replaces. -t connects and logs in
to every selected slot with the stored credentials, as libcloudp11.so does,
and prints OK or the PKCS#11 error of each; why a slot failed goes to
standard error.

After -a, -u, -r, -p and -x ppin prints the state of every configured slot
and proxy user. Removing (-r, -x) what is not stored is an error and leaves
the file unchanged. Concurrent runs on one .secrets.cfg are safe: each
update holds a lock on .secrets.cfg.lock beside it.

Exit status:
  0  success
  1  failure: configuration missing or invalid, secrets file corrupt,
     nothing to remove, input/output error, a credential refused by the
     HSM (wrong proxy password, setup password or PIN, expired setup
     password, revoked secret, lockout), an HSM unreachable, a failed
     connection test
  2  usage error
`

// formatList renders -l in the style of the connection test (-t).
func formatList(cfg *config.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Load config file: '%s'\n", printable(cfg.Path))
	for _, h := range cfg.HSMs {
		fmt.Fprintf(&b, "\n%s: host '%s' port %d, priority %d\n", printable(h.Name), printable(h.Host), h.Port, h.Priority)
		for _, s := range h.Slots {
			fmt.Fprintf(&b, "    %s (id=%d), user=%s", printable(s.Name), s.ID, printable(s.UserName))
			if s.ProxyUser != "" {
				fmt.Fprintf(&b, ", proxy user=%s", printable(s.ProxyUser))
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\nNumber of configured HSMs: %d (number of partitions: %d)\n", len(cfg.HSMs), len(cfg.LogicalSlots()))
	return b.String()
}

// formatState renders the banner and the state of every logical slot (in
// slot id order) and every proxy user (in file order), as the vendor's ppin
// prints it after a change.
func formatState(cfg *config.Config, secrets *config.Secrets) string {
	var b strings.Builder
	b.WriteString("********************\nPrimus Permanent PIN\n********************\n")
	for i, slot := range cfg.LogicalSlots() {
		_, stored := secrets.HSMUser(slot.UserName)
		fmt.Fprintf(&b, "[%02d] slot-id %d: user '%s' permanent secret: %s\n",
			i+1, slot.ID, printable(slot.UserName), storedState(stored))
	}
	for i, user := range cfg.ProxyUsers() {
		_, stored := secrets.ProxyPassword(user)
		fmt.Fprintf(&b, "[%02d] service/proxy user '%s' permanent secret: %s\n",
			i+1, printable(user), storedState(stored))
	}
	return b.String()
}

func storedState(stored bool) string {
	if stored {
		return "Configured"
	}
	return "MISSING"
}

// printable escapes what could rewrite a terminal (control characters,
// invalid UTF-8) in text that came from a file or the command line.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	quoted := strconv.QuoteToGraphic(s)
	return quoted[1 : len(quoted)-1]
}
