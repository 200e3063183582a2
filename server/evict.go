package server

import (
	"math"
	"time"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Eviction under maxmemory, as Valkey does it.
//
// Before every command, when maxmemory is set and used_memory is above it, keys are deleted by the
// maxmemory-policy until enough is freed; a command flagged denyoom is refused with errOOM when that is
// not possible (noeviction, or nothing left to evict). Eviction is approximated, as in Valkey: each round
// samples maxmemory-samples keys per database and keeps the best candidates seen so far in a pool of
// evictPoolSize, ordered by "idle" (the larger, the better to evict): seconds since the last access for
// LRU, 255 minus the decayed access counter for LFU, and the nearer expiry for volatile-ttl. The pool
// lives across rounds and commands, so the approximation improves with every sampling.
//
// maxmemory-eviction-tenacity bounds the time one command spends evicting; when the bound is hit the
// command runs anyway and the cron goes on evicting (Valkey continues from a timer event).

const (
	errOOM = "OOM command not allowed when used memory > 'maxmemory'."
	// evictPoolSize is how many candidates the pool keeps across samplings (Valkey's EVPOOL_SIZE).
	evictPoolSize = 16
	// lfuInitVal is the counter of a new key, so that it is not evicted before it had a chance to be
	// used again (Valkey's LFU_INIT_VAL).
	lfuInitVal = 5
	// lazyFreeThreshold is the free effort above which a lazy free goes to the background.
	lazyFreeThreshold = 64
)

type evictResult uint8

const (
	evictOK      evictResult = iota // within the limit, or back under it
	evictRunning                    // over the limit, still evicting (time bound hit)
	evictFail                       // over the limit and nothing (more) can be evicted
)

// evictState is the eviction bookkeeping. Lock held.
type evictState struct {
	pool evictionPool
	// running is set when eviction stopped at its time bound; the cron continues it.
	running bool
	// nextDB is where the random policies look next, so that every database gives up keys in turn.
	nextDB int
	// keys counts evicted keys (INFO evicted_keys).
	keys int64
	// exceededSince is when used memory went over maxmemory (zero when under); exceededTotal adds up the
	// finished periods (total_eviction_exceeded_time).
	exceededSince time.Time
	exceededTotal time.Duration
}

// evictCandidate is a key in the pool.
type evictCandidate struct {
	idle uint64
	db   int
	key  string
}

// evictionPool keeps the best candidates in ascending order of idle: the best is the last.
type evictionPool struct {
	n int
	c [evictPoolSize]evictCandidate
}

// insert adds a candidate if it is better than the worst one kept, or there is room.
func (p *evictionPool) insert(e evictCandidate) {
	for i := 0; i < p.n; i++ {
		if p.c[i].db == e.db && p.c[i].key == e.key {
			return // sampled again: it is already in
		}
	}
	// the first position whose candidate is at least as good
	k := 0
	for k < p.n && p.c[k].idle < e.idle {
		k++
	}
	if p.n == evictPoolSize {
		if k == 0 {
			return // worse than everything kept
		}
		// drop the worst (first) to make room: shift left what comes before k
		copy(p.c[:k-1], p.c[1:k])
		p.c[k-1] = e
		return
	}
	copy(p.c[k+1:p.n+1], p.c[k:p.n])
	p.c[k] = e
	p.n++
}

// popBest removes and returns the best candidate.
func (p *evictionPool) popBest() (evictCandidate, bool) {
	if p.n == 0 {
		return evictCandidate{}, false
	}
	p.n--
	e := p.c[p.n]
	p.c[p.n] = evictCandidate{}
	return e, true
}

// ---- LFU --------------------------------------------------------------------------------------------
//
// With an LFU policy Object.LRU holds, instead of an access time, a 24-bit LFU field as Valkey lays it
// out: the time of the last decrement in minutes (16 bits, wrapping) above an 8-bit logarithmic counter.
// The counter grows with probability 1/((counter-lfuInitVal)*lfu-log-factor+1) per access, so it takes
// about a million accesses to saturate with the default factor; it loses one for every lfu-decay-time
// minutes without access.

func lfuMinutes(now time.Time) uint32 { return uint32(now.Unix()/60) & 0xffff }

// lfuNew is the LFU field of a new key.
func lfuNew(now time.Time) uint32 { return lfuMinutes(now)<<8 | lfuInitVal }

// lfuCounter is the key's counter after the decay for the time since its last decrement.
func (s *Server) lfuCounter(field uint32, now time.Time) uint32 {
	counter := field & 0xff
	decay := s.cfg.Memory.LFUDecayTime
	if decay == 0 {
		return counter
	}
	last, cur := (field>>8)&0xffff, lfuMinutes(now)
	elapsed := cur - last
	if cur < last {
		elapsed = 0xffff - last + cur // the 16-bit clock wrapped
	}
	periods := int64(elapsed) / decay
	if periods >= int64(counter) {
		return 0
	}
	return counter - uint32(periods)
}

// lfuAccess is the LFU field after one access: decayed, then incremented logarithmically.
func (s *Server) lfuAccess(field uint32, now time.Time) uint32 {
	counter := s.lfuCounter(field, now)
	if counter < 255 {
		base := float64(counter) - lfuInitVal
		if base < 0 {
			base = 0
		}
		if s.rng.Float64() < 1/(base*float64(s.cfg.Memory.LFULogFactor)+1) {
			counter++
		}
	}
	return lfuMinutes(now)<<8 | counter
}

// lfuEnabled reports whether an LFU maxmemory-policy is selected: Object.LRU then holds the LFU field.
func (s *Server) lfuEnabled() bool { return s.cfg.Memory.Policy.lfu() }

// touchObject records an access to o: its access time, or with an LFU policy its access counter.
func (s *Server) touchObject(o *keyspace.Object) {
	if s.lfuEnabled() {
		o.LRU = s.lfuAccess(o.LRU, s.now)
		return
	}
	o.LRU = uint32(s.now.Unix())
}

// ---- the maxmemory check --------------------------------------------------------------------------------

// memAdmit settles the accounting, evicts when used memory is over maxmemory, and refuses with errOOM a
// command that may grow memory when that failed. It replies and returns false when the command may not
// run. Lock held (admit).
func (s *Server) memAdmit(c *Client, cmd *Command) bool {
	if len(s.mem.notes) > 0 {
		s.memSettle()
	}
	if s.cfg.Memory.Maxmemory <= 0 {
		return true
	}
	if s.performEvictions() != evictFail || !oomRefuses(c, cmd) {
		return true
	}
	s.cstat(cmd).rejected++
	if cmd.Name == "exec" && c.multi != nil {
		// a refused EXEC ends the transaction, as Valkey's rejection of an EXEC does
		c.multi = nil
		s.unwatchAll(c)
		c.Err("EXECABORT Transaction discarded because of: " + errOOM)
		return false
	}
	c.Err(errOOM)
	return false
}

// oomRefuses reports whether cmd is refused when memory cannot be freed: commands flagged denyoom, an EXEC
// whose transaction holds one, and anything queued into a transaction (queuing takes memory too).
func oomRefuses(c *Client, cmd *Command) bool {
	if cmd.Flags&flagDenyOOM != 0 {
		return true
	}
	if c.multi == nil {
		return false
	}
	switch cmd.Name {
	case "exec":
		for _, q := range c.multi.cmds {
			if q.cmd.Flags&flagDenyOOM != 0 {
				return true
			}
		}
		return false
	case "discard", "quit", "reset":
		return false
	}
	return true
}

// evictTimeLimit is how long one call may evict, from maxmemory-eviction-tenacity: 50µs per step up to
// 10, then 15% more per step, and no limit at 100 (Valkey's scale).
func evictTimeLimit(tenacity int64) time.Duration {
	switch {
	case tenacity <= 10:
		return time.Duration(50*tenacity) * time.Microsecond
	case tenacity < 100:
		return time.Duration(500*math.Pow(1.15, float64(tenacity-10))) * time.Microsecond
	}
	return -1
}

// performEvictions deletes keys by the policy until used memory is within maxmemory. Lock held.
func (s *Server) performEvictions() evictResult {
	mc := &s.cfg.Memory
	if mc.Maxmemory <= 0 {
		return evictOK
	}
	// a paused node changes nothing on its own (CLIENT PAUSE holds evictions and expiry too); a replica
	// stays an exact copy of its primary, whose evictions reach it as DELs (Valkey's default
	// replica-ignore-maxmemory yes)
	if s.pause.active || s.isReplica() {
		return evictOK
	}
	s.memSettleAll()
	used := s.usedMemory()
	if used <= mc.Maxmemory {
		s.evictExceeded(false)
		return evictOK
	}
	s.evictExceeded(true)
	if mc.Policy == policyNoEviction {
		return evictFail
	}
	toFree := used - mc.Maxmemory
	var freed int64
	start := time.Now()
	limit := evictTimeLimit(mc.Tenacity)
	for evicted := 1; freed < toFree; evicted++ {
		dbID, key, ok := s.evictSelect()
		if !ok {
			break
		}
		freed += s.evictKey(dbID, key)
		// the clock is read every 16 keys, as Valkey does
		if evicted%16 == 0 && limit >= 0 && time.Since(start) > limit && freed < toFree {
			s.memSettle()
			s.mem.evict.running = true
			return evictRunning
		}
	}
	s.memSettle()
	if freed < toFree {
		return evictFail
	}
	s.evictExceeded(false)
	return evictOK
}

// evictExceeded tracks the periods spent over maxmemory (INFO total/current_eviction_exceeded_time).
func (s *Server) evictExceeded(over bool) {
	ev := &s.mem.evict
	switch {
	case over && ev.exceededSince.IsZero():
		ev.exceededSince = time.Now()
	case !over && !ev.exceededSince.IsZero():
		ev.exceededTotal += time.Since(ev.exceededSince)
		ev.exceededSince = time.Time{}
	}
}

// evictKey deletes one victim as Valkey does: deletion (lazy with lazyfree-lazy-eviction), the "evicted"
// keyspace event, and a DEL for replicas and the AOF. It returns the memory accounted to the key.
func (s *Server) evictKey(dbID int, key string) int64 {
	k := []byte(key)
	freed, _ := s.memDeleteKey(dbID, k, s.cfg.Memory.LazyEviction)
	s.mem.evict.keys++
	db := s.dbs[dbID]
	s.keyModified(db, k)
	s.notifyKeyspace(notifyEvicted, "evicted", k, dbID)
	s.alsoPropagate(dbID, bDEL, k)
	return freed
}

// evictSelect picks the next victim by the policy, or ok=false when there is nothing to evict.
func (s *Server) evictSelect() (dbID int, key string, ok bool) {
	policy := s.cfg.Memory.Policy
	volatile := policy.volatile()
	if policy.random() {
		ev := &s.mem.evict
		for range s.dbs {
			ev.nextDB = (ev.nextDB + 1) % len(s.dbs)
			db := s.dbs[ev.nextDB]
			if volatile {
				if k, _, ok := db.RandomExpiring(s.rng); ok {
					return db.ID, k, true
				}
			} else if k, _, ok := db.RandomObject(s.rng); ok {
				return db.ID, k, true
			}
		}
		return 0, "", false
	}
	pool := &s.mem.evict.pool
	for {
		total := 0
		for _, db := range s.dbs {
			n := db.Len()
			if volatile {
				n = db.ExpiresLen()
			}
			if n > 0 {
				s.evictPopulate(db, volatile)
				total += n
			}
		}
		if total == 0 {
			return 0, "", false
		}
		// the best candidate that still exists (in the set the policy evicts from)
		for {
			e, ok := pool.popBest()
			if !ok {
				break
			}
			db := s.dbs[e.db]
			if volatile && db.ExpireOf(e.key) >= 0 || !volatile && db.ObjectOf(e.key) != nil {
				return e.db, e.key, true
			}
		}
	}
}

// evictPopulate samples keys of db into the pool.
func (s *Server) evictPopulate(db *keyspace.DB, volatile bool) {
	policy := s.cfg.Memory.Policy
	pool := &s.mem.evict.pool
	for i := int64(0); i < s.cfg.Memory.Samples; i++ {
		var key string
		var o *keyspace.Object
		var when int64
		if volatile {
			k, w, ok := db.RandomExpiring(s.rng)
			if !ok {
				return
			}
			key, when = k, w
			if policy != policyVolatileTTL {
				if o = db.ObjectOf(k); o == nil {
					continue
				}
			}
		} else {
			k, obj, ok := db.RandomObject(s.rng)
			if !ok {
				return
			}
			key, o = k, obj
		}
		var idle uint64
		switch {
		case policy == policyVolatileTTL:
			idle = math.MaxUint64 - uint64(when) // the sooner it expires, the better to evict
		case policy.lfu():
			idle = 255 - uint64(s.lfuCounter(o.LRU, s.nowOrClock()))
		default:
			idle = lruIdle(o.LRU, uint32(s.nowOrClock().Unix()))
		}
		pool.insert(evictCandidate{idle: idle, db: db.ID, key: key})
	}
}

// lruIdle is the seconds since an access stamp. An object last stamped under an LFU policy holds a small
// number and comes out very idle, which is the right side to err on after a policy change.
func lruIdle(stamp, now uint32) uint64 {
	if now >= stamp {
		return uint64(now - stamp)
	}
	return 0
}

// nowOrClock is the running command's time, or the clock outside commands (the cron continuing an
// eviction).
func (s *Server) nowOrClock() time.Time {
	if s.now.IsZero() {
		return time.Now()
	}
	return s.now
}
