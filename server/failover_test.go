package server

import (
	"strings"
	"testing"
)

// TestFailoverCommand: FAILOVER pauses writes, waits for the replica to catch up, hands it the primary
// role with PSYNC FAILOVER (a partial resync, no full sync) and becomes its replica; the data is the same
// on both and writes go to the new primary.
func TestFailoverCommand(t *testing.T) {
	p := startNode(t, "repl-diskless-sync-delay", "0")
	pr := p.raw()
	if got := pr.do("FAILOVER"); got != "-ERR FAILOVER requires connected replicas." {
		t.Fatalf("FAILOVER without replicas: %s", got)
	}
	if got := pr.do("FAILOVER", "ABORT"); got != "-ERR No failover in progress." {
		t.Fatalf("FAILOVER ABORT: %s", got)
	}
	if got := pr.do("FAILOVER", "TO", "127.0.0.1", "1", "FORCE"); got != "-ERR FAILOVER with force option requires both a timeout and target HOST and IP." {
		t.Fatalf("FAILOVER FORCE without timeout: %s", got)
	}
	pipeline(t, pr, mixedWorkload(20, 3_000))
	a := startNode(t, "replicaof", "127.0.0.1 "+portOf(p.addr))
	ar := a.raw()
	caughtUp(t, pr, ar)
	if got := ar.do("FAILOVER"); got != "-ERR FAILOVER is not valid when server is a replica." {
		t.Fatalf("FAILOVER on a replica: %s", got)
	}
	if got := pr.do("FAILOVER", "TO", "127.0.0.1", "1"); got != "-ERR FAILOVER target HOST and PORT is not a replica." {
		t.Fatalf("FAILOVER TO a stranger: %s", got)
	}
	want := scanDBs(t, pr)
	if got := pr.do("FAILOVER", "TO", "127.0.0.1", portOf(a.addr), "TIMEOUT", "10000"); got != "OK" {
		t.Fatalf("FAILOVER: %s", got)
	}
	defer func() {
		if t.Failed() {
			t.Logf("old primary log:\n%s\nnew primary log:\n%s\nold:%s\nnew:%s", p.logs, a.logs, pr.call("INFO", "replication").str, ar.call("INFO", "replication").str)
		}
	}()
	waitFor(t, "the roles to switch", func() bool {
		return infoField(t, ar, "replication", "role") == "master" &&
			infoField(t, pr, "replication", "role") == "slave" &&
			infoField(t, pr, "replication", "master_link_status") == "up" &&
			infoField(t, pr, "replication", "master_failover_state") == "no-failover"
	})
	t.Logf("old primary log:\n%s\nnew primary log:\n%s", p.logs, a.logs)
	if got := infoField(t, ar, "stats", "sync_full"); got != "0" {
		t.Fatalf("the new primary served a full sync: %s", got)
	}
	if got := scanDBs(t, ar); got != want {
		t.Fatalf("the new primary's data: %s", firstDiff(got, want))
	}
	if got := ar.do("SET", "after", "failover"); got != "OK" {
		t.Fatalf("write on the new primary: %s", got)
	}
	caughtUp(t, ar, pr)
	if got := pr.do("GET", "after"); got != `"failover"` {
		t.Fatalf("the old primary does not follow: %s", got)
	}
	if got := pr.do("SET", "x", "1"); !strings.HasPrefix(got, "-READONLY") {
		t.Fatalf("write on the old primary: %s", got)
	}
}

// TestWaitaof: WAITAOF counts this node's AOF fsync and the replicas whose AOF holds the client's writes
// (REPLCONF ACK … FACK); a replica without an AOF does not count.
func TestWaitaof(t *testing.T) {
	p := startNode(t, "repl-diskless-sync-delay", "0", "appendonly", "yes")
	pr := p.raw()
	withAOF := startNode(t, "replicaof", "127.0.0.1 "+portOf(p.addr), "appendonly", "yes")
	without := startNode(t, "replicaof", "127.0.0.1 "+portOf(p.addr))
	caughtUp(t, pr, withAOF.raw(), without.raw())
	pr.do("SET", "k", "v")
	if got := pr.do("WAITAOF", "1", "1", "5000"); got != "[:1 :1]" && got != "[1 1]" {
		t.Fatalf("WAITAOF 1 1: %s", got)
	}
	if got := pr.do("WAITAOF", "1", "2", "300"); got != "[:1 :1]" && got != "[1 1]" {
		t.Fatalf("WAITAOF 1 2 (one replica has no AOF): %s", got)
	}
	plain := startNode(t)
	if got := plain.raw().do("WAITAOF", "1", "0", "0"); got != "-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled." {
		t.Fatalf("WAITAOF without AOF: %s", got)
	}
	if got := without.raw().do("WAITAOF", "0", "0", "0"); !strings.HasPrefix(got, "-ERR WAITAOF cannot be used with replica instances.") {
		t.Fatalf("WAITAOF on a replica: %s", got)
	}
}
