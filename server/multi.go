package server

import (
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// multiState is an open MULTI: the queued commands, and whether one of them was refused (EXEC then
// answers EXECABORT).
type multiState struct {
	cmds    []queuedCommand
	aborted bool
	writes  bool // some queued command writes: a CLIENT PAUSE WRITE holds the whole EXEC
}

type queuedCommand struct {
	cmd  *Command
	args [][]byte
}

// watchKey identifies a watched key.
type watchKey struct {
	db  int
	key string
}

// watchEntry is one key a client watches; expired records that the key was already logically expired
// when it was watched, so that its later reclaiming does not count as a change.
type watchEntry struct {
	watchKey
	expired bool
}

// controlsTransaction lists the commands that run at once inside MULTI instead of being queued.
func (cmd *Command) controlsTransaction() bool {
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// flagTransaction marks an open MULTI as failed after a refused command.
func (c *Client) flagTransaction() {
	if c.multi != nil {
		c.multi.aborted = true
	}
}

// queueCommand adds an admitted command to the open transaction. The arguments are copied: the input
// buffer they point into is reused.
func (s *Server) queueCommand(c *Client, cmd *Command, args [][]byte) {
	if cmd.Flags&flagNoMulti != 0 {
		c.Err("ERR Command not allowed inside a transaction")
		c.flagTransaction()
		return
	}
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	c.multi.cmds = append(c.multi.cmds, queuedCommand{cmd, cp})
	if cmd.Flags&(flagWrite|flagMayReplicate) != 0 {
		c.multi.writes = true
	}
	c.W().Simple("QUEUED")
}

func multiCommand(c *Client, args [][]byte) {
	if c.multi != nil {
		c.Err("ERR MULTI calls can not be nested")
		return
	}
	c.multi = &multiState{}
	c.W().OK()
}

func discardCommand(c *Client, args [][]byte) {
	if c.multi == nil {
		c.Err("ERR DISCARD without MULTI")
		return
	}
	c.multi = nil
	c.srv.unwatchAll(c)
	c.W().OK()
}

func execCommand(c *Client, args [][]byte) {
	s := c.srv
	if c.multi == nil {
		c.Err("ERR EXEC without MULTI")
		return
	}
	m := c.multi
	c.multi = nil
	if m.aborted {
		s.unwatchAll(c)
		c.Err("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	if c.dirtyCAS || s.watchedKeyExpired(c) {
		s.unwatchAll(c)
		c.W().NullArray()
		return
	}
	s.unwatchAll(c)
	c.W().Array(len(m.cmds))
	c.inExec = true
	for _, q := range m.cmds {
		// permissions may have changed since the command was queued
		if msg := s.acl.check(c, q.cmd, q.args); msg != "" {
			s.cstat(q.cmd).rejected++
			c.Err(msg)
			continue
		}
		s.invoke(c, q.cmd, q.args)
	}
	c.inExec = false
}

func watchCommand(c *Client, args [][]byte) {
	s := c.srv
	if c.multi != nil {
		c.Err("ERR WATCH inside MULTI is not allowed")
		return
	}
	db := c.dbx()
	for _, k := range args[1:] {
		wk := watchKey{c.db, string(k)}
		dup := false
		for _, e := range c.watching {
			if e.watchKey == wk {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		expired := false
		if when := db.Expire(k); when >= 0 && when <= s.nowMs() && db.Get(k) != nil {
			expired = true
		}
		c.watching = append(c.watching, watchEntry{wk, expired})
		set := s.watched[wk]
		if set == nil {
			set = map[*Client]struct{}{}
			s.watched[wk] = set
		}
		set[c] = struct{}{}
	}
	c.W().OK()
}

func unwatchCommand(c *Client, args [][]byte) {
	c.srv.unwatchAll(c)
	c.dirtyCAS = false
	c.W().OK()
}

// unwatchAll forgets every key c watches.
func (s *Server) unwatchAll(c *Client) {
	for _, e := range c.watching {
		if set := s.watched[e.watchKey]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(s.watched, e.watchKey)
			}
		}
	}
	c.watching = nil
	c.dirtyCAS = false
}

// touchWatchedKey marks every client watching key as dirty (its EXEC will fail).
func (s *Server) touchWatchedKey(dbID int, key []byte) {
	if len(s.watched) == 0 {
		return
	}
	for c := range s.watched[watchKey{dbID, string(key)}] {
		c.dirtyCAS = true
	}
}

// touchWatchedDB is FLUSHDB/FLUSHALL/SWAPDB's effect on WATCH: every watched key of database dbID that
// exists there (or, for SWAPDB, in the database it is swapped with) counts as modified.
func (s *Server) touchWatchedDB(dbID int, other *keyspace.DB) {
	if other != nil {
		// SWAPDB: keys blocked clients wait for may exist now
		for wk := range s.blockedKeys {
			if wk.db == dbID {
				s.signalKeyReady(dbID, []byte(wk.key))
			}
		}
	}
	if len(s.watched) == 0 {
		return
	}
	db := s.dbs[dbID]
	for wk, set := range s.watched {
		if wk.db != dbID {
			continue
		}
		k := []byte(wk.key)
		if db.Get(k) == nil && (other == nil || other.Get(k) == nil) {
			continue
		}
		for c := range set {
			c.dirtyCAS = true
		}
	}
}

// watchedKeyExpired reports whether a key that was live when watched has expired since (Valkey treats
// that as a change even before the key is reclaimed).
func (s *Server) watchedKeyExpired(c *Client) bool {
	now := s.nowMs()
	for _, e := range c.watching {
		if e.expired {
			continue
		}
		db := s.dbs[e.db]
		k := []byte(e.key)
		if when := db.Expire(k); when >= 0 && when <= now && db.Get(k) != nil {
			return true
		}
	}
	return false
}

func init() {
	register(
		spec{name: "multi", arity: 1, flags: "noscript loading stale fast allow_busy", group: "transactions", summary: "Starts a transaction.", since: "1.2.0", complexity: "O(1)", handler: multiCommand},
		spec{name: "exec", arity: 1, flags: "noscript loading stale skip_slowlog", group: "transactions", summary: "Executes all commands in a transaction.", since: "1.2.0", complexity: "Depends on commands in the transaction", handler: execCommand},
		spec{name: "discard", arity: 1, flags: "noscript loading stale fast allow_busy", group: "transactions", summary: "Discards a transaction.", since: "2.0.0", complexity: "O(N), when N is the number of queued commands", handler: discardCommand},
		spec{name: "watch", arity: -2, flags: "noscript loading stale fast allow_busy", first: 1, last: -1, step: 1, group: "transactions", summary: "Monitors changes to keys to determine the execution of a transaction.", since: "2.2.0", complexity: "O(1) for every key.", handler: watchCommand},
		spec{name: "unwatch", arity: 1, flags: "noscript loading stale fast allow_busy", group: "transactions", summary: "Forgets about watched keys of a transaction.", since: "2.2.0", complexity: "O(1)", handler: unwatchCommand},
	)
}
