package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/cloudp11/cloudp11/server/admin"
	"github.com/cloudp11/cloudp11/server/hsmdconfig"
)

func (a *app) userAdd() command {
	var token string
	return command{
		flags: func(fs *flag.FlagSet) { fs.StringVar(&token, "token", "", "") },
		run: func(ctx context.Context, e *env, args []string) error {
			if err := wantArgs(args, 1, 1, "the HSM user NAME"); err != nil {
				return err
			}
			return withAdmin(e, func(adm *admin.Admin, cfg *hsmdconfig.Config) error {
				setup, err := adm.AddUser(ctx, args[0], token)
				if setup == "" {
					return err
				}
				effective := token
				if effective == "" {
					effective = cfg.PartitionMap()[args[0]]
				}
				fmt.Fprintf(e.app.stderr, "HSM user '%s' added, token '%s'.\n", args[0], effective)
				printSetup(e, cfg)
				fmt.Fprintln(e.app.stdout, setup)
				return err // the user exists; only its audit record may be missing
			})
		},
	}
}

func printSetup(e *env, cfg *hsmdconfig.Config) {
	fmt.Fprintf(e.app.stderr, "Setup password (shown only now; valid for %s from its first use):\n", hsmdconfig.FormatDuration(cfg.Auth.SetupPasswordValidity))
}

func (a *app) userResetSetup() command {
	return command{run: func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 1, 1, "the HSM user NAME"); err != nil {
			return err
		}
		return withAdmin(e, func(adm *admin.Admin, cfg *hsmdconfig.Config) error {
			setup, err := adm.ResetSetup(ctx, args[0])
			if setup == "" {
				return err
			}
			fmt.Fprintf(e.app.stderr, "New setup password for HSM user '%s'; the previous one no longer works.\n", args[0])
			printSetup(e, cfg)
			fmt.Fprintln(e.app.stdout, setup)
			return err // the password is set; only its audit record may be missing
		})
	}}
}

func (a *app) userList() command {
	return command{run: func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 0, 0, ""); err != nil {
			return err
		}
		return withAdmin(e, func(adm *admin.Admin, _ *hsmdconfig.Config) error {
			users, err := adm.Users()
			if err != nil {
				return err
			}
			t := newTable(e.app.stdout, "NAME", "TOKEN", "SETUP PASSWORD", "SECRETS", "LOCKED UNTIL")
			for _, u := range users {
				token := u.Token
				switch {
				case u.FromConfig:
					token += " (configuration)"
				case u.Conflict:
					token += " (CONFLICTS with the configuration)"
				}
				setup := "unused"
				switch u.Setup {
				case admin.SetupInUse:
					setup = "in use until " + timeOrDash(u.SetupUntil)
				case admin.SetupExpired:
					setup = "expired"
				}
				t.row(u.Name, token, setup, fmt.Sprint(u.ActiveSecrets), timeOrDash(u.LockedUntil))
			}
			return t.flush()
		})
	}}
}

// simpleUserCommand is a command taking one NAME that changes the registry
// and prints one line.
func simpleUserCommand(what, display string, change func(*admin.Admin, context.Context, string) error, done string) command {
	return command{run: func(ctx context.Context, e *env, args []string) error {
		if err := wantArgs(args, 1, 1, "the "+what+" NAME"); err != nil {
			return err
		}
		return withAdmin(e, func(adm *admin.Admin, _ *hsmdconfig.Config) error {
			if err := change(adm, ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.app.stdout, "%s '%s' %s.\n", display, args[0], done)
			return nil
		})
	}}
}

func (a *app) userRemove() command {
	return simpleUserCommand("HSM user", "HSM user", (*admin.Admin).RemoveUser, "removed")
}

func (a *app) userUnlock() command {
	return simpleUserCommand("HSM user", "HSM user", (*admin.Admin).Unlock, "unlocked")
}

// withAdmin opens the state folder, runs fn and closes it.
func withAdmin(e *env, fn func(*admin.Admin, *hsmdconfig.Config) error) error {
	cfg, err := e.config()
	if err != nil {
		return err
	}
	adm, err := admin.New(cfg, admin.Options{})
	if err != nil {
		return err
	}
	defer adm.Close()
	return fn(adm, cfg)
}
