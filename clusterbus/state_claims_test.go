package clusterbus

import (
	"slices"
	"testing"
)

// claim returns a bitmap of the given ranges.
func claim(t *testing.T, ranges ...string) *SlotBitmap {
	t.Helper()
	tmp := testState(t)
	n := addPrimary(t, tmp, 99, 0, ranges...)
	b := n.Slots()
	return &b
}

func TestStateSlotClaimsHighestEpochWins(t *testing.T) {
	s := testState(t)
	s.Myself().ConfigEpoch = 1
	assign(t, s, s.Myself(), "0-99")
	a := addPrimary(t, s, 2, 5, "100-199")
	b := addPrimary(t, s, 3, 3)

	// b claims a's slots with a lower epoch: nothing moves, and b is told about a.
	up := s.ApplySlotClaims(b, claim(t, "100-109"), 3, nil)
	if len(up.Rebound) != 0 || s.SlotOwner(100) != a {
		t.Fatalf("lower epoch won: %+v", up)
	}
	if got := s.StaleClaim(b, claim(t, "100-109"), 3); got != a {
		t.Fatalf("StaleClaim = %v, want a", got)
	}
	// Equal epoch: no change either.
	if up := s.ApplySlotClaims(b, claim(t, "100"), 5, nil); len(up.Rebound) != 0 {
		t.Fatal("equal epoch moved a slot")
	}
	// Higher epoch wins, and unassigned slots go to any claimer.
	up = s.ApplySlotClaims(b, claim(t, "100-109", "500"), 6, nil)
	if len(up.Rebound) != 11 || s.SlotOwner(105) != b || s.SlotOwner(500) != b || len(up.Lost) != 0 {
		t.Fatalf("higher epoch: %+v", up)
	}
	if ownedSlots(a) != "110-199" || ownedSlots(b) != "100-109 500" {
		t.Fatalf("a %q b %q", ownedSlots(a), ownedSlots(b))
	}
	if s.StaleClaim(b, claim(t, "100-109"), 6) != nil {
		t.Fatal("up-to-date claim reported stale")
	}
	checkInvariants(t, s)
}

func TestStateSlotClaimsDirtySlots(t *testing.T) {
	s := testState(t)
	s.Myself().ConfigEpoch = 1
	assign(t, s, s.Myself(), "0-99")
	b := addPrimary(t, s, 3, 4)
	up := s.ApplySlotClaims(b, claim(t, "10-12"), 4, func(slot int) bool { return slot == 11 })
	if !slices.Equal(up.Lost, []int{10, 11, 12}) || !slices.Equal(up.DirtySlots, []int{11}) || up.NewPrimary != nil {
		t.Fatalf("%+v", up)
	}
	if !s.Myself().IsPrimary() {
		t.Fatal("a primary that keeps slots stays a primary")
	}
}

func TestStateSlotClaimsFailoverDemotesOldPrimary(t *testing.T) {
	// myself was a primary, its replica won a failover (same shard, higher epoch).
	s := testState(t)
	s.Myself().ConfigEpoch = 1
	assign(t, s, s.Myself(), "0-99")
	other := addPrimary(t, s, 4, 2, "100")
	s.SetSlot(args("50 migrating "+other.ID), false, nil)
	promoted := NewNode(nid(2), sid(1), FlagPrimary)
	s.AddNode(promoted)
	up := s.ApplySlotClaims(promoted, claim(t, "0-99"), 7, func(int) bool { return true })
	me := s.Myself()
	if up.NewPrimary != promoted || !up.SameShard || !me.IsReplica() || me.Primary() != promoted {
		t.Fatalf("%+v flags %s", up, me.Flags)
	}
	if len(up.DirtySlots) != 0 {
		t.Fatal("a demoted node deletes no keys: it resyncs")
	}
	if s.MigratingTo(50) != other {
		t.Fatal("a failover inside the shard keeps the migration")
	}
}

func TestStateSlotClaimsReplicaFollowsNewOwner(t *testing.T) {
	s := testState(t)
	p := addPrimary(t, s, 2, 2, "0-99")
	s.Replicate(p.ID, false)
	s.SetSlot(args("5 importing "+p.ID), true, nil)
	// An operator moved all of p's slots to q in another shard.
	q := addPrimary(t, s, 3, 5)
	up := s.ApplySlotClaims(q, claim(t, "0-99"), 5, nil)
	me := s.Myself()
	if up.NewPrimary != q || up.SameShard || me.Primary() != q || me.ShardID != q.ShardID {
		t.Fatalf("%+v primary %v", up, me.Primary())
	}
	if s.ImportingFrom(5) != nil {
		t.Fatal("moving to another shard closes slots")
	}
}

func TestStateSlotClaimsNoReplicaMigration(t *testing.T) {
	s := testState(t)
	s.Config.AllowReplicaMigration = false
	s.Myself().ConfigEpoch = 1
	assign(t, s, s.Myself(), "0-9")
	q := addPrimary(t, s, 3, 5, "20")
	// q takes all of myself's slots but also has its own: without replica migration, stay primary.
	up := s.ApplySlotClaims(q, claim(t, "0-9", "20"), 6, nil)
	if up.NewPrimary != nil || !s.Myself().IsPrimary() || s.Myself().NumSlots() != 0 {
		t.Fatalf("%+v", up)
	}
	// Exactly our slots (a failover of our shard): follow even without replica migration.
	s2 := testState(t)
	s2.Config.AllowReplicaMigration = false
	s2.Myself().ConfigEpoch = 1
	assign(t, s2, s2.Myself(), "0-9")
	q2 := addPrimary(t, s2, 3, 5)
	if up := s2.ApplySlotClaims(q2, claim(t, "0-9"), 6, nil); up.NewPrimary != q2 {
		t.Fatalf("%+v", up)
	}
}

func TestStateSlotClaimsEmptyShardPeer(t *testing.T) {
	// Both without slots in the same shard: the newer epoch is the primary.
	s := testState(t)
	peer := NewNode(nid(2), sid(1), FlagPrimary)
	peer.ConfigEpoch = 3
	s.AddNode(peer)
	up := s.ApplySlotClaims(peer, &SlotBitmap{}, 3, nil)
	if up.NewPrimary != peer || !up.SameShard {
		t.Fatalf("%+v", up)
	}
}

func TestStateSlotClaimsOwnerNotClaiming(t *testing.T) {
	s := testState(t)
	a := addPrimary(t, s, 2, 9, "0-9")
	// a stops claiming slot 5: it stays bound, marked.
	up := s.ApplySlotClaims(a, claim(t, "0-4", "6-9"), 9, nil)
	if s.SlotOwner(5) != a || !s.OwnerNotClaiming(5) || len(up.Rebound) != 0 {
		t.Fatalf("%+v", up)
	}
	// Anyone may now claim it, even with a lower epoch.
	b := addPrimary(t, s, 3, 1)
	up = s.ApplySlotClaims(b, claim(t, "5"), 1, nil)
	if s.SlotOwner(5) != b || s.OwnerNotClaiming(5) || !slices.Equal(up.Rebound, []int{5}) {
		t.Fatalf("%+v", up)
	}
	if s.StaleClaim(b, claim(t, "5"), 1) != nil {
		t.Fatal("owner's own slot reported stale")
	}
	// a claiming it back clears... a has a higher epoch, so it wins it back.
	s.ApplySlotClaims(a, claim(t, "0-9"), 9, nil)
	if s.SlotOwner(5) != a {
		t.Fatal("higher epoch did not win the slot back")
	}
}

func TestStateSlotClaimsImportFollowsShard(t *testing.T) {
	s := testState(t)
	src := addPrimary(t, s, 2, 2, "0-9")
	s.SetSlot(args("3 importing "+src.ID), false, nil)
	s.SetSlot(args("4 importing "+src.ID), false, nil)
	// src's replica takes over (same shard): the import follows it.
	heir := NewNode(nid(3), src.ShardID, FlagPrimary)
	s.AddNode(heir)
	s.ApplySlotClaims(heir, claim(t, "3"), 5, nil)
	if s.ImportingFrom(3) != heir {
		t.Fatal("import did not follow the new owner in the shard")
	}
	// Another shard takes slot 4: the import ends.
	stranger := addPrimary(t, s, 4, 6)
	s.ApplySlotClaims(stranger, claim(t, "4"), 6, nil)
	if s.ImportingFrom(4) != nil {
		t.Fatal("import kept after the slot left the shard")
	}
}

func TestStateSlotClaimsSubReplica(t *testing.T) {
	s := testState(t)
	p := addPrimary(t, s, 2, 2, "0-9")
	s.Replicate(p.ID, false)
	q := addPrimary(t, s, 3, 3, "10-19")
	// My primary became a replica of q (it lost a failover elsewhere): follow q.
	s.SetNodeAsReplica(p, q)
	s.delNodeSlots(p)
	assign(t, s, q, "0-9")
	up := s.ApplySlotClaims(q, claim(t, "0-19"), 3, nil)
	if up.NewPrimary != q || s.Myself().Primary() != q {
		t.Fatalf("%+v", up)
	}
	// About myself: ignored.
	if up := s.ApplySlotClaims(s.Myself(), claim(t, "0"), 100, nil); len(up.Rebound) != 0 {
		t.Fatal("claim about myself applied")
	}
}
