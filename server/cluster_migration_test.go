package server

import (
	"strconv"
	"strings"
	"testing"
)

// startFastClusterNode is a cluster node with a one-second node timeout (failures are agreed within a
// couple of seconds) and no diskless-sync delay.
func startFastClusterNode(t *testing.T) *clusterTestNode {
	t.Helper()
	bus := freePort(t)
	n := startNode(t, "cluster-enabled", "yes", "cluster-port", strconv.Itoa(bus), "cluster-node-timeout", "1000",
		"repl-diskless-sync-delay", "0")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of the node on %s:\n%s", n.addr, n.logs.String())
		}
	})
	return &clusterTestNode{testNode: n, r: n.raw(), bus: bus}
}

// formCluster gives primaries the slots in equal ranges (epochs 1, 2, ...), meets every node through
// the first, and waits until every node knows all of them.
func formCluster(t *testing.T, primaries []*clusterTestNode, others ...*clusterTestNode) []*clusterTestNode {
	t.Helper()
	all := append(append([]*clusterTestNode{}, primaries...), others...)
	for i, p := range primaries {
		lo, hi := i*16384/len(primaries), (i+1)*16384/len(primaries)-1
		mustReply(t, p.r, "OK", "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi))
		mustReply(t, p.r, "OK", "CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i+1))
	}
	for _, n := range all[1:] {
		mustReply(t, n.r, "OK", "CLUSTER", "MEET", "127.0.0.1", all[0].port(), strconv.Itoa(all[0].bus))
	}
	want := strconv.Itoa(len(all))
	waitFor(t, "every node to know every other", func() bool {
		for _, n := range all {
			if n.clusterInfo("cluster_known_nodes") != want {
				return false
			}
		}
		return true
	})
	return all
}

// primaryOf is the primary id node id has in n's CLUSTER NODES ("-" for a primary, "" when unknown).
func (n *clusterTestNode) primaryOf(id string) string {
	if f := strings.Fields(n.nodeLine(id)); len(f) > 3 {
		return f[3]
	}
	return ""
}

// hasFlag reports whether n's CLUSTER NODES shows node id with flag.
func (n *clusterTestNode) hasFlag(id, flag string) bool {
	f := strings.Fields(n.nodeLine(id))
	return len(f) > 2 && (secNodesLine{flags: f[2]}).hasFlag(flag)
}

// TestClusterReplicaMigration: primary A has two replicas, primary B one. B's replica stops; once it is
// FAIL, B is orphaned. With cluster-allow-replica-migration no, and then with cluster-migration-barrier 2
// (A would keep one replica, not more than two), nothing moves and the candidate says why in its log;
// with the barrier back at 1 (set at runtime) the replica of A with the smaller node id becomes B's
// replica, on every node's CLUSTER NODES, and replicates B.
func TestClusterReplicaMigration(t *testing.T) {
	pA, pB := startFastClusterNode(t), startFastClusterNode(t)
	rA1, rA2, rB := startFastClusterNode(t), startFastClusterNode(t), startFastClusterNode(t)
	formCluster(t, []*clusterTestNode{pA, pB}, rA1, rA2, rB)
	aID, bID, rBID := pA.myID(), pB.myID(), rB.myID()
	mustReply(t, rA1.r, "OK", "CLUSTER", "REPLICATE", aID)
	mustReply(t, rA2.r, "OK", "CLUSTER", "REPLICATE", aID)
	mustReply(t, rB.r, "OK", "CLUSTER", "REPLICATE", bID)
	live := []*clusterTestNode{pA, pB, rA1, rA2}
	waitFor(t, "the replicas to be known everywhere and the cluster ok", func() bool {
		for _, n := range append(live, rB) {
			if n.clusterInfo("cluster_state") != "ok" || n.primaryOf(rA1.myID()) != aID ||
				n.primaryOf(rA2.myID()) != aID || n.primaryOf(rBID) != bID {
				return false
			}
		}
		return true
	})
	mover, stayer := rA1, rA2
	if rA2.myID() < rA1.myID() {
		mover, stayer = rA2, rA1
	}
	moverID, stayerID := mover.myID(), stayer.myID()
	if got := mover.r.do("CONFIG", "SET", "cluster-migration-barrier", "-1"); !strings.HasPrefix(got, "-ERR") {
		t.Fatalf("CONFIG SET cluster-migration-barrier -1: %s", got)
	}
	for _, r := range []*clusterTestNode{rA1, rA2} {
		mustReply(t, r.r, "OK", "CONFIG", "SET", "cluster-allow-replica-migration", "no")
	}

	rB.stop()
	waitFor(t, "B's replica to be FAIL everywhere", func() bool {
		for _, n := range live {
			if !n.hasFlag(rBID, "fail") {
				return false
			}
		}
		return true
	})
	unmoved := func(why string) {
		t.Helper()
		for _, n := range live {
			if n.primaryOf(moverID) != aID || n.primaryOf(stayerID) != aID {
				t.Fatalf("%s: a replica of A moved:\n%s", why, n.r.call("CLUSTER", "NODES").str)
			}
		}
	}
	refusal := func(reason string) func() bool {
		return func() bool {
			return strings.Contains(mover.logs.String(), "Not migrating to orphaned primary "+bID+": "+reason)
		}
	}
	waitFor(t, "the candidate to decline (migration disallowed)", refusal("cluster-allow-replica-migration is no"))
	unmoved("cluster-allow-replica-migration no")

	for _, r := range []*clusterTestNode{rA1, rA2} {
		mustReply(t, r.r, "OK", "CONFIG", "SET", "cluster-migration-barrier", "2")
		mustReply(t, r.r, "OK", "CONFIG", "SET", "cluster-allow-replica-migration", "yes")
	}
	waitFor(t, "the candidate to decline (barrier)", refusal("my primary would keep 1 working replicas, cluster-migration-barrier is 2"))
	unmoved("cluster-migration-barrier 2")
	if strings.Contains(stayer.logs.String(), "Not migrating to orphaned primary") {
		t.Errorf("the replica with the larger id considered migrating:\n%s", stayer.logs.String())
	}

	mustReply(t, mover.r, "OK", "CONFIG", "SET", "cluster-migration-barrier", "1")
	mustReply(t, mover.r, `["cluster-migration-barrier" "1"]`, "CONFIG", "GET", "cluster-migration-barrier")
	waitFor(t, "the replica with the smaller id to move to B everywhere", func() bool {
		for _, n := range live {
			if n.primaryOf(moverID) != bID || n.primaryOf(stayerID) != aID {
				return false
			}
		}
		return true
	})
	waitFor(t, "the moved replica to replicate B", func() bool {
		return mover.infoField("replication", "master_port") == pB.port() &&
			mover.infoField("replication", "master_link_status") == "up"
	})
	if !strings.Contains(mover.logs.String(), "Migrating to orphaned primary "+bID) {
		t.Errorf("the moved replica did not log the migration")
	}
}
