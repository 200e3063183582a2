package server

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/valkey-node/valkey-node/clusterbus"
)

// Network partitions of a cluster, made with the bus transport's fault-injection hook: each node's bus is
// given a filter that drops all traffic with the nodes on the other side of the cut.

// partCut is a cut of the loopback network between cluster buses: the nodes whose bus address is in
// isolated form one side, every other node the other. Traffic flows only within a side.
type partCut struct {
	mu       sync.Mutex
	isolated map[string]bool // bus addresses ("127.0.0.1:port")
}

// partInstallCut makes every node started afterwards in this test consult p (through the server's
// clusterBusFilter hook). Install it before starting the nodes: its cleanup, which removes the hook, then
// runs after theirs.
func partInstallCut(t *testing.T) *partCut {
	t.Helper()
	p := &partCut{isolated: map[string]bool{}}
	clusterBusFilter = func(s *Server) func(string) bool {
		me := loopbackAddr(s.busPort())
		return func(peer string) bool { return p.allowed(me, peer) }
	}
	t.Cleanup(func() { clusterBusFilter = nil })
	return p
}

func (p *partCut) allowed(me, peer string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.isolated[me] == p.isolated[peer]
}

// isolate cuts the nodes from all the others, in both directions.
func (p *partCut) isolate(nodes ...*testNode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range nodes {
		p.isolated[n.secBusAddr()] = true
	}
}

// heal removes the cut.
func (p *partCut) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.isolated)
}

// partSlotOwners maps each slot to the node ids that CLUSTER NODES on r says serve it.
func partSlotOwners(t *testing.T, r *rawConn) map[int][]string {
	t.Helper()
	owners := map[int][]string{}
	for _, l := range secNodes(t, r) {
		for _, rg := range l.slots {
			lo, hi, ok := strings.Cut(rg, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil {
				t.Fatalf("bad slot range %q in CLUSTER NODES", rg)
			}
			for s := a; s <= b; s++ {
				owners[s] = append(owners[s], l.id)
			}
		}
	}
	return owners
}

// partSlotsMap renders CLUSTER SLOTS on r as "start-end:owner-id" entries, sorted, after checking that the
// ranges are disjoint and cover every slot.
func partSlotsMap(t *testing.T, r *rawConn) string {
	t.Helper()
	reply := r.call("CLUSTER", "SLOTS")
	type rng struct {
		lo, hi int
		id     string
	}
	var rs []rng
	for _, e := range reply.elems {
		if len(e.elems) < 3 || len(e.elems[2].elems) < 3 {
			t.Fatalf("CLUSTER SLOTS entry %s", e)
		}
		lo, _ := strconv.Atoi(e.elems[0].str)
		hi, _ := strconv.Atoi(e.elems[1].str)
		rs = append(rs, rng{lo, hi, e.elems[2].elems[2].str})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].lo < rs[j].lo })
	next := 0
	var out []string
	for _, x := range rs {
		if x.lo != next || x.hi < x.lo {
			t.Fatalf("CLUSTER SLOTS ranges overlap or leave a gap at slot %d: %s", next, reply)
		}
		next = x.hi + 1
		out = append(out, fmt.Sprintf("%d-%d:%s", x.lo, x.hi, x.id))
	}
	if next != clusterbus.NumSlots {
		t.Fatalf("CLUSTER SLOTS covers slots 0..%d only: %s", next-1, reply)
	}
	return strings.Join(out, " ")
}

// partKeyInSlots finds a key whose hash slot lies in [lo, hi].
func partKeyInSlots(lo, hi int) string {
	for i := 0; ; i++ {
		k := "key:" + strconv.Itoa(i)
		if s := clusterbus.KeySlotString(k); s >= lo && s <= hi {
			return k
		}
	}
}

// partCluster is a TLS cluster of primaries sharing the slots evenly, and their replicas.
type partCluster struct {
	nodes  []*testNode
	rs     []*rawConn
	ids    []string
	ranges [][2]int // slots of primary i (primaries come first)
	size   int      // primaries
}

// startPartCluster starts primaries TLS-bus nodes that split the slots, and replicas more nodes, replica
// j replicating primary j, all met through node 0, and waits until the cluster is healthy.
func startPartCluster(t *testing.T, primaries, replicas int) *partCluster {
	t.Helper()
	certs := devCerts(t)
	crt, key, ca := filepath.Join(certs, "server.crt"), filepath.Join(certs, "server.key"), filepath.Join(certs, "ca.crt")
	c := &partCluster{size: primaries}
	for i := 0; i < primaries+replicas; i++ {
		n := secStartNode(t, crt, key, ca, true, "repl-diskless-sync-delay", "0")
		r := n.raw()
		c.nodes, c.rs, c.ids = append(c.nodes, n), append(c.rs, r), append(c.ids, secMyID(t, r))
		if i < primaries {
			lo, hi := i*clusterbus.NumSlots/primaries, (i+1)*clusterbus.NumSlots/primaries-1
			if got := r.do("CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi)); got != "OK" {
				t.Fatalf("ADDSLOTSRANGE %d %d: %s", lo, hi, got)
			}
			c.ranges = append(c.ranges, [2]int{lo, hi})
		}
		if i > 0 {
			secMeet(t, r, c.nodes[0])
		}
	}
	for j := 0; j < replicas; j++ {
		r, primary := c.rs[primaries+j], c.ids[j]
		waitFor(t, "a replica to learn its primary", func() bool { return secKnowsConnected(t, r, primary) })
		if got := r.do("CLUSTER", "REPLICATE", primary); got != "OK" {
			t.Fatalf("CLUSTER REPLICATE %s: %s", primary, got)
		}
	}
	waitFor(t, "the cluster to be healthy", c.healthy)
	for j := 0; j < replicas; j++ {
		r := c.rs[primaries+j]
		waitFor(t, "a replica's link to its primary", func() bool {
			return r.infoField("replication", "master_link_status") == "up"
		})
	}
	return c
}

// healthy reports whether every node is ok and lists every node connected, none failing.
func (c *partCluster) healthy() bool {
	t := c.rs[0].t.(*testing.T)
	for _, r := range c.rs {
		if secInfoField(t, r, "cluster_state") != "ok" {
			return false
		}
		lines := secNodes(t, r)
		if len(lines) != len(c.rs) {
			return false
		}
		for _, l := range lines {
			if l.link != "connected" || l.hasFlag("fail") || l.hasFlag("fail?") || l.hasFlag("handshake") {
				return false
			}
		}
	}
	return true
}

// partNodeFlags is node id's flags in r's CLUSTER NODES ("" if r does not list it), and its primary.
func partNodeFlags(t *testing.T, r *rawConn, id string) (flags, primary string) {
	t.Helper()
	for _, l := range secNodes(t, r) {
		if l.id == id {
			return l.flags, l.primary
		}
	}
	return "", ""
}

// checkOneOwnerPerSlot checks, on every node, that CLUSTER NODES names exactly one owner per slot and
// that CLUSTER SLOTS (disjoint ranges covering every slot) is want.
func (c *partCluster) checkOneOwnerPerSlot(t *testing.T, want string) {
	t.Helper()
	for i, r := range c.rs {
		owners := partSlotOwners(t, r)
		for s := 0; s < clusterbus.NumSlots; s++ {
			if len(owners[s]) != 1 {
				t.Fatalf("node %d: CLUSTER NODES lists %d owners of slot %d: %v", i, len(owners[s]), s, owners[s])
			}
		}
		if got := partSlotsMap(t, r); got != want {
			t.Errorf("node %d: CLUSTER SLOTS\n got  %s\n want %s", i, got, want)
		}
	}
}

// waitFlagged waits until every node of on lists id with flag.
func (c *partCluster) waitFlagged(t *testing.T, on []int, id, flag string) {
	t.Helper()
	waitFor(t, "node "+id+" to be flagged "+flag, func() bool {
		for _, i := range on {
			f, _ := partNodeFlags(t, c.rs[i], id)
			if !(secNodesLine{flags: f}).hasFlag(flag) {
				return false
			}
		}
		return true
	})
}

// partWaitClusterDown waits until r refuses writes to key's slot because the cluster is down; any reply other
// than OK or that error fails the test. The probe writes another key of the slot: writes made before the
// node notices the cut are accepted (and replicated), as in Valkey, and must not overwrite key.
func partWaitClusterDown(t *testing.T, r *rawConn, key string) {
	t.Helper()
	probe := "{" + key + "}:probe"
	waitFor(t, "writes to be refused with CLUSTERDOWN", func() bool {
		got := r.do("SET", probe, "during")
		if got != "OK" && got != "-CLUSTERDOWN The cluster is down" {
			t.Fatalf("SET %s: %s", probe, got)
		}
		return got == "-CLUSTERDOWN The cluster is down"
	})
}

// TestClusterPartitionIsolatedPrimary: five TLS primaries share the slots. One is cut off from the other
// four in both directions: after the node timeout it refuses writes (CLUSTERDOWN) since it sees no
// majority, and the majority flags it FAIL. Once the cut heals, every node is ok again, agrees on who
// serves each slot (exactly one owner each, in CLUSTER NODES and CLUSTER SLOTS alike), and the node that
// was cut off takes writes again.
func TestClusterPartitionIsolatedPrimary(t *testing.T) {
	part := partInstallCut(t)
	c := startPartCluster(t, 5, 0)
	want := partSlotsMap(t, c.rs[0])
	victim := c.size - 1
	rv := c.rs[victim]
	k := partKeyInSlots(c.ranges[victim][0], c.ranges[victim][1])
	if got := rv.do("SET", k, "before"); got != "OK" {
		t.Fatalf("SET %s on its owner before the cut: %s", k, got)
	}

	part.isolate(c.nodes[victim])
	partWaitClusterDown(t, rv, k)
	if st := secInfoField(t, rv, "cluster_state"); st != "fail" {
		t.Errorf("the isolated primary reports cluster_state:%s, want fail", st)
	}
	majority := []int{0, 1, 2, 3}
	c.waitFlagged(t, majority, c.ids[victim], "fail")
	for _, i := range majority { // the majority never flags one of its own
		for _, l := range secNodes(t, c.rs[i]) {
			if l.id != c.ids[victim] && (l.hasFlag("fail") || l.hasFlag("fail?")) {
				t.Errorf("node %d flags majority member %s: %s", i, l.id, l.flags)
			}
		}
	}

	part.heal()
	waitFor(t, "the cluster to be ok everywhere after the heal", c.healthy)
	c.checkOneOwnerPerSlot(t, want)
	if got := rv.do("SET", k, "after"); got != "OK" {
		t.Errorf("SET on the formerly isolated primary after the heal: %s", got)
	}
	if got := rv.do("GET", k); got != `"after"` {
		t.Errorf("GET %s: %s", k, got)
	}
}

// TestClusterPartitionFailover: three TLS primaries with a replica each. Primary 0 is cut off from every
// other node's bus (its replica included; replication runs on the client port and is not cut). It refuses
// writes (CLUSTERDOWN); the majority flags it FAIL and its replica wins the election and serves its
// slots. Once the cut heals, the old primary learns it lost its slots and becomes a replica of the new one:
// every node is ok, every node names the promoted replica as the one owner of those slots, and the data
// written before the cut is served by it.
func TestClusterPartitionFailover(t *testing.T) {
	part := partInstallCut(t)
	c := startPartCluster(t, 3, 3)
	old, repl := 0, 3 // primary 0 and its replica
	rOld, rRepl := c.rs[old], c.rs[repl]
	k := partKeyInSlots(c.ranges[old][0], c.ranges[old][1])
	if got := rOld.do("SET", k, "before"); got != "OK" {
		t.Fatalf("SET %s on its owner before the cut: %s", k, got)
	}
	if got := rOld.do("WAIT", "1", "10000"); got != ":1" {
		t.Fatalf("WAIT for the replica: %s", got)
	}

	part.isolate(c.nodes[old])
	partWaitClusterDown(t, rOld, k)
	others := []int{1, 2, 3, 4, 5}
	c.waitFlagged(t, others, c.ids[old], "fail")
	waitFor(t, "the replica to be promoted and to own the slots everywhere on the majority side", func() bool {
		for _, i := range others {
			f, _ := partNodeFlags(t, c.rs[i], c.ids[repl])
			if !(secNodesLine{flags: f}).hasFlag("master") {
				return false
			}
			owners := partSlotOwners(t, c.rs[i])
			for _, s := range []int{c.ranges[old][0], c.ranges[old][1]} {
				if len(owners[s]) != 1 || owners[s][0] != c.ids[repl] {
					return false
				}
			}
		}
		return true
	})
	waitFor(t, "the majority side to be ok with the promoted replica", func() bool {
		for _, i := range others {
			if secInfoField(t, c.rs[i], "cluster_state") != "ok" {
				return false
			}
		}
		return true
	})
	if got := rOld.do("SET", k, "during"); got != "-CLUSTERDOWN The cluster is down" {
		t.Errorf("SET on the isolated old primary: %s", got)
	}

	part.heal()
	waitFor(t, "the old primary to rejoin as a replica of the promoted one", func() bool {
		if !c.healthy() {
			return false
		}
		for _, r := range c.rs {
			f, primary := partNodeFlags(t, r, c.ids[old])
			if !(secNodesLine{flags: f}).hasFlag("slave") || primary != c.ids[repl] {
				return false
			}
		}
		return true
	})
	want := partSlotsMap(t, c.rs[1])
	if !strings.Contains(want, fmt.Sprintf("%d-%d:%s", c.ranges[old][0], c.ranges[old][1], c.ids[repl])) {
		t.Errorf("CLUSTER SLOTS does not give slots %v to the promoted replica: %s", c.ranges[old], want)
	}
	c.checkOneOwnerPerSlot(t, want)
	if got := rRepl.do("GET", k); got != `"before"` {
		t.Errorf("GET %s on the promoted replica: %s", k, got)
	}
	if got := rOld.do("SET", k, "after"); !strings.HasPrefix(got, "-MOVED ") {
		t.Errorf("SET on the old primary, now a replica: %s", got)
	}
	// The old primary resynchronises from the new one and serves the same data to READONLY clients.
	waitFor(t, "the old primary's replication link to the new one", func() bool {
		return rOld.infoField("replication", "master_link_status") == "up"
	})
	if got := rOld.do("READONLY"); got != "OK" {
		t.Fatalf("READONLY: %s", got)
	}
	if got := rOld.do("GET", k); got != `"before"` {
		t.Errorf("GET %s on the old primary, now a replica: %s", k, got)
	}
}
