package sentinel

import (
	"testing"
	"time"
)

func TestSDownAfterUnansweredPing(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	fakeUp(s, m)
	now := time.Now()
	m.PingPending = now.Add(-m.DownAfter + 10*time.Millisecond)
	s.checkSDownLocked(m, now)
	if m.Flags&FlagSDown != 0 {
		t.Fatal("SDOWN before down-after")
	}
	m.PingPending = now.Add(-m.DownAfter - time.Millisecond)
	s.checkSDownLocked(m, now)
	if m.Flags&FlagSDown == 0 || !m.SDownSince.Equal(now) {
		t.Fatal("no SDOWN after down-after")
	}
	s.pingReplyLocked(m, &reply{kind: kindStatus, str: "PONG"})
	s.checkSDownLocked(m, time.Now())
	if m.Flags&FlagSDown != 0 {
		t.Fatal("still SDOWN after PONG")
	}
	if got := eventTypes(takeEvents(s)); len(got) != 2 || got[0] != "+sdown" || got[1] != "-sdown" {
		t.Fatalf("events %q", got)
	}
}

func TestPingRepliesThatCount(t *testing.T) {
	for _, tc := range []struct {
		r     *reply
		avail bool
	}{
		{&reply{kind: kindStatus, str: "PONG"}, true},
		{&reply{kind: kindError, str: "LOADING Valkey is loading the dataset in memory"}, true},
		{&reply{kind: kindError, str: "MASTERDOWN Link with MASTER is down"}, true},
		{&reply{kind: kindError, str: "NOAUTH Authentication required."}, false},
		{&reply{kind: kindBulk, str: "PONG"}, false},
	} {
		s := newUnitSentinel(t)
		m := unitMaster(t, s, 2)
		pending := time.Now().Add(-time.Hour)
		m.PingPending = pending
		s.pingReplyLocked(m, tc.r)
		if got := m.PingPending.IsZero(); got != tc.avail {
			t.Errorf("reply %v: counted as available = %v, want %v", tc.r, got, tc.avail)
		}
		if !m.LastPongTime.After(pending) {
			t.Errorf("reply %v: last-ping-reply not updated", tc.r)
		}
	}
}

func TestSDownForPrimaryReportingReplica(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	fakeUp(s, m)
	m.PingPending = time.Time{}
	now := time.Now()
	m.RoleReported, m.RoleReportedTime = FlagSlave, now.Add(-m.DownAfter-2*s.timing.InfoPeriod+time.Second)
	s.checkSDownLocked(m, now)
	if m.Flags&FlagSDown != 0 {
		t.Fatal("SDOWN too early for role mismatch")
	}
	m.RoleReportedTime = now.Add(-m.DownAfter - 2*s.timing.InfoPeriod - time.Millisecond)
	s.checkSDownLocked(m, now)
	if m.Flags&FlagSDown == 0 {
		t.Fatal("a primary reporting role:slave for down-after + 2 INFO periods is not SDOWN")
	}
}

func TestSDownAfterReboot(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	m.RebootDownAfter = 500 * time.Millisecond
	fakeUp(s, m)
	m.PingPending = time.Time{}
	now := time.Now()
	s.refreshInfoLocked(m, "run_id:"+testRunIDR1+"\r\nrole:master\r\n", now)
	s.refreshInfoLocked(m, "run_id:"+testRunIDR2+"\r\nrole:master\r\n", now)
	if m.Flags&FlagMasterReboot == 0 {
		t.Fatal("reboot not flagged")
	}
	s.checkSDownLocked(m, now.Add(time.Second))
	if m.Flags&FlagSDown == 0 {
		t.Fatal("a rebooted primary is not SDOWN after primary-reboot-down-after-period")
	}
	s.pingReplyLocked(m, &reply{kind: kindStatus, str: "PONG"})
	if m.Flags&FlagMasterReboot != 0 {
		t.Fatal("PONG did not clear master_reboot")
	}
}

func TestODownNeedsQuorum(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 3)
	a := s.addSentinelLocked(m, "127.0.0.1", 26380, testOtherA)
	b := s.addSentinelLocked(m, "127.0.0.1", 26381, testOtherB)
	now := time.Now()
	m.Flags |= FlagSDown
	a.Flags |= FlagMasterDown
	s.checkODownLocked(m, now)
	if m.Flags&FlagODown != 0 {
		t.Fatal("ODOWN with 2 of quorum 3")
	}
	b.Flags |= FlagMasterDown
	s.checkODownLocked(m, now)
	if m.Flags&FlagODown == 0 {
		t.Fatal("no ODOWN with 3 of quorum 3")
	}
	m.Flags &^= FlagSDown
	s.checkODownLocked(m, now)
	if m.Flags&FlagODown != 0 {
		t.Fatal("ODOWN kept after SDOWN cleared")
	}
	evs := takeEvents(s)
	if len(evs) != 2 || evs[0] != "+odown master mymaster 127.0.0.1 6379 #quorum 3/3" || evs[1] != "-odown master mymaster 127.0.0.1 6379" {
		t.Fatalf("events %q", evs)
	}
}

func TestAskOtherSentinels(t *testing.T) {
	s := newUnitSentinel(t)
	s.currentEpoch = 4
	m := unitMaster(t, s, 2)
	si := s.addSentinelLocked(m, "127.0.0.1", 26380, testOtherA)
	l := fakeUp(s, si)
	now := time.Now()
	si.LastMasterDownReply = now.Add(-time.Hour)
	s.askMasterStateLocked(m, now, false)
	if got := sentCommands(t, l.cmd); len(got) != 0 {
		t.Fatalf("asked while the primary is not SDOWN: %q", got)
	}
	m.Flags |= FlagSDown
	s.askMasterStateLocked(m, now, false)
	s.askMasterStateLocked(m, now, false) // within ask-period: not again
	want := "SENTINEL is-master-down-by-addr 127.0.0.1 6379 4 *"
	if got := sentCommands(t, l.cmd); len(got) != 1 || got[0] != want {
		t.Fatalf("sent %q, want [%q]", got, want)
	}
	// The answer: down, and a vote for us in epoch 4.
	s.masterDownReplyLocked(si, &reply{kind: kindArray, elems: []*reply{
		{kind: kindInt, num: 1}, {kind: kindBulk, str: testMyID}, {kind: kindInt, num: 4}}})
	if si.Flags&FlagMasterDown == 0 || si.Leader != testMyID || si.LeaderEpoch != 4 {
		t.Fatalf("reply not recorded: %s %s %d", si.FlagList(), si.Leader, si.LeaderEpoch)
	}
	// Once a failover started the question carries our run id (a request for a vote), forced at once.
	m.FailoverState = FailoverWaitStart
	s.askMasterStateLocked(m, time.Now(), true)
	if got := sentCommands(t, l.cmd); len(got) != 2 || got[1] != "SENTINEL is-master-down-by-addr 127.0.0.1 6379 4 "+testMyID {
		t.Fatalf("sent %q", got)
	}
	// Answers expire after 5 ask periods.
	si.LastMasterDownReply = time.Now().Add(-5*s.timing.AskPeriod - time.Millisecond)
	m.Flags &^= FlagSDown
	s.askMasterStateLocked(m, time.Now(), false)
	if si.Flags&FlagMasterDown != 0 || si.Leader != "" {
		t.Fatal("stale answer kept")
	}
	// Malformed answers are ignored.
	before := si.LastMasterDownReply
	s.masterDownReplyLocked(si, &reply{kind: kindError, str: "ERR nope"})
	s.masterDownReplyLocked(si, nil)
	if !si.LastMasterDownReply.Equal(before) {
		t.Fatal("malformed answer recorded")
	}
}
