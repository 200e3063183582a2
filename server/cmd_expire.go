package server

import (
	"math"
)

// The conditions of EXPIRE and friends.
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// expireGeneric is EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: the argument is in seconds when seconds is
// set, relative to base (now, or 0 for the *AT forms). A time already past deletes the key.
func expireGeneric(c *Client, args [][]byte, base int64, seconds bool, cmd string) {
	s := c.srv
	flags := 0
	for _, a := range args[3:] {
		switch {
		case eqFold(a, "nx"):
			flags |= expireNX
		case eqFold(a, "xx"):
			flags |= expireXX
		case eqFold(a, "gt"):
			flags |= expireGT
		case eqFold(a, "lt"):
			flags |= expireLT
		default:
			c.Err("ERR Unsupported option " + string(a))
			return
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.Err("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.Err("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := parseInt64(args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	invalid := "ERR invalid expire time in '" + cmd + "' command"
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.Err(invalid)
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-base {
		c.Err(invalid)
		return
	}
	when += base

	key := args[1]
	if s.lookupWrite(c, key) == nil {
		c.W().Int(0)
		return
	}
	db := c.dbx()
	if flags != 0 {
		cur := db.Expire(key) // -1: no expiry, which counts as an infinite one
		if (flags&expireNX != 0 && cur != -1) ||
			(flags&expireXX != 0 && cur == -1) ||
			(flags&expireGT != 0 && (cur == -1 || when <= cur)) ||
			(flags&expireLT != 0 && cur != -1 && when >= cur) {
			c.W().Int(0)
			return
		}
	}
	if when <= s.nowMs() {
		db.Delete(key)
		s.keyModified(db, key)
		s.notifyKeyspace(notifyGeneric, "del", key, db.ID)
		c.W().Int(1)
		return
	}
	db.SetExpire(key, when)
	s.keyModified(db, key)
	s.notifyKeyspace(notifyGeneric, "expire", key, db.ID)
	c.W().Int(1)
}

func expireCommand(c *Client, args [][]byte) {
	expireGeneric(c, args, c.srv.nowMs(), true, "expire")
}

func pexpireCommand(c *Client, args [][]byte) {
	expireGeneric(c, args, c.srv.nowMs(), false, "pexpire")
}

func expireatCommand(c *Client, args [][]byte)  { expireGeneric(c, args, 0, true, "expireat") }
func pexpireatCommand(c *Client, args [][]byte) { expireGeneric(c, args, 0, false, "pexpireat") }

// ttlGeneric is TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1 without expiry.
// Seconds are rounded to the nearest, as Valkey does.
func ttlGeneric(c *Client, key []byte, ms, absolute bool) {
	s := c.srv
	if s.lookupNoTouch(c, key) == nil {
		c.W().Int(-2)
		return
	}
	when := c.dbx().Expire(key)
	if when == -1 {
		c.W().Int(-1)
		return
	}
	t := when
	if !absolute {
		t -= s.nowMs()
	}
	t = max(t, 0)
	if !ms {
		t = (t + 500) / 1000
	}
	c.W().Int(t)
}

func ttlCommand(c *Client, args [][]byte)         { ttlGeneric(c, args[1], false, false) }
func pttlCommand(c *Client, args [][]byte)        { ttlGeneric(c, args[1], true, false) }
func expiretimeCommand(c *Client, args [][]byte)  { ttlGeneric(c, args[1], false, true) }
func pexpiretimeCommand(c *Client, args [][]byte) { ttlGeneric(c, args[1], true, true) }

func persistCommand(c *Client, args [][]byte) {
	s := c.srv
	key := args[1]
	if s.lookupWrite(c, key) == nil {
		c.W().Int(0)
		return
	}
	db := c.dbx()
	if !db.Persist(key) {
		c.W().Int(0)
		return
	}
	s.keyModified(db, key)
	s.notifyKeyspace(notifyGeneric, "persist", key, db.ID)
	c.W().Int(1)
}

func init() {
	register(
		spec{name: "expire", arity: -3, flags: "write fast", first: 1, last: 1, step: 1, group: "generic", summary: "Sets the expiration time of a key in seconds.", since: "1.0.0", complexity: "O(1)", handler: expireCommand},
		spec{name: "pexpire", arity: -3, flags: "write fast", first: 1, last: 1, step: 1, group: "generic", summary: "Sets the expiration time of a key in milliseconds.", since: "2.6.0", complexity: "O(1)", handler: pexpireCommand},
		spec{name: "expireat", arity: -3, flags: "write fast", first: 1, last: 1, step: 1, group: "generic", summary: "Sets the expiration time of a key to a Unix timestamp.", since: "1.2.0", complexity: "O(1)", handler: expireatCommand},
		spec{name: "pexpireat", arity: -3, flags: "write fast", first: 1, last: 1, step: 1, group: "generic", summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.", since: "2.6.0", complexity: "O(1)", handler: pexpireatCommand},
		spec{name: "ttl", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: "generic", summary: "Returns the expiration time in seconds of a key.", since: "1.0.0", complexity: "O(1)", handler: ttlCommand},
		spec{name: "pttl", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: "generic", summary: "Returns the expiration time in milliseconds of a key.", since: "2.6.0", complexity: "O(1)", handler: pttlCommand},
		spec{name: "expiretime", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: "generic", summary: "Returns the expiration time of a key as a Unix timestamp.", since: "7.0.0", complexity: "O(1)", handler: expiretimeCommand},
		spec{name: "pexpiretime", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: "generic", summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.", since: "7.0.0", complexity: "O(1)", handler: pexpiretimeCommand},
		spec{name: "persist", arity: 2, flags: "write fast", first: 1, last: 1, step: 1, group: "generic", summary: "Removes the expiration time of a key.", since: "2.2.0", complexity: "O(1)", handler: persistCommand},
	)
}
