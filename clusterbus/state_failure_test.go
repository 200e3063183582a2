package clusterbus

import "testing"

// fiveShards builds a cluster of five slot-serving primaries (myself nid(1) and nid(2..5)) plus a
// replica nid(6) of nid(2) and an empty primary nid(7).
func fiveShards(t *testing.T) (*State, []*Node) {
	s := testState(t)
	assign(t, s, s.Myself(), "0-3000")
	ps := []*Node{s.Myself()}
	for i, r := range []string{"3001-6000", "6001-9000", "9001-12000", "12001-16383"} {
		ps = append(ps, addPrimary(t, s, i+2, uint64(i+2), r))
	}
	addReplica(t, s, 6, ps[1])
	addPrimary(t, s, 7, 0)
	return s, ps
}

func TestStateFailMajority(t *testing.T) {
	s, ps := fiveShards(t)
	failing := ps[4] // nid(5)
	replica := s.Lookup(nid(6))
	empty := s.Lookup(nid(7))

	// Not PFAIL here: reports alone never mark it.
	s.AddFailureReport(failing, ps[1], t0)
	s.AddFailureReport(failing, ps[2], t0)
	if s.MarkFailingIfNeeded(failing, t0) {
		t.Fatal("FAIL without PFAIL")
	}
	if !s.MarkPFail(failing) || s.MarkPFail(failing) {
		t.Fatal("MarkPFail results wrong")
	}
	// Quorum is 5/2+1 = 3: two reports plus myself (a voting primary) is enough.
	if !s.MarkFailingIfNeeded(failing, t0+1) {
		t.Fatal("2 reports + myself of 5 primaries should mark FAIL")
	}
	if !failing.Failed() || failing.TimedOut() || failing.FailTime != t0+1 {
		t.Fatalf("flags %s failTime %d", failing.Flags, failing.FailTime)
	}
	if s.MarkFailingIfNeeded(failing, t0+2) {
		t.Fatal("already FAIL: no second transition")
	}

	// Reports from replicas and from itself do not count.
	if s.AddFailureReport(failing, replica, t0) || s.AddFailureReport(failing, failing, t0) {
		t.Fatal("non-primary report accepted")
	}
	// Primaries without slots do report (they are primaries), as in Valkey.
	if !s.AddFailureReport(ps[3], empty, t0) {
		t.Fatal("empty primary's report refused")
	}
}

func TestStateFailNeedsMajority(t *testing.T) {
	s, ps := fiveShards(t)
	failing := ps[4]
	s.MarkPFail(failing)
	s.AddFailureReport(failing, ps[1], t0)
	if s.MarkFailingIfNeeded(failing, t0) {
		t.Fatal("1 report + myself is not a majority of 5")
	}
	// myself without slots does not vote.
	s2, ps2 := fiveShards(t)
	s2.FlushSlots(false)
	f2 := ps2[4]
	s2.MarkPFail(f2)
	s2.AddFailureReport(f2, ps2[1], t0)
	s2.AddFailureReport(f2, ps2[2], t0)
	// size is now 4 (myself serves nothing): quorum 3, and myself does not count.
	if s2.MarkFailingIfNeeded(f2, t0) {
		t.Fatal("non-voting myself counted")
	}
	s2.AddFailureReport(f2, ps2[3], t0)
	if !s2.MarkFailingIfNeeded(f2, t0) {
		t.Fatal("3 of 4 voting primaries should mark FAIL")
	}
}

func TestStateFailReportsExpire(t *testing.T) {
	s, ps := fiveShards(t)
	failing := ps[4]
	timeout := s.Config.NodeTimeout
	s.MarkPFail(failing)
	if !s.AddFailureReport(failing, ps[1], t0) || s.AddFailureReport(failing, ps[1], t0+10) {
		t.Fatal("a repeated report must only refresh")
	}
	s.AddFailureReport(failing, ps[2], t0-timeout) // older
	if n, err := s.CountFailureReports(failing.ID, t0+timeout); err != nil || n != 2 {
		t.Fatalf("count within 2×timeout: %d %v", n, err)
	}
	// At t0+timeout+1 the ps[2] report is 2×timeout+1 old: gone, so no quorum.
	if s.MarkFailingIfNeeded(failing, t0+timeout+1) {
		t.Fatal("expired report counted")
	}
	if n, _ := s.CountFailureReports(failing.ID, t0+timeout+1); n != 1 {
		t.Fatalf("count after expiry %d", n)
	}
	if got := failing.FailureReporters(); len(got) != 1 || got[0] != ps[1].ID {
		t.Fatalf("reporters %v", got)
	}
	_, err := s.CountFailureReports(nid(99), t0)
	wantErr(t, "count unknown", err, "ERR Unknown node "+nid(99))
	if !s.DelFailureReport(failing, ps[1], t0+timeout+1) || s.DelFailureReport(failing, ps[1], t0) {
		t.Fatal("DelFailureReport results wrong")
	}
}

func TestStateFailMessageAndClear(t *testing.T) {
	s, ps := fiveShards(t)
	p := ps[2]
	if !s.MarkFailed(p, t0) || !p.Failed() || s.MarkFailed(p, t0) {
		t.Fatal("MarkFailed")
	}
	if s.MarkFailed(s.Myself(), t0) || s.Myself().Failed() {
		t.Fatal("myself marked FAIL by a message")
	}
	timeout := s.Config.NodeTimeout
	// A primary still serving slots keeps FAIL for 2×timeout.
	if s.ClearFailureIfNeeded(p, t0+2*timeout) {
		t.Fatal("FAIL cleared too early")
	}
	if !s.ClearFailureIfNeeded(p, t0+2*timeout+1) || p.Failed() {
		t.Fatal("FAIL not undone after 2×timeout")
	}
	// Replicas and slot-less primaries are cleared at once.
	r := s.Lookup(nid(6))
	s.MarkFailed(r, t0)
	if !s.ClearFailureIfNeeded(r, t0) {
		t.Fatal("replica FAIL not cleared at once")
	}
	if !s.MarkPFail(r) || !s.ClearPFail(r) || s.ClearPFail(r) {
		t.Fatal("PFAIL set/clear")
	}
}

func TestStateUpdateState(t *testing.T) {
	s, ps := fiveShards(t)
	// The first call starts the 2 s writable delay of a primary.
	if s.UpdateState(t0) || s.IsOK() {
		t.Fatal("ok before the writable delay")
	}
	if !s.UpdateState(t0+writableDelay) || !s.IsOK() || s.Size() != 5 {
		t.Fatalf("not ok after the delay: ok %v size %d", s.IsOK(), s.Size())
	}
	now := t0 + writableDelay

	// An unassigned slot fails the state with full coverage, not without.
	s.DelSlots(args("0"))
	if !s.UpdateState(now) || s.IsOK() {
		t.Fatal("unassigned slot with full coverage required must fail")
	}
	s.Config.RequireFullCoverage = false
	if !s.UpdateState(now) || !s.IsOK() {
		t.Fatal("without full coverage the state should be ok")
	}
	s.Config.RequireFullCoverage = true
	s.AddSlots(args("0"))
	s.UpdateState(now)

	// A FAIL primary's slots fail the state.
	s.MarkFailed(ps[4], now)
	if !s.UpdateState(now) || s.IsOK() {
		t.Fatal("slot served by a FAIL node must fail the state")
	}
	s.Config.RequireFullCoverage = false
	// 4 of 5 reachable is a majority: ok (rejoin delay: we were never in a minority).
	if !s.UpdateState(now) || !s.IsOK() {
		t.Fatal("majority reachable without full coverage must be ok")
	}
	// Minority: only myself and one more of five reachable.
	s.MarkPFail(ps[3])
	s.MarkPFail(ps[2])
	if !s.UpdateState(now) || s.IsOK() {
		t.Fatal("minority partition must fail")
	}
	// Healing: a primary waits the rejoin delay (node-timeout clamped to 5 s) after the minority.
	s.ClearPFail(ps[3])
	s.ClearPFail(ps[2])
	if s.UpdateState(now+maxRejoinDelay-1) || s.IsOK() {
		t.Fatal("rejoined before the delay")
	}
	if !s.UpdateState(now+maxRejoinDelay) || !s.IsOK() {
		t.Fatal("not ok after the rejoin delay")
	}
	if got := s.StateString(); got != "ok" {
		t.Fatal(got)
	}
}

func TestStateUpdateStateReplicaNoDelay(t *testing.T) {
	s := testState(t)
	p := addPrimary(t, s, 2, 1, "0-16383")
	s.Replicate(p.ID, false)
	if !s.UpdateState(t0) || !s.IsOK() {
		t.Fatal("a replica turns ok at once")
	}
	// An empty cluster (no slot-serving primary) is never ok: quorum 1, reachable 0.
	s2 := testState(t)
	s2.Config.RequireFullCoverage = false
	s2.UpdateState(t0)
	s2.UpdateState(t0 + writableDelay)
	if s2.IsOK() {
		t.Fatal("cluster without slots is ok")
	}
}
