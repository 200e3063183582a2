package clusterbus

import (
	"testing"
	"time"
)

// CONFIG SET cluster-node-timeout on a running node: PFAIL, the failure reports' validity, the replica
// validity limit, the MEET handshake and the cron's own periods follow the new value.
func TestClusterSetNodeTimeout(t *testing.T) {
	c := clBare(t) // node timeout 1 s
	c.meetFrom(clRec(2, 1, 2, -1, -2))
	now := nowMS()
	n := c.st.Lookup(clID(2))
	pfailAfter := func(unseen int64) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.st.ClearPFail(n)
		c.lastAlive[n.ID] = now - unseen
		var fx effects
		c.detectLocked(n, memberStatus{}, now, &fx)
		return n.TimedOut()
	}
	if !pfailAfter(1500) {
		t.Fatal("not PFAIL after 1.5 s unseen with a 1 s node timeout")
	}
	if c.SetNodeTimeout(0) == nil {
		t.Fatal("a zero node timeout was accepted")
	}
	if err := c.SetNodeTimeout(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := c.NodeTimeout(); got != 3*time.Second {
		t.Fatalf("NodeTimeout() = %v", got)
	}
	if pfailAfter(2500) {
		t.Fatal("PFAIL after 2.5 s unseen with the node timeout raised to 3 s")
	}
	if !pfailAfter(3001) {
		t.Fatal("not PFAIL after 3 s unseen")
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	// A failure report is valid for twice the new timeout.
	reporter := NewNode(clID(3), clID(103), FlagPrimary)
	if err := c.st.AddNode(reporter); err != nil {
		t.Fatal(err)
	}
	c.st.AddFailureReport(n, reporter, now-5000)
	if got := c.st.failureReports(n, now); got != 1 {
		t.Errorf("a 5 s old report with a 3 s node timeout: %d valid, want 1", got)
	}
	if got := c.handshakeTimeoutLocked(); got != 3*time.Second {
		t.Errorf("handshake timeout %v, want the new node timeout", got)
	}
	if got := c.live.Load().Heartbeat; got != 1500*time.Millisecond {
		t.Errorf("heartbeat %v, want half the new node timeout", got)
	}
	c.cfg.ValidityFactor = 1
	c.fo.dataAge = 3000 + 3000 // node timeout + factor × node timeout: the limit
	if !c.dataFreshLocked() {
		t.Error("replica validity limit does not follow the new node timeout")
	}
}
