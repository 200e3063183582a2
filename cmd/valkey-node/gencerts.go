package main

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/valkey-node/valkey-node/tlsmat"
)

// genCertsCommand implements `valkey-node gen-certs [--rsa] DIR`: a throw-away development PKI
// (CA, server and client certificates) written by tlsmat.GenerateDevCerts.
func genCertsCommand() *cli.Command {
	return &cli.Command{
		Name:      "gen-certs",
		Usage:     "write a development CA, server and client certificate into DIR (not for production)",
		ArgsUsage: "DIR",
		Description: "Writes ca.crt ca.key server.crt server.key client.crt client.key. The server certificate " +
			"is valid for localhost, 127.0.0.1 and ::1 and carries both serverAuth and clientAuth, so it " +
			"also serves as the client certificate of replication and cluster-bus links. Keys are ECDSA " +
			"P-256 (RSA 2048 with --rsa), unencrypted, mode 0600. Existing files are replaced.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "rsa", Usage: "generate RSA 2048 keys instead of ECDSA P-256"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() != 1 {
				return cli.Exit("usage: valkey-node gen-certs [--rsa] DIR", 2)
			}
			dir := c.Args().First()
			if err := tlsmat.GenerateDevCerts(dir, c.Bool("rsa")); err != nil {
				return cli.Exit(err.Error(), 1)
			}
			for _, name := range tlsmat.DevCertFiles {
				fmt.Fprintln(c.App.Writer, filepath.Join(dir, name))
			}
			return nil
		},
	}
}
