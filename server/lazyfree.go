package server

import (
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Lazy free: UNLINK, FLUSHALL/FLUSHDB ASYNC and the lazyfree-lazy-* switches.
//
// What Valkey moves off its main thread is the free() of every allocation of a large value, O(elements).
// In Go the executor's part of a deletion is already O(1) whatever the size: it unlinks the key (or swaps
// in new tables for a flush) and the value becomes garbage; no per-element work is left to do, and
// walking the dead structure to clear its pointers would add work, not move any (the collector never
// traces unreachable objects, and the write barrier would shade every pointer cleared during a mark).
//
// The cost that does exist is the collector's and the kernel's: the heap goal only comes down after the
// next collection, which an idle node may not run for two minutes, and the freed pages go back to the
// system only when the scavenger gets to them. So a lazy free hands the detached value or tables to one
// background goroutine, which holds the last reference until it gets to it (lazyfree_pending_objects
// counts what waits), lets go of it (lazyfreed_objects), and after a large release forces a collection
// and returns the memory to the system there (debug.FreeOSMemory), at most once per lazyPurgeInterval.
// That full collection and scavenge is work the executor would otherwise wait for or never see done; it
// is what UNLINK and FLUSHALL ASYNC gain here. A synchronous free (the switches at "no", FLUSHALL SYNC)
// drops the value on the executor and leaves the memory to the ordinary course of the collector.
//
// The accounting (used_memory) drops at the deletion in both cases.

const (
	// lazyPurgeBytes is how much a release, or the releases since the last purge, must free before the
	// background goroutine forces a collection and gives memory back to the system.
	lazyPurgeBytes = 64 << 20
	// lazyPurgeInterval bounds how often that happens: a full collection costs CPU on every core.
	lazyPurgeInterval = 10 * time.Second
	// lazyQueueLen bounds the jobs waiting; beyond it a free is done on the executor.
	lazyQueueLen = 1024
)

// lazyFreer is the background freer. Its counters are atomics because INFO reads them while the
// goroutine runs; the rest is guarded by the server lock.
type lazyFreer struct {
	ch      chan lazyJob
	started bool
	pending atomic.Int64 // objects queued and not yet released
	freed   atomic.Int64 // objects released by the background goroutine
}

// lazyJob is one detached value (or set of tables) and what releasing it frees; purge asks for a
// collection and scavenge (MEMORY PURGE).
type lazyJob struct {
	val     any
	objects int64
	bytes   int64
	purge   bool
}

// lazyFree hands val, which nothing else references any more, to the background goroutine. Lock held.
func (s *Server) lazyFree(val any, objects, bytes int64) {
	lf := &s.mem.lazy
	if !s.lazyStart() {
		return // stopping: the value is dropped here
	}
	lf.pending.Add(objects)
	select {
	case lf.ch <- lazyJob{val: val, objects: objects, bytes: bytes}:
	default:
		lf.pending.Add(-objects) // the queue is full: drop it here
	}
}

// lazyFreeValue releases a deleted value: in the background when lazy and it is large enough for that to
// be worth it (Valkey's free effort above lazyFreeThreshold), else on the executor. Lock held.
func (s *Server) lazyFreeValue(o *keyspace.Object, bytes int64, lazy bool) {
	if lazy && o.LazyFreeEffort() > lazyFreeThreshold {
		s.lazyFree(o.Val, 1, bytes)
	}
}

// lazyPurge asks the background goroutine for a collection and scavenge (MEMORY PURGE). Lock held.
func (s *Server) lazyPurge() {
	if s.lazyStart() {
		select {
		case s.mem.lazy.ch <- lazyJob{purge: true}:
		default:
		}
	}
}

// lazyStart starts the background goroutine on first use; it stops when the node does. It reports false
// when the node is stopping. Lock held.
func (s *Server) lazyStart() bool {
	lf := &s.mem.lazy
	if s.shuttingDown {
		return false
	}
	if !lf.started {
		lf.started = true
		lf.ch = make(chan lazyJob, lazyQueueLen)
		s.bg.Add(1)
		go s.lazyFreeLoop(lf.ch)
	}
	return true
}

func (s *Server) lazyFreeLoop(ch <-chan lazyJob) {
	defer s.bg.Done()
	lf := &s.mem.lazy
	var sincePurge int64
	var lastPurge time.Time
	for {
		var j lazyJob
		select {
		case <-s.done:
			return // what is still queued is garbage with the node
		case j = <-ch:
		}
		if j.val != nil {
			j.val = nil // the last reference: from here the collector may reclaim it
			lf.pending.Add(-j.objects)
			lf.freed.Add(j.objects)
			sincePurge += j.bytes
		}
		if j.purge || sincePurge >= lazyPurgeBytes && time.Since(lastPurge) >= lazyPurgeInterval {
			debug.FreeOSMemory()
			sincePurge, lastPurge = 0, time.Now()
		}
	}
}
