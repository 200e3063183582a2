package sentinel

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scTrio starts a primary, two replicas (replica-priority 10 and 50: the first is the best) and three
// sentinels with the given quorum, and waits until every sentinel knows both replicas and the two other
// sentinels (discovery through INFO and hello messages).
func scTrio(t *testing.T, e *scEnv, quorum int) (p, best, other *scNode, xs []*scSentinel) {
	p = e.startNode(0, 100)
	best = e.startNode(0, 10)
	other = e.startNode(0, 50)
	best.replicaOf(p)
	other.replicaOf(p)
	for _, r := range []*scNode{best, other} {
		scWaitFor(t, "replication link up", func() bool { return r.info()["master_link_status"] == "up" }, nil)
	}
	for i := 0; i < 3; i++ {
		xs = append(xs, e.startSentinel(p, quorum))
	}
	for i, x := range xs {
		scWaitFor(t, fmt.Sprintf("discovery by sentinel %d", i), func() bool {
			ok := false
			x.master(func(m *Instance) {
				ok = len(m.Slaves) == 2 && m.Slaves[best.addr()] != nil && m.Slaves[other.addr()] != nil &&
					len(m.Sentinels) == 2 && m.Flags&FlagSDown == 0
				for _, si := range m.Sentinels {
					ok = ok && si.link != nil && !si.link.disconnected()
				}
			})
			return ok
		}, dumpAll(xs))
	}
	// Every sentinel announced the replicas and sentinels it discovered.
	for i, x := range xs {
		if n := len(x.eventsOf("+slave")); n != 2 {
			t.Fatalf("sentinel %d published %d +slave events, want 2:\n%s", i, n, x.allEvents())
		}
		if n := len(x.eventsOf("+sentinel")); n != 2 {
			t.Fatalf("sentinel %d published %d +sentinel events, want 2:\n%s", i, n, x.allEvents())
		}
	}
	return p, best, other, xs
}

func TestScenarioFailoverPlain(t *testing.T) { scenarioFailover(t, false) }
func TestScenarioFailoverTLS(t *testing.T)   { scenarioFailover(t, true) }

// scenarioFailover: the primary dies; exactly one +switch-master on every sentinel, the best replica
// promoted, the other re-pointed, every sentinel answering the new address, and the old primary, back
// on its port, converted into a replica of the new one.
func scenarioFailover(t *testing.T, useTLS bool) {
	if testing.Short() {
		t.Skip("multi-node scenario")
	}
	e := newSCEnv(t, useTLS)
	p, best, other, xs := scTrio(t, e, 2)
	oldPort := p.port
	want := fmt.Sprintf("mymaster 127.0.0.1 %d 127.0.0.1 %d", oldPort, best.port)

	p.stop()

	for i, x := range xs {
		scWaitFor(t, fmt.Sprintf("+switch-master on sentinel %d", i), func() bool {
			return len(x.eventsOf("+switch-master")) > 0
		}, dumpAll(xs))
	}
	for i, x := range xs {
		if got := x.eventsOf("+switch-master"); got[0] != want {
			t.Fatalf("sentinel %d: +switch-master %q, want %q", i, got[0], want)
		}
		scWaitFor(t, "get-master-addr-by-name", func() bool { return x.addrByName() == best.addr() }, nil)
	}
	if role := best.info()["role"]; role != "master" {
		t.Fatalf("best replica has role %q after the failover", role)
	}
	scWaitFor(t, "the other replica re-pointed", func() bool {
		i := other.info()
		return i["master_port"] == strconv.Itoa(best.port) && i["master_link_status"] == "up"
	}, dumpAll(xs))
	// The failover ran once: one leader promoted one replica.
	leaders := 0
	for _, x := range xs {
		leaders += len(x.eventsOf("+promoted-slave"))
	}
	if leaders != 1 {
		t.Fatalf("%d sentinels promoted a replica, want 1\n%s", leaders, dumpAll(xs)())
	}

	// The old primary comes back on its port, as an empty primary: the sentinels convert it.
	back := e.startNode(oldPort, 100)
	scWaitFor(t, "the old primary converted", func() bool {
		i := back.info()
		return i["role"] == "slave" && i["master_port"] == strconv.Itoa(best.port)
	}, dumpAll(xs))
	converted := 0
	for _, x := range xs {
		converted += len(x.eventsOf("+convert-to-slave"))
	}
	if converted == 0 {
		t.Fatalf("no +convert-to-slave event\n%s", dumpAll(xs)())
	}
	// Still exactly one +switch-master per sentinel, and every sentinel lists the old primary as a
	// replica of the new one.
	for i, x := range xs {
		if got := x.eventsOf("+switch-master"); len(got) != 1 {
			t.Fatalf("sentinel %d saw %d +switch-master: %q", i, len(got), got)
		}
		scWaitFor(t, "the old primary listed as replica", func() bool {
			ok := false
			x.master(func(m *Instance) {
				sl := m.Slaves[back.addr()]
				ok = m.Addr.Port == best.port && sl != nil && sl.RoleReported == FlagSlave
			})
			return ok
		}, nil)
	}
}

// TestScenarioNoFailoverWithoutQuorum: two of three sentinels are gone (quorum 2), the primary dies:
// the survivor sees it down, cannot reach ODOWN, and nothing is promoted. CKQUORUM says why.
func TestScenarioNoFailoverWithoutQuorum(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-node scenario")
	}
	e := newSCEnv(t, false)
	p, best, other, xs := scTrio(t, e, 2)
	xs[1].stop()
	xs[2].stop()
	p.stop()
	survivor := xs[0]
	waitDownFor(t, survivor, scFailoverTimeoutMS*time.Millisecond+2*time.Second)
	for _, typ := range []string{"+odown", "+try-failover", "+switch-master", "+promoted-slave"} {
		if got := survivor.eventsOf(typ); len(got) != 0 {
			t.Fatalf("%s without quorum: %q", typ, got)
		}
	}
	scAssertNotPromoted(t, p, best, other)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := survivor.cli.Do(ctx, "SENTINEL", "CKQUORUM", "mymaster").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "NOQUORUM 1 usable Sentinels") {
		t.Fatalf("CKQUORUM: %v", err)
	}
}

// TestScenarioNoFailoverWithoutMajority: quorum 1 lets the lone survivor reach ODOWN and try, but the
// election needs a majority of the three sentinels it knows: it aborts, nothing is promoted.
func TestScenarioNoFailoverWithoutMajority(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-node scenario")
	}
	e := newSCEnv(t, false)
	p, best, other, xs := scTrio(t, e, 1)
	xs[1].stop()
	xs[2].stop()
	p.stop()
	survivor := xs[0]
	scWaitFor(t, "-failover-abort-not-elected", func() bool {
		return len(survivor.eventsOf("-failover-abort-not-elected")) > 0
	}, dumpAll(xs[:1]))
	if got := survivor.eventsOf("+odown"); len(got) == 0 || !strings.HasSuffix(got[0], "#quorum 1/1") {
		t.Fatalf("+odown events %q", got)
	}
	for _, typ := range []string{"+elected-leader", "+switch-master", "+promoted-slave"} {
		if got := survivor.eventsOf(typ); len(got) != 0 {
			t.Fatalf("%s without a majority: %q", typ, got)
		}
	}
	scAssertNotPromoted(t, p, best, other)
}

// waitDownFor waits until the sentinel has seen the primary SDOWN for at least d (by its own clock).
func waitDownFor(t *testing.T, x *scSentinel, d time.Duration) {
	t.Helper()
	scWaitFor(t, "the primary down long enough", func() bool {
		ok := false
		x.master(func(m *Instance) {
			ok = m.Flags&FlagSDown != 0 && time.Since(m.SDownSince) > d
		})
		return ok
	}, func() string { return x.allEvents() })
}

// scAssertNotPromoted checks that both replicas still replicate the dead primary.
func scAssertNotPromoted(t *testing.T, p, best, other *scNode) {
	t.Helper()
	for _, r := range []*scNode{best, other} {
		i := r.info()
		if i["role"] != "slave" || i["master_port"] != strconv.Itoa(p.port) {
			t.Fatalf("replica %s: role %q master_port %q", r.addr(), i["role"], i["master_port"])
		}
	}
}
