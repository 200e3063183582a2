package server

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPartialResyncAfterReplicaRestart: a replica that restarts (saving its RDB with the replication id
// and offset at shutdown) resumes with a partial resync while the primary's backlog still holds what it
// missed, and needs a full resync once the backlog was overrun.
func TestPartialResyncAfterReplicaRestart(t *testing.T) {
	p := startNode(t, "repl-diskless-sync-delay", "0", "repl-backlog-size", "1mb")
	pr := p.raw()
	pipeline(t, pr, mixedWorkload(8, 5_000))
	dir := t.TempDir()
	replArgs := []string{"replicaof", "127.0.0.1 " + portOf(p.addr), "save", "3600 1"}
	rep := startNode(t, append([]string{"dir", dir}, replArgs...)...)
	caughtUp(t, pr, rep.raw())

	// within the backlog
	rep.stop()
	pipeline(t, pr, liveWrites(9, 500))
	full, partial := infoField(t, pr, "stats", "sync_full"), infoField(t, pr, "stats", "sync_partial_ok")
	rep = startNode(t, append([]string{"dir", dir}, replArgs...)...)
	rr := rep.raw()
	caughtUp(t, pr, rr)
	if got := infoField(t, pr, "stats", "sync_partial_ok"); got == partial {
		t.Fatalf("no partial resync after a restart within the backlog (sync_partial_ok %s)", got)
	}
	if got := infoField(t, pr, "stats", "sync_full"); got != full {
		t.Fatalf("full resync after a restart within the backlog: sync_full %s -> %s", full, got)
	}
	if got, want := scanDBs(t, rr), scanDBs(t, pr); got != want {
		t.Fatalf("after the partial resync: %s", firstDiff(got, want))
	}

	// beyond the backlog: 2 MB of writes into a 1 MB backlog
	rep.stop()
	big := strings.Repeat("x", 1000)
	var cmds [][]string
	for i := 0; i < 2100; i++ {
		cmds = append(cmds, []string{"SET", "big:" + strconv.Itoa(i%50), big})
	}
	pipeline(t, pr, cmds)
	full = infoField(t, pr, "stats", "sync_full")
	rep = startNode(t, append([]string{"dir", dir}, replArgs...)...)
	rr = rep.raw()
	caughtUp(t, pr, rr)
	if got := infoField(t, pr, "stats", "sync_full"); got == full {
		t.Fatal("no full resync after the backlog was overrun")
	}
	if got, want := scanDBs(t, rr), scanDBs(t, pr); got != want {
		t.Fatalf("after the full resync: %s", firstDiff(got, want))
	}
}

// TestPromotionKeepsSiblingsPartial: REPLICAOF NO ONE on one replica; its sibling re-pointed to it
// continues with +CONTINUE (a partial resync on the new primary, no full sync), and both follow it.
func TestPromotionKeepsSiblingsPartial(t *testing.T) {
	p := startNode(t, "repl-diskless-sync-delay", "0")
	pr := p.raw()
	pipeline(t, pr, mixedWorkload(10, 5_000))
	a := startNode(t, "replicaof", "127.0.0.1 "+portOf(p.addr), "repl-diskless-sync-delay", "0")
	b := startNode(t, "replicaof", "127.0.0.1 "+portOf(p.addr))
	ar, br := a.raw(), b.raw()
	caughtUp(t, pr, ar, br)
	p.stop()
	if got := ar.do("REPLICAOF", "NO", "ONE"); got != "OK" {
		t.Fatalf("REPLICAOF NO ONE: %s", got)
	}
	if got := infoField(t, ar, "replication", "role"); got != "master" {
		t.Fatalf("role after promotion: %s", got)
	}
	if got := br.do("REPLICAOF", "127.0.0.1", portOf(a.addr)); got != "OK" {
		t.Fatalf("REPLICAOF the new primary: %s", got)
	}
	caughtUp(t, ar, br)
	if got := infoField(t, ar, "stats", "sync_partial_ok"); got != "1" {
		t.Fatalf("sync_partial_ok on the new primary = %s, want 1", got)
	}
	if got := infoField(t, ar, "stats", "sync_full"); got != "0" {
		t.Fatalf("sync_full on the new primary = %s, want 0", got)
	}
	pipeline(t, ar, liveWrites(11, 1_000))
	caughtUp(t, ar, br)
	if got, want := scanDBs(t, br), scanDBs(t, ar); got != want {
		t.Fatalf("sibling after promotion: %s", firstDiff(got, want))
	}
	if got := br.do("REPLICAOF", "127.0.0.1", portOf(a.addr)); got != "OK Already connected to specified master" {
		t.Fatalf("REPLICAOF the same primary again: %s", got)
	}
}

// TestWaitCountsReplicas: WAIT returns how many replicas acknowledged the client's writes; with a number
// no replica set can reach it times out with the count it has.
func TestWaitCountsReplicas(t *testing.T) {
	p := startNode(t, "repl-diskless-sync-delay", "0")
	pr := p.raw()
	if got := pr.do("WAIT", "0", "0"); got != ":0" {
		t.Fatalf("WAIT 0 0 with no replicas: %s", got)
	}
	a := startNode(t, "replicaof", "127.0.0.1 "+portOf(p.addr))
	caughtUp(t, pr, a.raw())
	pr.do("SET", "k", "v")
	if got := pr.do("WAIT", "1", "10000"); got != ":1" {
		t.Fatalf("WAIT 1: %s", got)
	}
	if got := pr.do("WAIT", "2", "200"); got != ":1" {
		t.Fatalf("WAIT 2 with one replica: %s", got)
	}
	if got := a.raw().do("WAIT", "1", "0"); !strings.HasPrefix(got, "-ERR WAIT cannot be used with replica instances.") {
		t.Fatalf("WAIT on a replica: %s", got)
	}
	if got := pr.do("CONFIG", "SET", "min-replicas-to-write", "2"); got != "OK" {
		t.Fatal(got)
	}
	if got := pr.do("SET", "k", "w"); got != "-NOREPLICAS Not enough good replicas to write." {
		t.Fatalf("write with too few replicas: %s", got)
	}
	pr.do("CONFIG", "SET", "min-replicas-to-write", "1")
	if got := pr.do("SET", "k", "w"); got != "OK" {
		t.Fatalf("write with enough replicas: %s", got)
	}
}

// TestReplicaServesStaleDataRules: with the link down a replica serves its data, or refuses with
// MASTERDOWN when replica-serve-stale-data is no.
func TestReplicaServesStaleDataRules(t *testing.T) {
	p := startNode(t, "repl-diskless-sync-delay", "0")
	pr := p.raw()
	pr.do("SET", "k", "v")
	a := startNode(t, "replicaof", "127.0.0.1 "+portOf(p.addr))
	ar := a.raw()
	caughtUp(t, pr, ar)
	p.stop()
	waitFor(t, "the link to go down", func() bool {
		return infoField(t, ar, "replication", "master_link_status") == "down"
	})
	if got := ar.do("GET", "k"); got != `"v"` {
		t.Fatalf("stale read: %s", got)
	}
	if got := infoField(t, ar, "replication", "master_link_down_since_seconds"); got == "" || got == "-1" {
		t.Fatalf("master_link_down_since_seconds: %q", got)
	}
	ar.do("CONFIG", "SET", "replica-serve-stale-data", "no")
	if got := ar.do("GET", "k"); got != "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'." {
		t.Fatalf("read with serve-stale-data no: %s", got)
	}
	if got := ar.do("INFO", "server"); strings.HasPrefix(got, "-") {
		t.Fatalf("INFO (a stale command) refused: %s", got)
	}
}

// TestChainedAndDiskBasedReplication: a replica of a replica follows the primary through it (one offset
// space for the chain), and a disk-based transfer (repl-diskless-sync no) syncs as well as a diskless one.
func TestChainedAndDiskBasedReplication(t *testing.T) {
	p := startNode(t, "repl-diskless-sync", "no")
	pr := p.raw()
	pipeline(t, pr, mixedWorkload(14, 5_000))
	// the middle node has a sub-replica and a short ping period: it must still not add PINGs of its own
	mid := startNode(t, "replicaof", "127.0.0.1 "+portOf(p.addr), "repl-diskless-sync-delay", "0", "repl-ping-replica-period", "1")
	leaf := startNode(t, "replicaof", "127.0.0.1 "+portOf(mid.addr))
	mr, lr := mid.raw(), leaf.raw()
	caughtUp(t, pr, mr, lr)
	pipeline(t, pr, liveWrites(15, 2_000))
	time.Sleep(1500 * time.Millisecond) // more than the middle node's ping period
	caughtUp(t, pr, mr, lr)
	want := scanDBs(t, pr)
	for name, r := range map[string]*rawConn{"middle": mr, "leaf": lr} {
		if got := scanDBs(t, r); got != want {
			t.Fatalf("%s replica differs: %s", name, firstDiff(got, want))
		}
	}
	if !strings.Contains(p.logs.String(), "disk") {
		t.Errorf("the primary's log does not show a disk-based transfer:\n%s", p.logs)
	}
	ents, _ := os.ReadDir(p.srv.cfg.Dir)
	for _, e := range ents {
		t.Errorf("the disk-based transfer left %s in dir", e.Name())
	}
}

// TestPublishReachesReplicaSubscribers: PUBLISH on the primary is propagated to replicas (whose
// subscribers get the message) but not written to the AOF.
func TestPublishReachesReplicaSubscribers(t *testing.T) {
	dir := t.TempDir()
	p := startNode(t, "dir", dir, "repl-diskless-sync-delay", "0", "appendonly", "yes")
	pr := p.raw()
	a := startNode(t, "replicaof", "127.0.0.1 "+portOf(p.addr))
	caughtUp(t, pr, a.raw())
	sub := a.raw()
	sub.do("SUBSCRIBE", "news")
	pr.do("PUBLISH", "news", "hello")
	if got := sub.reply(); got != `["message" "news" "hello"]` {
		t.Fatalf("replica subscriber got %s", got)
	}
	p.stop()
	b, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToUpper(string(b)), "PUBLISH") {
		t.Fatalf("PUBLISH was written to the AOF:\n%q", b)
	}
}
