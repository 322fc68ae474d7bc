package main

import (
	"context"
	"fmt"

	"github.com/cloudp11/cloudp11/server/admin"
	"github.com/cloudp11/cloudp11/server/hsmdconfig"
	"github.com/cloudp11/cloudp11/server/registry"
)

func (a *app) proxyAdd() command {
	return command{run: func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 1, 1, "the proxy user NAME"); err != nil {
			return err
		}
		name := args[0]
		// Check the name before asking for a password it would waste.
		if err := registry.ValidateUserName(name); err != nil {
			return err
		}
		return withAdmin(e, func(adm *admin.Admin, _ *hsmdconfig.Config) error {
			password, err := newPassword(e.app.passwords, fmt.Sprintf("proxy user '%s'", name))
			if err != nil {
				return err
			}
			if err := adm.AddProxyUser(ctx, name, password); err != nil {
				return err
			}
			fmt.Fprintf(e.app.stdout, "Proxy user '%s' added.\n", name)
			return nil
		})
	}}
}

func (a *app) proxyList() command {
	return command{run: func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 0, 0, ""); err != nil {
			return err
		}
		return withAdmin(e, func(adm *admin.Admin, _ *hsmdconfig.Config) error {
			users, err := adm.ProxyUsers()
			if err != nil {
				return err
			}
			t := newTable(e.app.stdout, "NAME", "CREATED", "LOCKED UNTIL")
			for _, u := range users {
				t.row(u.Name, timeOrDash(u.Created), timeOrDash(u.LockedUntil))
			}
			return t.flush()
		})
	}}
}

func (a *app) proxyRemove() command {
	return simpleUserCommand("proxy user", "Proxy user", (*admin.Admin).RemoveProxyUser, "removed")
}

func (a *app) proxyUnlock() command {
	return simpleUserCommand("proxy user", "Proxy user", (*admin.Admin).UnlockProxyUser, "unlocked")
}
