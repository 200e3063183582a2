package server

import (
	"time"
)

// Active expiry, as Valkey's: each cycle samples keys with a time to live and reclaims the expired ones,
// sampling a database again while more than 10% of a sample was expired, within a time budget per cycle.
const (
	expireSample      = 20
	expireStaleRepeat = 10 // percent of a sample found expired above which the database is sampled again
	expireBudgetPerc  = 25 // percent of a cycle's period
)

// cron runs the periodic tasks hz times per second until shutdown.
func (s *Server) cron() {
	defer s.bg.Done()
	s.mu.Lock()
	hz := s.cfg.Hz
	s.mu.Unlock()
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		s.mu.Lock()
		s.now = time.Now()
		s.clockBase = s.now // the command clock follows wall-clock steps within one tick
		if !s.isReplica() {
			// a replica deletes expired keys only when its primary says so (DEL in the stream)
			s.activeExpireCycle()
		}
		s.memoryCron() // accounting, client buffer sample, eviction that ran out of time (memory.go)
		if s.repl.primary != nil {
			s.repl.primary.Cron(s.now)
			s.failoverCron()
			s.serveWaiters() // WAITAOF: local fsyncs complete without any ack
		}
		s.flushPropagation()
		s.persistCron()
		for _, db := range s.dbs {
			db.Rehash()
		}
		if s.pause.active && time.Now().After(s.pause.deadline) {
			s.pause.end()
		}
		s.sampleInfoMetrics(s.now)
		if s.cfg.Hz != hz {
			hz = s.cfg.Hz
			t.Reset(time.Second / time.Duration(hz))
		}
		s.mu.Unlock()
	}
}

// activeExpireCycle reclaims expired keys. Called with the lock held.
func (s *Server) activeExpireCycle() {
	if !s.activeExpire {
		return
	}
	start := time.Now()
	budget := time.Second / time.Duration(s.cfg.Hz) * expireBudgetPerc / 100
	var sampledAll, expiredAll int64
	// start at a random database so that one with many expired keys cannot use up every cycle's budget
	// before the others are visited
	first := s.rng.IntN(len(s.dbs))
	for i := range s.dbs {
		db := s.dbs[(first+i)%len(s.dbs)]
		for db.ExpiresLen() > 0 {
			now := nowMs()
			n := min(expireSample, db.ExpiresLen())
			expired := 0
			for i := 0; i < n; i++ {
				key, when, ok := db.RandomExpiring(s.rng)
				if !ok {
					break
				}
				if when <= now {
					s.expireKey(db.ID, []byte(key))
					expired++
				}
			}
			sampledAll += int64(n)
			expiredAll += int64(expired)
			if expired*100/n <= expireStaleRepeat || time.Since(start) > budget {
				break
			}
		}
		if time.Since(start) > budget {
			break
		}
	}
	if sampledAll > 0 {
		s.stats.expiredStalePerc = float64(expiredAll) / float64(sampledAll)
	}
	s.stats.expireCycleTimeUs += time.Since(start).Microseconds()
}
