package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestClusterTLSAddNodeRebalanceDelNode: the rest of what operators do with `redis-cli --cluster` over
// TLS: add-node joins an empty primary, rebalance (weighted) gives it slots with their keys, rebalance with
// weight 0 empties it again, and del-node takes it out (FORGET everywhere, RESET on it). No key is lost at
// any point and the cluster stays consistent.
func TestClusterTLSAddNodeRebalanceDelNode(t *testing.T) {
	requireTool(t, "redis-cli", "redis-tools")
	ctx := context.Background()
	c := newTLSCluster(t, 4) // three primaries and the node to add
	res := c.cli(t, clusterCLIQuick, "--cluster", "create", c.nodes[0].tlsAddr(), c.nodes[1].tlsAddr(),
		c.nodes[2].tlsAddr(), "--cluster-replicas", "0", "--cluster-yes")
	if res.code != 0 || !strings.Contains(res.out, "[OK] All 16384 slots covered.") {
		t.Fatalf("redis-cli --cluster create: exit %d\n%s", res.code, res.out)
	}
	waitCluster(t, "cluster_state:ok on the three primaries", c.allOK(3, 0, 1, 2))
	// the client is seeded with the cluster's members only: the node still outside would answer its
	// slot query with no slots and every key with CLUSTERDOWN (it is a cluster of its own, without slots)
	cc := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:     []string{c.nodes[0].tlsAddr(), c.nodes[1].tlsAddr(), c.nodes[2].tlsAddr()},
		TLSConfig: clientTLS(t, c.certs, true), DialTimeout: 2 * time.Second, ReadTimeout: 10 * time.Second,
	})
	t.Cleanup(func() { cc.Close() })
	want := make([]string, 3000)
	for i := range want {
		want[i] = "v" + strconv.Itoa(i)
	}
	if err := writeClusterKeys(ctx, cc, want); err != nil {
		t.Fatal(err)
	}

	res = c.cli(t, clusterCLIQuick, "--cluster", "add-node", c.nodes[3].tlsAddr(), c.nodes[0].tlsAddr())
	if res.code != 0 || !strings.Contains(res.out, "[OK] New node added correctly.") {
		t.Fatalf("redis-cli --cluster add-node: exit %d\n%s", res.code, res.out)
	}
	waitCluster(t, "every node to know the new one", c.allOK(4, 0, 1, 2, 3))
	newID := c.mustMyself(t, 3).id

	// a weight of 0.2 against 1 for the others gives it 16384 × 0.2 / 3.2 = 1024 slots
	res = c.cli(t, clusterCLISlow, "--cluster", "rebalance", c.nodes[0].tlsAddr(), "--cluster-use-empty-masters",
		"--cluster-weight", newID+"=0.2")
	if res.code != 0 || !strings.Contains(res.out, "to "+c.nodes[3].tlsAddr()) {
		t.Fatalf("redis-cli --cluster rebalance: exit %d\n%s", res.code, lastLines(res.out, 30))
	}
	gained := 0
	waitCluster(t, "every node to see the new primary's slots", func() error {
		gained = c.mustMyself(t, 3).slotCount()
		for i := 0; i < 4; i++ {
			if l := c.lineFor(t, i, newID); l.slotCount() != gained || gained == 0 {
				return fmt.Errorf("node %d sees %d slots on the new node, which has %d", i, l.slotCount(), gained)
			}
		}
		return nil
	})
	if keys := c.nodes[3].rdb.DBSize(ctx).Val(); keys == 0 {
		t.Errorf("the new primary got %d slots but no key", gained)
	}
	checkCluster(t, c)
	if err := checkClusterKeys(ctx, cc, want); err != nil {
		t.Fatalf("after the rebalance: %v", err)
	}

	res = c.cli(t, clusterCLISlow, "--cluster", "rebalance", c.nodes[0].tlsAddr(), "--cluster-weight", newID+"=0")
	if res.code != 0 {
		t.Fatalf("redis-cli --cluster rebalance (weight 0): exit %d\n%s", res.code, lastLines(res.out, 30))
	}
	waitCluster(t, "the new primary to be empty everywhere", func() error {
		for i := 0; i < 4; i++ {
			if l := c.lineFor(t, i, newID); l.slotCount() != 0 {
				return fmt.Errorf("node %d sees %d slots on it", i, l.slotCount())
			}
		}
		return nil
	})
	// reading every key now also moves the client's slot map off the emptied node (MOVED): once deleted
	// and reset, that node answers CLUSTERDOWN, as Valkey's does, to a client still sending it keys
	if err := checkClusterKeys(ctx, cc, want); err != nil {
		t.Fatalf("after the rebalance that emptied the new node: %v", err)
	}
	res = c.cli(t, clusterCLIQuick, "--cluster", "del-node", c.nodes[0].tlsAddr(), newID)
	if res.code != 0 || !strings.Contains(res.out, "Sending CLUSTER RESET SOFT to the deleted node") {
		t.Fatalf("redis-cli --cluster del-node: exit %d\n%s", res.code, res.out)
	}
	waitCluster(t, "the three primaries to forget it", func() error {
		for i := 0; i < 3; i++ {
			lines, err := c.clusterNodes(i)
			if err != nil {
				return err
			}
			for _, l := range lines {
				if l.id == newID {
					return fmt.Errorf("node %d still lists it", i)
				}
			}
			if len(lines) != 3 {
				return fmt.Errorf("node %d lists %d nodes", i, len(lines))
			}
		}
		return nil
	})
	if lines, err := c.clusterNodes(3); err != nil || len(lines) != 1 {
		t.Errorf("the deleted node, reset, should know only itself: %d lines (%v)", len(lines), err)
	}
	res = c.cli(t, clusterCLIQuick, "--cluster", "check", c.nodes[0].tlsAddr())
	if !strings.Contains(res.out, "[OK] All 16384 slots covered.") || strings.Contains(res.out, "[ERR]") ||
		!strings.Contains(res.out, "3000 keys in 3 masters") {
		t.Errorf("redis-cli --cluster check after del-node:\n%s", res.out)
	}
	if err := checkClusterKeys(ctx, cc, want); err != nil {
		t.Fatalf("after del-node: %v", err)
	}
}
