package server

import (
	"math"
)

func dbsizeCommand(c *Client, args [][]byte) { c.W().Int(int64(c.dbx().Len())) }

// parseFlushMode accepts FLUSHDB/FLUSHALL's optional ASYNC or SYNC and returns whether the flush is lazy:
// ASYNC, or neither with lazyfree-lazy-user-flush. A lazy flush hands the old tables to the background
// freer (lazyfree.go); both empty the database at once.
func parseFlushMode(c *Client, args [][]byte) (lazy, ok bool) {
	switch {
	case len(args) == 1:
		return c.srv.cfg.Memory.LazyUserFlush, true
	case len(args) == 2 && eqFold(args[1], "sync"):
		return false, true
	case len(args) == 2 && eqFold(args[1], "async"):
		return true, true
	}
	c.Err(errSyntax)
	return false, false
}

// flushDB empties one database and returns how many keys it held.
func (s *Server) flushDB(id int) int { return s.flushDBMode(id, false) }

// flushDBMode is flushDB, lazily or not.
func (s *Server) flushDBMode(id int, lazy bool) int {
	s.touchWatchedDB(id, nil)
	return s.memFlushDB(id, lazy)
}

func flushdbCommand(c *Client, args [][]byte) {
	lazy, ok := parseFlushMode(c, args)
	if !ok {
		return
	}
	s := c.srv
	s.dirty += int64(s.flushDBMode(c.db, lazy))
	s.trackingFlush()
	c.W().OK()
}

func flushallCommand(c *Client, args [][]byte) {
	lazy, ok := parseFlushMode(c, args)
	if !ok {
		return
	}
	s := c.srv
	n := 0
	for id := range s.dbs {
		n += s.flushDBMode(id, lazy)
	}
	// one more change than keys removed, as Valkey counts it, so that a FLUSHALL of an empty data set
	// still reaches the save points
	s.dirty += int64(n) + 1
	s.trackingFlush()
	c.W().OK()
}

// SWAPDB index1 index2: clients stay on their database number and see the other contents.
func swapdbCommand(c *Client, args [][]byte) {
	s := c.srv
	a, ok := parseInt64(args[1])
	if !ok || a < math.MinInt32 || a > math.MaxInt32 {
		c.Err("ERR invalid first DB index")
		return
	}
	b, ok := parseInt64(args[2])
	if !ok || b < math.MinInt32 || b > math.MaxInt32 {
		c.Err("ERR invalid second DB index")
		return
	}
	n := int64(len(s.dbs))
	if a < 0 || a >= n || b < 0 || b >= n {
		c.Err(errDBIndex)
		return
	}
	if a != b {
		s.touchWatchedDB(int(a), s.dbs[b])
		s.touchWatchedDB(int(b), s.dbs[a])
		s.memSwapDB(int(a), int(b))
		s.dbs[a].Swap(s.dbs[b])
		s.dirty++
	}
	c.W().OK()
}

func init() {
	register(
		spec{name: "dbsize", arity: 1, flags: "readonly fast", group: "server", summary: "Returns the number of keys in the database.", since: "1.0.0", complexity: "O(1)", handler: dbsizeCommand},
		spec{name: "flushdb", arity: -1, flags: "write dangerous", group: "server", summary: "Remove all keys from the current database.", since: "1.0.0", complexity: "O(N) where N is the number of keys in the selected database", handler: flushdbCommand},
		spec{name: "flushall", arity: -1, flags: "write dangerous", group: "server", summary: "Removes all keys from all databases.", since: "1.0.0", complexity: "O(N) where N is the total number of keys in all databases", handler: flushallCommand},
		spec{name: "swapdb", arity: 3, flags: "write fast dangerous", group: "server", summary: "Swaps two databases.", since: "4.0.0", complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.", handler: swapdbCommand},
	)
}
