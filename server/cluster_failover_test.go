package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/clusterbus"
)

// clusterTestNode is a cluster-mode node with its bus on a free loopback port.
type clusterTestNode struct {
	*testNode
	r   *rawConn
	bus int
}

func startClusterTestNode(t *testing.T) *clusterTestNode {
	t.Helper()
	bus := freePort(t)
	n := startNode(t, "cluster-enabled", "yes", "cluster-port", strconv.Itoa(bus), "cluster-node-timeout", "3000")
	return &clusterTestNode{testNode: n, r: n.raw(), bus: bus}
}

func (n *clusterTestNode) port() string {
	_, p, _ := strings.Cut(n.addr, "127.0.0.1:")
	return p
}

func (n *clusterTestNode) myID() string { return strings.Trim(n.r.do("CLUSTER", "MYID"), `"`) }

// role is the first element of ROLE: "master" or "slave".
func (n *clusterTestNode) role() string {
	reply := n.r.call("ROLE")
	if len(reply.elems) == 0 {
		return reply.String()
	}
	return reply.elems[0].str
}

// infoField reads one field of INFO section.
func (n *clusterTestNode) infoField(section, field string) string {
	text := n.r.call("INFO", section).str
	for _, l := range strings.Split(text, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	return ""
}

func (n *clusterTestNode) clusterInfo(field string) string {
	for _, l := range strings.Split(n.r.call("CLUSTER", "INFO").str, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	return ""
}

// nodeLine is the CLUSTER NODES line n shows for node id ("" when unknown).
func (n *clusterTestNode) nodeLine(id string) string {
	for _, l := range strings.Split(n.r.call("CLUSTER", "NODES").str, "\n") {
		if strings.HasPrefix(l, id+" ") {
			return l
		}
	}
	return ""
}

func mustReply(t *testing.T, r *rawConn, want string, args ...string) {
	t.Helper()
	if got := r.do(args...); got != want {
		t.Fatalf("%s: got %s, want %s", strings.Join(args, " "), got, want)
	}
}

// CLUSTER FAILOVER on a replica of a live cluster of two primaries with a replica each: the replica
// becomes the primary of its shard's slots, the old primary its replica, and every key written to the
// old primary just before the command (without waiting for the replica) is on the new primary.
func TestClusterFailoverCommand(t *testing.T) {
	p1, p2, r1, r2 := startClusterTestNode(t), startClusterTestNode(t), startClusterTestNode(t), startClusterTestNode(t)
	all := []*clusterTestNode{p1, p2, r1, r2}
	mustReply(t, p1.r, "OK", "CLUSTER", "ADDSLOTSRANGE", "0", "8191")
	mustReply(t, p2.r, "OK", "CLUSTER", "ADDSLOTSRANGE", "8192", "16383")
	mustReply(t, p1.r, "OK", "CLUSTER", "SET-CONFIG-EPOCH", "1")
	mustReply(t, p2.r, "OK", "CLUSTER", "SET-CONFIG-EPOCH", "2")
	for _, n := range all[1:] {
		mustReply(t, n.r, "OK", "CLUSTER", "MEET", "127.0.0.1", p1.port(), strconv.Itoa(p1.bus))
	}
	waitFor(t, "every node to know the four", func() bool {
		for _, n := range all {
			if n.clusterInfo("cluster_known_nodes") != "4" {
				return false
			}
		}
		return true
	})
	p1ID, p2ID, r1ID := p1.myID(), p2.myID(), r1.myID()
	mustReply(t, r1.r, "OK", "CLUSTER", "REPLICATE", p1ID)
	mustReply(t, r2.r, "OK", "CLUSTER", "REPLICATE", p2ID)
	waitFor(t, "the replicas to sync and the cluster to be ok", func() bool {
		for _, n := range all {
			if n.clusterInfo("cluster_state") != "ok" {
				return false
			}
		}
		return r1.infoField("replication", "master_link_status") == "up" &&
			r2.infoField("replication", "master_link_status") == "up" &&
			strings.Contains(p1.nodeLine(r1ID), " slave "+p1ID+" ")
	})

	mustReply(t, p1.r, "-ERR You should send CLUSTER FAILOVER to a replica", "CLUSTER", "FAILOVER")
	mustReply(t, r1.r, "-ERR syntax error", "CLUSTER", "FAILOVER", "SOON")
	mustReply(t, r1.r, "-ERR syntax error", "CLUSTER", "FAILOVER", "FORCE", "TAKEOVER")

	// Keys of p1's slots, written right before the failover.
	keys := map[string]string{}
	for i := 0; len(keys) < 200; i++ {
		k := fmt.Sprintf("key:%d", i)
		if clusterbus.KeySlotString(k) < 8192 {
			keys[k] = fmt.Sprintf("value-%d", i)
		}
	}
	for k, v := range keys {
		mustReply(t, p1.r, "OK", "SET", k, v)
	}
	mustReply(t, r1.r, "OK", "CLUSTER", "FAILOVER")

	waitFor(t, "r1 to become a primary and p1 its replica", func() bool {
		return r1.role() == "master" && p1.role() == "slave"
	})
	waitFor(t, "every node to see r1 serve the slots and p1 replicate it", func() bool {
		for _, n := range all {
			l1, lp := n.nodeLine(r1ID), n.nodeLine(p1ID)
			if !strings.Contains(l1, "master") || !strings.HasSuffix(l1, " 0-8191") ||
				!strings.Contains(lp, "slave "+r1ID) {
				return false
			}
		}
		return true
	})
	for k, v := range keys {
		mustReply(t, r1.r, strconv.Quote(v), "GET", k)
	}
	mustReply(t, r1.r, ":"+strconv.Itoa(len(keys)), "DBSIZE")
	if got := p1.infoField("replication", "master_port"); got != r1.port() {
		t.Errorf("p1 replicates port %s, want r1's %s", got, r1.port())
	}
	// The new primary takes writes; the old one, paused during the failover, redirects them now.
	var k string
	for k = range keys {
		break
	}
	mustReply(t, r1.r, "OK", "SET", k, "after")
	waitFor(t, "p1 to redirect writes to r1", func() bool {
		return strings.HasPrefix(p1.r.do("SET", k, "x"), "-MOVED "+strconv.Itoa(clusterbus.KeySlotString(k))+" 127.0.0.1:"+r1.port())
	})
	waitFor(t, "the write on r1 to reach p1", func() bool {
		p1.r.do("READONLY")
		return p1.r.do("GET", k) == `"after"`
	})
}
