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

// setValue stores a string value, the common end of SET and friends.
func (s *Server) setValue(c *Client, key, val []byte, keepTTL bool, expireAt int64) {
	db := c.dbx()
	v := make([]byte, len(val))
	copy(v, val)
	db.Set(key, keyspace.Object{Kind: keyspace.KindString, Str: v, LRU: s.lruClock()}, keepTTL)
	if expireAt > 0 {
		db.SetExpire(key, expireAt)
	}
	s.keyModified(db, key)
	s.notifyKeyspace(notifyString, "set", key, db.ID)
	if expireAt > 0 {
		s.notifyKeyspace(notifyGeneric, "expire", key, db.ID)
	}
}

const (
	setNX = 1 << iota
	setXX
	setGet
	setKeepTTL
	setEX
	setPX
	setEXAT
	setPXAT
)

// parseExpireArg turns an EX/PX/EXAT/PXAT argument into an absolute Unix time in ms. It returns an
// error text for invalid values.
func parseExpireArg(arg []byte, unit int, cmd string) (int64, string) {
	n, ok := parseInt64(arg)
	if !ok {
		return 0, errNotInt
	}
	if n <= 0 {
		return 0, "ERR invalid expire time in '" + cmd + "' command"
	}
	var ms int64
	switch unit {
	case setEX, setEXAT:
		if n > math.MaxInt64/1000 {
			return 0, "ERR invalid expire time in '" + cmd + "' command"
		}
		ms = n * 1000
	default:
		ms = n
	}
	if unit == setEX || unit == setPX {
		now := nowMs()
		if ms > math.MaxInt64-now {
			return 0, "ERR invalid expire time in '" + cmd + "' command"
		}
		ms += now
	}
	return ms, ""
}

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
// PXAT unix-time-milliseconds | KEEPTTL]
func setCommand(c *Client, args [][]byte) {
	s := c.srv
	flags := 0
	var expireArg []byte
	for i := 3; i < len(args); i++ {
		a := args[i]
		next := i+1 < len(args)
		switch {
		case eqFold(a, "nx") && flags&(setXX|setNX) == 0:
			flags |= setNX
		case eqFold(a, "xx") && flags&(setXX|setNX) == 0:
			flags |= setXX
		case eqFold(a, "get") && flags&setGet == 0:
			flags |= setGet
		case eqFold(a, "keepttl") && flags&(setKeepTTL|setEX|setPX|setEXAT|setPXAT) == 0:
			flags |= setKeepTTL
		case next && flags&(setKeepTTL|setEX|setPX|setEXAT|setPXAT) == 0 &&
			(eqFold(a, "ex") || eqFold(a, "px") || eqFold(a, "exat") || eqFold(a, "pxat")):
			switch {
			case eqFold(a, "ex"):
				flags |= setEX
			case eqFold(a, "px"):
				flags |= setPX
			case eqFold(a, "exat"):
				flags |= setEXAT
			default:
				flags |= setPXAT
			}
			i++
			expireArg = args[i]
		default:
			c.Err(errSyntax)
			return
		}
	}
	var expireAt int64
	if unit := flags & (setEX | setPX | setEXAT | setPXAT); unit != 0 {
		var msg string
		if expireAt, msg = parseExpireArg(expireArg, unit, "set"); msg != "" {
			c.Err(msg)
			return
		}
	}
	key := args[1]
	old := s.lookupWrite(c, key)
	if flags&setGet != 0 {
		if old != nil && old.Kind != keyspace.KindString {
			c.Err(errWrongType)
			return
		}
	}
	if (flags&setNX != 0 && old != nil) || (flags&setXX != 0 && old == nil) {
		if flags&setGet != 0 {
			if old == nil {
				c.W().Null()
			} else {
				c.W().Bulk(old.Str)
			}
		} else {
			c.W().Null()
		}
		return
	}
	if flags&setGet != 0 {
		if old == nil {
			c.W().Null()
		} else {
			c.W().Bulk(old.Str)
		}
	}
	if expireAt > 0 && expireAt <= nowMs() {
		// an expiry already in the past: the key is written and reclaimed at once, as Valkey does
		s.setValue(c, key, args[2], false, 0)
		s.expireKey(c.db, key)
		if flags&setGet == 0 {
			c.W().OK()
		}
		return
	}
	s.setValue(c, key, args[2], flags&setKeepTTL != 0, expireAt)
	if flags&setGet == 0 {
		c.W().OK()
	}
}

// ttlMs returns the remaining time to live of key in ms: -2 missing, -1 no expiry.
func (s *Server) ttlMs(c *Client, key []byte) int64 {
	if s.lookupReadNoStats(c, key) == nil {
		return -2
	}
	when := c.dbx().Expire(key)
	if when < 0 {
		return -1
	}
	return max(when-nowMs(), 0)
}

// lookupReadNoStats is a read lookup that does not count hits or touch the LRU (TTL, TYPE-like commands
// that Valkey marks as not touching).
func (s *Server) lookupReadNoStats(c *Client, key []byte) *keyspace.Object {
	db := c.dbx()
	s.expireIfNeeded(db, key)
	return db.Get(key)
}

func init() {
	register(
		spec{name: "get", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: "string", summary: "Returns the string value of a key.", since: "1.0.0", complexity: "O(1)", handler: getCommand},
		spec{name: "set", arity: -3, flags: "write denyoom", first: 1, last: 1, step: 1, group: "string", summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", since: "1.0.0", complexity: "O(1)", handler: setCommand},
	)
}
