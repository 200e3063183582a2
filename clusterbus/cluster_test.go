package clusterbus

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// Four nodes, three of them with slots assigned before they meet and all on config epoch 0, form a
// cluster through MEETs to the first node only: every node learns every other (the third and fourth
// only through gossip relayed by the first), the slot assignments spread, the epoch collisions are
// resolved into distinct epochs, and changes made afterwards (a replica, a new slot) spread too. Over
// mutual TLS and over plain TCP.
func TestClusterMeetFormsCluster(t *testing.T) {
	pki := trPKI(t)
	for _, mode := range []string{"tls", "plain"} {
		t.Run(mode, func(t *testing.T) {
			trNoLeaks(t)
			o := clOpts{label: "cluster-1"}
			if mode == "tls" {
				cfg := trTLSConfig(pki, "")
				o.tls = &cfg
			}
			nodes := clCluster(t, 4, o)
			a, b, c, d := nodes[0], nodes[1], nodes[2], nodes[3]
			a.do(t, func(st *State) error { return st.AddSlotsRange(args("0 5460")) })
			b.do(t, func(st *State) error { return st.AddSlotsRange(args("5461 10922")) })
			c.do(t, func(st *State) error { return st.AddSlotsRange(args("10923 16382")) })
			for _, n := range nodes[1:] {
				n.meet(t, a)
			}
			sig := clWaitConverged(t, nodes...)
			for _, want := range []struct {
				slot int
				node *clNode
			}{{0, a}, {5460, a}, {5461, b}, {10922, b}, {10923, c}, {16382, c}, {16383, nil}} {
				wantID := ""
				if want.node != nil {
					wantID = want.node.id()
				}
				for _, n := range nodes {
					if got := n.owner(want.slot); got != wantID {
						t.Fatalf("%s sees slot %d owned by %q, want %q\n%s", n.name, want.slot, got, wantID, sig)
					}
				}
			}
			trWait(t, "distinct config epochs", func() bool {
				return clConverged(nodes...) && a.epochsDistinct() && b.epochsDistinct()
			})

			// Changes after the cluster formed: d replicates a, c takes the last slot.
			d.do(t, func(st *State) error { _, err := st.Replicate(a.id(), false); return err })
			c.do(t, func(st *State) error { return st.AddSlots(args("16383")) })
			sig = clWaitConverged(t, nodes...)
			if !strings.Contains(sig, d.id()+" replica "+a.id()) {
				t.Fatalf("d is not a's replica everywhere:\n%s", sig)
			}
			for _, n := range nodes {
				if got := n.owner(16383); got != c.id() {
					t.Fatalf("%s sees slot 16383 owned by %q, want c", n.name, got)
				}
			}
			trWait(t, "cluster state ok everywhere", func() bool {
				for _, n := range nodes {
					if !n.stateOK() {
						return false
					}
				}
				return true
			})
			var info string
			a.c.Read(func(st *State) { st.UpdateState(nowMS()); stats := a.c.Stats(); info = st.InfoText(&stats) })
			for _, want := range []string{"cluster_state:ok", "cluster_known_nodes:4", "cluster_size:3", "cluster_slots_assigned:16384"} {
				if !strings.Contains(info, want) {
					t.Errorf("a's CLUSTER INFO lacks %q:\n%s", want, info)
				}
			}
		})
	}
}

// A node whose bus has another label (another cluster) cannot join: its MEET fails on the
// transport's label check, and neither side learns of the other.
func TestClusterForeignLabelRejected(t *testing.T) {
	trNoLeaks(t)
	a := clStart(t, "a", clOpts{label: "cluster-1"}, "", 0, 7000)
	x := clStart(t, "x", clOpts{label: "cluster-2"}, "", 0, 7001)
	x.meet(t, a)
	trWait(t, "x to give up its MEET", func() bool { return x.logs.contains("CLUSTER MEET failed") })
	if !x.logs.contains("label mismatch") {
		t.Errorf("x's log does not name the label mismatch")
	}
	if n := a.numNodes(); n != 1 {
		t.Errorf("a knows %d nodes, want 1", n)
	}
	if n := x.numNodes(); n != 1 {
		t.Errorf("x knows %d nodes, want 1", n)
	}
	if n := a.c.ml.NumMembers(); n != 1 {
		t.Errorf("a's memberlist has %d members, want 1", n)
	}
}

// nodes.conf is written as the cluster forms and reloaded as is: after every node is closed and
// opened again on its file, each has the same id, epochs and slots (its view is the same before any
// message is exchanged), and the nodes find each other again without a new MEET.
func TestClusterNodesConfReload(t *testing.T) {
	trNoLeaks(t)
	nodes := clCluster(t, 3, clOpts{label: "c"})
	a, b, c := nodes[0], nodes[1], nodes[2]
	a.do(t, func(st *State) error { return st.AddSlotsRange(args("0 99")) })
	b.do(t, func(st *State) error { return st.AddSlotsRange(args("100 16383")) })
	b.meet(t, a)
	c.meet(t, a)
	clWaitConverged(t, nodes...)
	c.do(t, func(st *State) error { _, err := st.Replicate(b.id(), false); return err })
	trWait(t, "distinct epochs and c replicating b everywhere", func() bool {
		return clConverged(nodes...) && a.epochsDistinct() &&
			strings.Contains(a.signature(), c.id()+" replica "+b.id())
	})
	want := a.signature()
	var ids []string
	for _, n := range nodes {
		ids = append(ids, n.id())
	}
	views := map[string]string{}
	for _, n := range nodes {
		if err := n.c.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(n.conf)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), n.id()+" 127.0.0.1:") || !strings.Contains(string(data), "myself") {
			t.Fatalf("%s's nodes.conf lacks its own line:\n%s", n.name, data)
		}
		views[n.name] = n.signature()
	}
	for i, n := range nodes {
		nodes[i] = n.restart(t)
		if got := nodes[i].id(); got != ids[i] {
			t.Fatalf("%s reloaded as %s, want %s", n.name, got, ids[i])
		}
		if got := nodes[i].signature(); got != views[n.name] || got != want {
			t.Fatalf("%s reloaded a different configuration:\n%s\nwant:\n%s", n.name, got, want)
		}
	}
	if got := clWaitConverged(t, nodes...); got != want {
		t.Fatalf("after the restart the cluster agrees on:\n%s\nwant:\n%s", got, want)
	}
	// c's nodes.conf made it a replica: it asks its host to replicate b again.
	trWait(t, "c to replicate b", func() bool { return nodes[2].host.lastReplicate() != "" })
	if got, wantAddr := nodes[2].host.lastReplicate(), "127.0.0.1:7001"; got != wantAddr {
		t.Errorf("c replicates from %s, want %s", got, wantAddr)
	}
}

// The API's contracts: nodes.conf is locked while open; Do passes a state error through unchanged and
// saves what fn changed; Meet refuses an invalid address with Valkey's error; after Close, Do and Meet
// refuse and Close may be called again.
func TestClusterAPIContracts(t *testing.T) {
	trNoLeaks(t)
	a := clStart(t, "a", clOpts{label: "c"}, "", 0, 7000)
	_, err := Open(ClusterConfig{ConfigFile: a.conf, BindAddr: "127.0.0.1", Log: zerolog.Nop()}, &clHost{})
	if !errors.Is(err, ErrConfigLocked) {
		t.Fatalf("second Open on the same nodes.conf: %v, want ErrConfigLocked", err)
	}

	a.do(t, func(st *State) error { return st.AddSlots(args("7")) })
	data, err := os.ReadFile(a.conf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), " connected 7\n") {
		t.Fatalf("nodes.conf not saved after ADDSLOTS:\n%s", data)
	}
	err = a.c.Do(func(st *State) error { return st.AddSlots(args("7")) })
	var re ReplyError
	if !errors.As(err, &re) || string(re) != "ERR Slot 7 is already busy" {
		t.Fatalf("Do returned %v, want the state's ReplyError", err)
	}

	for _, bad := range []struct {
		ip         string
		port, cbus int
	}{{"not-an-ip", 7001, 0}, {"127.0.0.1", 0, 0}, {"127.0.0.1", 60000, 0}, {"127.0.0.1", 7001, 70000}} {
		err := a.c.Meet(bad.ip, bad.port, bad.cbus)
		want := fmt.Sprintf("ERR Invalid node address specified: %s:%d", bad.ip, bad.port)
		if !errors.As(err, &re) || string(re) != want {
			t.Errorf("Meet(%s, %d, %d) = %v, want %q", bad.ip, bad.port, bad.cbus, err, want)
		}
	}

	if err := a.c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := a.c.Do(func(*State) error { return nil }); !errors.Is(err, ErrClusterClosed) {
		t.Errorf("Do after Close: %v", err)
	}
	if err := a.c.Meet("127.0.0.1", 7001, 0); !errors.Is(err, ErrClusterClosed) {
		t.Errorf("Meet after Close: %v", err)
	}
}
