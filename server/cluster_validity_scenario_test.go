package server

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// cluster-replica-validity-factor through real nodes: a replica whose replication link has been down for
// longer than node-timeout × factor + repl-ping-replica-period (the node-timeout it takes to notice the
// failure aside) holds data too old to serve, and does not start an election when its primary fails.
// Factor 0 lifts the limit. The rule itself is unit-tested in clusterbus (cluster_validity_test.go); these
// scenarios show it end to end: link cut on a live primary, primary stopped, the other primaries vote.

// validityNodeTimeout is the node timeout of the scenario's nodes: short, so failures are agreed quickly.
const validityNodeTimeout = time.Second

// validityStaleLog is the replica's warning when its data is too old to fail over with.
const validityStaleLog = "Disconnected from primary for longer than allowed. " +
	"Please check the 'cluster-replica-validity-factor' configuration option."

// startValidityNode is a cluster node with the scenario's node timeout, a one-second replication ping
// period and the given validity factor (immutable, so set at start). Its log is printed if the test fails.
func startValidityNode(t *testing.T, factor int) *clusterTestNode {
	t.Helper()
	bus := freePort(t)
	n := startNode(t, "cluster-enabled", "yes", "cluster-port", strconv.Itoa(bus),
		"cluster-node-timeout", strconv.FormatInt(validityNodeTimeout.Milliseconds(), 10),
		"repl-ping-replica-period", "1", "cluster-replica-validity-factor", strconv.Itoa(factor),
		"repl-diskless-sync-delay", "0")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of the node on %s:\n%s", n.addr, n.logs.String())
		}
	})
	return &clusterTestNode{testNode: n, r: n.raw(), bus: bus}
}

// validityScenario is three primaries A, B, C sharing the slots and a replica R of A whose replication
// link was cut while A stayed a healthy member of the cluster, then A stopped and flagged FAIL everywhere.
type validityScenario struct {
	a, b, c, r *clusterTestNode
	aID, rID   string
	before     string             // a key of A's slots written before the cut: R has it
	after      string             // a key of A's slots written after the cut: R never got it
	aSlots     string             // A's slot range as CLUSTER NODES lists it
	survivors  []*clusterTestNode // B, C and R
}

// runValidityScenario builds the cluster with every node at the given factor, cuts R's link, waits until
// it has been down for longer than the validity window of factor 1 (the same wait for every factor, so the
// cases differ in the factor alone), stops A and waits until B, C and R flag it FAIL.
func runValidityScenario(t *testing.T, factor int) *validityScenario {
	t.Helper()
	s := &validityScenario{}
	s.a, s.b, s.c, s.r = startValidityNode(t, factor), startValidityNode(t, factor),
		startValidityNode(t, factor), startValidityNode(t, factor)
	formCluster(t, []*clusterTestNode{s.a, s.b, s.c}, s.r)
	s.aID, s.rID = s.a.myID(), s.r.myID()
	aLast := 16384/3 - 1 // formCluster gives A slots 0..aLast
	s.aSlots = "0-" + strconv.Itoa(aLast)
	s.survivors = []*clusterTestNode{s.b, s.c, s.r}
	mustReply(t, s.r.r, "OK", "CLUSTER", "REPLICATE", s.aID)
	waitFor(t, "R to replicate A, seen by every node, and the cluster to be ok", func() bool {
		for _, n := range []*clusterTestNode{s.a, s.b, s.c, s.r} {
			if n.clusterInfo("cluster_state") != "ok" || n.primaryOf(s.rID) != s.aID {
				return false
			}
		}
		return s.r.infoField("replication", "master_link_status") == "up"
	})

	s.before = partKeyInSlots(0, aLast)
	s.after = "{" + s.before + "}:after"
	mustReply(t, s.a.r, "OK", "SET", s.before, "v1")
	mustReply(t, s.a.r, ":1", "WAIT", "1", "10000")
	mustReply(t, s.r.r, "OK", "READONLY") // without it the replica redirects reads to A
	mustReply(t, s.r.r, `"v1"`, "GET", s.before)

	// The cut: A now wants a password R does not have, so R's reconnections fail, while the cluster bus
	// (which does not authenticate with it) keeps A a healthy member. The test's own connection to A
	// was authenticated before, and stays so.
	mustReply(t, s.a.r, "OK", "CONFIG", "SET", "requirepass", "validity-scenario-secret")
	mustReply(t, s.a.r, ":1", "CLIENT", "KILL", "TYPE", "replica")
	mustReply(t, s.a.r, "OK", "SET", s.after, "v2")

	// Valkey's window for factor 1: node-timeout × 1 + ping period 1 s, plus the node-timeout of
	// detection that does not count; the link must have been down for longer than that. INFO's
	// master_link_down_since_seconds counts from the last time the link went down, so a value past the
	// window while the link is down means it stayed down all along.
	window := 2*validityNodeTimeout + time.Second
	downFor := int64(window/time.Second) + 1
	waitFor(t, "R's link to A to have been down for longer than the validity window", func() bool {
		down, err := strconv.ParseInt(s.r.infoField("replication", "master_link_down_since_seconds"), 10, 64)
		return err == nil && down >= downFor && s.r.infoField("replication", "master_link_status") == "down"
	})
	for _, n := range s.survivors {
		if n.hasFlag(s.aID, "fail") || n.hasFlag(s.aID, "fail?") || n.clusterInfo("cluster_state") != "ok" {
			t.Fatalf("A was not a healthy member while R's link was down:\n%s", n.r.call("CLUSTER", "NODES").str)
		}
	}
	if got := s.r.r.do("GET", s.after); got != "(nil)" {
		t.Fatalf("R got a write made after the cut: GET %s = %s", s.after, got)
	}

	s.a.stop()
	waitFor(t, "B, C and R to flag A FAIL", func() bool {
		for _, n := range s.survivors {
			if !n.hasFlag(s.aID, "fail") {
				return false
			}
		}
		return true
	})
	return s
}

// TestClusterReplicaValidityFactor: with factor 1 the replica whose link has been down for longer than
// the window stays a replica after its primary fails and says why in its log; with factor 0 the same
// replica, after the same outage, wins the election and serves the slots (without the writes it missed).
func TestClusterReplicaValidityFactor(t *testing.T) {
	t.Run("factor 1 refuses", func(t *testing.T) {
		s := runValidityScenario(t, 1)
		var refusal string
		waitFor(t, "R to log that its data is too old", func() bool {
			refusal = logLineWith(s.r.logs.String(), validityStaleLog)
			return refusal != ""
		})
		// The limit is Valkey's: node-timeout × factor + the ping period, 1000 × 1 + 1000 ms.
		if !strings.Contains(refusal, " limit_ms=2000") {
			t.Errorf("the refusal does not give the 2000 ms limit: %s", refusal)
		}
		// Unchecked, R would schedule its election within 500 ms + 500 ms (rank 0) of the FAIL and
		// hold it within the 2 s auth timeout (2 × node-timeout, at least 2 s): three node-timeouts
		// leave it time to have won.
		time.Sleep(3 * validityNodeTimeout)
		if role := s.r.role(); role != "slave" {
			t.Errorf("R's role is %s, want slave", role)
		}
		if strings.Contains(s.r.logs.String(), "Starting a failover election") {
			t.Errorf("R started an election although its data is too old")
		}
		for _, n := range s.survivors {
			if n.primaryOf(s.rID) != s.aID || !strings.HasSuffix(n.nodeLine(s.aID), " "+s.aSlots) {
				t.Errorf("R took A's slots:\n%s", n.r.call("CLUSTER", "NODES").str)
			}
		}
	})

	t.Run("factor 0 promotes", func(t *testing.T) {
		s := runValidityScenario(t, 0)
		waitFor(t, "R to win the election and serve A's slots everywhere", func() bool {
			if s.r.role() != "master" {
				return false
			}
			for _, n := range s.survivors {
				if !n.hasFlag(s.rID, "master") || !strings.HasSuffix(n.nodeLine(s.rID), " "+s.aSlots) {
					return false
				}
			}
			return true
		})
		if strings.Contains(s.r.logs.String(), validityStaleLog) {
			t.Errorf("R logged the validity-factor refusal with factor 0")
		}
		mustReply(t, s.r.r, `"v1"`, "GET", s.before)
		if got := s.r.r.do("GET", s.after); got != "(nil)" {
			t.Errorf("the promoted R has a write it never received: GET %s = %s", s.after, got)
		}
	})
}

// logLineWith is the first line of log that contains text ("" if none).
func logLineWith(log, text string) string {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

// TestClusterReplicaThatNeverSyncedIsNotPromoted: a replica that never completed a sync with its primary
// holds none of its data; as in Valkey (whose down-since starts at zero) it must not win an automatic
// failover, whatever the validity factor (here the default, 10), or the slots would come back empty.
func TestClusterReplicaThatNeverSyncedIsNotPromoted(t *testing.T) {
	a, b, c, r := startValidityNode(t, 10), startValidityNode(t, 10), startValidityNode(t, 10), startValidityNode(t, 10)
	formCluster(t, []*clusterTestNode{a, b, c}, r)
	aID, rID := a.myID(), r.myID()
	waitFor(t, "the cluster to be ok", func() bool {
		for _, n := range []*clusterTestNode{a, b, c, r} {
			if n.clusterInfo("cluster_state") != "ok" {
				return false
			}
		}
		return true
	})
	key := partKeyInSlots(0, 16384/3-1)
	mustReply(t, a.r, "OK", "SET", key, "v")
	// A wants a password R does not have before R ever connects: R's sync never happens
	mustReply(t, a.r, "OK", "CONFIG", "SET", "requirepass", "never-synced-secret")
	mustReply(t, r.r, "OK", "CLUSTER", "REPLICATE", aID)
	waitFor(t, "every node to see R as A's replica", func() bool {
		for _, n := range []*clusterTestNode{a, b, c, r} {
			if n.primaryOf(rID) != aID {
				return false
			}
		}
		return true
	})
	if got := r.infoField("replication", "master_link_status"); got != "down" {
		t.Fatalf("R's link is %s; the scenario needs it never up", got)
	}
	a.stop()
	survivors := []*clusterTestNode{b, c, r}
	waitFor(t, "B, C and R to flag A FAIL", func() bool {
		for _, n := range survivors {
			if !n.hasFlag(aID, "fail") {
				return false
			}
		}
		return true
	})
	waitFor(t, "R to log that its data is too old", func() bool {
		return logLineWith(r.logs.String(), validityStaleLog) != ""
	})
	time.Sleep(3 * validityNodeTimeout) // the time an unchecked election would take to be won
	if role := r.role(); role != "slave" {
		t.Fatalf("R, which never synced, was promoted (role %s)", role)
	}
	if strings.Contains(r.logs.String(), "Starting a failover election") {
		t.Fatalf("R started an election although it never synced")
	}
}
