package sentinel

import (
	"time"

	"github.com/rs/zerolog"
)

// TILT (spec §5.3–5.4): when the timer runs late by more than tilt-trigger, or the clock goes
// backwards, the sentinel cannot trust its timeouts, so for tilt-period it keeps monitoring (links,
// PING, INFO, hello) but takes no action: no SDOWN/ODOWN changes, no failover, no reconfiguration, and
// is-master-down-by-addr answers 0.

// checkTiltLocked compares this tick with the previous one. The wall clock catches clock jumps (what
// Valkey's mstime sees); the monotonic clock catches a process that was stopped or starved.
func (s *Sentinel) checkTiltLocked(now time.Time) {
	wall := now.Round(0).Sub(s.previousTick.Round(0))
	mono := now.Sub(s.previousTick)
	if !s.previousTick.IsZero() && (wall < 0 || wall > s.timing.TiltTrigger || mono > s.timing.TiltTrigger) {
		s.tilt = true
		s.tiltStart = now
		s.eventLocked(zerolog.WarnLevel, "+tilt", nil, "#tilt mode entered")
	}
	s.previousTick = now
}

// tiltBlocksLocked reports whether TILT forbids acting now, leaving TILT once tilt-period has passed.
func (s *Sentinel) tiltBlocksLocked(now time.Time) bool {
	if !s.tilt {
		return false
	}
	if now.Sub(s.tiltStart) < s.timing.TiltPeriod {
		return true
	}
	s.tilt = false
	s.eventLocked(zerolog.WarnLevel, "-tilt", nil, "#tilt mode exited")
	return false
}
