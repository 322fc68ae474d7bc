package main

// The commands that talk to the HSM service. The transport comes with the
// next milestone; until then each of them has parsed and checked its whole
// command line (so mistakes still get a usage error) and then says plainly
// that this build cannot carry it out.

// addSecret is -a: fetch the permanent secret of an HSM user with its setup
// password and PKCS#11 PIN, and store it.
func (a *app) addSecret(inv *invocation) error {
	return &unavailableError{command: inv.command.name()}
}

// updateSecret is -u: fetch a new permanent secret for an HSM user.
func (a *app) updateSecret(inv *invocation) error {
	return &unavailableError{command: inv.command.name()}
}

// testConnection is -t: connect to every selected slot and log in.
func (a *app) testConnection(inv *invocation) error {
	return &unavailableError{command: inv.command.name()}
}

// fetchLog is --fetchlog: dump the log of one HSM.
func (a *app) fetchLog(inv *invocation) error {
	return &unavailableError{command: inv.command.name()}
}
