package server

import (
	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/resp"
)

// The blocking list commands. Each first tries what its non-blocking form does; when every key is
// missing it waits through blockOn (blocking.go). When a push makes a key ready, the waiting clients are
// served in the order they blocked by re-running that attempt on their behalf (Valkey 7.2 re-executes
// the command the same way): a client waiting on a key that is replaced by another kind of value keeps
// waiting, as in Valkey, since only a list makes it ready.

func nullArrayReply(w *resp.Writer) { w.NullArray() }
func nullReply(w *resp.Writer)      { w.Null() }

// listReady reports whether one of keys holds a non-empty list: only then does a retry run, so that a
// client is not answered because one of its keys became a value of another kind.
func (s *Server) listReady(c *Client, keys [][]byte) bool {
	db := c.dbx()
	for _, k := range keys {
		s.expireIfNeeded(db, k)
		if o := db.Get(k); o != nil && o.Kind == keyspace.KindList && o.Val.(*keyspace.List).Len() > 0 {
			return true
		}
	}
	return false
}

// bpop pops one element from the first non-empty list of keys, replying [key, element]. It reports
// whether it replied (the element, or WRONGTYPE for a key of another kind met first).
func (s *Server) bpop(c *Client, keys [][]byte, front bool) bool {
	for _, key := range keys {
		l, ok := s.lookupList(c, key, true)
		if !ok {
			return true
		}
		if l == nil || l.Len() == 0 {
			continue
		}
		w := c.W()
		w.Array(2)
		w.Bulk(key)
		if front {
			w.Bulk(l.PopFront())
		} else {
			w.Bulk(l.PopBack())
		}
		s.listRemoved(c, key, l, popEvent(front), 1)
		// a consumer must pop, not wait: the element is there for it too
		s.propagateAs(c, popCommandName(front), key)
		return true
	}
	return false
}

func popCommandName(front bool) []byte {
	if front {
		return bLPOP
	}
	return bRPOP
}

func whereName(front bool) []byte {
	if front {
		return bLEFT
	}
	return bRIGHT
}

var (
	bLPOP  = []byte("LPOP")
	bRPOP  = []byte("RPOP")
	bLEFT  = []byte("LEFT")
	bRIGHT = []byte("RIGHT")
	bLMOVE = []byte("LMOVE")
	bLMPOP = []byte("LMPOP")
	bCOUNT = []byte("COUNT")
	bOne   = []byte("1")
)

// blmoveServe is lmove for the blocking forms: what it did propagates as LMOVE.
func (s *Server) blmoveServe(c *Client, src, dst []byte, fromFront, toFront bool) bool {
	before := s.dirty
	if !s.lmove(c, src, dst, fromFront, toFront) {
		return false
	}
	if s.dirty != before {
		s.propagateAs(c, bLMOVE, src, dst, whereName(fromFront), whereName(toFront))
	}
	return true
}

func blpopCommand(c *Client, args [][]byte) { bpopGeneric(c, args, true) }
func brpopCommand(c *Client, args [][]byte) { bpopGeneric(c, args, false) }

// bpopGeneric is BLPOP and BRPOP: key [key ...] timeout.
func bpopGeneric(c *Client, args [][]byte, front bool) {
	s := c.srv
	timeout, msg := parseBlockTimeout(args[len(args)-1])
	if msg != "" {
		c.Err(msg)
		return
	}
	keys := args[1 : len(args)-1]
	if s.bpop(c, keys, front) {
		return
	}
	s.blockOn(c, keys, timeout, func(c *Client, keys [][]byte) bool {
		return c.srv.listReady(c, keys) && c.srv.bpop(c, keys, front)
	}, nullArrayReply)
}

// blmoveWait is the common part of BLMOVE and BRPOPLPUSH once the arguments are parsed.
func blmoveWait(c *Client, src, dst, timeoutArg []byte, fromFront, toFront bool) {
	s := c.srv
	timeout, msg := parseBlockTimeout(timeoutArg)
	if msg != "" {
		c.Err(msg)
		return
	}
	if s.blmoveServe(c, src, dst, fromFront, toFront) {
		return
	}
	// as in Valkey, a transaction (which cannot block) gets a null bulk string, but a wait that times out
	// a null array, like the other blocking list commands
	if c.inExec {
		nullReply(c.W())
		return
	}
	// the destination is kept with the source: retry gets the keys it blocked on, only the source
	dstCopy := append([]byte(nil), dst...)
	s.blockOn(c, [][]byte{src}, timeout, func(c *Client, keys [][]byte) bool {
		return c.srv.listReady(c, keys) && c.srv.blmoveServe(c, keys[0], dstCopy, fromFront, toFront)
	}, nullArrayReply)
}

func blmoveCommand(c *Client, args [][]byte) {
	from, ok1 := parseWhere(args[3])
	to, ok2 := parseWhere(args[4])
	if !ok1 || !ok2 {
		c.Err(errSyntax)
		return
	}
	blmoveWait(c, args[1], args[2], args[5], from, to)
}

func brpoplpushCommand(c *Client, args [][]byte) {
	blmoveWait(c, args[1], args[2], args[3], false, true)
}

func blmpopCommand(c *Client, args [][]byte) {
	s := c.srv
	m, ok := parseMpop(c, args, 2)
	if !ok {
		return
	}
	timeout, msg := parseBlockTimeout(args[1])
	if msg != "" {
		c.Err(msg)
		return
	}
	m.blocking = true
	if s.mpop(c, m) {
		return
	}
	front, count := m.front, m.count
	s.blockOn(c, m.keys, timeout, func(c *Client, keys [][]byte) bool {
		return c.srv.listReady(c, keys) && c.srv.mpop(c, mpopArgs{keys: keys, front: front, count: count, blocking: true})
	}, nullArrayReply)
}

func init() {
	register(
		spec{name: "blpop", arity: -3, flags: "write blocking", first: 1, last: -2, step: 1, group: listGroup,
			summary: "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", since: "2.0.0",
			complexity: "O(N) where N is the number of provided keys.", handler: blpopCommand},
		spec{name: "brpop", arity: -3, flags: "write blocking", first: 1, last: -2, step: 1, group: listGroup,
			summary: "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", since: "2.0.0",
			complexity: "O(N) where N is the number of provided keys.", handler: brpopCommand},
		spec{name: "blmove", arity: 6, flags: "write denyoom blocking", first: 1, last: 2, step: 1, group: listGroup,
			summary: "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", since: "6.2.0",
			complexity: "O(1)", handler: blmoveCommand},
		spec{name: "brpoplpush", arity: 4, flags: "write denyoom blocking", first: 1, last: 2, step: 1, group: listGroup,
			summary: "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", since: "2.2.0",
			complexity: "O(1)", handler: brpoplpushCommand},
		spec{name: "blmpop", arity: -5, flags: "write blocking", group: listGroup, keys: mpopKeys(2),
			summary: "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", since: "7.0.0",
			complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.", handler: blmpopCommand},
	)
}
