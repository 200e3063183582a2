package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/clusterbus"
)

// TestClusterLinksAndSlotStats: on a cluster of three primaries, CLUSTER LINKS lists, for each other
// node, this node's bus link to it and its link here, each with Valkey's six fields (RESP2 flat maps,
// RESP3 maps); CLUSTER SLOT-STATS reports the key count of each slot the node serves, by range or
// ordered, and neither a slot it does not serve.
func TestClusterLinksAndSlotStats(t *testing.T) {
	start := time.Now().UnixMilli()
	a, b, c := startFastClusterNode(t), startFastClusterNode(t), startFastClusterNode(t)
	formCluster(t, []*clusterTestNode{a, b, c})
	ids := map[string]bool{b.myID(): true, c.myID(): true}

	waitFor(t, "a's links to and from b and c", func() bool {
		reply := a.r.call("CLUSTER", "LINKS")
		seen := map[string]bool{}
		for _, e := range reply.elems {
			if len(e.elems) != 12 {
				t.Fatalf("CLUSTER LINKS entry %s", e)
			}
			f := map[string]respNode{}
			for i := 0; i < 12; i += 2 {
				f[e.elems[i].str] = e.elems[i+1]
			}
			for _, k := range []string{"direction", "node", "create-time", "events", "send-buffer-allocated", "send-buffer-used"} {
				if _, ok := f[k]; !ok {
					t.Fatalf("CLUSTER LINKS entry without %s: %s", k, e)
				}
			}
			ct, _ := strconv.ParseInt(f["create-time"].str, 10, 64)
			if f["create-time"].kind != ':' || ct < start || ct > time.Now().UnixMilli() || !ids[f["node"].str] {
				t.Fatalf("CLUSTER LINKS entry %s", e)
			}
			seen[f["node"].str+" "+f["direction"].str] = true
		}
		return len(seen) == 4 && seen[b.myID()+" to"] && seen[b.myID()+" from"] && seen[c.myID()+" to"] && seen[c.myID()+" from"]
	})
	r3 := dialRaw(t, a.addr)
	r3.do("HELLO", "3")
	if got := r3.call("CLUSTER", "LINKS"); len(got.elems) == 0 || got.elems[0].kind != '%' {
		t.Errorf("CLUSTER LINKS over RESP3: %s, want an array of maps", got.typed())
	}
	mustReply(t, a.r, "-ERR wrong number of arguments for 'cluster|links' command", "CLUSTER", "LINKS", "x")

	// a serves 0-5460: keys in three of its slots, and one in b's.
	waitFor(t, "the cluster to be ok", func() bool { return a.clusterInfo("cluster_state") == "ok" })
	slotKey := func(slot, i int) string {
		for j := 0; ; j++ {
			k := fmt.Sprintf("k%d:%d", i, j)
			if clusterbus.KeySlotString(k) == slot {
				return k
			}
		}
	}
	for slot, n := range map[int]int{0: 2, 7: 5, 5460: 1} {
		for i := range n {
			mustReply(t, a.r, "OK", "SET", slotKey(slot, i), "v")
		}
	}
	mustReply(t, b.r, "OK", "SET", slotKey(5461, 0), "v")
	mustReply(t, a.r, "[[:0 [\"key-count\" :2]] [:1 [\"key-count\" :0]] [:2 [\"key-count\" :0]]]",
		"CLUSTER", "SLOT-STATS", "SLOTSRANGE", "0", "2")
	mustReply(t, a.r, "[[:5460 [\"key-count\" :1]]]", "CLUSTER", "SLOT-STATS", "SLOTSRANGE", "5460", "5461")
	mustReply(t, a.r, "[[:7 [\"key-count\" :5]] [:0 [\"key-count\" :2]] [:5460 [\"key-count\" :1]] [:1 [\"key-count\" :0]]]",
		"CLUSTER", "SLOT-STATS", "ORDERBY", "key-count", "LIMIT", "4")
	mustReply(t, b.r, "[[:5461 [\"key-count\" :1]]]", "CLUSTER", "SLOT-STATS", "ORDERBY", "KEY-COUNT", "LIMIT", "1", "DESC")
	if got := r3.call("CLUSTER", "SLOT-STATS", "SLOTSRANGE", "7", "7").typed(); got != `[[:7 %["key-count" :5]]]` {
		t.Errorf("CLUSTER SLOT-STATS over RESP3: %s", got)
	}
	if got := a.r.call("CLUSTER", "SLOT-STATS", "ORDERBY", "key-count", "ASC"); len(got.elems) != 5461 {
		t.Errorf("CLUSTER SLOT-STATS ORDERBY lists %d slots, want a's 5461", len(got.elems))
	}
	// The same counts from the database's per-slot index, once it keeps one.
	a.srv.mu.Lock()
	a.srv.dbs[0].EnableSlotIndex(clusterbus.KeySlotString)
	a.srv.mu.Unlock()
	mustReply(t, a.r, "[[:7 [\"key-count\" :5]] [:0 [\"key-count\" :2]] [:5460 [\"key-count\" :1]] [:1 [\"key-count\" :0]]]",
		"CLUSTER", "SLOT-STATS", "ORDERBY", "key-count", "LIMIT", "4")
	mustReply(t, a.r, "-ERR Unrecognized sort metric for ORDERBY.", "CLUSTER", "SLOT-STATS", "ORDERBY", "cpu-usec")
	if got := a.r.do("CLUSTER", "HELP"); !strings.Contains(got, "LINKS") || !strings.Contains(got, "SLOT-STATS") {
		t.Errorf("CLUSTER HELP does not list LINKS and SLOT-STATS: %s", got)
	}
}
