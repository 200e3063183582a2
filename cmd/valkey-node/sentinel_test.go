package main

// Sentinel end to end: valkey-node data nodes watched by sentinels, all processes on loopback. The
// scenarios live in sentinel_e2e_*_test.go; this file holds the checks they share: that a killed primary
// is replaced exactly once, by the replica the rules pick, everywhere.

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// checkFailover kills the set's primary (node 0) with SIGKILL and checks the failover that follows:
// every sentinel publishes one +switch-master naming the same switch from the old primary to node want,
// answers GET-MASTER-ADDR-BY-NAME with it, node want is a primary, every other surviving replica is
// re-pointed to it, and the old primary, restarted with its unchanged configuration (so it comes back as
// a primary), is converted into a replica of node want. Only then is "exactly one" checked: by that time
// the sentinels have seen the whole cycle, and a second failover would have published a second switch.
//
// "Exactly one +switch-master" means one failover: each sentinel publishes the switch once on its own
// +switch-master channel when it adopts the new configuration (the leader when its failover ends, the
// others from its hello messages), so every sentinel must report exactly one, and all the same one.
func checkFailover(t *testing.T, rs *replSet, want int) {
	t.Helper()
	old, promoted := rs.nodes[0], rs.nodes[want]
	switchMsg := fmt.Sprintf("%s 127.0.0.1 %d 127.0.0.1 %d", masterName, old.port, promoted.port)

	// data written and acknowledged by every replica before the crash survives it
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 100; i++ {
		if err := old.rdb.Set(ctx, "before:"+strconv.Itoa(i), i, 0).Err(); err != nil {
			t.Fatalf("SET on the primary: %v", err)
		}
	}
	replicas := int64(len(rs.nodes) - 1)
	if n, err := old.rdb.Wait(ctx, int(replicas), 10000).Result(); err != nil || n != replicas {
		t.Fatalf("WAIT %d: %d, %v", replicas, n, err)
	}

	rs.kill(t, 0)

	for _, sp := range rs.sentinels {
		waitCond(t, fmt.Sprintf("sentinel %d to publish +switch-master and report the new primary", sp.idx), func() error {
			rs.failOnSecondSwitch(t)
			if got := sp.events.get("+switch-master"); len(got) == 0 {
				return fmt.Errorf("no +switch-master yet (+sdown %q, +odown %q, +try-failover %q)",
					sp.events.get("+sdown"), sp.events.get("+odown"), sp.events.get("+try-failover"))
			}
			addr, err := sp.masterAddr()
			if err != nil {
				return err
			}
			if addr != promoted.hostPort() {
				return fmt.Errorf("get-master-addr-by-name %s, want %s", addr, promoted.hostPort())
			}
			return nil
		})
	}
	waitCond(t, "the promoted replica's ROLE master", func() error {
		rs.failOnSecondSwitch(t)
		role, _, err := promoted.role()
		if err != nil {
			return err
		}
		if role != "master" {
			return fmt.Errorf("ROLE %s", role)
		}
		return nil
	})
	for i, d := range rs.nodes {
		if i == 0 || i == want {
			continue
		}
		waitCond(t, fmt.Sprintf("replica %d to be re-pointed to the new primary", i), func() error {
			rs.failOnSecondSwitch(t)
			role, port, err := d.role()
			if err != nil {
				return err
			}
			if role != "slave" || port != promoted.port {
				return fmt.Errorf("ROLE %s of port %d, want slave of %d", role, port, promoted.port)
			}
			return d.linkUp(promoted.port)
		})
	}

	// the old primary comes back believing it is a primary; the sentinels turn it into a replica
	rs.launch(t, 0)
	waitCond(t, "the restarted old primary to be converted to a replica of the new one", func() error {
		rs.failOnSecondSwitch(t)
		return rs.nodes[0].linkUp(promoted.port)
	})
	converted := false
	for _, sp := range rs.sentinels {
		converted = converted || len(sp.events.get("+convert-to-slave")) > 0
	}
	if !converted {
		t.Errorf("no sentinel published +convert-to-slave, yet the old primary became a replica")
	}

	for i, d := range rs.nodes {
		if n, err := d.rdb.DBSize(ctx).Result(); err != nil || n != 100 {
			t.Errorf("node %d holds %d keys (%v) after the failover, want the 100 written before it", i, n, err)
		}
	}
	for _, sp := range rs.sentinels {
		got := sp.events.get("+switch-master")
		if len(got) != 1 || got[0] != switchMsg {
			t.Errorf("sentinel %d published +switch-master %q, want exactly [%q]", sp.idx, got, switchMsg)
		}
		addr, err := sp.masterAddr()
		if err != nil || addr != promoted.hostPort() {
			t.Errorf("sentinel %d: get-master-addr-by-name %s (%v) after the old primary returned, want %s",
				sp.idx, addr, err, promoted.hostPort())
		}
	}
	for i, d := range rs.nodes {
		if i == want {
			continue
		}
		if role, port, err := d.role(); err != nil || role != "slave" || port != promoted.port {
			t.Errorf("node %d: ROLE %s of %d (%v), want slave of %s", i, role, port, err, strconv.Itoa(promoted.port))
		}
	}
}

// failOnSecondSwitch stops the test as soon as a sentinel publishes a second +switch-master: a second
// failover, of a primary that is not down, would otherwise show up later only as a confusing timeout.
func (rs *replSet) failOnSecondSwitch(t *testing.T) {
	t.Helper()
	for _, sp := range rs.sentinels {
		if got := sp.events.get("+switch-master"); len(got) > 1 {
			t.Fatalf("sentinel %d published a second +switch-master (a second failover): %q", sp.idx, got)
		}
	}
}
