package main

// Interop: the real Debian redis-sentinel fails over valkey-node nodes. It only uses the public protocol
// (INFO, PING, hello messages over pub/sub, and MULTI / SLAVEOF / CONFIG REWRITE / CLIENT KILL / EXEC to
// promote and re-point), so this checks that the nodes accept all of it exactly as a redis-server would.
//
// The issue asks for plain text, since a distribution's sentinel may be built without TLS. What we found
// on Debian 12 (package redis-sentinel 5:7.0.15-1~deb12u10; `redis-sentinel --version` prints "Redis
// server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=…" and says nothing about TLS, but
// the binary links libssl.so.3): this build does support TLS. A sentinel with `port 0`, `tls-port`,
// `tls-replication yes` and the gen-certs material starts, answers `redis-cli --tls … SENTINEL MASTERS`,
// and fails over TLS-only valkey-node nodes — TestRealRedisSentinelFailsOverValkeyNodesTLS shows it, and
// skips (saying so) on a build that refuses tls-port. Our own sentinel's TLS scenarios are in
// sentinel_e2e_failover_test.go.

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestRealRedisSentinelFailsOverValkeyNodes(t *testing.T) {
	requireTool(t, "redis-sentinel", "redis-sentinel")
	// node 2 has the lowest replica-priority, so it is the replica the sentinels must promote
	rs := newReplSet(t, false, 100, 50, 10)
	rs.startSentinels(t, 3, sentinelSpec{real: true, quorum: 2})
	rs.debugTiming(t)
	rs.waitDiscovered(t)
	checkFailover(t, rs, 2)
}

// TestRealRedisSentinelFailsOverValkeyNodesTLS: the same with everything TLS (replication between the
// nodes, the sentinels' links to them and to each other), when the installed redis-sentinel has TLS.
func TestRealRedisSentinelFailsOverValkeyNodesTLS(t *testing.T) {
	requireRealSentinelTLS(t)
	rs := newReplSet(t, true, 100, 10, 50)
	rs.startSentinels(t, 3, sentinelSpec{real: true, tls: true, quorum: 2})
	rs.debugTiming(t)
	rs.waitDiscovered(t)
	checkFailover(t, rs, 1)
}

// requireRealSentinelTLS skips the test unless the installed redis-sentinel serves a TLS port: it starts
// one with `port 0` and a tls-port, and waits until it answers PING over TLS or exits.
func requireRealSentinelTLS(t *testing.T) {
	t.Helper()
	bin := requireTool(t, "redis-sentinel", "redis-sentinel")
	dir, certs := t.TempDir(), devCerts(t)
	port := freePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	lines := append([]string{"bind 127.0.0.1", "dir " + dir, `logfile ""`, "port 0", "tls-port " + strconv.Itoa(port),
		"tls-replication yes", "sentinel monitor probe 127.0.0.1 1 1"}, tlsConfLines(certs)...)
	writeConf(t, conf, lines)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := &syncBuffer{}
	cmd := exec.CommandContext(ctx, bin, conf)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-sentinel: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	defer func() {
		cancel() // kills it if still running
		<-exited
	}()
	for {
		if pingAddr("127.0.0.1:"+strconv.Itoa(port), clientTLS(t, certs, true)) == nil {
			return
		}
		select {
		case <-exited:
			t.Skipf("the installed redis-sentinel does not start with a tls-port (built without TLS?):\n%s", out)
		case <-ctx.Done():
			t.Fatalf("redis-sentinel with a tls-port neither answered nor exited:\n%s", out)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
