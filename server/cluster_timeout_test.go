package server

import (
	"testing"
	"time"
)

// TestClusterNodeTimeoutAtRuntime: three primaries with a one-second node timeout; A's is raised to six
// seconds with CONFIG SET. When C stops, B flags it fail? after about a second, but A only once six
// seconds have passed without seeing it; then A's report makes the majority and C is FAIL everywhere.
func TestClusterNodeTimeoutAtRuntime(t *testing.T) {
	a, b, c := startFastClusterNode(t), startFastClusterNode(t), startFastClusterNode(t)
	formCluster(t, []*clusterTestNode{a, b, c})
	waitFor(t, "the cluster to be ok", func() bool {
		return a.clusterInfo("cluster_state") == "ok" && b.clusterInfo("cluster_state") == "ok"
	})
	cID := c.myID()
	const raised = 6 * time.Second
	mustReply(t, a.r, "OK", "CONFIG", "SET", "cluster-node-timeout", "6000")
	mustReply(t, a.r, `["cluster-node-timeout" "6000"]`, "CONFIG", "GET", "cluster-node-timeout")

	stopped := time.Now()
	c.stop()
	flagged := func(n *clusterTestNode) bool { return n.hasFlag(cID, "fail?") || n.hasFlag(cID, "fail") }
	waitFor(t, "B to flag C", func() bool { return flagged(b) })
	waitFor(t, "A to flag C", func() bool { return flagged(a) })
	// A saw C alive until C stopped (give or take a cron tick or a stalled one): it cannot have flagged
	// it before the raised timeout, bar that slack; with its old one-second timeout it would have.
	if waited := time.Since(stopped); waited < raised-1500*time.Millisecond {
		t.Fatalf("A flagged C %v after it stopped, before its %v node timeout", waited, raised)
	}
	waitFor(t, "C to be FAIL on A and B", func() bool { return a.hasFlag(cID, "fail") && b.hasFlag(cID, "fail") })
}
