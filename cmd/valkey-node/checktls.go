package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/valkey-node/valkey-node/sentinel"
	"github.com/valkey-node/valkey-node/server"
	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/tlsmat"
)

// checkTLSCommand validates the TLS material of a configuration offline, exactly as the server would load
// it, so an operator can check new certificates before a rotation.
//
// Failures are returned as plain errors, not cli.Exit: urfave/cli turns an ExitCoder into os.Exit inside
// App.Run, which would bypass run()'s writers and end the process of an in-process caller (tests). run()
// prints a returned error to stderr and exits 1.
func checkTLSCommand() *cli.Command {
	return &cli.Command{
		Name:      "check-tls",
		Usage:     "validate the TLS material of a configuration and print each certificate",
		UsageText: "valkey-node check-tls [/path/to/valkey.conf|sentinel.conf] [--directive value ...]",
		Description: "Loads tls-cert-file, tls-key-file (with tls-key-file-pass), tls-client-cert-file, " +
			"tls-client-key-file, tls-ca-cert-file, tls-ca-cert-dir, tls-dh-params-file, tls-protocols and " +
			"tls-ciphers with the same validation as the server, prints each certificate (subject, issuer, " +
			"SANs, serial, validity, key type) and OK. Exits 1 naming the first problem. Run it before a " +
			"rotation: CONFIG SET or tls-auto-reload-interval will accept exactly what it accepts.",
		SkipFlagParsing: true,
		Action: func(ctx *cli.Context) error {
			args := ctx.Args().Slice()
			for _, a := range args {
				if a == "--help" || a == "-h" {
					return cli.ShowSubcommandHelp(ctx)
				}
			}
			file, opts, err := parseArgs(args)
			if err != nil {
				return fmt.Errorf("check-tls: %w", err)
			}
			cfg, err := server.TLSConfigFrom(file, opts)
			var le *config.LoadError
			if errors.As(err, &le) && strings.HasPrefix(strings.ToLower(le.Text), "sentinel ") {
				// a sentinel.conf: read it as the sentinel would, its "sentinel" lines included
				cfg, err = server.TLSConfigFromMode(file, opts, sentinel.New())
			}
			if err != nil {
				var le *config.LoadError
				if errors.As(err, &le) {
					return fmt.Errorf("check-tls: %s", le.Short())
				}
				return fmt.Errorf("check-tls: %w", err)
			}
			report, err := tlsmat.Check(cfg)
			fmt.Fprint(ctx.App.Writer, report)
			if err != nil {
				return fmt.Errorf("check-tls: %w", err)
			}
			return nil // the report ends with "OK"
		},
	}
}
