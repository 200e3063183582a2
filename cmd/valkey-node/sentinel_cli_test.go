package main

// The `sentinel` subcommand's start-up rules and lifecycle (the failover scenarios are in
// sentinel_e2e_*_test.go).

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// sentinelCLIConf writes a plain sentinel configuration monitoring a primary nobody serves.
func sentinelCLIConf(t *testing.T, dir string, extra ...string) string {
	t.Helper()
	conf := filepath.Join(dir, "sentinel.conf")
	lines := append([]string{"# a sentinel for the CLI tests", "sentinel monitor cli 127.0.0.1 " +
		strconv.Itoa(freePort(t)) + " 2"}, extra...)
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

func TestSentinelCLIRefusesTLSPortWithoutTLSReplication(t *testing.T) {
	dir := t.TempDir()
	conf := sentinelCLIConf(t, dir)
	port := strconv.Itoa(freePort(t))
	res := runBin(t, append([]string{"sentinel", conf, "--bind", "127.0.0.1", "--port", port,
		"--tls-port", strconv.Itoa(freePort(t))}, tlsFlags(devCerts(t))...)...)
	if res.code != 1 || !strings.Contains(res.stderr, "sentinel with tls-replication no serves plain text only, but tls-port") {
		t.Fatalf("want exit 1 naming tls-port and tls-replication\n%s", res)
	}
}

func TestSentinelCLINeedsConfigFile(t *testing.T) {
	for _, args := range [][]string{{"sentinel"}, {"sentinel", "--port", "26999"}} {
		res := runBin(t, args...)
		if res.code != 1 || !strings.Contains(res.stderr, "Sentinel needs config file on disk to save state. Exiting...") {
			t.Fatalf("valkey-node %s: want exit 1 asking for a config file\n%s", strings.Join(args, " "), res)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.conf")
	if res := runBin(t, "sentinel", missing); res.code != 1 || !strings.Contains(res.stdout+res.stderr, "missing.conf") {
		t.Fatalf("a missing config file: want exit 1 naming it\n%s", res)
	}
	// a bad sentinel line is refused with Valkey's text
	conf := sentinelCLIConf(t, t.TempDir(), "sentinel down-after-milliseconds nosuch 1000")
	if res := runBin(t, "sentinel", conf); res.code != 1 || !strings.Contains(res.stderr, "No such master with specified name.") {
		t.Fatalf("a bad sentinel line: want exit 1 with the reason\n%s", res)
	}
}

// sentinelCLIClient is a RESP2 client of a plain sentinel port.
func sentinelCLIClient(t *testing.T, port int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

var runIDPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestSentinelCLIPlainServes(t *testing.T) {
	dir := t.TempDir()
	conf := sentinelCLIConf(t, dir)
	port := freePort(t)
	n := startRaw(t, port, "sentinel", conf, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir)
	ctx := context.Background()
	c := sentinelCLIClient(t, port)
	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING: %q %v", got, err)
	}
	id, err := c.Do(ctx, "SENTINEL", "MYID").Text()
	if err != nil || !runIDPattern.MatchString(id) {
		t.Fatalf("SENTINEL MYID: %q %v", id, err)
	}
	role, err := c.Do(ctx, "ROLE").Slice()
	if err != nil || len(role) != 2 || role[0] != "sentinel" {
		t.Fatalf("ROLE: %v %v", role, err)
	}
	// the generated id was saved at start, next to the comment that was there
	data, _ := os.ReadFile(conf)
	if !strings.Contains(string(data), "sentinel myid "+id+"\n") || !strings.Contains(string(data), "# a sentinel for the CLI tests") {
		t.Fatalf("configuration after start:\n%s", data)
	}
	// data commands do not exist in sentinel mode
	if err := c.Set(ctx, "k", "v", 0).Err(); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("SET on a sentinel: %v", err)
	}
	if code := n.terminate(); code != 0 {
		t.Fatalf("SIGTERM: exit %d\n%s", code, n.out)
	}
	// a restart keeps the id
	n2 := startRaw(t, port, "sentinel", conf, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir)
	if got, err := sentinelCLIClient(t, port).Do(ctx, "SENTINEL", "MYID").Text(); err != nil || got != id {
		t.Fatalf("MYID after restart: %q %v, want %s", got, err, id)
	}
	n2.terminate()
}

// valkey-server's form, "<conf> --sentinel", runs the same; SHUTDOWN stops it with exit 0.
func TestSentinelCLIDashDashSentinelAndShutdown(t *testing.T) {
	dir := t.TempDir()
	conf := sentinelCLIConf(t, dir)
	port := freePort(t)
	n := startRaw(t, port, conf, "--sentinel", "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir)
	ctx := context.Background()
	c := sentinelCLIClient(t, port)
	masters, err := c.Do(ctx, "SENTINEL", "MASTERS").Slice()
	if err != nil || len(masters) != 1 {
		t.Fatalf("SENTINEL MASTERS: %v %v", masters, err)
	}
	_ = c.Do(ctx, "SHUTDOWN").Err() // the connection closes as the process exits
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		n.cmd.Process.Signal(syscall.SIGKILL)
		t.Fatalf("SHUTDOWN did not stop the sentinel\n%s", n.out)
	}
	n.stopped = true
	if code := n.exitCode(); code != 0 {
		t.Fatalf("exit %d after SHUTDOWN\n%s", code, n.out)
	}
}
