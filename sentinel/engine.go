package sentinel

import (
	"math/rand/v2"
	"sort"
	"time"
)

// The engine is driven by one timer, like Valkey's sentinelTimer: every ~100 ms (randomised between
// 50 and 100 ms, so that sentinels started together do not stay in lock step and split their votes) it
// walks every primary, its replicas and its sentinels: reconnect links, send PING/INFO/hello, then
// (unless in TILT) check SDOWN/ODOWN, start and run failovers, ask other sentinels.

// startEngine starts the timer that drives links, PING/INFO/hello, failure detection and failover.
func (s *Sentinel) startEngine() {
	s.wg.Add(1)
	go s.engineLoop()
}

// stopEngine closes every link so that no callback runs after Stop; the timer goroutine ends when Stop
// closes s.stop (Stop has already cleared s.started, so no tick reconnects in between).
func (s *Sentinel) stopEngine() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeAllLinksLocked()
}

func (s *Sentinel) closeAllLinksLocked() {
	for _, m := range s.masters {
		for _, sl := range m.Slaves {
			s.closeLinksLocked(sl)
		}
		for _, si := range m.Sentinels {
			s.closeLinksLocked(si)
		}
		s.closeLinksLocked(m)
	}
}

// tickPeriod is Valkey's timer period: hz 10 + rand(0..9).
func tickPeriod() time.Duration {
	return time.Second / time.Duration(10+rand.IntN(10))
}

func (s *Sentinel) engineLoop() {
	defer s.wg.Done()
	t := time.NewTimer(tickPeriod())
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			s.mu.Lock()
			s.closeAllLinksLocked()
			s.mu.Unlock()
			return
		case <-t.C:
			s.tick(time.Now())
			t.Reset(tickPeriod())
		}
	}
}

// tick is one run of the timer.
func (s *Sentinel) tick(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return
	}
	s.checkTiltLocked(now)
	acting := !s.tiltBlocksLocked(now)
	var switches []*Instance
	for _, name := range s.masterOrder {
		m := s.masters[name]
		if m == nil {
			continue
		}
		s.handleInstanceLocked(m, now, acting)
		for _, sl := range sortedInstances(m.Slaves) {
			s.handleInstanceLocked(sl, now, acting)
		}
		for _, si := range sortedInstances(m.Sentinels) {
			s.handleInstanceLocked(si, now, acting)
		}
		if m.FailoverState == FailoverUpdateConfig {
			switches = append(switches, m)
		}
	}
	for _, m := range switches {
		s.switchToPromotedLocked(m)
	}
}

// handleInstanceLocked is one instance's share of a tick: the monitoring half always runs, the acting
// half only outside TILT.
func (s *Sentinel) handleInstanceLocked(in *Instance, now time.Time, acting bool) {
	s.reconnectLocked(in, now)
	s.sendPeriodicLocked(in, now)
	if !acting {
		return
	}
	s.checkSDownLocked(in, now)
	if in.IsMaster() {
		s.checkODownLocked(in, now)
		if s.startFailoverIfNeededLocked(in, now) {
			s.askMasterStateLocked(in, now, true)
		}
		s.failoverStateMachineLocked(in, now)
		s.askMasterStateLocked(in, now, false)
	}
}

// sortedInstances lists a map's instances by name, so that every walk (and parallel-syncs in
// particular) visits them in a stable order.
func sortedInstances(m map[string]*Instance) []*Instance {
	out := make([]*Instance, 0, len(m))
	for _, in := range m {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
