package server

import (
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Set algebra: SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE. Results are built
// the way Valkey builds them (a fresh set that starts as an intset or listpack and converts as members
// arrive), so the encoding of a stored result and the order of a reply match Valkey's.

// loadSets looks up the input keys: a missing key is a nil set (an empty input); any key of another type
// fails the whole command with WRONGTYPE, checked before anything else happens.
func (s *Server) loadSets(c *Client, keys [][]byte, forWrite bool) ([]*keyspace.Set, bool) {
	sets := make([]*keyspace.Set, len(keys))
	for i, k := range keys {
		var o *keyspace.Object
		if forWrite {
			o = s.lookupWrite(c, k)
		} else {
			o = s.lookupRead(c, k)
		}
		set, ok := setOf(c, o)
		if !ok {
			return nil, false
		}
		sets[i] = set
	}
	return sets, true
}

// storeSetResult makes result the value of dst (dropping any time to live, as a SET does), or deletes
// dst when the result is empty, and replies with the result's size.
func (s *Server) storeSetResult(c *Client, dst []byte, result *keyspace.Set, event string) {
	db := c.dbx()
	if result != nil && result.Len() > 0 {
		s.expireIfNeeded(db, dst)
		db.Set(dst, keyspace.Object{Kind: keyspace.KindSet, Val: result, LRU: s.lruClock()}, false)
		s.keyModified(db, dst)
		s.notifyKeyspace(notifySet, event, dst, db.ID)
		c.W().Int(int64(result.Len()))
		return
	}
	if s.exists(db, dst) {
		db.Delete(dst)
		s.keyModified(db, dst)
		s.notifyKeyspace(notifyGeneric, "del", dst, db.ID)
	}
	c.W().Int(0)
}

// sinterGeneric is SINTER (dst nil), SINTERSTORE (dst set) and SINTERCARD (cardOnly, with limit; 0 is
// no limit). The smallest input is walked and each member tested against the others.
func (s *Server) sinterGeneric(c *Client, keys [][]byte, dst []byte, cardOnly bool, limit int64) {
	sets, ok := s.loadSets(c, keys, dst != nil)
	if !ok {
		return
	}
	for _, set := range sets {
		if set == nil {
			// an intersection with an empty set is empty
			switch {
			case dst != nil:
				s.storeSetResult(c, dst, nil, "sinterstore")
			case cardOnly:
				c.W().Int(0)
			default:
				c.W().Set(0)
			}
			return
		}
	}
	sortSetsBySize(sets)
	first := sets[0]
	var result *keyspace.Set
	if dst != nil {
		if first.IsIntset() {
			result = keyspace.NewIntset()
		} else {
			result = keyspace.NewListpackSet()
		}
	}
	lim := s.setLimits()
	var members [][]byte
	var card int64
	onlyInts := true
	first.Each(func(m []byte) bool {
		for _, other := range sets[1:] {
			if other != first && !other.Contains(m) {
				return true
			}
		}
		switch {
		case cardOnly:
			card++
			return limit == 0 || card < limit
		case result != nil:
			if onlyInts {
				_, onlyInts = keyspace.ParseInt(m)
			}
			result.Add(m, lim)
		default:
			members = append(members, append([]byte(nil), m...))
		}
		return true
	})
	switch {
	case cardOnly:
		c.W().Int(card)
	case result != nil:
		if onlyInts {
			result.ToIntsetIfPossible(lim)
		}
		s.storeSetResult(c, dst, result, "sinterstore")
	default:
		writeSetMembers(c, members)
	}
}

func sinterCommand(c *Client, args [][]byte) { c.srv.sinterGeneric(c, args[1:], nil, false, 0) }
func sinterstoreCommand(c *Client, args [][]byte) {
	c.srv.sinterGeneric(c, args[2:], args[1], false, 0)
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
func sintercardCommand(c *Client, args [][]byte) {
	numkeys, ok := parseInt64(args[1])
	if !ok || numkeys < 1 {
		c.Err("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(args)-2) {
		c.Err("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for i := 2 + int(numkeys); i < len(args); i++ {
		if eqFold(args[i], "limit") && i+1 < len(args) {
			i++
			n, ok := parseInt64(args[i])
			if !ok || n < 0 {
				c.Err("ERR LIMIT can't be negative")
				return
			}
			limit = n
			continue
		}
		c.Err(errSyntax)
		return
	}
	c.srv.sinterGeneric(c, args[2:2+int(numkeys)], nil, true, limit)
}

// sintercardKeys gives SINTERCARD's key positions (numkeys, then the keys); none when numkeys is not a
// valid count of the arguments present.
func sintercardKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	n, ok := parseInt64(args[1])
	if !ok || n < 1 || n > int64(len(args)-2) {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 2 + i
	}
	return out
}

const (
	setOpUnion = iota
	setOpDiff
)

// sunionDiffGeneric is SUNION, SDIFF and their STORE forms (dst set).
func (s *Server) sunionDiffGeneric(c *Client, keys [][]byte, dst []byte, op int) {
	sets, ok := s.loadSets(c, keys, dst != nil)
	if !ok {
		return
	}
	// a later key naming the first one makes a difference empty
	sameSet := false
	if sets[0] != nil {
		for j := 1; j < len(keys); j++ {
			if sameKey(keys[j], keys[0]) {
				sameSet = true
			}
		}
	}
	// Valkey picks between two ways of computing a difference by their estimated work: testing each
	// member of the first set against the others (favoured by half), or copying the first set and
	// removing the others' members. The choice shows in the encoding of a stored result, so it is kept.
	firstWalk := true
	if op == setOpDiff && sets[0] != nil && !sameSet {
		var walk, copyRemove int
		for _, set := range sets {
			if set != nil {
				walk += sets[0].Len()
				copyRemove += set.Len()
			}
		}
		firstWalk = walk/2 <= copyRemove
		if firstWalk && len(sets) > 2 {
			rest := sets[1:]
			sortSetsBySize(rest)
			for i, j := 0, len(rest)-1; i < j; i, j = i+1, j-1 {
				rest[i], rest[j] = rest[j], rest[i]
			}
		}
	}
	lim := s.setLimits()
	result := keyspace.NewIntset()
	switch {
	case op == setOpUnion:
		for _, set := range sets {
			if set != nil {
				set.Each(func(m []byte) bool {
					result.Add(m, lim)
					return true
				})
			}
		}
	case sameSet || sets[0] == nil:
		// empty
	case firstWalk:
		sets[0].Each(func(m []byte) bool {
			for _, other := range sets[1:] {
				if other != nil && other.Contains(m) {
					return true
				}
			}
			result.Add(m, lim)
			return true
		})
	default:
		sets[0].Each(func(m []byte) bool {
			result.Add(m, lim)
			return true
		})
		for _, other := range sets[1:] {
			if result.Len() == 0 {
				break
			}
			if other != nil {
				other.Each(func(m []byte) bool {
					result.Remove(m)
					return true
				})
			}
		}
	}
	if dst != nil {
		event := "sunionstore"
		if op == setOpDiff {
			event = "sdiffstore"
		}
		s.storeSetResult(c, dst, result, event)
		return
	}
	w := c.W()
	w.Set(result.Len())
	result.Each(func(m []byte) bool {
		w.Bulk(m)
		return true
	})
}

func sunionCommand(c *Client, args [][]byte) { c.srv.sunionDiffGeneric(c, args[1:], nil, setOpUnion) }
func sunionstoreCommand(c *Client, args [][]byte) {
	c.srv.sunionDiffGeneric(c, args[2:], args[1], setOpUnion)
}
func sdiffCommand(c *Client, args [][]byte) { c.srv.sunionDiffGeneric(c, args[1:], nil, setOpDiff) }
func sdiffstoreCommand(c *Client, args [][]byte) {
	c.srv.sunionDiffGeneric(c, args[2:], args[1], setOpDiff)
}

func init() {
	const g = "set"
	const interComplexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."
	const unionComplexity = "O(N) where N is the total number of elements in all given sets."
	register(
		spec{name: "sinter", arity: -2, flags: "readonly", first: 1, last: -1, step: 1, group: g, since: "1.0.0",
			summary: "Returns the intersect of multiple sets.", complexity: interComplexity, handler: sinterCommand},
		spec{name: "sintercard", arity: -3, flags: "readonly", group: g, since: "7.0.0", keys: sintercardKeys,
			summary: "Returns the number of members of the intersect of multiple sets.", complexity: interComplexity, handler: sintercardCommand},
		spec{name: "sinterstore", arity: -3, flags: "write denyoom", first: 1, last: -1, step: 1, group: g, since: "1.0.0",
			summary: "Stores the intersect of multiple sets in a key.", complexity: interComplexity, handler: sinterstoreCommand},
		spec{name: "sunion", arity: -2, flags: "readonly", first: 1, last: -1, step: 1, group: g, since: "1.0.0",
			summary: "Returns the union of multiple sets.", complexity: unionComplexity, handler: sunionCommand},
		spec{name: "sunionstore", arity: -3, flags: "write denyoom", first: 1, last: -1, step: 1, group: g, since: "1.0.0",
			summary: "Stores the union of multiple sets in a key.", complexity: unionComplexity, handler: sunionstoreCommand},
		spec{name: "sdiff", arity: -2, flags: "readonly", first: 1, last: -1, step: 1, group: g, since: "1.0.0",
			summary: "Returns the difference of multiple sets.", complexity: unionComplexity, handler: sdiffCommand},
		spec{name: "sdiffstore", arity: -3, flags: "write denyoom", first: 1, last: -1, step: 1, group: g, since: "1.0.0",
			summary: "Stores the difference of multiple sets in a key.", complexity: unionComplexity, handler: sdiffstoreCommand},
	)
}
