package server

import (
	"math"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// getString returns the string value of key: (nil, true) when missing, (nil, false) after replying
// WRONGTYPE.
func (s *Server) getString(c *Client, key []byte) (*keyspace.Object, bool) {
	o := s.lookupRead(c, key)
	if o == nil {
		return nil, true
	}
	if o.Kind != keyspace.KindString {
		c.Err(errWrongType)
		return nil, false
	}
	return o, true
}

// writeString is getString for write commands (no hit/miss accounting).
func (s *Server) writeString(c *Client, key []byte) (*keyspace.Object, bool) {
	o := s.lookupWrite(c, key)
	if o != nil && o.Kind != keyspace.KindString {
		c.Err(errWrongType)
		return nil, false
	}
	return o, true
}

func getCommand(c *Client, args [][]byte) {
	o, ok := c.srv.getString(c, args[1])
	if !ok {
		return
	}
	if o == nil {
		c.W().Null()
		return
	}
	c.W().Bulk(o.Str)
}

// newString is a fresh string value holding a copy of val (arguments alias the input buffer).
func (s *Server) newString(val []byte) keyspace.Object {
	v := make([]byte, len(val))
	copy(v, val)
	return keyspace.Object{Kind: keyspace.KindString, Str: v, LRU: s.lruClock()}
}

// setValue stores a string value, the common end of SET and friends. The time to live is kept when
// keepTTL, and replaced when expireAt > 0.
func (s *Server) setValue(c *Client, key, val []byte, keepTTL bool, expireAt int64) {
	db := c.dbx()
	db.Set(key, s.newString(val), keepTTL || expireAt > 0)
	if expireAt > 0 {
		db.SetExpire(key, expireAt)
	}
	s.keyModified(db, key)
	s.notifyKeyspace(notifyString, "set", key, db.ID)
	if expireAt > 0 {
		s.notifyKeyspace(notifyGeneric, "expire", key, db.ID)
	}
}

// The options of SET and GETEX.
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT

	optExpire = optEX | optPX | optEXAT | optPXAT
)

// stringOptions describes each option: the options it excludes (an option may repeat, as in Valkey),
// which commands accept it, and whether it takes a value.
var stringOptions = []struct {
	name      string
	flag      int
	excludes  int
	set, getx bool
	value     bool
}{
	{"nx", optNX, optXX, true, false, false},
	{"xx", optXX, optNX, true, false, false},
	{"get", optGet, 0, true, false, false},
	{"keepttl", optKeepTTL, optPersist | optExpire, true, false, false},
	{"persist", optPersist, optKeepTTL | optExpire, false, true, false},
	{"ex", optEX, optKeepTTL | optPersist | optPX | optEXAT | optPXAT, true, true, true},
	{"px", optPX, optKeepTTL | optPersist | optEX | optEXAT | optPXAT, true, true, true},
	{"exat", optEXAT, optKeepTTL | optPersist | optEX | optPX | optPXAT, true, true, true},
	{"pxat", optPXAT, optKeepTTL | optPersist | optEX | optPX | optEXAT, true, true, true},
}

// parseStringOptions reads the options of SET (forSet) or GETEX from args[from:]; it returns the flags
// and the expire argument, or ok=false after replying a syntax error.
func parseStringOptions(c *Client, args [][]byte, from int, forSet bool) (flags int, expire []byte, ok bool) {
	for i := from; i < len(args); i++ {
		found := false
		for _, o := range stringOptions {
			if !eqFold(args[i], o.name) {
				continue
			}
			if (forSet && !o.set) || (!forSet && !o.getx) || flags&o.excludes != 0 || (o.value && i+1 >= len(args)) {
				break
			}
			flags |= o.flag
			if o.value {
				i++
				expire = args[i]
			}
			found = true
			break
		}
		if !found {
			c.Err(errSyntax)
			return 0, nil, false
		}
	}
	return flags, expire, true
}

// parseExpireArg turns an EX/PX/EXAT/PXAT argument into an absolute Unix time in ms, given the option
// flag. It returns an error text for invalid values.
func (s *Server) parseExpireArg(arg []byte, unit int, cmd string) (int64, string) {
	n, ok := parseInt64(arg)
	if !ok {
		return 0, errNotInt
	}
	invalid := "ERR invalid expire time in '" + cmd + "' command"
	if n <= 0 {
		return 0, invalid
	}
	if unit == optEX || unit == optEXAT {
		if n > math.MaxInt64/1000 {
			return 0, invalid
		}
		n *= 1000
	}
	if unit == optEX || unit == optPX {
		now := s.nowMs()
		if n > math.MaxInt64-now {
			return 0, invalid
		}
		n += now
	}
	return n, ""
}

// setResult is how setGeneric ended.
type setResult uint8

const (
	setDone    setResult = iota // the value was written
	setAborted                  // NX/XX condition not met
	setFailed                   // an error was replied
)

// setGeneric is the body of SET and its variants. With optGet it replies the old value itself.
func (s *Server) setGeneric(c *Client, flags int, key, val []byte, expireAt int64) setResult {
	if flags&optGet != 0 {
		old, ok := s.getString(c, key)
		if !ok {
			return setFailed
		}
		if old == nil {
			c.W().Null()
		} else {
			c.W().Bulk(old.Str)
		}
	}
	if flags&(optNX|optXX) != 0 {
		found := s.lookupWrite(c, key) != nil
		if (flags&optNX != 0 && found) || (flags&optXX != 0 && !found) {
			return setAborted
		}
	} else {
		// the value is replaced whatever it was; only the lazy expiry of the old one is observable
		s.expireIfNeeded(c.dbx(), key)
	}
	s.setValue(c, key, val, flags&optKeepTTL != 0, expireAt)
	if expireAt > 0 && expireAt <= s.nowMs() {
		// an absolute expiry already in the past: the key is written and reclaimed at once
		s.expireKey(c.db, key)
	}
	return setDone
}

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
// PXAT unix-time-milliseconds | KEEPTTL]
func setCommand(c *Client, args [][]byte) {
	s := c.srv
	flags, expire, ok := parseStringOptions(c, args, 3, true)
	if !ok {
		return
	}
	var expireAt int64
	if unit := flags & optExpire; unit != 0 {
		var msg string
		if expireAt, msg = s.parseExpireArg(expire, unit, "set"); msg != "" {
			c.Err(msg)
			return
		}
	}
	switch s.setGeneric(c, flags, args[1], args[2], expireAt) {
	case setDone:
		if flags&optGet == 0 {
			c.W().OK()
		}
	case setAborted:
		if flags&optGet == 0 {
			c.W().Null()
		}
	}
}

func setnxCommand(c *Client, args [][]byte) {
	if c.srv.setGeneric(c, optNX, args[1], args[2], 0) == setDone {
		c.W().Int(1)
	} else {
		c.W().Int(0)
	}
}

// setexGeneric is SETEX (unit optEX) and PSETEX (optPX).
func setexGeneric(c *Client, args [][]byte, unit int, cmd string) {
	s := c.srv
	expireAt, msg := s.parseExpireArg(args[2], unit, cmd)
	if msg != "" {
		c.Err(msg)
		return
	}
	s.setGeneric(c, 0, args[1], args[3], expireAt)
	c.W().OK()
}

func setexCommand(c *Client, args [][]byte)  { setexGeneric(c, args, optEX, "setex") }
func psetexCommand(c *Client, args [][]byte) { setexGeneric(c, args, optPX, "psetex") }

func mgetCommand(c *Client, args [][]byte) {
	s := c.srv
	w := c.W()
	w.Array(len(args) - 1)
	for _, key := range args[1:] {
		o := s.lookupRead(c, key)
		if o == nil || o.Kind != keyspace.KindString {
			w.Null()
			continue
		}
		w.Bulk(o.Str)
	}
}

// msetGeneric is MSET and MSETNX.
func msetGeneric(c *Client, args [][]byte, nx bool) {
	s := c.srv
	if len(args)%2 == 0 {
		c.Err("ERR wrong number of arguments for '" + lowerString(args[0]) + "' command")
		return
	}
	if nx {
		for i := 1; i < len(args); i += 2 {
			if s.lookupWrite(c, args[i]) != nil {
				c.W().Int(0)
				return
			}
		}
	}
	for i := 1; i < len(args); i += 2 {
		s.setValue(c, args[i], args[i+1], false, 0)
	}
	if nx {
		c.W().Int(1)
		return
	}
	c.W().OK()
}

func msetCommand(c *Client, args [][]byte)   { msetGeneric(c, args, false) }
func msetnxCommand(c *Client, args [][]byte) { msetGeneric(c, args, true) }

func getsetCommand(c *Client, args [][]byte) {
	s := c.srv
	old, ok := s.getString(c, args[1])
	if !ok {
		return
	}
	if old == nil {
		c.W().Null()
	} else {
		c.W().Bulk(old.Str)
	}
	s.setValue(c, args[1], args[2], false, 0)
}

func getdelCommand(c *Client, args [][]byte) {
	s := c.srv
	o, ok := s.getString(c, args[1])
	if !ok {
		return
	}
	if o == nil {
		c.W().Null()
		return
	}
	c.W().Bulk(o.Str)
	db := c.dbx()
	db.Delete(args[1])
	s.keyModified(db, args[1])
	s.notifyKeyspace(notifyGeneric, "del", args[1], db.ID)
}

// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
func getexCommand(c *Client, args [][]byte) {
	s := c.srv
	flags, expire, ok := parseStringOptions(c, args, 2, false)
	if !ok {
		return
	}
	key := args[1]
	o, ok := s.getString(c, key)
	if !ok {
		return
	}
	if o == nil {
		c.W().Null()
		return
	}
	var expireAt int64
	if unit := flags & optExpire; unit != 0 {
		var msg string
		if expireAt, msg = s.parseExpireArg(expire, unit, "getex"); msg != "" {
			c.Err(msg)
			return
		}
	}
	c.W().Bulk(o.Str)
	db := c.dbx()
	switch {
	case flags&(optEXAT|optPXAT) != 0 && expireAt <= s.nowMs():
		db.Delete(key)
		s.keyModified(db, key)
		s.notifyKeyspace(notifyGeneric, "del", key, db.ID)
	case expireAt > 0:
		db.SetExpire(key, expireAt)
		s.keyModified(db, key)
		s.notifyKeyspace(notifyGeneric, "expire", key, db.ID)
	case flags&optPersist != 0:
		if db.Persist(key) {
			s.keyModified(db, key)
			s.notifyKeyspace(notifyGeneric, "persist", key, db.ID)
		}
	}
}

// checkStringLength refuses a string that would grow past proto-max-bulk-len.
func (s *Server) checkStringLength(c *Client, size, add int64) bool {
	if total := size + add; total > s.cfg.ProtoMaxBulkLen || total < size {
		c.Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
		return false
	}
	return true
}

func appendCommand(c *Client, args [][]byte) {
	s := c.srv
	key, val := args[1], args[2]
	o, ok := s.writeString(c, key)
	if !ok {
		return
	}
	db := c.dbx()
	var n int
	if o == nil {
		// a new key gets the encoding SET would give it
		db.Set(key, s.newString(val), false)
		n = len(val)
	} else {
		if !s.checkStringLength(c, int64(len(o.Str)), int64(len(val))) {
			return
		}
		o.Str = append(o.Str, val...)
		o.Raw, o.NoIntEnc = true, false
		n = len(o.Str)
	}
	s.keyModified(db, key)
	s.notifyKeyspace(notifyString, "append", key, db.ID)
	c.W().Int(int64(n))
}

func strlenCommand(c *Client, args [][]byte) {
	o, ok := c.srv.getString(c, args[1])
	if !ok {
		return
	}
	if o == nil {
		c.W().Int(0)
		return
	}
	c.W().Int(int64(len(o.Str)))
}

// GETRANGE key start end (and SUBSTR): inclusive byte offsets, negative ones from the end.
func getrangeCommand(c *Client, args [][]byte) {
	start, ok1 := parseInt64(args[2])
	end, ok2 := parseInt64(args[3])
	if !ok1 || !ok2 {
		c.Err(errNotInt)
		return
	}
	o, ok := c.srv.getString(c, args[1])
	if !ok {
		return
	}
	if o == nil {
		c.W().Bulk(nil)
		return
	}
	n := int64(len(o.Str))
	if start < 0 && end < 0 && start > end {
		c.W().Bulk(nil)
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.W().Bulk(nil)
		return
	}
	c.W().Bulk(o.Str[start : end+1])
}

func setrangeCommand(c *Client, args [][]byte) {
	s := c.srv
	key, val := args[1], args[3]
	offset, ok := parseInt64(args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	if offset < 0 {
		c.Err("ERR offset is out of range")
		return
	}
	o, ok := s.writeString(c, key)
	if !ok {
		return
	}
	db := c.dbx()
	if o == nil {
		if len(val) == 0 {
			c.W().Int(0)
			return
		}
		if !s.checkStringLength(c, offset, int64(len(val))) {
			return
		}
		o = db.Set(key, keyspace.Object{Kind: keyspace.KindString, LRU: s.lruClock()}, false)
	} else {
		if len(val) == 0 {
			c.W().Int(int64(len(o.Str)))
			return
		}
		if !s.checkStringLength(c, offset, int64(len(val))) {
			return
		}
	}
	if need := int(offset) + len(val); need > len(o.Str) {
		o.Str = append(o.Str, make([]byte, need-len(o.Str))...)
	}
	copy(o.Str[offset:], val)
	// a string written by offset is always "raw" in Valkey, even when created here
	o.Raw, o.NoIntEnc = true, false
	s.keyModified(db, key)
	s.notifyKeyspace(notifyString, "setrange", key, db.ID)
	c.W().Int(int64(len(o.Str)))
}

func init() {
	register(
		spec{name: "get", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: "string", summary: "Returns the string value of a key.", since: "1.0.0", complexity: "O(1)", handler: getCommand},
		spec{name: "set", arity: -3, flags: "write denyoom", first: 1, last: 1, step: 1, group: "string", summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", since: "1.0.0", complexity: "O(1)", handler: setCommand},
		spec{name: "setnx", arity: 3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: "string", summary: "Set the string value of a key only when the key doesn't exist.", since: "1.0.0", complexity: "O(1)", handler: setnxCommand},
		spec{name: "setex", arity: 4, flags: "write denyoom", first: 1, last: 1, step: 1, group: "string", summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", since: "2.0.0", complexity: "O(1)", handler: setexCommand},
		spec{name: "psetex", arity: 4, flags: "write denyoom", first: 1, last: 1, step: 1, group: "string", summary: "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", since: "2.6.0", complexity: "O(1)", handler: psetexCommand},
		spec{name: "mget", arity: -2, flags: "readonly fast", first: 1, last: -1, step: 1, group: "string", summary: "Atomically returns the string values of one or more keys.", since: "1.0.0", complexity: "O(N) where N is the number of keys to retrieve.", handler: mgetCommand},
		spec{name: "mset", arity: -3, flags: "write denyoom", first: 1, last: -1, step: 2, group: "string", summary: "Atomically creates or modifies the string values of one or more keys.", since: "1.0.1", complexity: "O(N) where N is the number of keys to set.", handler: msetCommand},
		spec{name: "msetnx", arity: -3, flags: "write denyoom", first: 1, last: -1, step: 2, group: "string", summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.", since: "1.0.1", complexity: "O(N) where N is the number of keys to set.", handler: msetnxCommand},
		spec{name: "getset", arity: 3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: "string", summary: "Returns the previous string value of a key after setting it to a new value.", since: "1.0.0", complexity: "O(1)", handler: getsetCommand},
		spec{name: "getdel", arity: 2, flags: "write fast", first: 1, last: 1, step: 1, group: "string", summary: "Returns the string value of a key after deleting the key.", since: "6.2.0", complexity: "O(1)", handler: getdelCommand},
		spec{name: "getex", arity: -2, flags: "write fast", first: 1, last: 1, step: 1, group: "string", summary: "Returns the string value of a key after setting its expiration time.", since: "6.2.0", complexity: "O(1)", handler: getexCommand},
		spec{name: "append", arity: 3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: "string", summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", since: "2.0.0", complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by the server will double the free space available on every reallocation.", handler: appendCommand},
		spec{name: "strlen", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: "string", summary: "Returns the length of a string value.", since: "2.2.0", complexity: "O(1)", handler: strlenCommand},
		spec{name: "getrange", arity: 4, flags: "readonly", first: 1, last: 1, step: 1, group: "string", summary: "Returns a substring of the string stored at a key.", since: "2.4.0", complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", handler: getrangeCommand},
		spec{name: "substr", arity: 4, flags: "readonly", first: 1, last: 1, step: 1, group: "string", summary: "Returns a substring from a string value.", since: "1.0.0", complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", handler: getrangeCommand},
		spec{name: "setrange", arity: 4, flags: "write denyoom", first: 1, last: 1, step: 1, group: "string", summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", since: "2.2.0", complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", handler: setrangeCommand},
	)
}
