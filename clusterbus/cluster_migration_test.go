package clusterbus

import (
	"strings"
	"testing"
)

// migLayout: myself nid(1) and nid(4) replicate primary A nid(2) (slots 0-8191); nid(5) replicates
// primary B nid(3) (8192-16383) and is FAIL, which leaves B orphaned. The state is ok.
func migLayout(t *testing.T) (s *State, a, b *Node) {
	t.Helper()
	s = testState(t)
	a = addPrimary(t, s, 2, 2, "0-8191")
	b = addPrimary(t, s, 3, 3, "8192-16383")
	if _, err := s.Replicate(a.ID, false); err != nil {
		t.Fatal(err)
	}
	addReplica(t, s, 4, a)
	r5 := addReplica(t, s, 5, b)
	s.MarkFailed(r5, t0)
	s.UpdateState(t0)
	if !s.IsOK() {
		t.Fatal("layout: cluster state not ok")
	}
	return s, a, b
}

// The rule, case by case: who moves, when, and what holds a replica back.
func TestStateReplicaMigration(t *testing.T) {
	later := t0 + replicaMigrationDelay + 1
	for _, tc := range []struct {
		name    string
		edit    func(s *State, a, b *Node)
		target  bool   // a target is named at `later`
		refused string // part of the refusal ("" = the move is made)
	}{
		{"the smallest replica of the best-covered primary moves", nil, true, ""},
		{"another replica has a smaller id", func(s *State, a, _ *Node) { addReplica(t, s, 0, a) }, false, ""},
		{"a primary that never had replicas is not orphaned", func(_ *State, _, b *Node) { b.Flags &^= FlagMigrateTo }, false, ""},
		{"the orphan's replica is back", func(s *State, _, _ *Node) { s.ClearFailureIfNeeded(s.Lookup(nid(5)), t0) }, false, ""},
		{"a FAIL orphan is no target", func(s *State, _, b *Node) { s.MarkFailed(b, t0) }, false, ""},
		{"my primary has one working replica only", func(s *State, _, _ *Node) { s.MarkFailed(s.Lookup(nid(4)), t0) }, false, ""},
		{"barrier 2", func(s *State, _, _ *Node) { s.Config.MigrationBarrier = 2 }, true, "cluster-migration-barrier is 2"},
		{"barrier 0 with a PFAIL sibling", func(s *State, _, _ *Node) {
			s.Config.MigrationBarrier = 0
			s.MarkPFail(s.Lookup(nid(4)))
		}, true, ""},
		{"a PFAIL sibling does not count for the barrier", func(s *State, _, _ *Node) { s.MarkPFail(s.Lookup(nid(4))) }, true, "barrier is 1"},
		{"migration disallowed", func(s *State, _, _ *Node) { s.Config.AllowReplicaMigration = false }, true, "cluster-allow-replica-migration is no"},
		{"cluster state fail", func(s *State, _, _ *Node) {
			s.Config.RequireFullCoverage = true
			s.DelSlots(args("0"))
			s.UpdateState(t0)
		}, true, "state is not ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, b := migLayout(t)
			if tc.edit != nil {
				tc.edit(s, s.Lookup(nid(2)), b)
			}
			since := map[string]int64{}
			if got := s.checkReplicaMigration(t0, since); got.target != nil {
				t.Fatalf("a move at once, without the delay: %+v", got)
			}
			got := s.checkReplicaMigration(later, since)
			if (got.target != nil) != tc.target {
				t.Fatalf("target %v, want one: %v", got.target, tc.target)
			}
			if got.target != nil && got.target != b {
				t.Fatalf("target %s, want B", got.target.ID)
			}
			if tc.refused == "" && got.refused != "" || tc.refused != "" && !strings.Contains(got.refused, tc.refused) {
				t.Fatalf("refused %q, want %q", got.refused, tc.refused)
			}
		})
	}
}

// The cron moves the replica: it replicates the orphan, says so in its record, and saves.
func TestClusterReplicaMigrationMoves(t *testing.T) {
	c := clBare(t) // myself clID(1)
	c.host = &clHost{}
	c.meetFrom(clRec(2, 1, 2, 0, 8191))
	c.meetFrom(clRec(3, 1, 3, 8192, 16383))
	replica := func(n, primary int) *nodeRecord {
		r := clRec(n, 1, uint64(primary), -1, -2)
		r.Flags, r.PrimaryID = FlagReplica, clID(primary)
		return r
	}
	c.meetFrom(replica(4, 2))
	c.meetFrom(replica(5, 3))
	if err := c.Do(func(st *State) error { _, err := st.Replicate(clID(2), false); return err }); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.st.MarkFailed(c.st.Lookup(clID(5)), nowMS())
	c.st.UpdateState(nowMS())
	c.orphanedSince = map[string]int64{clID(3): nowMS() - replicaMigrationDelay - 1}
	c.mu.Unlock()

	c.cron()
	c.mu.Lock()
	defer c.mu.Unlock()
	if got := c.st.Myself().PrimaryID(); got != clID(3) {
		t.Fatalf("myself replicates %s, want the orphan %s", got, clID(3))
	}
	if c.self.PrimaryID != clID(3) {
		t.Fatalf("myself's record names primary %q", c.self.PrimaryID)
	}
	if !strings.Contains(string(c.st.EncodeNodesConf()), "myself,slave "+clID(3)) {
		t.Fatal("the move is not in the state saved")
	}
	if conf := readConf(t, c); !strings.Contains(conf, "myself,slave "+clID(3)) {
		t.Fatalf("nodes.conf not saved after the move:\n%s", conf)
	}
}
