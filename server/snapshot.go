package server

import (
	"context"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Point-in-time snapshots without fork.
//
// Valkey forks: the child sees a frozen copy of memory while the parent goes on, and the kernel copies
// pages as the parent writes them. Go cannot fork a running runtime, so valkey-node does the same
// copy-on-write at the level of keys and values, incrementally so that no step holds up clients for long:
//
//  1. Start (lock held, O(databases)): the snapshot remembers each database's tables (keyspace.View) and
//     installs a write hook on every database. Nothing is copied.
//  2. Walk: the writer goroutine takes the lock for one chunk of about a thousand keys at a time, copies
//     their 48-byte Object headers and expiries, stamps the live headers with the snapshot's generation
//     (SnapGen), and encodes the chunk without the lock. Values are not copied.
//  3. Meanwhile, before a command changes a key (the DB methods' hook, and lookupWrite for changes in
//     place), preWrite decides what the snapshot keeps for that key: if the walk has not reached it yet,
//     its current header and expiry are recorded as a pre-image (and the header stamped); either way the
//     key is marked decided, so the walk skips it when it gets there. A stamped value is replaced by a
//     private deep copy before it changes in place (Object.Unshare), so the copy the snapshot holds stays
//     as it was. Keys created meanwhile are marked decided and absent.
//  4. When the walk of a database ends, its pre-images are written after the walked keys.
//
// Reads never change a value, once Object.Settle finished any incremental rehash inside it (done when it
// is stamped). FLUSHDB/FLUSHALL install new tables and SWAPDB exchanges them, so the walk keeps the tables
// it started from.
//
// Cost: one lock hold per chunk (tens of microseconds), a map entry per key written during the snapshot,
// one copy of each value written in place during it. A stamp is trusted only within its generation, and
// generations are one byte, so before the counter wraps every stamp is cleared (once every 255 snapshots).
//
// One snapshot runs at a time (as Valkey runs one child at a time).

// snapState is the active snapshot, if any. Lock held for every use.
type snapState struct {
	cur    *capture
	last   uint8 // last generation handed out
	gen    uint8 // generation of cur (0 = none)
	active bool
}

// snapEntry is one key of a snapshot.
type snapEntry struct {
	key    string
	expire int64
	obj    keyspace.Object
}

// capDB is one database of a snapshot: its tables as they were at the start.
type capDB struct {
	id            int
	view          keyspace.View
	size, expires int // at the start: the RESIZEDB hint
	pre           []snapEntry
	done          bool
}

type capKey struct {
	db  int // index in capture.dbs
	key string
}

// capture is one point-in-time snapshot in progress.
type capture struct {
	s       *Server
	gen     uint8
	dbs     []capDB
	decided map[capKey]struct{}
	// what was true when it started, for the RDB's AUX fields and the save bookkeeping
	dirty   int64
	keys    int
	startMs int64
}

// chunkKeys is how many keys one lock hold of the walk copies.
const chunkKeys = 1024

// captureSnapshot starts a snapshot of every database. Lock held. It returns nil when another snapshot
// is still in progress.
func (s *Server) captureSnapshot() *capture {
	if s.snap.active {
		return nil
	}
	if s.snap.last == 255 {
		// the generation byte wraps: clear every stamp so an old one is never taken for this snapshot's
		for _, db := range s.dbs {
			db.Range(func(_ string, o *keyspace.Object) bool {
				o.SnapGen = 0
				return true
			})
		}
		s.snap.last = 0
	}
	s.snap.last++
	gen := s.snap.last
	cp := &capture{s: s, gen: gen, dirty: s.dirty, startMs: nowMs(), decided: map[capKey]struct{}{}}
	for _, db := range s.dbs {
		if db.Len() == 0 {
			continue
		}
		cp.dbs = append(cp.dbs, capDB{id: db.ID, view: db.View(), size: db.Len(), expires: db.ExpiresLen()})
		cp.keys += db.Len()
	}
	s.snap.cur, s.snap.gen, s.snap.active = cp, gen, true
	hook := func(db *keyspace.DB, key []byte) { s.preWrite(db, key) }
	for _, db := range s.dbs {
		db.SetHook(hook)
	}
	return cp
}

// releaseSnapshot ends the snapshot: writes stop being watched. Lock held.
func (s *Server) releaseSnapshot(cp *capture) {
	if cp == nil || s.snap.cur != cp {
		return
	}
	s.snap.cur, s.snap.gen, s.snap.active = nil, 0, false
	for _, db := range s.dbs {
		db.SetHook(nil)
	}
}

// preWrite is called before key of db changes: it keeps the key's state for the snapshot if the walk has
// not copied it yet (see the file comment). Lock held.
func (s *Server) preWrite(db *keyspace.DB, key []byte) {
	cp := s.snap.cur
	if cp == nil {
		return
	}
	i := -1
	for j := range cp.dbs {
		if !cp.dbs[j].done && db.Holds(cp.dbs[j].view) {
			i = j
			break
		}
	}
	if i < 0 {
		return // tables the snapshot does not cover, or already walked to the end
	}
	k := capKey{i, string(key)}
	if _, ok := cp.decided[k]; ok {
		return
	}
	cp.decided[k] = struct{}{}
	o := db.Get(key)
	if o == nil || o.SnapGen == cp.gen {
		return // absent when the snapshot started, or already copied by the walk
	}
	o.Settle()
	o.SnapGen = cp.gen
	cp.dbs[i].pre = append(cp.dbs[i].pre, snapEntry{key: k.key, obj: *o, expire: db.Expire(key)})
}

// unshare gives o private storage if the active snapshot holds it; every in-place change of a value goes
// through here first (lookupWrite does it for write commands).
func (s *Server) unshare(o *keyspace.Object) {
	if o != nil && o.SnapGen != 0 && s.snap.active && o.SnapGen == s.snap.gen {
		o.Unshare()
	}
}

// walk hands every key of the snapshot to onKey, database by database (onDB first for each), in chunks
// taken with the lock held unless locked says the caller holds it for the whole walk (SAVE). The entries
// passed to onKey are only valid during the call.
func (cp *capture) walk(ctx context.Context, locked bool, onDB func(d *capDB) error, onKey func(e *snapEntry) error) error {
	s := cp.s
	chunk := make([]snapEntry, 0, chunkKeys)
	for i := range cp.dbs {
		d := &cp.dbs[i]
		if err := onDB(d); err != nil {
			return err
		}
		var cursor uint64
		for {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !locked {
				s.mu.Lock()
			}
			chunk = chunk[:0]
			for {
				cursor = d.view.Scan(cursor, func(key string, o *keyspace.Object, expire int64) {
					if o.SnapGen == cp.gen {
						return // a pre-image was taken, or a rehash showed it twice
					}
					if len(cp.decided) > 0 {
						if _, ok := cp.decided[capKey{i, key}]; ok {
							return
						}
					}
					o.Settle()
					o.SnapGen = cp.gen
					chunk = append(chunk, snapEntry{key: key, obj: *o, expire: expire})
				})
				if cursor == 0 || len(chunk) >= chunkKeys {
					break
				}
			}
			var pre []snapEntry
			if cursor == 0 {
				d.done = true
				pre, d.pre = d.pre, nil
			}
			if !locked {
				s.mu.Unlock()
			}
			for j := range chunk {
				if err := onKey(&chunk[j]); err != nil {
					return err
				}
			}
			for j := range pre {
				if err := onKey(&pre[j]); err != nil {
					return err
				}
			}
			if cursor == 0 {
				break
			}
		}
	}
	return nil
}
