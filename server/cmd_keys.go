package server

import (
	"bytes"
	"math"
	"strconv"

	"github.com/valkey-node/valkey-node/server/glob"
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// lookupNoTouch is a read lookup that counts hits and misses but leaves the access time alone (EXISTS,
// TYPE, TTL, OBJECT: Valkey's LOOKUP_NOTOUCH).
func (s *Server) lookupNoTouch(c *Client, key []byte) *keyspace.Object {
	db := c.dbx()
	var o *keyspace.Object
	if !s.expireIfNeeded(db, key) {
		o = db.Get(key)
	}
	if o == nil {
		s.stats.keyspaceMisses++
	} else {
		s.stats.keyspaceHits++
	}
	return o
}

// kindByName maps a TYPE name (case-insensitive) to its kind.
func kindByName(name []byte) (keyspace.Kind, bool) {
	for k := keyspace.KindString; k <= keyspace.KindStream; k++ {
		if eqFold(name, k.String()) {
			return k, true
		}
	}
	return 0, false
}

// DEL and UNLINK share one body: UNLINK always hands large values to the background freer, DEL does
// with lazyfree-lazy-user-del (lazyfree.go says what that gains in Go).
func delCommand(c *Client, args [][]byte)    { delGeneric(c, args, c.srv.cfg.Memory.LazyUserDel) }
func unlinkCommand(c *Client, args [][]byte) { delGeneric(c, args, true) }

func delGeneric(c *Client, args [][]byte, lazy bool) {
	s := c.srv
	db := c.dbx()
	n := 0
	for _, key := range args[1:] {
		s.expireIfNeeded(db, key)
		if _, ok := s.memDeleteKey(db.ID, key, lazy); ok {
			s.keyModified(db, key)
			s.notifyKeyspace(notifyGeneric, "del", key, db.ID)
			n++
		}
	}
	c.W().Int(int64(n))
}

func existsCommand(c *Client, args [][]byte) {
	s := c.srv
	n := 0
	for _, key := range args[1:] {
		if s.lookupNoTouch(c, key) != nil {
			n++
		}
	}
	c.W().Int(int64(n))
}

func typeCommand(c *Client, args [][]byte) {
	o := c.srv.lookupNoTouch(c, args[1])
	if o == nil {
		c.W().Simple("none")
		return
	}
	c.W().Simple(o.Kind.String())
}

// TOUCH updates the access time even for a client in CLIENT NO-TOUCH mode: touching is its purpose.
func touchCommand(c *Client, args [][]byte) {
	s := c.srv
	db := c.dbx()
	n := 0
	for _, key := range args[1:] {
		s.expireIfNeeded(db, key)
		if o := db.Get(key); o != nil {
			s.stats.keyspaceHits++
			s.touchObject(o)
			n++
		} else {
			s.stats.keyspaceMisses++
		}
	}
	c.W().Int(int64(n))
}

// KEYS lists the live keys matching a pattern; expired keys are skipped, not reclaimed (the iteration
// must not change the table).
func keysCommand(c *Client, args [][]byte) {
	s := c.srv
	db := c.dbx()
	pattern := args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	now := s.nowMs()
	var keys []string
	db.Range(func(k string, _ *keyspace.Object) bool {
		if !all && !glob.Match(pattern, []byte(k), false) {
			return true
		}
		if when := db.ExpireOf(k); when >= 0 && when <= now {
			return true
		}
		keys = append(keys, k)
		return true
	})
	c.W().StringArray(keys)
}

// parseScanCursor reads a SCAN cursor as Valkey's string2ull: a strict decimal first, then what strtoull
// takes (leading blanks, a sign, leading zeros); anything else, or a value past 2^64-1, is refused.
func parseScanCursor(b []byte) (uint64, bool) {
	if n, ok := parseInt64(b); ok {
		return uint64(n), n >= 0
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:]), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
//
// The cursor is the dictionary's reverse-binary cursor, so a full iteration returns every key present
// from start to end at least once even while the table resizes. Each call visits buckets until COUNT keys
// were sampled (or ten times COUNT buckets), then drops the keys that turn out to be expired.
func scanCommand(c *Client, args [][]byte) {
	s := c.srv
	cursor, ok := parseScanCursor(args[1])
	if !ok {
		c.Err("ERR invalid cursor")
		return
	}
	count := int64(10)
	var pattern []byte
	kind, byKind := keyspace.Kind(0), false
	for i := 2; i < len(args); i += 2 {
		more := i+1 < len(args)
		switch {
		case eqFold(args[i], "count") && more:
			n, ok := parseInt64(args[i+1])
			if !ok {
				c.Err(errNotInt)
				return
			}
			if n < 1 {
				c.Err(errSyntax)
				return
			}
			count = n
		case eqFold(args[i], "match") && more:
			pattern = args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil // matches everything
			}
		case eqFold(args[i], "type") && more:
			if kind, byKind = kindByName(args[i+1]); !byKind {
				c.Err("ERR unknown type name '" + string(args[i+1]) + "'")
				return
			}
		default:
			c.Err(errSyntax)
			return
		}
	}
	db := c.dbx()
	maxIter := int64(math.MaxInt64)
	if count < math.MaxInt64/10 {
		maxIter = count * 10
	}
	var keys []string
	var sampled int64
	for {
		cursor = db.Scan(cursor, func(k string, o *keyspace.Object) {
			sampled++
			if byKind && o.Kind != kind {
				return
			}
			if pattern != nil && !glob.Match(pattern, []byte(k), false) {
				return
			}
			keys = append(keys, k)
		})
		if cursor == 0 || maxIter == 0 || sampled >= count {
			break
		}
		maxIter--
	}
	// lazy expiry only after the iteration step, which must not see the table change
	live := keys[:0]
	for _, k := range keys {
		if db.ExpireOf(k) >= 0 && s.expireIfNeeded(db, []byte(k)) {
			continue
		}
		live = append(live, k)
	}
	w := c.W()
	w.Array(2)
	var tmp [20]byte
	w.Bulk(strconv.AppendUint(tmp[:0], cursor, 10))
	w.StringArray(live)
}

// RANDOMKEY returns a random live key; expired keys met on the way are reclaimed, so the loop ends.
func randomkeyCommand(c *Client, args [][]byte) {
	s := c.srv
	db := c.dbx()
	for db.Len() > 0 {
		k, ok := db.RandomKey(s.rng)
		if !ok {
			break
		}
		if db.ExpireOf(k) >= 0 && s.expireIfNeeded(db, []byte(k)) {
			continue
		}
		c.W().BulkString(k)
		return
	}
	c.W().Null()
}

// renameGeneric is RENAME and RENAMENX. The value object moves as is, with its time to live.
func renameGeneric(c *Client, args [][]byte, nx bool) {
	s := c.srv
	src, dst := args[1], args[2]
	o := s.lookupWrite(c, src)
	if o == nil {
		c.Err(errNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			c.W().Int(0)
		} else {
			c.W().OK()
		}
		return
	}
	db := c.dbx()
	expire := db.Expire(src)
	if s.lookupWrite(c, dst) != nil {
		if nx {
			c.W().Int(0)
			return
		}
		s.memDeleteKey(db.ID, dst, s.cfg.Memory.LazyServerDel)
	}
	obj := *o
	db.Delete(src)
	db.Add(dst, obj)
	if expire >= 0 {
		db.SetExpire(dst, expire)
	}
	s.keyModified(db, src)
	s.keyModified(db, dst)
	s.notifyKeyspace(notifyGeneric, "rename_from", src, db.ID)
	s.notifyKeyspace(notifyGeneric, "rename_to", dst, db.ID)
	if nx {
		c.W().Int(1)
	} else {
		c.W().OK()
	}
}

func renameCommand(c *Client, args [][]byte)   { renameGeneric(c, args, false) }
func renamenxCommand(c *Client, args [][]byte) { renameGeneric(c, args, true) }

// parseDBIndex reads a database number as Valkey's getIntFromObjectOrReply + selectDb do.
func (s *Server) parseDBIndex(c *Client, arg []byte) (int, bool) {
	n, ok := parseInt64(arg)
	if !ok {
		c.Err(errNotInt)
		return 0, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.Err("ERR value is out of range, value must between -2147483648 and 2147483647")
		return 0, false
	}
	if n < 0 || n >= int64(len(s.dbs)) {
		c.Err(errDBIndex)
		return 0, false
	}
	return int(n), true
}

// COPY source destination [DB destination-db] [REPLACE]
func copyCommand(c *Client, args [][]byte) {
	s := c.srv
	dbID, replace := c.db, false
	for i := 3; i < len(args); i++ {
		switch {
		case eqFold(args[i], "replace"):
			replace = true
		case eqFold(args[i], "db") && i+1 < len(args):
			id, ok := s.parseDBIndex(c, args[i+1])
			if !ok {
				return
			}
			dbID = id
			i++
		default:
			c.Err(errSyntax)
			return
		}
	}
	key, newKey := args[1], args[2]
	if dbID == c.db && bytes.Equal(key, newKey) {
		c.Err(errSameObject)
		return
	}
	o := s.lookupRead(c, key)
	if o == nil {
		c.W().Int(0)
		return
	}
	expire := c.dbx().Expire(key)
	dst := s.dbs[dbID]
	s.memNote(dbID, newKey) // the destination may be in another database: not a noted key (memory.go)
	if s.exists(dst, newKey) {
		if !replace {
			c.W().Int(0)
			return
		}
		s.memDeleteKey(dbID, newKey, s.cfg.Memory.LazyServerDel)
	}
	dup, ok := s.copyObject(o)
	if !ok {
		c.Err("ERR COPY is not supported for this value type")
		return
	}
	dst.Add(newKey, dup)
	if expire >= 0 {
		dst.SetExpire(newKey, expire)
	}
	s.keyModified(dst, newKey)
	s.notifyKeyspace(notifyGeneric, "copy_to", newKey, dst.ID)
	c.W().Int(1)
}

// MOVE key db
func moveCommand(c *Client, args [][]byte) {
	s := c.srv
	dbID, ok := s.parseDBIndex(c, args[2])
	if !ok {
		return
	}
	if dbID == c.db {
		c.Err(errSameObject)
		return
	}
	key := args[1]
	o := s.lookupWrite(c, key)
	if o == nil {
		c.W().Int(0)
		return
	}
	src, dst := c.dbx(), s.dbs[dbID]
	expire := src.Expire(key)
	if s.exists(dst, key) {
		c.W().Int(0)
		return
	}
	obj := *o
	s.memNote(dbID, key) // the key in the other database is not a noted key (memory.go)
	src.Delete(key)
	dst.Add(key, obj)
	if expire >= 0 {
		dst.SetExpire(key, expire)
	}
	s.keyModified(src, key)
	s.keyModified(dst, key)
	s.notifyKeyspace(notifyGeneric, "move_from", key, src.ID)
	s.notifyKeyspace(notifyGeneric, "move_to", key, dst.ID)
	c.W().Int(1)
}

func init() {
	register(
		spec{name: "del", arity: -2, flags: "write", first: 1, last: -1, step: 1, group: "generic", summary: "Deletes one or more keys.", since: "1.0.0", complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", handler: delCommand},
		spec{name: "unlink", arity: -2, flags: "write fast", first: 1, last: -1, step: 1, group: "generic", summary: "Asynchronously deletes one or more keys.", since: "4.0.0", complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", handler: unlinkCommand},
		spec{name: "exists", arity: -2, flags: "readonly fast", first: 1, last: -1, step: 1, group: "generic", summary: "Determines whether one or more keys exist.", since: "1.0.0", complexity: "O(N) where N is the number of keys to check.", handler: existsCommand},
		spec{name: "type", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: "generic", summary: "Determines the type of value stored at a key.", since: "1.0.0", complexity: "O(1)", handler: typeCommand},
		spec{name: "touch", arity: -2, flags: "readonly fast", first: 1, last: -1, step: 1, group: "generic", summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.", since: "3.2.1", complexity: "O(N) where N is the number of keys that will be touched.", handler: touchCommand},
		spec{name: "keys", arity: 2, flags: "readonly dangerous", group: "generic", summary: "Returns all key names that match a pattern.", since: "1.0.0", complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", handler: keysCommand},
		spec{name: "scan", arity: -2, flags: "readonly", group: "generic", summary: "Iterates over the key names in the database.", since: "2.8.0", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", handler: scanCommand},
		spec{name: "randomkey", arity: 1, flags: "readonly", group: "generic", summary: "Returns a random key name from the database.", since: "1.0.0", complexity: "O(1)", handler: randomkeyCommand},
		spec{name: "rename", arity: 3, flags: "write", first: 1, last: 2, step: 1, group: "generic", summary: "Renames a key and overwrites the destination.", since: "1.0.0", complexity: "O(1)", handler: renameCommand},
		spec{name: "renamenx", arity: 3, flags: "write fast", first: 1, last: 2, step: 1, group: "generic", summary: "Renames a key only when the target key name doesn't exist.", since: "1.0.0", complexity: "O(1)", handler: renamenxCommand},
		spec{name: "copy", arity: -3, flags: "write denyoom", first: 1, last: 2, step: 1, group: "generic", summary: "Copies the value of a key to a new key.", since: "6.2.0", complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", handler: copyCommand},
		spec{name: "move", arity: 3, flags: "write fast", first: 1, last: 1, step: 1, group: "generic", summary: "Moves a key to another database.", since: "1.0.0", complexity: "O(1)", handler: moveCommand},
	)
}
