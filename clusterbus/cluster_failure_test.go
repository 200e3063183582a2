package clusterbus

import (
	"fmt"
	"strings"
	"testing"
)

// clThreePrimaries forms a cluster of three primaries sharing the slots, plus the given nodes (not yet
// replicas), and waits for it to agree.
func clThreePrimaries(t *testing.T, extra int) []*clNode {
	t.Helper()
	nodes := clCluster(t, 3+extra, clOpts{label: "c"})
	ranges := []string{"0 5460", "5461 10922", "10923 16383"}
	for i, r := range ranges {
		epoch := fmt.Sprint(i + 1)
		nodes[i].do(t, func(st *State) error {
			if err := st.SetConfigEpoch([]byte(epoch)); err != nil {
				return err
			}
			return st.AddSlotsRange(args(r))
		})
	}
	for _, n := range nodes[1:] {
		n.meet(t, nodes[0])
	}
	clWaitConverged(t, nodes...)
	return nodes
}

// A primary that stops (Close, as a crash: no goodbye) is flagged FAIL by every other node once a
// majority of the primaries report it, the cluster state turns fail (its slots are not served), and
// when it comes back on the same nodes.conf the FAIL is cleared and the state is ok again.
func TestClusterFailDetection(t *testing.T) {
	trNoLeaks(t)
	nodes := clThreePrimaries(t, 0)
	a, b, c := nodes[0], nodes[1], nodes[2]
	trWait(t, "cluster state ok", func() bool { return a.stateOK() && b.stateOK() && c.stateOK() })
	cID := c.id()
	if err := c.c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*clNode{a, b} {
		trWait(t, n.name+" to flag c FAIL", func() bool { return n.flagsOf(cID)&FlagFail != 0 })
		trWait(t, n.name+" to see the cluster down", func() bool { return !n.stateOK() })
	}
	if !a.logs.contains("as failing (quorum reached)") && !b.logs.contains("as failing (quorum reached)") {
		t.Errorf("no node logged reaching the FAIL quorum")
	}
	var reports int
	a.c.Read(func(st *State) { reports, _ = st.CountFailureReports(cID, nowMS()) })
	if reports < 1 {
		t.Errorf("a holds %d failure reports about c, want b's", reports)
	}

	c = c.restart(t)
	for _, n := range []*clNode{a, b} {
		trWait(t, n.name+" to clear c's FAIL", func() bool { return n.flagsOf(cID)&(FlagFail|FlagPFail) == 0 })
	}
	trWait(t, "cluster state ok again", func() bool { return a.stateOK() && b.stateOK() && c.stateOK() })
	clWaitConverged(t, a, b, c)
}

// The replicas of a primary that fails hold an election: the one with the larger replication offset
// (rank 0) asks first, wins the votes of the two remaining primaries, is promoted (PromoteSelf) and
// takes its primary's slots under a new, highest config epoch; the other replica follows it. When the
// old primary comes back it finds its slots taken and turns into a replica of the winner.
func TestClusterFailoverElection(t *testing.T) {
	trNoLeaks(t)
	nodes := clThreePrimaries(t, 2)
	a, b, c, r1, r2 := nodes[0], nodes[1], nodes[2], nodes[3], nodes[4]
	r1.host.offset.Store(100)
	r2.host.offset.Store(200)
	for _, r := range []*clNode{r1, r2} {
		r.do(t, func(st *State) error { _, err := st.Replicate(a.id(), false); return err })
	}
	trWait(t, "both replicas known everywhere with their offsets", func() bool {
		if !clConverged(nodes...) {
			return false
		}
		ok := true
		b.c.Read(func(st *State) {
			ok = st.Lookup(r1.id()).ReplOffset == 100 && st.Lookup(r2.id()).ReplOffset == 200
		})
		return ok
	})
	trWait(t, "cluster state ok", func() bool { return b.stateOK() && c.stateOK() })
	aID, r2ID := a.id(), r2.id()
	if err := a.c.Close(); err != nil {
		t.Fatal(err)
	}

	trWait(t, "r2 to be promoted", func() bool { return r2.host.promotions() == 1 })
	survivors := []*clNode{b, c, r1, r2}
	trWait(t, "every survivor to see r2 own a's slots", func() bool {
		for _, n := range survivors {
			if n.owner(0) != r2ID || n.owner(5460) != r2ID || n.flagsOf(r2ID)&FlagPrimary == 0 {
				return false
			}
		}
		return true
	})
	if r1.host.promotions() != 0 {
		t.Errorf("r1 was promoted too")
	}
	var r2Epoch, maxOther uint64
	r2.c.Read(func(st *State) {
		r2Epoch = st.Myself().ConfigEpoch
		for _, n := range st.Nodes() {
			if n.ID != r2ID && n.IsPrimary() {
				maxOther = max(maxOther, n.ConfigEpoch)
			}
		}
	})
	if r2Epoch <= maxOther {
		t.Errorf("r2 holds a's slots under epoch %d, not above every other primary's (%d)", r2Epoch, maxOther)
	}
	r2Addr := fmt.Sprintf("127.0.0.1:%d", r2.port)
	trWait(t, "r1 to follow r2", func() bool { return r1.host.lastReplicate() == r2Addr })
	if r1.flagsOf(r1.id())&FlagReplica == 0 || !strings.Contains(r1.signature(), r1.id()+" replica "+r2ID) {
		t.Errorf("r1 does not replicate r2:\n%s", r1.signature())
	}
	trWait(t, "cluster state ok after the failover", func() bool { return b.stateOK() && c.stateOK() && r2.stateOK() })

	a = a.restart(t)
	trWait(t, "the old primary to replicate r2", func() bool { return a.host.lastReplicate() == r2Addr })
	all := []*clNode{a, b, c, r1, r2}
	sig := clWaitConverged(t, all...)
	if !strings.Contains(sig, aID+" replica "+r2ID) {
		t.Errorf("the old primary is not r2's replica everywhere:\n%s", sig)
	}
}
