package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/cloudp11/cloudp11/server/state"
)

// names collects repeated --name flags.
type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(v string) error { *n = append(*n, v); return nil }

func (a *app) initCommand() command {
	var (
		serverNames names
		force       bool
	)
	return command{
		flags: func(fs *flag.FlagSet) {
			fs.Var(&serverNames, "name", "")
			fs.BoolVar(&force, "force", false, "")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if err := wantArgs(args, 0, 0, ""); err != nil {
				return err
			}
			if len(serverNames) == 0 {
				return usagef("init needs at least one --name (a DNS name or IP address clients use to reach hsmd)")
			}
			if e.stateDir == "" && e.configPath == "" && e.app.getenv(ConfigEnv) == "" {
				return usagef("init needs --state DIR (or a configuration with state_dir)")
			}
			cfg, err := e.config()
			if err != nil {
				return err
			}
			res, err := state.Init(ctx, state.InitOptions{Dir: cfg.StateDir, Names: serverNames, Force: force})
			if err != nil {
				return err
			}
			var all []string
			all = append(all, res.DNSNames...)
			for _, ip := range res.IPs {
				all = append(all, ip.String())
			}
			out := e.app.stdout
			fmt.Fprintf(out, "Initialised the hsmd state folder %s\n", res.Dir)
			fmt.Fprintf(out, "Server certificate for %s, valid until %s\n", strings.Join(all, ", "), res.NotAfter.UTC().Format("2006-01-02"))
			fmt.Fprintf(out, "CA certificate: %s\n", res.CACert)
			fmt.Fprintf(out, "Clients trust hsmd through it: set tls_ca to this file (or a copy) in primus.cfg.\n")
			return nil
		},
	}
}
