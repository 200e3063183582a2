package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRedisBenchmarkSmoke runs a small redis-benchmark against the node started with exactly the
// command line `make bench` (anchor-bench.sh) uses for valkey-server, in plain, TLS and mTLS mode. It
// checks that the workload completes, not how fast.
func TestRedisBenchmarkSmoke(t *testing.T) {
	bench := requireTool(t, "redis-benchmark", "redis-tools")
	t.Parallel()
	certs := devCerts(t)
	for _, mode := range []string{"plain", "tls", "mtls"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			port := freePort(t)
			dir := t.TempDir()
			args := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no"}
			var client []string
			if mode == "plain" {
				args = append(args, "--port", strconv.Itoa(port))
			} else {
				auth := "no"
				if mode == "mtls" {
					auth = "yes"
				}
				args = append(args, "--port", "0", "--tls-port", strconv.Itoa(port))
				args = append(args, tlsFlags(certs)...)
				args = append(args, "--tls-auth-clients", auth)
				client = []string{"--tls", "--cacert", filepath.Join(certs, "ca.crt")}
				if mode == "mtls" {
					client = append(client, "--cert", filepath.Join(certs, "client.crt"), "--key", filepath.Join(certs, "client.key"))
				}
			}
			var n *node
			if mode == "plain" {
				n = startNode(t, nodeSpec{raw: args, rawPort: port})
			} else {
				n = startNode(t, nodeSpec{raw: args, noWait: true})
				n.tlsPort, n.certs = port, certs
				n.waitReady(mode == "mtls")
			}
			for _, run := range [][]string{
				{"-t", "set,get", "-P", "1", "-n", "2000"},
				{"-t", "set,get", "-P", "16", "-n", "20000"},
				{"-t", "ping_mbulk", "-k", "0", "-n", "200"},
			} {
				ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
				cmdArgs := append(append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-c", "10", "--csv"}, client...), run...)
				out, err := exec.CommandContext(ctx, bench, cmdArgs...).CombinedOutput()
				cancel()
				if err != nil {
					t.Fatalf("redis-benchmark %s: %v\n%s", strings.Join(run, " "), err, out)
				}
				// one CSV row per test, after the header
				rows := 0
				for _, l := range strings.Split(string(out), "\n") {
					if strings.HasPrefix(l, `"SET"`) || strings.HasPrefix(l, `"GET"`) || strings.HasPrefix(l, `"PING_MBULK"`) {
						rows++
					}
				}
				want := 2
				if run[1] == "ping_mbulk" {
					want = 1
				}
				if rows != want {
					t.Errorf("redis-benchmark %s: %d result rows, want %d\n%s", strings.Join(run, " "), rows, want, out)
				}
			}
			if mode != "plain" {
				// the port speaks only TLS
				if err := pingAddr(n.tlsAddr(), nil); err == nil {
					t.Errorf("the TLS port answered a plain PING")
				}
			}
		})
	}
}
