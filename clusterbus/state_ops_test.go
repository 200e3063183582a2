package clusterbus

import (
	"strings"
	"testing"
)

func TestStateReplicate(t *testing.T) {
	cases := []struct {
		name    string
		id      string
		mySlots bool
		keys    bool
		err     string
	}{
		{"unknown", nid(9), false, false, "ERR Unknown node " + nid(9)},
		{"myself", nid(1), false, false, "ERR Can't replicate myself"},
		{"replica", nid(3), false, false, "ERR I can only replicate a master, not a replica."},
		{"has slots", nid(2), true, false, "ERR To set a master the node must be empty and without assigned slots."},
		{"has keys", nid(2), false, true, "ERR To set a master the node must be empty and without assigned slots."},
		{"ok", nid(2), false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := testState(t)
			p := addPrimary(t, s, 2, 2, "0-10")
			addReplica(t, s, 3, p)
			if c.mySlots {
				assign(t, s, s.Myself(), "100")
			}
			s.SetSlot(args("20 importing "+p.ID), false, nil)
			got, err := s.Replicate(c.id, c.keys)
			wantErr(t, c.name, err, c.err)
			me := s.Myself()
			if c.err != "" {
				if !me.IsPrimary() || got != nil {
					t.Fatal("a refused REPLICATE changed the role")
				}
				return
			}
			if got != p || !me.IsReplica() || me.IsPrimary() || me.Primary() != p || me.ShardID != p.ShardID {
				t.Fatalf("after REPLICATE: flags %s primary %v shard %s", me.Flags, me.Primary(), me.ShardID)
			}
			if s.ImportingFrom(20) != nil {
				t.Fatal("REPLICATE must close migrating/importing slots")
			}
			reps := s.ReplicasOf(p)
			if len(reps) != 2 || reps[0] != me {
				t.Fatalf("replicas of primary: %v", reps)
			}
		})
	}
}

func TestStateReplicaSwitchesPrimary(t *testing.T) {
	s := testState(t)
	a := addPrimary(t, s, 2, 2, "0")
	b := addPrimary(t, s, 3, 3, "1")
	assign(t, s, s.Myself(), "5")
	s.FlushSlots(false)
	if _, err := s.Replicate(a.ID, false); err != nil {
		t.Fatal(err)
	}
	// A replica holding data may switch primaries.
	if _, err := s.Replicate(b.ID, true); err != nil {
		t.Fatal(err)
	}
	if s.Myself().Primary() != b || len(s.ReplicasOf(a)) != 0 {
		t.Fatal("replica did not move to its new primary")
	}
}

func TestStateForget(t *testing.T) {
	s := testState(t)
	p := addPrimary(t, s, 2, 2, "0-10")
	r := addReplica(t, s, 3, p)
	q := addPrimary(t, s, 4, 4, "11")
	wantErr(t, "forget myself", s.Forget(nid(1), t0), "ERR I tried hard but I can't forget myself...")
	wantErr(t, "forget unknown", s.Forget(nid(9), t0), "ERR Unknown node "+nid(9))

	s.SetSlot(args("20 importing "+p.ID), false, nil)
	s.AddFailureReport(q, p, t0)
	wantErr(t, "forget primary", s.Forget(p.ID, t0), "")
	if s.Lookup(p.ID) != nil || s.SlotOwner(0) != nil || s.ImportingFrom(20) != nil {
		t.Fatal("forgotten node still referenced")
	}
	if r.Primary() != nil || !r.IsReplica() {
		t.Fatal("replica of a forgotten primary keeps the replica flag and loses the link")
	}
	if n, _ := s.CountFailureReports(q.ID, t0); n != 0 {
		t.Fatal("forgotten node's failure reports must go")
	}
	// Blacklisted for 60 s: forgetting again is OK, re-adding is refused by the bus via IsBlacklisted.
	wantErr(t, "forget again", s.Forget(p.ID, t0+1000), "")
	if !s.IsBlacklisted(p.ID, t0+ForgetTTL) {
		t.Fatal("not blacklisted within the TTL")
	}
	if ttl, ok := s.BlacklistTTL(p.ID, t0+1000); !ok || ttl != ForgetTTL-1000 {
		t.Fatalf("ttl %d %v", ttl, ok)
	}
	if s.IsBlacklisted(p.ID, t0+ForgetTTL+1) {
		t.Fatal("blacklisted after the TTL")
	}
	wantErr(t, "forget after ttl", s.Forget(p.ID, t0+ForgetTTL+1), "ERR Unknown node "+p.ID)
	checkInvariants(t, s)
}

func TestStateForgetMyPrimary(t *testing.T) {
	s := testState(t)
	p := addPrimary(t, s, 2, 2, "0")
	if _, err := s.Replicate(p.ID, false); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "forget my primary", s.Forget(p.ID, t0), "ERR Can't forget my master!")
}

func TestStateReset(t *testing.T) {
	for _, hard := range []bool{false, true} {
		s := testState(t)
		p := addPrimary(t, s, 2, 7, "0-10")
		addPrimary(t, s, 4, 8, "11-20")
		s.CurrentEpoch, s.LastVoteEpoch = 9, 8
		if _, err := s.Replicate(p.ID, false); err != nil {
			t.Fatal(err)
		}
		s.Blacklist(nid(7), t0+ForgetTTL)
		oldID := s.Myself().ID
		res, err := s.Reset(hard, true) // a replica may reset with data
		if err != nil {
			t.Fatal(err)
		}
		me := s.Myself()
		if !res.WasReplica || !me.IsPrimary() || me.IsReplica() || me.Primary() != nil {
			t.Fatalf("hard=%v: res %+v flags %s", hard, res, me.Flags)
		}
		if s.NumNodes() != 1 || s.SlotOwner(0) != nil || s.IsBlacklisted(nid(7), t0) {
			t.Fatalf("hard=%v: nodes %d, slot0 %v", hard, s.NumNodes(), s.SlotOwner(0))
		}
		if hard {
			if me.ID == oldID || !ValidID(me.ID) || res.NewID != me.ID || s.Lookup(me.ID) != me || s.Lookup(oldID) != nil {
				t.Fatalf("hard reset id: %s (old %s) res %q", me.ID, oldID, res.NewID)
			}
			if me.ShardID == sid(2) || s.CurrentEpoch != 0 || s.LastVoteEpoch != 0 || me.ConfigEpoch != 0 {
				t.Fatalf("hard reset epochs/shard: %d %d %d %s", s.CurrentEpoch, s.LastVoteEpoch, me.ConfigEpoch, me.ShardID)
			}
		} else if me.ID != oldID || s.CurrentEpoch != 9 || res.NewID != "" {
			t.Fatalf("soft reset changed id or epochs: %s %d", me.ID, s.CurrentEpoch)
		}
	}
	s := testState(t)
	assign(t, s, s.Myself(), "0-5")
	_, err := s.Reset(false, true)
	wantErr(t, "reset primary with keys", err, "ERR CLUSTER RESET can't be called with master nodes containing keys")
	if s.Myself().NumSlots() != 6 {
		t.Fatal("refused reset changed slots")
	}
	if _, err := s.Reset(false, false); err != nil || s.Myself().NumSlots() != 0 {
		t.Fatalf("reset of an empty primary: %v", err)
	}
}

func TestStateParseReset(t *testing.T) {
	for _, c := range []struct {
		args string
		hard bool
		err  string
	}{
		{"", false, ""}, {"soft", false, ""}, {"SOFT", false, ""}, {"hard", true, ""}, {"Hard", true, ""},
		{"medium", false, "ERR syntax error"},
		{"hard soft", false, "ERR wrong number of arguments for 'cluster|reset' command"},
	} {
		hard, err := ParseReset(args(c.args))
		wantErr(t, "reset "+c.args, err, c.err)
		if hard != c.hard {
			t.Errorf("reset %q: hard %v", c.args, hard)
		}
	}
}

func TestStateSetConfigEpoch(t *testing.T) {
	cases := []struct {
		name, arg string
		others    bool
		epoch     uint64
		err       string
	}{
		{"ok", "5", false, 0, ""},
		{"zero", "0", false, 0, ""},
		{"not a number", "x", false, 0, "ERR value is not an integer or out of range"},
		{"negative", "-3", false, 0, "ERR Invalid config epoch specified: -3"},
		{"knows others", "5", true, 0, "ERR The user can assign a config epoch only when the node does not know any other node."},
		{"already set", "5", false, 2, "ERR Node config epoch is already non-zero"},
	}
	for _, c := range cases {
		s := testState(t)
		if c.others {
			addPrimary(t, s, 2, 0)
		}
		s.Myself().ConfigEpoch = c.epoch
		wantErr(t, c.name, s.SetConfigEpoch([]byte(c.arg)), c.err)
		if c.name == "ok" && (s.Myself().ConfigEpoch != 5 || s.CurrentEpoch != 5) {
			t.Fatalf("epochs %d %d", s.Myself().ConfigEpoch, s.CurrentEpoch)
		}
	}
	// currentEpoch never goes down.
	s := testState(t)
	s.CurrentEpoch = 9
	s.SetConfigEpoch([]byte("3"))
	if s.CurrentEpoch != 9 || s.Myself().ConfigEpoch != 3 {
		t.Fatal("SET-CONFIG-EPOCH lowered currentEpoch")
	}
}

func TestStateBumpEpoch(t *testing.T) {
	s := testState(t)
	if got := s.BumpEpochReply(); got != "BUMPED 1" {
		t.Fatalf("first bump: %q", got) // epoch 0 always bumps
	}
	if got := s.BumpEpochReply(); got != "STILL 1" {
		t.Fatalf("holding the max epoch: %q", got)
	}
	addPrimary(t, s, 2, 6)
	if got := s.BumpEpochReply(); got != "BUMPED 2" || s.CurrentEpoch != 2 {
		t.Fatalf("another node has a higher epoch: %q, current %d", got, s.CurrentEpoch)
	}
	s.CurrentEpoch = 6
	if got := s.BumpEpochReply(); got != "BUMPED 7" {
		t.Fatalf("%q", got)
	}
}

func TestStateConfigEpochCollision(t *testing.T) {
	// myself is nid(1), the smaller id: on a collision it moves on.
	s := testState(t)
	s.Myself().ConfigEpoch, s.CurrentEpoch = 3, 5
	bigger := addPrimary(t, s, 2, 3)
	if !s.HandleConfigEpochCollision(bigger) || s.Myself().ConfigEpoch != 6 || s.CurrentEpoch != 6 {
		t.Fatalf("smaller id did not bump: epoch %d current %d", s.Myself().ConfigEpoch, s.CurrentEpoch)
	}
	// No collision any more.
	if s.HandleConfigEpochCollision(bigger) {
		t.Fatal("bumped without a collision")
	}

	// myself is the bigger id: it keeps its epoch, the other node moves.
	me := NewNode(nid(9), sid(9), FlagMyself|FlagPrimary)
	me.ConfigEpoch = 3
	s2, _ := NewState(DefaultConfig(), me)
	smaller := addPrimary(t, s2, 2, 3)
	if s2.HandleConfigEpochCollision(smaller) || me.ConfigEpoch != 3 {
		t.Fatal("bigger id must not bump")
	}

	// Only primaries collide.
	s3 := testState(t)
	s3.Myself().ConfigEpoch = 4
	p := addPrimary(t, s3, 5, 4)
	r := addReplica(t, s3, 6, p)
	r.ConfigEpoch = 4
	if s3.HandleConfigEpochCollision(r) {
		t.Fatal("a replica's epoch collided")
	}
}

func TestStateObserveEpochs(t *testing.T) {
	s := testState(t)
	s.CurrentEpoch = 4
	p := addPrimary(t, s, 2, 2)
	if !s.ObserveEpochs(p, 7, 5) || p.ConfigEpoch != 5 || s.CurrentEpoch != 7 {
		t.Fatalf("epochs not raised: %d %d", p.ConfigEpoch, s.CurrentEpoch)
	}
	if s.ObserveEpochs(p, 3, 1) || p.ConfigEpoch != 5 || s.CurrentEpoch != 7 {
		t.Fatal("epochs lowered")
	}
	p.Flags |= FlagHandshake
	if s.ObserveEpochs(p, 99, 99) || s.CurrentEpoch != 7 {
		t.Fatal("handshake node's epochs applied")
	}
}

func TestStateRenameAndAdd(t *testing.T) {
	s := testState(t)
	h := NewNode(nid(50), sid(50), FlagHandshake|FlagMeet)
	if err := s.AddNode(h); err != nil {
		t.Fatal(err)
	}
	if err := s.AddNode(NewNode(nid(50), sid(1), 0)); err == nil {
		t.Fatal("duplicate id accepted")
	}
	if err := s.AddNode(NewNode("xyz", sid(1), 0)); err == nil || !strings.Contains(err.Error(), "invalid node id") {
		t.Fatalf("bad id: %v", err)
	}
	if err := s.RenameNode(h, nid(51)); err != nil || s.Lookup(nid(51)) != h || s.Lookup(nid(50)) != nil {
		t.Fatalf("rename: %v", err)
	}
	if err := s.RenameNode(h, nid(1)); err == nil {
		t.Fatal("rename onto an existing id accepted")
	}
}
