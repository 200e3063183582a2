package main

// Quorum and majority: with two of three sentinels (quorum 2) partitioned away — stopped with SIGSTOP, so
// their connections stay open but nothing answers — the survivor sees the killed primary subjectively
// down but can neither reach ODOWN nor be authorised to fail over, and SENTINEL CKQUORUM says so. Once the
// two resume, the failover happens: the partition was the only thing missing.

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// quorumQuietPeriods is how long the survivor must stay without ODOWN after it has seen the primary and
// both other sentinels down, in down-after periods. An ODOWN would need one is-master-down-by-addr round
// (ask-period 1 s), and a failover start follows ODOWN within a second, so five periods is generous.
const quorumQuietPeriods = 5

func TestSentinelNoFailoverWithoutMajority(t *testing.T) {
	checkNoFailoverWithoutMajority(t, newTLSSentinelSet(t, 100, 10, 50))
}

// TestRealRedisSentinelNoFailoverWithoutMajority runs the same scenario with the real redis-sentinel
// (plain text): the events, flags and CKQUORUM text this test expects are the reference's.
func TestRealRedisSentinelNoFailoverWithoutMajority(t *testing.T) {
	requireTool(t, "redis-sentinel", "redis-sentinel")
	rs := newReplSet(t, false, 100, 10, 50)
	rs.startSentinels(t, 3, sentinelSpec{real: true, quorum: 2})
	rs.debugTiming(t)
	rs.waitDiscovered(t)
	checkNoFailoverWithoutMajority(t, rs)
}

// checkNoFailoverWithoutMajority: rs has three sentinels with quorum 2 and node 1 as the replica to
// promote.
func checkNoFailoverWithoutMajority(t *testing.T, rs *replSet) {
	t.Helper()
	survivor := rs.sentinels[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// before the partition everything is reachable
	ok, err := survivor.client.CkQuorum(ctx, masterName).Result()
	if want := "OK 3 usable Sentinels. Quorum and failover authorization can be reached"; err != nil || ok != want {
		t.Fatalf("CKQUORUM before the partition: %q, %v; want %q", ok, err, want)
	}
	// shorten TILT: the stopped sentinels see a timer jump when they resume
	for _, sp := range rs.sentinels {
		if _, err := sp.do("SENTINEL", "DEBUG", "tilt-period", "1000"); err != nil {
			t.Fatalf("SENTINEL DEBUG tilt-period on sentinel %d: %v", sp.idx, err)
		}
	}

	stopped := rs.sentinels[1:]
	for _, sp := range stopped {
		sp.signal(syscall.SIGSTOP)
		// a stopped process ignores SIGTERM until continued: resume it before the cleanup stops it
		t.Cleanup(func() { sp.cmd.Process.Signal(syscall.SIGCONT) })
	}
	rs.kill(t, 0)

	// the survivor marks the primary and both sentinels subjectively down ...
	sentinelsDown := func() error {
		got := survivor.events.get("+sdown")
		master, others := false, 0
		for _, e := range got {
			master = master || strings.HasPrefix(e, "master "+masterName+" ")
			if strings.HasPrefix(e, "sentinel ") {
				others++
			}
		}
		if !master || others < 2 {
			return fmt.Errorf("+sdown events so far: %q", got)
		}
		return nil
	}
	waitCond(t, "the survivor to see the primary and both other sentinels down", sentinelsDown)
	want := "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master. " +
		"Not enough available Sentinels to reach the majority and authorize a failover"
	waitCond(t, "CKQUORUM to report no quorum", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := survivor.client.CkQuorum(ctx, masterName).Result()
		if err == nil || err.Error() != want {
			return fmt.Errorf("CKQUORUM: %v; want -%s", err, want)
		}
		return nil
	})

	// ... and stays there: no ODOWN, no failover attempt, no switch, the old primary still configured
	quietUntil := time.Now().Add(quorumQuietPeriods * sentinelDownAfter * time.Millisecond)
	for time.Now().Before(quietUntil) {
		for _, ch := range []string{"+odown", "+try-failover", "+switch-master"} {
			if got := survivor.events.get(ch); len(got) > 0 {
				t.Fatalf("the survivor published %s %q with 2 of 3 sentinels partitioned away", ch, got)
			}
		}
		m, err := survivor.master()
		if err != nil {
			t.Fatal(err)
		}
		flags := map[string]bool{}
		for _, f := range strings.Split(m["flags"], ",") {
			flags[f] = true
		}
		if !flags["s_down"] || !flags["master"] || flags["o_down"] || flags["failover_in_progress"] ||
			m["port"] != fmt.Sprint(rs.nodes[0].port) {
			t.Fatalf("SENTINEL MASTER during the partition: flags %q port %q, want the old primary subjectively down only",
				m["flags"], m["port"])
		}
		time.Sleep(100 * time.Millisecond)
	}

	// the partition heals: now the same sentinels do fail over
	for _, sp := range stopped {
		sp.signal(syscall.SIGCONT)
	}
	promoted := rs.nodes[1]
	for _, sp := range rs.sentinels {
		waitCond(t, fmt.Sprintf("sentinel %d to report the new primary once the partition heals", sp.idx), func() error {
			addr, err := sp.masterAddr()
			if err == nil && addr != promoted.hostPort() {
				err = fmt.Errorf("get-master-addr-by-name %s, want %s", addr, promoted.hostPort())
			}
			return err
		})
	}
}
