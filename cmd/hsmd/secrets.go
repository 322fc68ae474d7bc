package main

import (
	"context"
	"fmt"

	"github.com/cloudp11/cloudp11/server/admin"
	"github.com/cloudp11/cloudp11/server/hsmdconfig"
)

func (a *app) secretsList() command {
	return command{run: func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 0, 1, ""); err != nil {
			return err
		}
		user := ""
		if len(args) == 1 {
			user = args[0]
		}
		return withAdmin(e, func(adm *admin.Admin, _ *hsmdconfig.Config) error {
			secrets, err := adm.Secrets(user)
			if err != nil {
				return err
			}
			t := newTable(e.app.stdout, "USER", "ID", "CREATED", "LAST USED", "REVOKED")
			for _, s := range secrets {
				lastUsed := "never"
				if !s.LastUsed.IsZero() {
					lastUsed = timeOrDash(s.LastUsed)
				}
				t.row(s.User, s.ID, timeOrDash(s.Created), lastUsed, timeOrDash(s.Revoked))
			}
			return t.flush()
		})
	}}
}

func (a *app) secretsRevoke() command {
	return command{run: func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 2, 2, "the HSM user NAME and the secret ID"); err != nil {
			return err
		}
		return withAdmin(e, func(adm *admin.Admin, _ *hsmdconfig.Config) error {
			if err := adm.RevokeSecret(ctx, args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(e.app.stdout, "Secret %s of HSM user '%s' revoked.\n", args[1], args[0])
			return nil
		})
	}}
}
