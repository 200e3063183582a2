// Command valkey-node is a Valkey-compatible server node.
//
//	valkey-node [/path/to/valkey.conf] [--directive value ...]
//	valkey-node gen-certs [--rsa] DIR
//	valkey-node check-tls [/path/to/valkey.conf] [--directive value ...]
//
// Directives given as --flags override the file, later ones override earlier ones, exactly as with
// valkey-server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/valkey-node/valkey-node/server"
	"github.com/valkey-node/valkey-node/server/config"
)

func main() { os.Exit(run(os.Args, os.Stdout, os.Stderr)) }

func versionLine() string {
	return fmt.Sprintf("valkey-node v=%s redis_version=%s go=%s bits=64", server.Version, server.RedisVersion, runtime.Version())
}

const serverUsage = `valkey-node [/path/to/valkey.conf] [--directive value ...]

   Starts a node. Every configuration directive can be given on the command line as --name value
   (directives with several values take several words); command-line directives override the file.

   Examples:
     valkey-node                                  (built-in defaults, port 6379)
     valkey-node /etc/valkey/valkey.conf
     valkey-node --port 7777
     valkey-node --port 0 --tls-port 6379 --tls-cert-file server.crt \
                 --tls-key-file server.key --tls-ca-cert-file ca.crt
     valkey-node /etc/valkey/valkey.conf --loglevel verbose`

func newApp(stdout, stderr io.Writer, exitCode *int) *cli.App {
	return &cli.App{
		Name:            "valkey-node",
		Usage:           "a Valkey-compatible server node",
		UsageText:       serverUsage,
		Version:         server.Version,
		HideVersion:     true,
		HideHelpCommand: true,
		SkipFlagParsing: true,
		Writer:          stdout,
		ErrWriter:       stderr,
		Commands:        []*cli.Command{genCertsCommand(), checkTLSCommand(), sentinelCommand(exitCode)},
		Action: func(ctx *cli.Context) error {
			args := ctx.Args().Slice()
			for _, a := range args {
				switch a {
				case "--help", "-h":
					return cli.ShowAppHelp(ctx)
				case "--version", "-v":
					fmt.Fprintln(stdout, versionLine())
					return nil
				case "--sentinel": // valkey-server's form: valkey-node /path/sentinel.conf --sentinel
					*exitCode = serveSentinel(withoutArg(args, "--sentinel"), stderr)
					return nil
				}
			}
			*exitCode = serve(args, stderr)
			return nil
		},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	code := 0
	app := newApp(stdout, stderr, &code)
	if err := app.Run(args); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return code
}

// parseArgs splits valkey-server style arguments into the config file and the --directive options.
func parseArgs(args []string) (file string, opts []config.Option, err error) {
	i := 0
	if len(args) > 0 && (!strings.HasPrefix(args[0], "--") || args[0] == "-") {
		file = args[0]
		i = 1
	}
	for ; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") || len(a) == 2 {
			return "", nil, fmt.Errorf("invalid argument '%s': directives are given as --name value", a)
		}
		o := config.Option{Name: strings.ToLower(a[2:])}
		for i+1 < len(args) && !isOptionName(args[i+1]) {
			i++
			o.Args = append(o.Args, args[i])
		}
		opts = append(opts, o)
	}
	return file, opts, nil
}

// isOptionName tells a directive name from a value: values may start with "-" (negative numbers,
// "-::*") but not with "--" followed by a letter.
func isOptionName(a string) bool {
	return len(a) > 2 && strings.HasPrefix(a, "--") && (a[2] >= 'a' && a[2] <= 'z' || a[2] >= 'A' && a[2] <= 'Z')
}

// serve runs a node until SIGTERM, SIGINT or SHUTDOWN, and returns the exit code.
func serve(args []string, stderr io.Writer) int {
	file, opts, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	srv, err := server.New(server.Options{ConfigFile: file, Args: opts})
	if err != nil {
		var le *config.LoadError
		if errors.As(err, &le) {
			fmt.Fprintln(stderr, le.Error())
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	// The signals are caught before the listeners open: a SIGTERM sent as soon as the node answers must
	// shut it down cleanly, not kill it by the default action.
	// A file size limit (ulimit -f) must show up as a write error that the node reports and survives, as a
	// full disk does, not as the default SIGXFSZ action that kills the process.
	signal.Ignore(syscall.SIGXFSZ)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)
	if err := srv.Start(); err != nil {
		fmt.Fprintln(stderr, err)
		log := srv.Logger()
		log.Warn().Err(err).Msg("Failed to start")
		srv.Shutdown(context.Background())
		return 1
	}
	log := srv.Logger()
wait:
	for {
		select {
		case s := <-sig:
			log.Warn().Str("signal", s.String()).Msg("Received signal, scheduling shutdown...")
			// as Valkey: when the final save fails the node keeps running rather than lose the data
			if err := srv.PrepareShutdown(); err != nil {
				log.Warn().Err(err).Msg("Error trying to save the DB, can't exit. SIGTERM received but errors trying to shut down the server, check the logs for more information")
				continue
			}
			break wait
		case <-srv.ShutdownRequested():
			break wait
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintln(stderr, err)
	}
	return 0
}
