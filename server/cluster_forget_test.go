package server

import (
	"strconv"
	"strings"
	"testing"
)

// TestClusterForget: primaries A and B serve the slots, C is an empty primary (a node about to be
// removed). CLUSTER FORGET C on A alone makes B forget C too (Valkey passes FORGET on in its gossip); C,
// still running, cannot come back during the 60 s ban: its CLUSTER MEET to A is ignored (A says so in its
// log) and neither A nor B lists it. Running FORGET on B as well, as redis-cli --cluster del-node does on
// every node, still answers OK.
func TestClusterForget(t *testing.T) {
	a, b, c := startFastClusterNode(t), startFastClusterNode(t), startFastClusterNode(t)
	formCluster(t, []*clusterTestNode{a, b}, c)
	aID, cID := a.myID(), c.myID()

	mustReply(t, a.r, "-ERR I tried hard but I can't forget myself...", "CLUSTER", "FORGET", aID)
	mustReply(t, a.r, "-ERR Unknown node 0123456789012345678901234567890123456789", "CLUSTER", "FORGET",
		"0123456789012345678901234567890123456789")
	mustReply(t, a.r, "OK", "CLUSTER", "FORGET", cID)
	if l := a.nodeLine(cID); l != "" {
		t.Fatalf("A still lists C after FORGET: %s", l)
	}
	waitFor(t, "B to forget C too", func() bool { return b.nodeLine(cID) == "" })

	mustReply(t, c.r, "OK", "CLUSTER", "MEET", "127.0.0.1", a.port(), strconv.Itoa(a.bus))
	waitFor(t, "A to ignore C's MEET", func() bool {
		return strings.Contains(a.logs.String(), "MEET from node "+cID+" ignored: it was forgotten (CLUSTER FORGET)")
	})
	for name, n := range map[string]*clusterTestNode{"A": a, "B": b} {
		if l := n.nodeLine(cID); l != "" {
			t.Errorf("%s lists C again during the ban: %s", name, l)
		}
		if got := n.clusterInfo("cluster_known_nodes"); got != "2" {
			t.Errorf("%s knows %s nodes, want 2", name, got)
		}
	}
	mustReply(t, b.r, "OK", "CLUSTER", "FORGET", cID)
}
