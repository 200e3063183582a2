package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/valkey-node/valkey-node/server"
	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/tlsmat"
)

// checkTLSCommand validates the TLS material of a configuration offline, exactly as the server would load
// it, so an operator can check new certificates before a rotation.
func checkTLSCommand() *cli.Command {
	return &cli.Command{
		Name:            "check-tls",
		Usage:           "validate the TLS material of a configuration and print each certificate",
		UsageText:       "valkey-node check-tls [/path/to/valkey.conf] [--directive value ...]",
		SkipFlagParsing: true,
		Action: func(ctx *cli.Context) error {
			file, opts, err := parseArgs(ctx.Args().Slice())
			if err != nil {
				return cli.Exit(err.Error(), 1)
			}
			cfg, err := server.TLSConfigFrom(file, opts)
			if err != nil {
				var le *config.LoadError
				if errors.As(err, &le) {
					return cli.Exit(le.Short(), 1)
				}
				return cli.Exit(err.Error(), 1)
			}
			report, err := tlsmat.Check(cfg)
			fmt.Fprint(ctx.App.Writer, report)
			if err != nil {
				return cli.Exit("check-tls: "+err.Error(), 1)
			}
			fmt.Fprintln(ctx.App.Writer, "OK")
			return nil
		},
	}
}
