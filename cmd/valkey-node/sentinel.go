package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/valkey-node/valkey-node/sentinel"
	"github.com/valkey-node/valkey-node/server"
	"github.com/valkey-node/valkey-node/server/config"
)

const sentinelUsage = `valkey-node sentinel /path/to/sentinel.conf [--directive value ...]

   Runs a Sentinel: it monitors the primaries of its "sentinel monitor" lines and their replicas, agrees
   with the other Sentinels that a primary is down, elects a leader, fails over, and tells clients where
   each primary is (SENTINEL GET-PRIMARY-ADDR-BY-NAME). The configuration file is required: the Sentinel
   writes its state into it (id, epochs, discovered replicas and Sentinels).

   The listener follows tls-replication: with "tls-replication yes" the Sentinel port (tls-port if set,
   else port, default 26379) speaks TLS only and every link to primaries, replicas and other Sentinels is
   TLS, with certificates reloaded like the node's; with "no" it is plain text, and a tls-port is refused.
   "valkey-node /path/to/sentinel.conf --sentinel" is the same.

   Examples:
     valkey-node sentinel sentinel.conf
     valkey-node sentinel sentinel.conf --port 26380
     valkey-node sentinel sentinel.conf --tls-replication yes --tls-cert-file server.crt \
                 --tls-key-file server.key --tls-ca-cert-file ca.crt`

// sentinelCommand is `valkey-node sentinel`; the exit code of the run goes to *exitCode.
func sentinelCommand(exitCode *int) *cli.Command {
	return &cli.Command{
		Name:            "sentinel",
		Usage:           "run as a Sentinel (monitoring and automatic failover of primaries)",
		UsageText:       sentinelUsage,
		SkipFlagParsing: true,
		Action: func(ctx *cli.Context) error {
			args := ctx.Args().Slice()
			for _, a := range args {
				if a == "--help" || a == "-h" {
					return cli.ShowSubcommandHelp(ctx)
				}
			}
			*exitCode = serveSentinel(args, ctx.App.ErrWriter)
			return nil
		},
	}
}

// withoutArg returns args without any occurrence of drop (the "--sentinel" of valkey-server's form).
func withoutArg(args []string, drop string) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if a != drop {
			out = append(out, a)
		}
	}
	return out
}

// serveSentinel runs a Sentinel until SIGTERM, SIGINT or SHUTDOWN, and returns the exit code. The order
// matters: the server is created with the sentinel as its mode (the "sentinel" lines of the file reach it
// while the file loads), the server listens before the sentinel starts (it announces the listener's
// port), and the sentinel stops (saving its state) before the server shuts down.
func serveSentinel(args []string, stderr io.Writer) int {
	file, opts, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	st := sentinel.New()
	srv, err := server.New(server.Options{ConfigFile: file, Args: opts, Mode: st})
	if err != nil {
		var le *config.LoadError
		if errors.As(err, &le) {
			fmt.Fprintln(stderr, le.Error())
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	st.Attach(srv)
	log := srv.Logger()
	// caught before the listener opens, as for a node: a SIGTERM right after start-up stops it cleanly
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)
	if err := srv.Start(); err != nil {
		fmt.Fprintln(stderr, err)
		log.Warn().Err(err).Msg("Failed to start")
		srv.Shutdown(context.Background())
		return 1
	}
	if err := st.Start(); err != nil {
		fmt.Fprintln(stderr, err)
		log.Warn().Err(err).Msg("Failed to start the sentinel")
		st.Stop()
		srv.Shutdown(context.Background())
		return 1
	}
	select {
	case s := <-sig:
		log.Warn().Str("signal", s.String()).Msg("Received signal, scheduling shutdown...")
	case <-srv.ShutdownRequested():
	}
	st.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintln(stderr, err)
	}
	return 0
}
