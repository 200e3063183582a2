package sentinel

import (
	"reflect"
	"testing"
	"time"
)

func TestTiltOnTimerGapAndClockJump(t *testing.T) {
	s := newUnitSentinel(t)
	s.timing.TiltTrigger = 2 * time.Second
	s.timing.TiltPeriod = 30 * time.Second
	start := time.Now()
	s.previousTick = start
	s.checkTiltLocked(start.Add(100 * time.Millisecond))
	if s.tilt || s.tiltBlocksLocked(start.Add(100*time.Millisecond)) {
		t.Fatal("TILT on a normal tick")
	}
	// The timer ran 3 s late.
	late := start.Add(3100 * time.Millisecond)
	s.checkTiltLocked(late)
	if !s.tilt || !s.tiltBlocksLocked(late.Add(29*time.Second)) {
		t.Fatal("no TILT after a 3 s gap")
	}
	if evs := takeEvents(s); !reflect.DeepEqual(evs, []string{"+tilt #tilt mode entered"}) {
		t.Fatalf("events %q", evs)
	}
	if s.tiltBlocksLocked(late.Add(30 * time.Second)) {
		t.Fatal("TILT outlived tilt-period")
	}
	if evs := takeEvents(s); !reflect.DeepEqual(evs, []string{"-tilt #tilt mode exited"}) {
		t.Fatalf("events %q", evs)
	}
	// The wall clock went backwards (Round(0) drops the monotonic reading, as a clock change would).
	s.previousTick = time.Now().Round(0)
	s.checkTiltLocked(s.previousTick.Add(-time.Minute))
	if !s.tilt {
		t.Fatal("no TILT when the clock went backwards")
	}
}

func TestTiltStopsActing(t *testing.T) {
	s := newUnitSentinel(t)
	s.started = true
	m := unitMaster(t, s, 1)
	m.DownAfter = time.Millisecond
	fakeUp(s, m)
	m.PingPending = time.Now().Add(-time.Hour) // an unanswered PING: it would be SDOWN at once
	s.tilt, s.tiltStart = true, time.Now()
	s.previousTick = time.Now()
	s.tick(time.Now())
	if m.Flags&FlagSDown != 0 {
		t.Fatal("SDOWN decided during TILT")
	}
	s.tilt = false
	s.tick(time.Now())
	if m.Flags&FlagSDown == 0 || m.Flags&FlagODown == 0 {
		t.Fatalf("flags %s after TILT", m.FlagList())
	}
	s.started = false
}
