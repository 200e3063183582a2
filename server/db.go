package server

import (
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// db is the client's selected database.
func (c *Client) dbx() *keyspace.DB { return c.srv.dbs[c.db] }

// expireIfNeeded deletes key if its time to live has passed and reports whether it did (lazy expiry).
//
// A replica never deletes on its own: its primary sends a DEL when the key expires there. Until then the
// key is hidden from its clients (reported expired) but stays for the stream's commands.
func (s *Server) expireIfNeeded(db *keyspace.DB, key []byte) bool {
	if db.ExpiresLen() == 0 {
		return false
	}
	when := db.Expire(key)
	if when < 0 || when > s.nowMs() {
		return false
	}
	if s.repl.masterHost != "" {
		return s.cur == nil || !s.cur.flags.master
	}
	s.expireKey(db.ID, key)
	return true
}

// expireKey removes an expired key and accounts for it. Lock held.
func (s *Server) expireKey(dbID int, key []byte) {
	db := s.dbs[dbID]
	if _, ok := s.memDeleteKey(dbID, key, s.cfg.Memory.LazyExpire); ok {
		s.stats.expiredKeys++
		s.keyModified(db, key)
		s.notifyKeyspace(notifyExpired, "expired", key, dbID)
		// consumers do not expire keys themselves: they delete when told, so a replica or a reloaded AOF
		// never holds a key the primary no longer has
		s.alsoPropagate(dbID, bDEL, key)
	}
}

var bDEL = []byte("DEL")

// lookupRead returns the live value of key for reading, counting hits and misses, or nil.
func (s *Server) lookupRead(c *Client, key []byte) *keyspace.Object {
	db := c.dbx()
	var o *keyspace.Object
	if !s.expireIfNeeded(db, key) {
		o = db.Get(key)
	}
	if o == nil {
		s.stats.keyspaceMisses++
		return nil
	}
	s.stats.keyspaceHits++
	if !c.flags.noTouch {
		s.touchObject(o) // access time, or LFU counter (evict.go)
	}
	return o
}

// lookupWrite returns the live value of key for a write command, or nil.
func (s *Server) lookupWrite(c *Client, key []byte) *keyspace.Object {
	db := c.dbx()
	if s.expireIfNeeded(db, key) {
		return nil
	}
	if s.snap.cur != nil {
		s.preWrite(db, key) // the caller may change it in place
	}
	o := db.Get(key)
	if o != nil {
		s.touchObject(o)
		if o.SnapGen != 0 {
			s.unshare(o)
		}
	}
	return o
}

// exists is a lookup that does not count as an access.
func (s *Server) exists(db *keyspace.DB, key []byte) bool {
	return !s.expireIfNeeded(db, key) && db.Get(key) != nil
}

// keyModified is called after every change to a key: it counts the change for the save points (and is
// where WATCH invalidation and client-side caching hook in).
func (s *Server) keyModified(db *keyspace.DB, key []byte) {
	s.dirty++
	s.touchWatchedKey(db.ID, key)
	if s.trackingActive() {
		s.trackingKeyModified(db, key)
	}
	// A key that appears by any route (RENAME, MOVE, COPY, RESTORE, a push) may be what a blocked client
	// waits for; its retry checks the type, so signalling a key that cannot serve it costs one failed try.
	if len(s.blockedKeys) > 0 {
		s.signalKeyReady(db.ID, key)
	}
}

// lruClock is the access stamp of a new value: the LRU clock in seconds, as OBJECT IDLETIME counts, or
// with an LFU policy a fresh LFU field (evict.go).
func (s *Server) lruClock() uint32 {
	if s.lfuEnabled() {
		return lfuNew(s.now)
	}
	return uint32(s.now.Unix())
}

// nowMs is the command's start time in Unix ms (the real time outside commands).
func (s *Server) nowMs() int64 {
	if s.now.IsZero() {
		return nowMs()
	}
	return s.now.UnixMilli()
}

// onClientGone releases what a closed client held. Lock held.
func (s *Server) onClientGone(c *Client) {
	if c.blocked != nil {
		s.unblockClient(c, unblockGone)
	}
	s.unwatchAll(c)
	s.dropSubscriptions(c)
	s.disableTracking(c)
}

// onClientReset drops per-connection state that RESET clears beyond the basics: the open transaction,
// watched keys and subscriptions. Lock held.
func (s *Server) onClientReset(c *Client) {
	c.multi = nil
	s.unwatchAll(c)
	s.dropSubscriptions(c)
	s.disableTracking(c)
}
