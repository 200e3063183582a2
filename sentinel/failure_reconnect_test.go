package sentinel

import (
	"testing"
	"time"
)

// TestSDownSurvivesReconnectionAttempts: a primary that died between two PINGs (none in flight) is
// subjectively down once down-after has passed since its last valid reply, and stays so while the
// sentinel keeps trying to reconnect: the PING each attempt queues must not restart the clock.
func TestSDownSurvivesReconnectionAttempts(t *testing.T) {
	f := startFakeNode(t)
	s := newUnitSentinel(t)
	s.mu.Lock()
	m, err := s.createMasterLocked("mymaster", "127.0.0.1", f.port(), 2)
	if err != nil {
		s.mu.Unlock()
		t.Fatal(err)
	}
	m.DownAfter = time.Second
	s.reconnectLocked(m, time.Now())
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.closeLinksLocked(m)
		s.closeConnsLocked(m)
		s.mu.Unlock()
		s.wg.Wait()
	}()
	waitUntil(t, "the PING reply", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return m.PingPending.IsZero()
	})
	// it answered 5 s ago, and then died with no PING in flight
	s.mu.Lock()
	m.LastAvailTime = time.Now().Add(-5 * time.Second)
	s.mu.Unlock()
	f.close()
	waitUntil(t, "the link to notice", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return m.link.cmd == nil
	})
	for attempt := 0; attempt < 3; attempt++ {
		s.mu.Lock()
		at := time.Now()
		s.checkSDownLocked(m, at)
		down := m.Flags&FlagSDown != 0
		// the next attempt: a new connection, with a PING queued on it
		s.reconnectLocked(m, at.Add(s.timing.PingPeriod*time.Duration(attempt+1)))
		s.checkSDownLocked(m, at)
		stillDown := m.Flags&FlagSDown != 0
		s.mu.Unlock()
		if !down || !stillDown {
			t.Fatalf("attempt %d: SDOWN %v before the reconnection, %v after it; want down throughout", attempt, down, stillDown)
		}
		waitUntil(t, "the failed dial", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return m.link.cmd == nil
		})
	}
}
