package server

import (
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Point-in-time snapshots without fork.
//
// Valkey forks: the child sees a frozen copy of memory while the parent goes on, and the kernel copies pages
// as the parent writes them. Go cannot fork a running runtime, so valkey-node does the same copy-on-write at
// the level of values:
//
//  1. Capture, with the execution lock held: every key's name (an immutable string, shared), its 48-byte
//     Object header (copied) and its expiry go into a flat list, and the live header is stamped with the
//     snapshot's generation. Values are not copied. Hash tables inside values finish any incremental resize
//     (Object.Settle), so that reads of them change nothing from now on. This is the only pause clients see:
//     a few tens of milliseconds per million keys, of the order of fork's page-table copy.
//  2. Encode, on its own goroutine and without the lock: the list is written as RDB (to a file, a replica
//     socket or an AOF base) by the streaming encoder.
//  3. Meanwhile, a write that reaches a stamped value (lookupWrite, or anything that changes a value in
//     place) first replaces it with a private deep copy (Object.Unshare), so the snapshot's header still
//     points at the untouched original. Overwrites and deletions need nothing: they replace or drop the
//     live header, not the snapshot's copy. FLUSHDB and FLUSHALL install new tables rather than clearing.
//
// Memory: the list costs about 80 bytes per key for the length of the save, and each value written during
// it is copied once; after the save ends the stamp is stale and writes no longer copy.
//
// One capture is active at a time (as Valkey runs one child at a time); consumers that start together
// share it.

// snapState is the active capture, if any. Lock held for every use.
type snapState struct {
	gen    uint8 // generation of the active capture; 0 = none
	last   uint8 // last generation handed out
	active bool
}

// snapEntry is one key of a capture.
type snapEntry struct {
	key    string
	expire int64
	obj    keyspace.Object
}

// snapDB is the capture of one database.
type snapDB struct {
	id      int
	expires int
	entries []snapEntry
}

// capture is one point-in-time copy of the data set.
type capture struct {
	gen uint8
	dbs []snapDB
	// what was true when it was taken, for the RDB's AUX fields and the save bookkeeping
	dirty   int64
	keys    int
	startMs int64
}

// captureSnapshot takes a capture of every database. Lock held. It returns nil when another capture is
// still in use.
func (s *Server) captureSnapshot() *capture {
	if s.snap.active {
		return nil
	}
	s.snap.last++
	if s.snap.last == 0 {
		s.snap.last = 1 // 0 means "not shared"
	}
	gen := s.snap.last
	s.snap.gen, s.snap.active = gen, true
	cp := &capture{gen: gen, dirty: s.dirty, startMs: nowMs()}
	for _, db := range s.dbs {
		if db.Len() == 0 {
			continue
		}
		sd := snapDB{id: db.ID, entries: make([]snapEntry, 0, db.Len())}
		hasExpires := db.ExpiresLen() > 0
		db.Range(func(key string, o *keyspace.Object) bool {
			o.Settle()
			o.SnapGen = gen
			e := snapEntry{key: key, expire: -1, obj: *o}
			if hasExpires {
				if e.expire = db.ExpireOf(key); e.expire >= 0 {
					sd.expires++
				}
			}
			sd.entries = append(sd.entries, e)
			return true
		})
		cp.keys += len(sd.entries)
		cp.dbs = append(cp.dbs, sd)
	}
	return cp
}

// releaseSnapshot ends the capture: writes stop copying values. Lock held.
func (s *Server) releaseSnapshot(cp *capture) {
	if cp != nil && s.snap.active && s.snap.gen == cp.gen {
		s.snap.active, s.snap.gen = false, 0
	}
}

// unshare gives o private storage if the active capture holds it; every in-place change of a value goes
// through here first (lookupWrite does it for write commands).
func (s *Server) unshare(o *keyspace.Object) {
	if o != nil && o.SnapGen != 0 && s.snap.active && o.SnapGen == s.snap.gen {
		o.Unshare()
	}
}

// snapshotShares reports whether the active capture holds o's value (a lazy free must not dismantle it).
func (s *Server) snapshotShares(o *keyspace.Object) bool {
	return o != nil && o.SnapGen != 0 && s.snap.active && o.SnapGen == s.snap.gen
}
