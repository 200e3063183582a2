package sentinel

import (
	"testing"
	"time"
)

func TestVoteOncePerEpoch(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)

	leader, epoch := s.voteLocked(m, 3, testOtherA)
	if leader != testOtherA || epoch != 3 || s.currentEpoch != 3 {
		t.Fatalf("vote %s/%d, current epoch %d", leader, epoch, s.currentEpoch)
	}
	evs := takeEvents(s)
	if len(evs) != 2 || evs[0] != "+new-epoch 3" || evs[1] != "+vote-for-leader "+testOtherA+" 3" {
		t.Fatalf("events %q", evs)
	}
	// Voting for another sentinel holds back our own failover start.
	if !m.FailoverStart.After(time.Now().Add(-time.Second)) {
		t.Fatal("failover start not delayed")
	}
	// A second candidate in the same epoch gets the vote already given.
	if leader, epoch := s.voteLocked(m, 3, testOtherB); leader != testOtherA || epoch != 3 {
		t.Fatalf("second request in epoch 3 got %s/%d", leader, epoch)
	}
	// An older epoch too.
	if leader, _ := s.voteLocked(m, 2, testOtherB); leader != testOtherA {
		t.Fatalf("older epoch changed the vote to %s", leader)
	}
	if len(takeEvents(s)) != 0 {
		t.Fatal("events for refused votes")
	}
	// A newer epoch gets a new vote.
	if leader, epoch := s.voteLocked(m, 4, testOtherB); leader != testOtherB || epoch != 4 {
		t.Fatalf("epoch 4 vote %s/%d", leader, epoch)
	}
	// Voting for ourselves does not delay our failover.
	m2, _ := s.createMasterLocked("other", "127.0.0.1", 7000, 1)
	if leader, _ := s.voteLocked(m2, 5, testMyID); leader != testMyID || !m2.FailoverStart.IsZero() {
		t.Fatalf("self vote %s, failover start %v", leader, m2.FailoverStart)
	}
}

func TestLeaderNeedsMajorityAndQuorum(t *testing.T) {
	cases := []struct {
		name    string
		quorum  int
		others  []string // votes of the other sentinels in the current epoch ("" = none)
		want    string
		myFirst string // our vote already given in this epoch ("" = none)
	}{
		{"alone of three", 2, []string{"", ""}, "", ""},
		{"one other agrees", 2, []string{testMyID, ""}, testMyID, ""},
		{"we follow the most voted", 2, []string{testOtherA, ""}, testOtherA, ""},
		{"majority but not quorum", 3, []string{testMyID, ""}, "", ""},
		{"split vote", 2, []string{testOtherA, testOtherB}, "", testMyID},
		{"five sentinels need three", 2, []string{testMyID, "", "", ""}, "", ""},
		{"five sentinels, three votes", 2, []string{testMyID, testMyID, "", ""}, testMyID, ""},
		{"single sentinel, quorum 1", 1, nil, testMyID, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newUnitSentinel(t)
			m := unitMaster(t, s, tc.quorum)
			s.currentEpoch = 7
			ids := []string{testOtherA, testOtherB, "cccccccccccccccccccccccccccccccccccccccc",
				"dddddddddddddddddddddddddddddddddddddddd"}
			for i, v := range tc.others {
				si := s.addSentinelLocked(m, "127.0.0.1", 26380+i, ids[i])
				if v != "" {
					si.Leader, si.LeaderEpoch = v, 7
				}
			}
			if tc.myFirst != "" {
				m.Leader, m.LeaderEpoch = tc.myFirst, 7
			}
			if got := s.leaderLocked(m, 7); got != tc.want {
				t.Fatalf("leader %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLeaderIgnoresOtherEpochs(t *testing.T) {
	s := newUnitSentinel(t)
	m := unitMaster(t, s, 2)
	s.currentEpoch = 7
	si := s.addSentinelLocked(m, "127.0.0.1", 26380, testOtherA)
	si.Leader, si.LeaderEpoch = testMyID, 6 // a vote from an older election
	s.addSentinelLocked(m, "127.0.0.1", 26381, testOtherB)
	if got := s.leaderLocked(m, 7); got != "" {
		t.Fatalf("leader %q from a stale vote", got)
	}
}
