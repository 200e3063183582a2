package sentinel

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// candidate makes a replica that passes every exclusion rule.
func candidate(s *Sentinel, m *Instance, port int, prio int, offset int64, runID string) *Instance {
	sl := s.addSlaveLocked(m, "127.0.0.1", port)
	fakeUp(s, sl)
	now := time.Now()
	sl.LastAvailTime = now
	sl.InfoRefresh = now
	sl.SlavePriority = prio
	sl.SlaveReplOffset = offset
	sl.RunID = runID
	return sl
}

func TestSelectSlaveOrder(t *testing.T) {
	cases := []struct {
		name string
		make func(s *Sentinel, m *Instance) *Instance // returns the expected winner
	}{
		{"lower priority wins over offset", func(s *Sentinel, m *Instance) *Instance {
			candidate(s, m, 7001, 100, 1000, testRunIDR1)
			return candidate(s, m, 7002, 10, 5, testRunIDR2)
		}},
		{"larger offset at equal priority", func(s *Sentinel, m *Instance) *Instance {
			candidate(s, m, 7001, 100, 5, testRunIDR1)
			return candidate(s, m, 7002, 100, 6, testRunIDR2)
		}},
		{"smaller run id at equal offset", func(s *Sentinel, m *Instance) *Instance {
			candidate(s, m, 7001, 100, 5, testRunIDR2)
			return candidate(s, m, 7002, 100, 5, testRunIDR1)
		}},
		{"unknown run id sorts last", func(s *Sentinel, m *Instance) *Instance {
			candidate(s, m, 7001, 100, 5, "")
			return candidate(s, m, 7002, 100, 5, testRunIDR2)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newUnitSentinel(t)
			m := unitMaster(t, s, 2)
			want := tc.make(s, m)
			if got := s.selectSlaveLocked(m); got != want {
				t.Fatalf("selected %v, want %v", got.Name, want.Name)
			}
		})
	}
}

func TestSelectSlaveExclusions(t *testing.T) {
	cases := []struct {
		name    string
		spoil   func(s *Sentinel, m, sl *Instance)
		primary Flags
	}{
		{"sdown", func(s *Sentinel, m, sl *Instance) { sl.Flags |= FlagSDown }, 0},
		{"disconnected", func(s *Sentinel, m, sl *Instance) { sl.link.pubsub = nil }, 0},
		{"no link", func(s *Sentinel, m, sl *Instance) { sl.link = nil }, 0},
		{"no valid ping reply for 5 ping periods", func(s *Sentinel, m, sl *Instance) {
			sl.LastAvailTime = time.Now().Add(-5*s.timing.PingPeriod - time.Second)
		}, 0},
		{"priority 0", func(s *Sentinel, m, sl *Instance) { sl.SlavePriority = 0 }, 0},
		{"INFO older than 3 info periods", func(s *Sentinel, m, sl *Instance) {
			sl.InfoRefresh = time.Now().Add(-3*s.timing.InfoPeriod - time.Second)
		}, 0},
		{"INFO older than 5 s while the primary is SDOWN", func(s *Sentinel, m, sl *Instance) {
			sl.InfoRefresh = time.Now().Add(-5*s.timing.PingPeriod - time.Second)
		}, FlagSDown},
		{"link to the primary down too long", func(s *Sentinel, m, sl *Instance) {
			sl.MasterLinkDownTime = 10*m.DownAfter + time.Second
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newUnitSentinel(t)
			m := unitMaster(t, s, 2)
			m.Flags |= tc.primary
			m.SDownSince = time.Now()
			sl := candidate(s, m, 7001, 1, 100, testRunIDR1)
			other := candidate(s, m, 7002, 100, 0, testRunIDR2)
			if got := s.selectSlaveLocked(m); got != sl {
				t.Fatalf("before spoiling: selected %v", got)
			}
			tc.spoil(s, m, sl)
			if got := s.selectSlaveLocked(m); got != other {
				t.Fatalf("selected %v, want the other replica", got)
			}
		})
	}
	// The primary's downtime extends the allowed replica link downtime.
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	m.Flags |= FlagSDown
	m.SDownSince = time.Now().Add(-time.Minute)
	sl := candidate(s, m, 7001, 1, 100, testRunIDR1)
	sl.MasterLinkDownTime = 10*m.DownAfter + 30*time.Second
	if s.selectSlaveLocked(m) != sl {
		t.Fatal("replica down only since the primary went down was excluded")
	}
}

func TestForcedFailoverErrors(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	if err := s.startForcedFailoverLocked(m); err != errNoGoodSlave {
		t.Fatalf("no replica: %v", err)
	}
	candidate(s, m, 7001, 100, 0, testRunIDR1)
	if err := s.startForcedFailoverLocked(m); err != nil {
		t.Fatal(err)
	}
	if m.Flags&(FlagFailoverInProgress|FlagForceFailover) != FlagFailoverInProgress|FlagForceFailover ||
		m.FailoverState != FailoverWaitStart || s.currentEpoch != 1 || m.FailoverEpoch != 1 {
		t.Fatalf("flags %s state %v epoch %d", m.FlagList(), m.FailoverState, s.currentEpoch)
	}
	if err := s.startForcedFailoverLocked(m); err != errInProgress {
		t.Fatalf("second failover: %v", err)
	}
	if errInProgress.Error() != "INPROG Failover already in progress" ||
		errNoGoodSlave.Error() != "NOGOODSLAVE No suitable replica to promote" {
		t.Fatal("error texts differ from Valkey's")
	}
}

func TestFailoverStartNeedsODownAndSpacing(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	now := time.Now()
	if s.startFailoverIfNeededLocked(m, now) {
		t.Fatal("failover without ODOWN")
	}
	m.Flags |= FlagSDown | FlagODown
	m.FailoverStart = now.Add(-2*m.FailoverTimeout + time.Second)
	if s.startFailoverIfNeededLocked(m, now) {
		t.Fatal("failover less than 2×failover-timeout after the last attempt")
	}
	m.FailoverStart = now.Add(-2*m.FailoverTimeout - time.Millisecond)
	if !s.startFailoverIfNeededLocked(m, now) {
		t.Fatal("no failover")
	}
	if got := eventTypes(takeEvents(s)); !reflect.DeepEqual(got, []string{"+new-epoch", "+try-failover"}) {
		t.Fatalf("events %q", got)
	}
	if s.startFailoverIfNeededLocked(m, now) {
		t.Fatal("second failover while one runs")
	}
}

// TestFailoverStateMachine walks a forced failover through every state with fake links, feeding the
// INFO replies the replicas would give.
func TestFailoverStateMachine(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	m.ParallelSyncs = 1
	best := candidate(s, m, 7001, 10, 0, testRunIDR1)
	r2 := candidate(s, m, 7002, 100, 0, testRunIDR2)
	r3 := candidate(s, m, 7003, 100, 0, "0000000000000000000000000000000000000003")
	if err := s.startForcedFailoverLocked(m); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	step := func() { s.failoverStateMachineLocked(m, now) }
	step() // wait_start → select_slave (forced: no election)
	step() // select_slave → send_slaveof_noone
	if m.PromotedSlave != best || best.Flags&FlagPromoted == 0 {
		t.Fatalf("promoted %v", m.PromotedSlave)
	}
	step() // → wait_promotion
	if m.FailoverState != FailoverWaitPromotion {
		t.Fatalf("state %v", m.FailoverState)
	}
	if got := sentCommands(t, best.link.cmd); len(got) != 6 || got[1] != "SLAVEOF NO ONE" {
		t.Fatalf("promoted replica got %q", got)
	}
	s.refreshInfoLocked(best, "role:master\r\n", now)
	if m.FailoverState != FailoverReconfSlaves || m.ConfigEpoch != m.FailoverEpoch {
		t.Fatalf("state %v config epoch %d", m.FailoverState, m.ConfigEpoch)
	}
	// parallel-syncs 1: one replica at a time, in name order.
	step()
	if r2.Flags&FlagReconfSent == 0 || r3.Flags&FlagReconfSent != 0 {
		t.Fatalf("reconf flags r2 %s r3 %s", r2.FlagList(), r3.FlagList())
	}
	if got := sentCommands(t, r2.link.cmd); len(got) != 6 || got[1] != "SLAVEOF 127.0.0.1 7001" {
		t.Fatalf("r2 got %q", got)
	}
	toNew := "role:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:7001\r\nmaster_link_status:"
	s.refreshInfoLocked(r2, toNew+"down\r\n", now)
	if r2.Flags&FlagReconfInProg == 0 {
		t.Fatalf("r2 %s", r2.FlagList())
	}
	s.refreshInfoLocked(r2, toNew+"up\r\n", now)
	if r2.Flags&FlagReconfDone == 0 {
		t.Fatalf("r2 %s", r2.FlagList())
	}
	step() // r3 now
	if r3.Flags&FlagReconfSent == 0 {
		t.Fatalf("r3 %s", r3.FlagList())
	}
	// r3 never answers: after slave-reconf-timeout it counts as done, and the failover ends.
	r3.SlaveReconfSent = now.Add(-s.timing.SlaveReconfTimeout - time.Second)
	step()
	if r3.Flags&FlagReconfDone == 0 || m.FailoverState != FailoverUpdateConfig {
		t.Fatalf("r3 %s, state %v", r3.FlagList(), m.FailoverState)
	}
	s.switchToPromotedLocked(m)
	if m.Addr.Port != 7001 || m.FailoverState != FailoverNone || m.Flags != FlagMaster {
		t.Fatalf("after switch: %v %v %s", m.Addr, m.FailoverState, m.FlagList())
	}
	var want []string
	for _, p := range []string{"6379", "7002", "7003"} {
		want = append(want, "127.0.0.1:"+p)
	}
	var got []string
	for _, sl := range sortedInstances(m.Slaves) {
		got = append(got, sl.Name)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("replicas %v, want %v", got, want)
	}
	evs := takeEvents(s)
	order := []string{"+new-epoch", "+try-failover", "+elected-leader", "+failover-state-select-slave",
		"+selected-slave", "+failover-state-send-slaveof-noone", "+failover-state-wait-promotion",
		"+promoted-slave", "+failover-state-reconf-slaves", "+slave-reconf-sent", "+slave-reconf-inprog",
		"+slave-reconf-done", "+slave-reconf-sent", "-slave-reconf-sent-timeout", "+failover-end",
		"+switch-master"}
	types := eventTypes(evs)
	i := 0
	for _, typ := range types {
		if i < len(order) && typ == order[i] {
			i++
		}
	}
	if i != len(order) {
		t.Fatalf("events %q\nmissing %q in order", types, order[i])
	}
	for _, e := range evs {
		if strings.HasPrefix(e, "+switch-master ") && e != "+switch-master mymaster 127.0.0.1 6379 127.0.0.1 7001" {
			t.Fatalf("switch-master payload %q", e)
		}
	}
}

func TestFailoverAborts(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	s.addSentinelLocked(m, "127.0.0.1", 26380, testOtherA)
	s.addSentinelLocked(m, "127.0.0.1", 26381, testOtherB)
	m.Flags |= FlagSDown | FlagODown
	now := time.Now()
	s.startFailoverLocked(m, now)
	// Not elected: the others did not vote for us.
	m.FailoverStart = now.Add(-min(s.timing.ElectionTimeout, m.FailoverTimeout) - time.Millisecond)
	s.failoverStateMachineLocked(m, now)
	if m.Flags&FlagFailoverInProgress != 0 || !hasEvent(takeEvents(s), "-failover-abort-not-elected") {
		t.Fatal("failover not aborted after the election timeout")
	}
	// Elected, but no replica to promote.
	for _, si := range m.Sentinels {
		si.Leader, si.LeaderEpoch = testMyID, s.currentEpoch+1
	}
	s.startFailoverLocked(m, now)
	s.failoverStateMachineLocked(m, now)
	s.failoverStateMachineLocked(m, now)
	if m.Flags&FlagFailoverInProgress != 0 || !hasEvent(takeEvents(s), "-failover-abort-no-good-slave") {
		t.Fatal("failover not aborted without a replica")
	}
}
