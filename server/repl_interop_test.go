package server

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// redisTLSArgs are the redis-server flags for a TLS-only server with the test PKI, TLS replication on.
func redisTLSArgs(t *testing.T, tlsPort int) []string {
	certs := devCerts(t)
	return []string{"--port", "0", "--tls-port", strconv.Itoa(tlsPort),
		"--tls-cert-file", filepath.Join(certs, "server.crt"), "--tls-key-file", filepath.Join(certs, "server.key"),
		"--tls-ca-cert-file", filepath.Join(certs, "ca.crt"), "--tls-replication", "yes"}
}

// startRedisTLS runs a TLS-only redis-server and returns a raw TLS connection to it and its port.
func startRedisTLS(t *testing.T, extra ...string) (*rawConn, int) {
	t.Helper()
	port := freePort(t)
	startRedisServerNoConn(t, port, append(redisTLSArgs(t, port), extra...)...)
	return dialTLSRaw(t, loopbackAddr(port)), port
}

// TestRedisReplicatesFromNodeOverTLS: a real redis-server 7 started with --replicaof <valkey-node>
// --tls-replication yes fully syncs from a TLS valkey-node and follows its stream.
func TestRedisReplicatesFromNodeOverTLS(t *testing.T) {
	p := startNode(t, "tls", "repl-diskless-sync-delay", "0")
	pr := p.raw()
	pipeline(t, pr, mixedWorkload(3, 20_000))
	rr, _ := startRedisTLS(t, "--replicaof", "127.0.0.1", portOf(p.tlsAddr))
	caughtUp(t, pr, rr)
	pipeline(t, pr, liveWrites(4, 5_000))
	caughtUp(t, pr, rr)
	want := scanDBs(t, pr)
	if got := scanDBs(t, rr); got != want {
		t.Fatalf("redis-server replica differs: %s", firstDiff(got, want))
	}
	if got := infoField(t, pr, "replication", "slave0"); !strings.Contains(got, "state=online") {
		t.Fatalf("slave0: %s", got)
	}
}

// TestNodeReplicatesFromRedisOverTLS: a valkey-node replica with tls-replication yes fully syncs from a
// real redis-server 7 TLS primary, follows its stream, and after the link is cut resumes with a partial
// resync (sync_partial_ok increments on the primary).
func TestNodeReplicatesFromRedisOverTLS(t *testing.T) {
	pr, port := startRedisTLS(t)
	pipeline(t, pr, mixedWorkload(5, 20_000))
	rep := startNode(t, "tls", "tls-replication", "yes", "replicaof", "127.0.0.1 "+strconv.Itoa(port))
	rr := rep.raw()
	caughtUp(t, pr, rr)
	pipeline(t, pr, liveWrites(6, 5_000))
	caughtUp(t, pr, rr)
	want := scanDBs(t, pr)
	if got := scanDBs(t, rr); got != want {
		t.Fatalf("valkey-node replica differs: %s", firstDiff(got, want))
	}
	before := infoField(t, pr, "stats", "sync_partial_ok")
	fullBefore := infoField(t, pr, "stats", "sync_full")
	if got := pr.do("CLIENT", "KILL", "TYPE", "replica"); got != ":1" {
		t.Fatalf("CLIENT KILL TYPE replica: %s", got)
	}
	pipeline(t, pr, liveWrites(7, 1_000))
	caughtUp(t, pr, rr)
	if after := infoField(t, pr, "stats", "sync_partial_ok"); after == before {
		t.Fatalf("sync_partial_ok stayed %s after the link was cut and restored", after)
	}
	if got := infoField(t, pr, "stats", "sync_full"); got != fullBefore {
		t.Fatalf("a full sync happened after the cut: sync_full %s -> %s", fullBefore, got)
	}
	want = scanDBs(t, pr)
	if got := scanDBs(t, rr); got != want {
		t.Fatalf("after the partial resync: %s", firstDiff(got, want))
	}
}
