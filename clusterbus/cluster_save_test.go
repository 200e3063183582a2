package clusterbus

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// nodes.conf saves: one encode and one write per change, fsynced only for the changes that must survive
// a crash, and the changes gossip brings coalesced into one write per cron tick.

// saveDelta is how the encode, write and fsync counters moved during fn.
func (c *Cluster) saveDelta(fn func()) (encodes, writes, syncs uint64) {
	e0, w0, s0 := c.saveCounters()
	fn()
	e1, w1, s1 := c.saveCounters()
	return e1 - e0, w1 - w0, s1 - s0
}

func readConf(t *testing.T, c *Cluster) string {
	t.Helper()
	data, err := os.ReadFile(c.file.Path())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestClusterSavesOncePerChange(t *testing.T) {
	c := clBare(t)
	c.host = &clHost{}
	other := clID(2)
	for _, tc := range []struct {
		name                   string
		fn                     func(st *State) error
		encodes, writes, syncs uint64
	}{
		{"ADDSLOTS: written before the reply, no fsync", func(st *State) error { return st.AddSlots(args("1 2 3")) }, 1, 1, 0},
		{"a refused ADDSLOTS changes nothing", func(st *State) error { return st.AddSlots(args("1")) }, 0, 0, 0},
		{"a no-op is not saved", func(*State) error { return nil }, 0, 0, 0},
		{"SETSLOT MIGRATING: no fsync", func(st *State) error {
			if err := st.AddNode(NewNode(other, clID(102), FlagPrimary)); err != nil {
				return err
			}
			_, err := st.SetSlot(args("1 migrating "+other), false, nil)
			return err
		}, 1, 1, 0},
		{"SETSLOT NODE: fsynced", func(st *State) error { _, err := st.SetSlot(args("1 node "+other), false, nil); return err }, 1, 1, 1},
		{"BUMPEPOCH that bumps: fsynced", func(st *State) error { st.BumpEpoch(); return nil }, 1, 1, 1},
		{"BUMPEPOCH that does not: nothing", func(st *State) error { st.BumpEpoch(); return nil }, 0, 0, 0},
		{"FORGET: no fsync", func(st *State) error { return st.Forget(other, nowMS()) }, 1, 1, 0},
		{"RESET: fsynced", func(st *State) error { _, err := st.Reset(false, false); return err }, 1, 1, 1},
	} {
		e, w, s := c.saveDelta(func() { _ = c.Do(tc.fn) })
		if e != tc.encodes || w != tc.writes || s != tc.syncs {
			t.Errorf("%s: %d encodes, %d writes, %d fsyncs; want %d, %d, %d", tc.name, e, w, s, tc.encodes, tc.writes, tc.syncs)
		}
	}
	if e, w, s := c.saveDelta(func() {
		if err := c.SaveConfig(); err != nil {
			t.Fatal(err)
		}
	}); e != 1 || w != 1 || s != 1 {
		t.Errorf("SaveConfig: %d encodes, %d writes, %d fsyncs; want one fsynced save", e, w, s)
	}
}

// What gossip teaches without touching epochs or slots (a new node, a FAIL) waits for the cron tick,
// which writes it once; a slot claim and a vote are fsynced at once, before anything is sent.
func TestClusterGossipSavesCoalesced(t *testing.T) {
	c := clBare(t)
	c.host = &clHost{}
	if err := c.Do(func(st *State) error {
		if err := st.SetConfigEpoch([]byte("50")); err != nil { // no epoch collision with the newcomers
			return err
		}
		return st.AddSlotsRange(args("0 99"))
	}); err != nil {
		t.Fatal(err)
	}
	_, w, _ := c.saveDelta(func() {
		for i := 2; i <= 5; i++ {
			c.meetFrom(clRec(i, 1, 0, 0, -1)) // primaries without slots
		}
	})
	if w != 0 {
		t.Fatalf("learning four nodes wrote nodes.conf %d times before the tick", w)
	}
	if conf := readConf(t, c); strings.Contains(conf, clID(2)) {
		t.Fatalf("nodes.conf has the new nodes before the tick:\n%s", conf)
	}
	if e, w, s := c.saveDelta(c.cron); e != 1 || w != 1 || s != 0 {
		t.Fatalf("the tick after four new nodes: %d encodes, %d writes, %d fsyncs; want one plain save", e, w, s)
	}
	for i := 2; i <= 5; i++ {
		if conf := readConf(t, c); !strings.Contains(conf, clID(i)) {
			t.Fatalf("nodes.conf lacks node %d after the tick:\n%s", i, conf)
		}
	}
	if _, w, _ := c.saveDelta(c.cron); w != 0 {
		t.Fatalf("a tick with nothing new wrote nodes.conf %d times", w)
	}

	// A newer slot claim is fsynced before the message's processing ends.
	if _, w, s := c.saveDelta(func() { c.deliverRecord(clID(2), clRec(2, 2, 7, 100, 199)) }); w != 1 || s != 1 {
		t.Fatalf("a slot claim: %d writes, %d fsyncs; want one fsynced save", w, s)
	}
	if conf := readConf(t, c); !strings.Contains(conf, " 7 connected 100-199") && !strings.Contains(conf, " 7 disconnected 100-199") {
		t.Fatalf("nodes.conf lacks the claim:\n%s", conf)
	}
}

// State's change counter: every operation that changes what nodes.conf records moves it (Do relies on
// it to know whether to save without encoding). A random walk over the operations checks it.
func TestStateTouchCoversEveryChange(t *testing.T) {
	s := testState(t)
	me := s.Myself()
	var nodes []*Node
	for i := 2; i <= 6; i++ {
		nodes = append(nodes, addPrimary(t, s, i, uint64(i), strconv.Itoa(i*1000)+"-"+strconv.Itoa(i*1000+99)))
	}
	addReplica(t, s, 7, nodes[0])
	rnd := rand.New(rand.NewPCG(7, 7))
	pick := func() *Node { return nodes[rnd.IntN(len(nodes))] }
	slotArg := func() []byte { return []byte(strconv.Itoa(rnd.IntN(200))) }
	ops := []func(now int64){
		func(int64) { _ = s.AddSlots([][]byte{slotArg()}) },
		func(int64) { _ = s.DelSlots([][]byte{slotArg()}) },
		func(int64) { _ = s.AddSlotsRange([][]byte{slotArg(), []byte("199")}) },
		func(int64) { _ = s.FlushSlots(false) },
		func(int64) {
			_, _ = s.SetSlot([][]byte{slotArg(), []byte("migrating"), []byte(pick().ID)}, false, nil)
		},
		func(int64) {
			_, _ = s.SetSlot([][]byte{slotArg(), []byte("importing"), []byte(pick().ID)}, false, nil)
		},
		func(int64) { _, _ = s.SetSlot([][]byte{slotArg(), []byte("stable")}, false, nil) },
		func(int64) { _, _ = s.SetSlot([][]byte{slotArg(), []byte("node"), []byte(pick().ID)}, false, nil) },
		func(int64) { _, _ = s.SetSlot([][]byte{slotArg(), []byte("node"), []byte(me.ID)}, false, nil) },
		func(int64) { s.BumpEpoch() },
		func(int64) { s.HandleConfigEpochCollision(pick()) },
		func(int64) { s.ObserveEpochs(pick(), uint64(rnd.IntN(30)), uint64(rnd.IntN(30))) },
		func(int64) { s.MarkPFail(pick()) },
		func(int64) { s.ClearPFail(pick()) },
		func(now int64) { s.MarkFailed(pick(), now) },
		func(now int64) { s.ClearFailureIfNeeded(pick(), now+100000) },
		func(now int64) {
			f := pick()
			for _, r := range nodes {
				s.AddFailureReport(f, r, now)
			}
			s.MarkFailingIfNeeded(f, now)
		},
		func(int64) {
			var b SlotBitmap
			lo := rnd.IntN(200)
			for j := lo; j < lo+rnd.IntN(20); j++ {
				b.Set(j)
			}
			s.ApplySlotClaims(pick(), &b, uint64(rnd.IntN(40)), nil)
		},
		func(int64) { n := pick(); _ = s.SetNodeAsReplica(n, pick()) },
		func(int64) { s.SetNodeAsPrimary(pick()) },
		func(int64) { _, _ = s.Replicate(pick().ID, false) },
	}
	for i := range 3000 {
		now := t0 + int64(i)
		before, gen := string(s.EncodeNodesConf()), s.gen
		op := rnd.IntN(len(ops))
		ops[op](now)
		if after := string(s.EncodeNodesConf()); after != before && s.gen == gen {
			t.Fatalf("step %d: operation %d changed nodes.conf without touching the state:\n%s\n---\n%s", i, op, before, after)
		}
		if me.IsReplica() && rnd.IntN(10) == 0 {
			s.SetNodeAsPrimary(me) // go back to being a primary now and then, so slot operations go on
		}
	}
}
