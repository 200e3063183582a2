package server

import (
	"math"

	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/server/hll"
	"github.com/valkey-node/valkey-node/server/keyspace"
)

const (
	errNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errCorruptHLL = "INVALIDOBJ Corrupted HLL object detected"
)

func (s *Server) registerHLLDirectives() {
	s.reg.Add(
		&config.Directive{Name: "hll-sparse-max-bytes", Default: "3000",
			Value: config.Memory{P: &s.cfg.HLLSparseMaxBytes, Min: 0, Max: math.MaxInt64}},
	)
}

// hllOf checks that an existing value is a HyperLogLog, replying an error otherwise.
func hllOf(c *Client, o *keyspace.Object) bool {
	if o.Kind != keyspace.KindString {
		c.Err(errWrongType)
		return false
	}
	if !hll.Valid(o.Str) {
		c.Err(errNotHLL)
		return false
	}
	return true
}

// PFADD key [element ...]
func pfaddCommand(c *Client, args [][]byte) {
	s := c.srv
	db := c.dbx()
	key := args[1]
	o := s.lookupWrite(c, key)
	updated := false
	if o == nil {
		o = db.Set(key, keyspace.Object{Kind: keyspace.KindString, Str: hll.New(), Raw: true, LRU: s.lruClock()}, false)
		updated = true
	} else if !hllOf(c, o) {
		return
	}
	o.Raw, o.NoIntEnc = true, false // unshared before writing, as in Valkey
	for _, e := range args[2:] {
		b, changed, ok := hll.Add(o.Str, e, s.cfg.HLLSparseMaxBytes)
		if !ok {
			c.Err(errCorruptHLL)
			return
		}
		o.Str = b
		updated = updated || changed
	}
	if updated {
		hll.Invalidate(o.Str)
		o.Raw, o.NoIntEnc = true, false
		s.keyModified(db, key)
		s.notifyKeyspace(notifyString, "pfadd", key, db.ID)
		c.W().Int(1)
		return
	}
	c.W().Int(0)
}

// PFCOUNT key [key ...]
func pfcountCommand(c *Client, args [][]byte) {
	s := c.srv
	if len(args) > 2 {
		var regs hll.RegisterSet
		for _, k := range args[1:] {
			o := s.lookupRead(c, k)
			if o == nil {
				continue
			}
			if !hllOf(c, o) {
				return
			}
			if !hll.MergeInto(&regs, o.Str) {
				c.Err(errCorruptHLL)
				return
			}
		}
		c.W().Int(int64(hll.CountRegisters(&regs)))
		return
	}
	o := s.lookupRead(c, args[1])
	if o == nil {
		c.W().Int(0)
		return
	}
	if !hllOf(c, o) {
		return
	}
	s.unshare(o)                    // the cached count is written into the value
	o.Raw, o.NoIntEnc = true, false // unshared before reading the cache, as in Valkey
	if n, ok := hll.Cached(o.Str); ok {
		c.W().Int(int64(n))
		return
	}
	n, ok := hll.Count(o.Str)
	if !ok {
		c.Err(errCorruptHLL)
		return
	}
	// the cache lives in the value, so storing it is a modification (as in Valkey)
	hll.SetCached(o.Str, n)
	o.Raw, o.NoIntEnc = true, false
	s.keyModified(c.dbx(), args[1])
	c.W().Int(int64(n))
}

// PFMERGE destkey [sourcekey ...]
func pfmergeCommand(c *Client, args [][]byte) {
	s := c.srv
	var regs hll.RegisterSet
	dense := false
	for _, k := range args[1:] {
		o := s.lookupRead(c, k)
		if o == nil {
			continue
		}
		if !hllOf(c, o) {
			return
		}
		dense = dense || hll.IsDense(o.Str)
		if !hll.MergeInto(&regs, o.Str) {
			c.Err(errCorruptHLL)
			return
		}
	}
	db := c.dbx()
	key := args[1]
	o := s.lookupWrite(c, key)
	if o == nil {
		o = db.Set(key, keyspace.Object{Kind: keyspace.KindString, Str: hll.New(), Raw: true, LRU: s.lruClock()}, false)
	}
	o.Raw, o.NoIntEnc = true, false
	if dense {
		d, ok := hll.ToDense(o.Str)
		if !ok {
			c.Err(errCorruptHLL)
			return
		}
		o.Str = d
	}
	for i, v := range regs {
		if v == 0 {
			continue
		}
		// a corrupted destination was refused above, when it was read as a source
		o.Str, _ = hll.SetRegister(o.Str, i, v, s.cfg.HLLSparseMaxBytes)
	}
	hll.Invalidate(o.Str)
	o.Raw, o.NoIntEnc = true, false
	s.keyModified(db, key)
	s.notifyKeyspace(notifyString, "pfadd", key, db.ID)
	c.W().OK()
}

func init() {
	register(
		spec{name: "pfadd", arity: -2, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: "hyperloglog", summary: "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.", since: "2.8.9", complexity: "O(1) to add every element.", handler: pfaddCommand},
		spec{name: "pfcount", arity: -2, flags: "readonly", first: 1, last: -1, step: 1, group: "hyperloglog", summary: "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).", since: "2.8.9", complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.", handler: pfcountCommand},
		spec{name: "pfmerge", arity: -2, flags: "write denyoom", first: 1, last: -1, step: 1, group: "hyperloglog", summary: "Merges one or more HyperLogLog values into a single key.", since: "2.8.9", complexity: "O(N) to merge N HyperLogLogs, but with high constant times.", handler: pfmergeCommand},
	)
}
