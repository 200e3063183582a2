package clusterbus

import "testing"

func TestStateParseSlot(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"16383", 16383, true}, {"5461", 5461, true},
		{"16384", 0, false}, {"-1", 0, false}, {"-0", 0, false}, {"+1", 0, false}, {"01", 0, false},
		{" 1", 0, false}, {"1.0", 0, false}, {"", 0, false}, {"abc", 0, false},
		{"99999999999999999999999", 0, false},
	} {
		got, err := ParseSlot([]byte(c.in))
		if c.ok {
			if err != nil || got != c.want {
				t.Errorf("ParseSlot(%q) = %d, %v; want %d", c.in, got, err, c.want)
			}
			continue
		}
		wantErr(t, "ParseSlot("+c.in+")", err, "ERR Invalid or out of range slot")
	}
}

func TestStateAddDelSlots(t *testing.T) {
	type op struct {
		cmd, args, err string
	}
	cases := []struct {
		name string
		ops  []op
		mine string // myself's slots afterwards
	}{
		{"add", []op{{"addslots", "0 1 2 10", ""}}, "0-2 10"},
		{"add out of range", []op{{"addslots", "0 16384", "ERR Invalid or out of range slot"}}, ""},
		{"add not a number", []op{{"addslots", "x", "ERR Invalid or out of range slot"}}, ""},
		// Parsing comes first: a busy slot before a bad one still reports the bad one.
		{"parse before busy", []op{{"addslots", "5", ""}, {"addslots", "5 abc", "ERR Invalid or out of range slot"}}, "5"},
		{"busy", []op{{"addslots", "5", ""}, {"addslots", "6 5", "ERR Slot 5 is already busy"}}, "5"},
		{"busy other node", []op{{"addslots", "100", "ERR Slot 100 is already busy"}}, ""},
		{"twice", []op{{"addslots", "7 8 7", "ERR Slot 7 specified multiple times"}}, ""},
		{"del", []op{{"addslots", "1 2 3", ""}, {"delslots", "2", ""}}, "1 3"},
		{"del unassigned", []op{{"delslots", "3", "ERR Slot 3 is already unassigned"}}, ""},
		{"del twice", []op{{"addslots", "3", ""}, {"delslots", "3 3", "ERR Slot 3 specified multiple times"}}, "3"},
		{"del other node's slot", []op{{"delslots", "100", ""}}, ""},
		{"range", []op{{"addslotsrange", "0 5 10 12", ""}}, "0-5 10-12"},
		{"range reversed", []op{{"addslotsrange", "5 1", "ERR start slot number 5 is greater than end slot number 1"}}, ""},
		{"range odd", []op{{"addslotsrange", "1 2 3", "ERR wrong number of arguments for 'cluster|addslotsrange' command"}}, ""},
		{"range overlap", []op{{"addslotsrange", "1 5 4 6", "ERR Slot 4 specified multiple times"}}, ""},
		{"range busy", []op{{"addslotsrange", "90 110", "ERR Slot 100 is already busy"}}, ""},
		{"range bad", []op{{"addslotsrange", "1 16384", "ERR Invalid or out of range slot"}}, ""},
		{"delrange", []op{{"addslotsrange", "0 9", ""}, {"delslotsrange", "2 4 6 6", ""}}, "0-1 5 7-9"},
		{"delrange unassigned", []op{{"addslotsrange", "0 3", ""}, {"delslotsrange", "0 4", "ERR Slot 4 is already unassigned"}}, "0-3"},
		{"no args", []op{{"addslots", "", "ERR wrong number of arguments for 'cluster|addslots' command"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := testState(t)
			other := addPrimary(t, s, 2, 2, "100-200")
			for _, o := range c.ops {
				var err error
				switch o.cmd {
				case "addslots":
					err = s.AddSlots(args(o.args))
				case "delslots":
					err = s.DelSlots(args(o.args))
				case "addslotsrange":
					err = s.AddSlotsRange(args(o.args))
				case "delslotsrange":
					err = s.DelSlotsRange(args(o.args))
				}
				wantErr(t, o.cmd+" "+o.args, err, o.err)
			}
			if got := ownedSlots(s.Myself()); got != c.mine {
				t.Fatalf("myself owns %q, want %q", got, c.mine)
			}
			if c.name == "del other node's slot" {
				if other.HasSlot(100) || s.SlotOwner(100) != nil || other.NumSlots() != 100 {
					t.Fatal("DELSLOTS did not unassign another node's slot")
				}
			}
			checkInvariants(t, s)
		})
	}
}

func TestStateAddSlotsEndsImport(t *testing.T) {
	s := testState(t)
	other := addPrimary(t, s, 2, 2, "1-3")
	if _, err := s.SetSlot(args("50 importing "+other.ID), false, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSlots(args("50")); err != nil {
		t.Fatal(err)
	}
	if s.ImportingFrom(50) != nil || s.SlotOwner(50) != s.Myself() {
		t.Fatal("ADDSLOTS of an importing slot must take it and end the import")
	}
}

func TestStateFlushSlots(t *testing.T) {
	s := testState(t)
	assign(t, s, s.Myself(), "0-99")
	other := addPrimary(t, s, 2, 2, "100-200")
	wantErr(t, "flushslots with keys", s.FlushSlots(true), "ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
	if s.Myself().NumSlots() != 100 {
		t.Fatal("refused FLUSHSLOTS changed slots")
	}
	wantErr(t, "flushslots", s.FlushSlots(false), "")
	if s.Myself().NumSlots() != 0 || s.SlotOwner(0) != nil || other.NumSlots() != 101 {
		t.Fatal("FLUSHSLOTS must drop exactly myself's slots")
	}
	checkInvariants(t, s)
}

func TestStateSetSlotErrors(t *testing.T) {
	cases := []struct{ name, args, err string }{
		{"not owner migrating", "100 migrating " + nid(2), "ERR I'm not the owner of hash slot 100"},
		{"unassigned migrating", "500 migrating " + nid(2), "ERR I'm not the owner of hash slot 500"},
		{"unknown migrating", "0 migrating " + nid(9), "ERR I don't know about node " + nid(9)},
		{"replica target migrating", "0 migrating " + nid(3), "ERR Target node is not a master"},
		{"already owner importing", "0 importing " + nid(2), "ERR I'm already the owner of hash slot 0"},
		{"unknown importing", "100 importing nope", "ERR I don't know about node nope"},
		{"replica target importing", "100 importing " + nid(3), "ERR Target node is not a master"},
		{"unknown node", "100 node " + nid(9), "ERR Unknown node " + nid(9)},
		{"replica node", "100 node " + nid(3), "ERR Target node is not a master"},
		{"keys left", "0 node " + nid(2), "ERR Can't assign hashslot 0 to a different node while I still hold keys for this hash slot."},
		{"bad slot", "16384 stable", "ERR Invalid or out of range slot"},
		{"bad action", "0 fly", "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"},
		{"missing node", "0 migrating", "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"},
		{"bad option", "0 stable extra", "ERR Invalid SETSLOT option"},
		{"timeout missing", "0 stable timeout", "ERR Missing timeout value"},
		{"timeout bad", "0 stable timeout x", "ERR timeout is not an integer or out of range"},
		{"timeout negative", "0 stable timeout -5", "ERR timeout is negative"},
		{"arity", "0", "ERR wrong number of arguments for 'cluster|setslot' command"},
		{"ok stable", "0 stable", ""},
		{"ok timeout", "0 migrating " + nid(2) + " TIMEOUT 100", ""},
		{"ok node myself with keys", "0 node " + nid(1), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := testState(t)
			assign(t, s, s.Myself(), "0-99")
			p := addPrimary(t, s, 2, 2, "100-200")
			addReplica(t, s, 3, p)
			_, err := s.SetSlot(args(c.args), false, func(slot int) bool { return slot == 0 })
			wantErr(t, c.args, err, c.err)
		})
	}
}

func TestStateSetSlotOnReplica(t *testing.T) {
	s := testState(t)
	p := addPrimary(t, s, 2, 2, "0-100")
	if _, err := s.Replicate(p.ID, false); err != nil {
		t.Fatal(err)
	}
	_, err := s.SetSlot(args("5 stable"), false, nil)
	wantErr(t, "setslot on replica", err, "ERR Please use SETSLOT only with masters.")
	// Replicated from the primary it applies; a replica has no "owner" check for MIGRATING.
	q := addPrimary(t, s, 4, 4)
	if _, err := s.SetSlot(args("5 migrating "+q.ID), true, nil); err != nil {
		t.Fatal(err)
	}
	if s.MigratingTo(5) != q {
		t.Fatal("replicated SETSLOT MIGRATING not applied")
	}
}

func TestStateSetSlotMigration(t *testing.T) {
	// Source side: myself migrates slot 7 to node 2, then gives it away.
	s := testState(t)
	assign(t, s, s.Myself(), "0-9")
	dst := addPrimary(t, s, 2, 5, "100")
	if _, err := s.SetSlot(args("7 migrating "+dst.ID), false, nil); err != nil {
		t.Fatal(err)
	}
	if s.MigratingTo(7) != dst {
		t.Fatal("MIGRATING not recorded")
	}
	res, err := s.SetSlot(args("7 node "+dst.ID), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.SlotOwner(7) != dst || s.MigratingTo(7) != nil || res.NewPrimary != nil || res.EpochBumped {
		t.Fatalf("after NODE: owner %v migrating %v res %+v", s.SlotOwner(7), s.MigratingTo(7), res)
	}
	if got := ownedSlots(s.Myself()); got != "0-6 8-9" {
		t.Fatalf("myself owns %q", got)
	}
	// STABLE clears both marks.
	s.SetSlot(args("8 migrating "+dst.ID), false, nil)
	s.SetSlot(args("150 importing "+dst.ID), false, nil)
	s.SetSlot(args("8 stable"), false, nil)
	s.SetSlot(args("150 stable"), false, nil)
	if s.MigratingTo(8) != nil || s.ImportingFrom(150) != nil {
		t.Fatal("STABLE left a mark")
	}
	checkInvariants(t, s)
}

func TestStateSetSlotMigratingKeptWhileKeysRemain(t *testing.T) {
	s := testState(t)
	assign(t, s, s.Myself(), "0-9")
	dst := addPrimary(t, s, 2, 5)
	s.SetSlot(args("3 migrating "+dst.ID), false, nil)
	cmd, err := s.ParseSetSlot(args("3 node "+nid(1)), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.ApplySetSlot(cmd, func(int) bool { return true })
	if s.MigratingTo(3) != dst {
		t.Fatal("a migration with keys left must survive SETSLOT NODE")
	}
}

func TestStateSetSlotImportClosesWithEpochBump(t *testing.T) {
	s := testState(t)
	s.Myself().ConfigEpoch = 1
	src := addPrimary(t, s, 2, 3, "0-9")
	s.CurrentEpoch = 3
	if _, err := s.SetSlot(args("4 importing "+src.ID), false, nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.SetSlot(args("4 node "+nid(1)), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.SlotOwner(4) != s.Myself() || s.ImportingFrom(4) != nil {
		t.Fatal("NODE myself must take the slot and close the import")
	}
	if !res.EpochBumped || s.Myself().ConfigEpoch != 4 || s.CurrentEpoch != 4 {
		t.Fatalf("epoch not bumped: res %+v epoch %d current %d", res, s.Myself().ConfigEpoch, s.CurrentEpoch)
	}
}

func TestStateSetSlotLastSlotTurnsReplica(t *testing.T) {
	for _, allow := range []bool{true, false} {
		s := testState(t)
		s.Config.AllowReplicaMigration = allow
		assign(t, s, s.Myself(), "7")
		dst := addPrimary(t, s, 2, 5)
		res, err := s.SetSlot(args("7 node "+dst.ID), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		me := s.Myself()
		if allow {
			if res.NewPrimary != dst || !me.IsReplica() || me.Primary() != dst || me.ShardID != dst.ShardID {
				t.Fatalf("allow: res %+v flags %s primary %v", res, me.Flags, me.Primary())
			}
		} else if res.NewPrimary != nil || !me.IsPrimary() {
			t.Fatalf("no migration: res %+v flags %s", res, me.Flags)
		}
	}
}
