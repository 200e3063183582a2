package server

import (
	"math"
	"math/big"
	"strconv"

	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Hash commands: HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL,
// HINCRBY, HINCRBYFLOAT, HRANDFIELD and HSCAN. The value structure is keyspace.Hash; the scan and random
// sampling helpers shared with the set commands are in cmd_set.go.

// hashSettings are the thresholds of the listpack encoding.
type hashSettings struct {
	MaxListpackEntries int64 // hash-max-listpack-entries
	MaxListpackValue   int64 // hash-max-listpack-value (bytes)
}

func (s *Server) registerHashDirectives() {
	c := &s.cfg.Hash
	s.reg.Add(
		&config.Directive{Name: "hash-max-listpack-entries", Aliases: []string{"hash-max-ziplist-entries"}, Default: "512",
			Value: config.Int{P: &c.MaxListpackEntries, Min: 0, Max: math.MaxInt64}},
		&config.Directive{Name: "hash-max-listpack-value", Aliases: []string{"hash-max-ziplist-value"}, Default: "64",
			Value: config.Memory{P: &c.MaxListpackValue, Min: 0, Max: math.MaxInt64}},
	)
}

func (s *Server) hashLimits() keyspace.HashLimits {
	return keyspace.HashLimits{Entries: directiveInt(s.cfg.Hash.MaxListpackEntries), Value: directiveInt(s.cfg.Hash.MaxListpackValue)}
}

// directiveInt converts a directive value to int (they are within int64; int is 64 bits on every platform
// this builds for, the clamp only documents the intent).
func directiveInt(n int64) int {
	if n > math.MaxInt {
		return math.MaxInt
	}
	return int(n)
}

const (
	errHashNotInt   = "ERR hash value is not an integer"
	errHashNotFloat = "ERR hash value is not a float"
)

// hashOf returns the hash of an object, or false after replying WRONGTYPE. A nil object gives nil, true.
func hashOf(c *Client, o *keyspace.Object) (*keyspace.Hash, bool) {
	return typedValue[*keyspace.Hash](c, o, keyspace.KindHash)
}

func (s *Server) hashRead(c *Client, key []byte) (*keyspace.Hash, bool) {
	return hashOf(c, s.lookupRead(c, key))
}

func (s *Server) hashWrite(c *Client, key []byte) (*keyspace.Hash, bool) {
	return hashOf(c, s.lookupWrite(c, key))
}

// hashCreate returns the hash at key for writing, creating an empty one when the key is missing (the
// caller adds to it before the command ends).
func (s *Server) hashCreate(c *Client, key []byte) (*keyspace.Hash, bool) {
	h, ok := s.hashWrite(c, key)
	if !ok || h != nil {
		return h, ok
	}
	h = keyspace.NewHash()
	c.dbx().Add(key, keyspace.Object{Kind: keyspace.KindHash, Val: h, LRU: s.lruClock()})
	return h, true
}

// hashDeleteIfEmpty removes the key of an emptied hash, with its "del" event, as Valkey does.
func (s *Server) hashDeleteIfEmpty(db *keyspace.DB, key []byte, h *keyspace.Hash) bool {
	if h.Len() > 0 {
		return false
	}
	db.Delete(key)
	s.notifyKeyspace(notifyGeneric, "del", key, db.ID)
	return true
}

// HSET key field value [field value ...] and HMSET, which differ only in the reply.
func hsetGeneric(c *Client, args [][]byte, name string) {
	if len(args)%2 == 1 {
		c.Err("ERR wrong number of arguments for '" + name + "' command")
		return
	}
	s := c.srv
	key := args[1]
	h, ok := s.hashCreate(c, key)
	if !ok {
		return
	}
	lim := s.hashLimits()
	h.Prepare((len(args)-2)/2, lim)
	added := 0
	for i := 2; i < len(args); i += 2 {
		if h.Set(args[i], args[i+1], lim) {
			added++
		}
	}
	db := c.dbx()
	s.keyModified(db, key)
	s.notifyKeyspace(notifyHash, "hset", key, db.ID)
	if name == "hmset" {
		c.W().OK()
		return
	}
	c.W().Int(int64(added))
}

func hsetCommand(c *Client, args [][]byte)  { hsetGeneric(c, args, "hset") }
func hmsetCommand(c *Client, args [][]byte) { hsetGeneric(c, args, "hmset") }

func hsetnxCommand(c *Client, args [][]byte) {
	s := c.srv
	key := args[1]
	h, ok := s.hashCreate(c, key)
	if !ok {
		return
	}
	if h.Has(args[2]) {
		c.W().Int(0)
		return
	}
	h.Set(args[2], args[3], s.hashLimits())
	db := c.dbx()
	s.keyModified(db, key)
	s.notifyKeyspace(notifyHash, "hset", key, db.ID)
	c.W().Int(1)
}

func hgetCommand(c *Client, args [][]byte) {
	h, ok := c.srv.hashRead(c, args[1])
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(args[2]); found {
			c.W().Bulk(v)
			return
		}
	}
	c.W().Null()
}

func hmgetCommand(c *Client, args [][]byte) {
	h, ok := c.srv.hashRead(c, args[1])
	if !ok {
		return
	}
	w := c.W()
	w.Array(len(args) - 2)
	for _, f := range args[2:] {
		if h != nil {
			if v, found := h.Get(f); found {
				w.Bulk(v)
				continue
			}
		}
		w.Null()
	}
}

func hdelCommand(c *Client, args [][]byte) {
	s := c.srv
	key := args[1]
	h, ok := s.hashWrite(c, key)
	if !ok {
		return
	}
	if h == nil {
		c.W().Int(0)
		return
	}
	deleted := 0
	for _, f := range args[2:] {
		if h.Delete(f) {
			deleted++
			if h.Len() == 0 {
				break
			}
		}
	}
	if deleted > 0 {
		db := c.dbx()
		s.keyModified(db, key)
		s.notifyKeyspace(notifyHash, "hdel", key, db.ID)
		s.hashDeleteIfEmpty(db, key, h)
	}
	c.W().Int(int64(deleted))
}

func hlenCommand(c *Client, args [][]byte) {
	h, ok := c.srv.hashRead(c, args[1])
	if !ok {
		return
	}
	if h == nil {
		c.W().Int(0)
		return
	}
	c.W().Int(int64(h.Len()))
}

func hstrlenCommand(c *Client, args [][]byte) {
	h, ok := c.srv.hashRead(c, args[1])
	if !ok {
		return
	}
	n := 0
	if h != nil {
		v, _ := h.Get(args[2])
		n = len(v)
	}
	c.W().Int(int64(n))
}

func hexistsCommand(c *Client, args [][]byte) {
	h, ok := c.srv.hashRead(c, args[1])
	if !ok {
		return
	}
	if h != nil && h.Has(args[2]) {
		c.W().Int(1)
		return
	}
	c.W().Int(0)
}

// The HKEYS/HVALS/HGETALL selectors.
const (
	hashKeys = 1 << iota
	hashVals
)

func hashGetAll(c *Client, args [][]byte, what int) {
	h, ok := c.srv.hashRead(c, args[1])
	if !ok {
		return
	}
	w := c.W()
	n := 0
	if h != nil {
		n = h.Len()
	}
	if what == hashKeys|hashVals {
		w.Map(n)
	} else {
		w.Array(n)
	}
	if h == nil {
		return
	}
	h.Range(func(f, v []byte) bool {
		if what&hashKeys != 0 {
			w.Bulk(f)
		}
		if what&hashVals != 0 {
			w.Bulk(v)
		}
		return true
	})
}

func hkeysCommand(c *Client, args [][]byte)   { hashGetAll(c, args, hashKeys) }
func hvalsCommand(c *Client, args [][]byte)   { hashGetAll(c, args, hashVals) }
func hgetallCommand(c *Client, args [][]byte) { hashGetAll(c, args, hashKeys|hashVals) }

func hincrbyCommand(c *Client, args [][]byte) {
	s := c.srv
	incr, ok := parseInt64(args[3])
	if !ok {
		c.Err(errNotInt)
		return
	}
	key := args[1]
	h, ok := s.hashCreate(c, key)
	if !ok {
		return
	}
	var cur int64
	if v, found := h.Get(args[2]); found {
		if cur, ok = parseInt64(v); !ok {
			c.Err(errHashNotInt)
			return
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		c.Err(errOverflow)
		return
	}
	n := cur + incr
	var buf [20]byte
	h.Set(args[2], strconv.AppendInt(buf[:0], n, 10), s.hashLimits())
	db := c.dbx()
	s.keyModified(db, key)
	s.notifyKeyspace(notifyHash, "hincrby", key, db.ID)
	c.W().Int(n)
}

// HINCRBYFLOAT computes in Valkey's long double, like INCRBYFLOAT (parseLongDouble and formatLongDouble in
// cmd_string_num.go), so results print the same.
func hincrbyfloatCommand(c *Client, args [][]byte) {
	s := c.srv
	incr, ok := parseLongDouble(args[3])
	if !ok {
		c.Err(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.Err("ERR value is NaN or Infinity")
		return
	}
	key := args[1]
	h, ok := s.hashCreate(c, key)
	if !ok {
		return
	}
	cur := new(big.Float)
	if v, found := h.Get(args[2]); found {
		if cur, ok = parseLongDouble(v); !ok {
			c.Err(errHashNotFloat)
			return
		}
	}
	const errNaNInf = "ERR increment would produce NaN or Infinity"
	if cur.IsInf() {
		c.Err(errNaNInf)
		return
	}
	sum := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven).Add(cur, incr)
	if sum.Sign() != 0 && sum.MantExp(nil) > longDoubleMaxExp {
		c.Err(errNaNInf)
		return
	}
	str := formatLongDouble(sum)
	h.Set(args[2], str, s.hashLimits())
	db := c.dbx()
	s.keyModified(db, key)
	s.notifyKeyspace(notifyHash, "hincrbyfloat", key, db.ID)
	c.W().Bulk(str)
}

// HRANDFIELD key [count [WITHVALUES]]
func hrandfieldCommand(c *Client, args [][]byte) {
	s := c.srv
	if len(args) == 2 {
		h, ok := s.hashRead(c, args[1])
		if !ok {
			return
		}
		if h == nil {
			c.W().Null()
			return
		}
		f, _, _ := h.Random(s.rng)
		c.W().Bulk(f)
		return
	}
	count, ok := parseRandCount(c, args[2])
	if !ok {
		return
	}
	withValues := false
	if len(args) > 4 || (len(args) == 4 && !eqFold(args[3], "withvalues")) {
		c.Err(errSyntax)
		return
	}
	if len(args) == 4 {
		withValues = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.Err("ERR value is out of range")
			return
		}
	}
	h, ok := s.hashRead(c, args[1])
	if !ok {
		return
	}
	w := c.W()
	if h == nil || count == 0 {
		w.Array(0)
		return
	}
	nested := withValues && c.proto >= 3
	s.randomSample(c, count, h.Len(), h.IsListpack(),
		func(n int) {
			if withValues && !nested {
				w.Array(2 * n)
			} else {
				w.Array(n)
			}
		},
		func() [][2][]byte { return h.Pairs(nil) },
		func() [2][]byte {
			f, v, _ := h.Random(s.rng)
			return [2][]byte{f, v}
		},
		func(p [2][]byte) {
			if nested {
				w.Array(2)
			}
			w.Bulk(p[0])
			if withValues {
				w.Bulk(p[1])
			}
		})
}

// HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]
func hscanCommand(c *Client, args [][]byte) {
	s := c.srv
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.Err("ERR invalid cursor")
		return
	}
	h, ok := s.hashRead(c, args[1])
	if !ok {
		return
	}
	if h == nil {
		replyEmptyScan(c)
		return
	}
	opt, ok := parseTypeScanOptions(c, args[3:], true)
	if !ok {
		return
	}
	var items [][]byte
	collect := func(f, v []byte) {
		if opt.pattern != nil && !opt.match(f) {
			return
		}
		items = append(items, f)
		if !opt.noValues {
			items = append(items, v)
		}
	}
	if h.IsListpack() {
		cursor = h.Scan(0, collect)
	} else {
		cursor = scanSteps(cursor, opt.count, func(cur uint64, sampled *int64) uint64 {
			return h.Scan(cur, func(f, v []byte) {
				*sampled++
				collect(f, v)
			})
		})
	}
	replyScan(c, cursor, items)
}

func init() {
	const g = "hash"
	const scanComplexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."
	register(
		spec{name: "hset", arity: -4, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Creates or modifies the value of a field in a hash.", handler: hsetCommand,
			complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs."},
		spec{name: "hsetnx", arity: 4, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Sets the value of a field in a hash only when the field doesn't exist.", complexity: "O(1)", handler: hsetnxCommand},
		spec{name: "hmset", arity: -4, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Sets the values of multiple fields.", complexity: "O(N) where N is the number of fields being set.", handler: hmsetCommand},
		spec{name: "hget", arity: 3, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Returns the value of a field in a hash.", complexity: "O(1)", handler: hgetCommand},
		spec{name: "hmget", arity: -3, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Returns the values of all fields in a hash.", complexity: "O(N) where N is the number of fields being requested.", handler: hmgetCommand},
		spec{name: "hdel", arity: -3, flags: "write fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", complexity: "O(N) where N is the number of fields to be removed.", handler: hdelCommand},
		spec{name: "hlen", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Returns the number of fields in a hash.", complexity: "O(1)", handler: hlenCommand},
		spec{name: "hstrlen", arity: 3, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "3.2.0",
			summary: "Returns the length of the value of a field.", complexity: "O(1)", handler: hstrlenCommand},
		spec{name: "hexists", arity: 3, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Determines whether a field exists in a hash.", complexity: "O(1)", handler: hexistsCommand},
		spec{name: "hkeys", arity: 2, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Returns all fields in a hash.", complexity: "O(N) where N is the size of the hash.", handler: hkeysCommand},
		spec{name: "hvals", arity: 2, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Returns all values in a hash.", complexity: "O(N) where N is the size of the hash.", handler: hvalsCommand},
		spec{name: "hgetall", arity: 2, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Returns all fields and values in a hash.", complexity: "O(N) where N is the size of the hash.", handler: hgetallCommand},
		spec{name: "hincrby", arity: 4, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary: "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", complexity: "O(1)", handler: hincrbyCommand},
		spec{name: "hincrbyfloat", arity: 4, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: g, since: "2.6.0",
			summary: "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", complexity: "O(1)", handler: hincrbyfloatCommand},
		spec{name: "hrandfield", arity: -2, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "6.2.0",
			summary: "Returns one or more random fields from a hash.", complexity: "O(N) where N is the number of fields returned", handler: hrandfieldCommand},
		spec{name: "hscan", arity: -3, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "2.8.0",
			summary: "Iterates over fields and values of a hash.", complexity: scanComplexity, handler: hscanCommand},
	)
}
