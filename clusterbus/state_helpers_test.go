package clusterbus

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// t0 is a realistic wall-clock ms timestamp for tests that pass time in.
const t0 = int64(1_700_000_000_000)

// nid is a readable, valid node id: the number n in 40 hex digits ("000…0001").
func nid(n int) string { return fmt.Sprintf("%040x", n) }

// sid is a shard id distinct from every nid.
func sid(n int) string { return fmt.Sprintf("5%039x", n) }

// args splits a command line into arguments.
func args(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

// testState is a state whose myself is nid(1), a primary in shard sid(1) listening on 127.0.0.1:30001.
func testState(t testing.TB) *State {
	t.Helper()
	me := NewNode(nid(1), sid(1), FlagMyself|FlagPrimary)
	me.IP, me.TCPPort, me.TLSPort, me.BusPort = "127.0.0.1", 30001, 31001, 40001
	s, err := NewState(DefaultConfig(), me)
	if err != nil {
		t.Fatal(err)
	}
	s.Rand = bytes.NewReader(bytes.Repeat([]byte{0xab, 0xcd}, 1000))
	return s
}

// addPrimary adds primary nid(n) in shard sid(n) on port 30000+n, connected, with the given slot ranges
// ("0-5460", "7").
func addPrimary(t testing.TB, s *State, n int, epoch uint64, slots ...string) *Node {
	t.Helper()
	node := NewNode(nid(n), sid(n), FlagPrimary)
	node.IP, node.TCPPort, node.TLSPort, node.BusPort = "127.0.0.1", 30000+n, 31000+n, 40000+n
	node.ConfigEpoch, node.LinkConnected = epoch, true
	if err := s.AddNode(node); err != nil {
		t.Fatal(err)
	}
	assign(t, s, node, slots...)
	return node
}

// assign binds slot ranges to node.
func assign(t testing.TB, s *State, node *Node, slots ...string) {
	t.Helper()
	for _, r := range slots {
		var a, b int
		if _, err := fmt.Sscanf(r, "%d-%d", &a, &b); err != nil {
			if _, err := fmt.Sscanf(r, "%d", &a); err != nil {
				t.Fatalf("bad range %q", r)
			}
			b = a
		}
		for j := a; j <= b; j++ {
			if !s.addSlot(node, j) {
				t.Fatalf("slot %d already owned", j)
			}
		}
	}
}

// addReplica adds replica nid(n) of primary.
func addReplica(t testing.TB, s *State, n int, primary *Node) *Node {
	t.Helper()
	node := NewNode(nid(n), sid(n), FlagReplica)
	node.IP, node.TCPPort, node.TLSPort, node.BusPort = "127.0.0.1", 30000+n, 31000+n, 40000+n
	node.LinkConnected, node.ReplOffset = true, 100
	if err := s.AddNode(node); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNodeAsReplica(node, primary); err != nil {
		t.Fatal(err)
	}
	return node
}

// wantErr checks err is the ReplyError with the exact text want ("" for no error).
func wantErr(t testing.TB, what string, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	var re ReplyError
	if !errors.As(err, &re) {
		t.Fatalf("%s: error %v (%T), want reply error %q", what, err, err, want)
	}
	if string(re) != want {
		t.Fatalf("%s: error %q, want %q", what, re, want)
	}
}

// ownedSlots lists the ranges node owns, formatted like NODES ("0-5 9").
func ownedSlots(n *Node) string {
	var parts []string
	for _, r := range n.SlotRanges() {
		if r.Start == r.End {
			parts = append(parts, fmt.Sprint(r.Start))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", r.Start, r.End))
		}
	}
	return strings.Join(parts, " ")
}

// checkInvariants verifies that the slot table and the nodes' bitmaps agree.
func checkInvariants(t testing.TB, s *State) {
	t.Helper()
	for _, n := range s.nodes {
		if c := n.slots.Count(); c != n.numSlots {
			t.Fatalf("node %s: numSlots %d, bitmap has %d", n.ID, n.numSlots, c)
		}
	}
	for j, owner := range s.slots {
		if owner != nil && (!owner.HasSlot(j) || s.nodes[owner.ID] != owner) {
			t.Fatalf("slot %d: owner %s does not have it or is not known", j, owner.ID)
		}
	}
}
