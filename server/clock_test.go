package server

import (
	"testing"
	"time"
)

// TestClockNowFollowsTheWallClock: the command clock (one monotonic read per call) gives the wall time
// expiry needs, from a base taken earlier, and never goes backwards.
func TestClockNowFollowsTheWallClock(t *testing.T) {
	s := &Server{clockBase: time.Now()}
	time.Sleep(20 * time.Millisecond)
	prev := s.clockNow()
	for i := 0; i < 1000; i++ {
		now := s.clockNow()
		if now.Before(prev) {
			t.Fatalf("clockNow went backwards: %v after %v", now, prev)
		}
		prev = now
	}
	if d := time.Since(prev); d < -time.Second || d > time.Second {
		t.Fatalf("clockNow is %v away from time.Now", d)
	}
	if prev.UnixMilli() < s.clockBase.Add(20*time.Millisecond).UnixMilli() {
		t.Fatalf("clockNow %v did not advance from its base %v", prev, s.clockBase)
	}
}
