package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/core"
	"github.com/cloudp11/cloudp11/transport"
)

// The commands that fetch a permanent secret from the HSM service: -a and
// -u. The connection test (-t) is in conntest.go, --fetchlog in fetchlog.go.

// addSecret is -a: fetch the permanent secret of an HSM user with its setup
// password and PKCS#11 PIN, and store it.
func (a *app) addSecret(inv *invocation) error { return a.fetchSecret(inv, false) }

// updateSecret is -u: fetch a new permanent secret for an HSM user that
// has one, telling the server which one it replaces.
func (a *app) updateSecret(inv *invocation) error { return a.fetchSecret(inv, true) }

// setupPasswordForm is the operator's setup password: five groups of five
// letters or digits joined by dashes. The server upper-cases and trims it,
// and so does ppin before checking.
var setupPasswordForm = regexp.MustCompile(`^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$`)

// candidate is a cluster member that can be asked for the secret.
type candidate struct {
	member   *core.Member
	password transport.Secret
}

func (a *app) fetchSecret(inv *invocation, update bool) error {
	n, err := a.openNetwork(inv)
	if err != nil {
		return err
	}
	user := inv.user
	entries := n.slotsOf(user)
	if len(entries) == 0 {
		return fmt.Errorf("no slot in '%s' names HSM user '%s'; check user_name in primus.cfg", printable(n.cfg.Path), printable(user))
	}
	var replaces string
	if update {
		old, ok := n.secrets.HSMUser(user)
		if !ok {
			return fmt.Errorf("no permanent secret stored for '%s' in '%s'; fetch the first one with: ppin -a -e %s",
				printable(user), printable(n.secretsPath), printable(user))
		}
		replaces = old.SecretID
	}

	// The proxy password is checked before the prompts: without it no
	// member can be asked, and the user should not type passwords for
	// nothing.
	var candidates []candidate
	var missing error
	asked := map[*config.HSM]bool{} // a user under two slot ids of one HSM: ask it once
	for _, e := range entries {
		if asked[e.hsm] {
			continue
		}
		m, err := n.member(e)
		if err != nil {
			return err
		}
		pw, err := core.ProxyPassword(m, n.secrets)
		if err != nil {
			missing = cmp.Or(missing, err)
			continue
		}
		asked[e.hsm] = true
		candidates = append(candidates, candidate{member: m, password: pw})
	}
	if len(candidates) == 0 {
		return explain(missing, entries[0].slot)
	}

	setup, err := a.password(inv, 0, fmt.Sprintf("Provide setup password for '%s': ", printable(user)))
	if err != nil {
		return err
	}
	setup = strings.ToUpper(strings.TrimSpace(setup))
	if !setupPasswordForm.MatchString(setup) {
		return errors.New("the setup password must be five groups of five letters or digits joined by dashes (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX), as the HSM operator gave it")
	}
	pin, err := a.password(inv, 1, fmt.Sprintf("Provide PKCS11 password for '%s': ", printable(user)))
	if err != nil {
		return err
	}

	resp, err := a.askMembers(n, candidates, transport.FetchSecretRequest{
		SetupPassword: transport.Secret(setup), PIN: transport.Secret(pin), Replaces: replaces,
	})
	if err != nil {
		return err
	}
	secrets, err := config.UpdateSecrets(n.secretsPath, func(s *config.Secrets) error {
		s.SetHSMUser(config.HSMUserSecret{
			UserName: user,
			Secret:   core.EncodeSecret(resp.Secret.Reveal()),
			SecretID: resp.SecretID,
			Created:  time.Now().UTC().Truncate(time.Second),
		})
		return nil
	})
	if err != nil {
		return err
	}
	return a.showState(n.cfg, secrets)
}

// askMembers asks the candidates for the secret in priority order and
// returns the first answer. A refused credential (wrong setup password or
// PIN, lockout...) ends the search: another member would refuse it too,
// and each try counts towards a lockout. Anything else (unreachable, busy,
// partition unavailable there) moves on to the next member.
func (a *app) askMembers(n *network, candidates []candidate, req transport.FetchSecretRequest) (*transport.FetchSecretResponse, error) {
	var last error
	for i, c := range candidates {
		resp, _, err := n.dialer.FetchSecret(context.Background(), c.member, c.password, req)
		if err == nil {
			return resp, nil
		}
		explained := explain(err, c.member.Slot)
		var refused *transport.RefusedError
		if errors.As(err, &refused) && refused.Remote.Code.IsAuthFailure() && refused.Remote.Code != transport.CodePartitionUnavailable {
			return nil, explained
		}
		if i < len(candidates)-1 {
			a.warn(explained.Error() + "; trying the next cluster member")
		}
		last = explained
	}
	if len(candidates) > 1 {
		return nil, fmt.Errorf("no cluster member issued a permanent secret; the last one said: %w", last)
	}
	return nil, last
}
