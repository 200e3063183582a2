package server

import (
	"strings"
	"testing"
)

// TestReplicaLocalCommandsDoNotMoveItsOffset: what a replica runs for its own clients (PUBLISH, which a
// sentinel sends every replica every 2 s; writes with replica-read-only no) is not part of its primary's
// history, so it must not enter the replica's backlog or offset. A replica that counted it would be ahead
// of its primary, and after a failover the other replicas' partial resync against it would be refused.
func TestReplicaLocalCommandsDoNotMoveItsOffset(t *testing.T) {
	p := startNode(t, "repl-diskless-sync-delay", "0")
	rep := startNode(t, "replicaof", "127.0.0.1 "+portOf(p.addr), "replica-read-only", "no")
	sub := startNode(t, "replicaof", "127.0.0.1 "+portOf(rep.addr))
	pr, rr, sr := p.raw(), rep.raw(), sub.raw()
	mustDo(t, pr, "OK", "SET", "a", "1")
	caughtUp(t, pr, rr)
	caughtUp(t, pr, sr)
	for i := 0; i < 50; i++ {
		rr.do("PUBLISH", "__sentinel__:hello", "127.0.0.1,26379,"+strings.Repeat("a", 40)+",1,mymaster,127.0.0.1,6379,0")
	}
	mustDo(t, rr, "OK", "SET", "local", "x") // replica-read-only no: a local write
	mustDo(t, pr, "OK", "SET", "b", "2")
	// the replica and its sub-replica stay exactly at the primary's offset
	caughtUp(t, pr, rr)
	caughtUp(t, pr, sr)
	if got := infoField(t, rr, "replication", "master_repl_offset"); got != replOffset(t, pr) {
		t.Fatalf("replica master_repl_offset %s, primary %s", got, replOffset(t, pr))
	}
	if got := sr.do("GET", "local"); got != "$-1" && got != "(nil)" && !strings.Contains(got, "nil") {
		t.Fatalf("a replica's local write reached its sub-replica: %s", got)
	}
}
