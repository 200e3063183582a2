package server

import (
	"strconv"
)

// Rewrites of commands whose effect depends on when or where they run, so that a replica or a reloaded AOF
// reaches the same state: relative expiries become absolute (PEXPIREAT, SET … PXAT), float increments
// become the value they produced, and a deletion by GETDEL is a DEL. They are derived from the state the
// command left behind, which the handler already made, so the handlers stay unaware of propagation.
// Commands that choose at random (SPOP) or that pop from a key found at run time (the blocking pops) know
// what they did only while running, and call rewriteCommand themselves.

type rewriteFunc func(s *Server, c *Client, args [][]byte) [][]byte

var propagationRewrites = map[string]rewriteFunc{
	"expire":       rewriteExpire,
	"pexpire":      rewriteExpire,
	"expireat":     rewriteExpire,
	"pexpireat":    rewriteExpire,
	"set":          rewriteSet,
	"setex":        rewriteSetex,
	"psetex":       rewriteSetex,
	"getex":        rewriteGetex,
	"getdel":       rewriteGetdel,
	"incrbyfloat":  rewriteIncrbyfloat,
	"hincrbyfloat": rewriteHincrbyfloat,
}

var (
	bPEXPIREAT = []byte("PEXPIREAT")
	bPERSIST   = []byte("PERSIST")
	bSET       = []byte("SET")
	bHSET      = []byte("HSET")
	bPXAT      = []byte("PXAT")
	bKEEPTTL   = []byte("KEEPTTL")
)

// rewriteForPropagation returns the deterministic form of the running command, or nil to propagate it as
// sent. Lock held, after the handler ran.
func (s *Server) rewriteForPropagation(c *Client, cmd *Command, args [][]byte) [][]byte {
	f := propagationRewrites[cmd.Name]
	if f == nil {
		return nil
	}
	return f(s, c, args)
}

// keyExpiryArgv is how the key's current state is propagated after a change of its time to live: DEL if
// it is gone, PEXPIREAT with the absolute time if it has one, PERSIST if not.
func keyExpiryArgv(s *Server, c *Client, key []byte) [][]byte {
	db := c.dbx()
	if db.Get(key) == nil {
		return [][]byte{bDEL, key}
	}
	if when := db.Expire(key); when >= 0 {
		return [][]byte{bPEXPIREAT, key, strconv.AppendInt(nil, when, 10)}
	}
	return [][]byte{bPERSIST, key}
}

func rewriteExpire(s *Server, c *Client, args [][]byte) [][]byte {
	return keyExpiryArgv(s, c, args[1])
}

// SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL]: a relative expiry becomes PXAT with the time
// the key now has; the other options keep their meaning.
func rewriteSet(s *Server, c *Client, args [][]byte) [][]byte {
	hasExpiry := false
	for i := 3; i < len(args); i++ {
		if eqFold(args[i], "ex") || eqFold(args[i], "px") || eqFold(args[i], "exat") {
			hasExpiry = true
		}
	}
	if !hasExpiry {
		return nil
	}
	out := [][]byte{bSET, args[1], args[2]}
	for i := 3; i < len(args); i++ {
		switch {
		case eqFold(args[i], "ex"), eqFold(args[i], "px"), eqFold(args[i], "exat"), eqFold(args[i], "pxat"):
			i++ // the time: replaced below
		case eqFold(args[i], "get"):
			// the reply is not propagated; GET would only make the consumer read
		default:
			out = append(out, args[i])
		}
	}
	if when := c.dbx().Expire(args[1]); when >= 0 {
		out = append(out, bPXAT, strconv.AppendInt(nil, when, 10))
	}
	return out
}

// SETEX key seconds value → SET key value PXAT t
func rewriteSetex(s *Server, c *Client, args [][]byte) [][]byte {
	out := [][]byte{bSET, args[1], args[3]}
	if when := c.dbx().Expire(args[1]); when >= 0 {
		out = append(out, bPXAT, strconv.AppendInt(nil, when, 10))
	}
	return out
}

// GETEX key [EX|PX|EXAT|PXAT t|PERSIST] changes only the time to live.
func rewriteGetex(s *Server, c *Client, args [][]byte) [][]byte {
	return keyExpiryArgv(s, c, args[1])
}

func rewriteGetdel(s *Server, c *Client, args [][]byte) [][]byte {
	return [][]byte{bDEL, args[1]}
}

// INCRBYFLOAT → SET key <result> KEEPTTL: float formatting and rounding must not differ on the consumer.
func rewriteIncrbyfloat(s *Server, c *Client, args [][]byte) [][]byte {
	o := c.dbx().Get(args[1])
	if o == nil {
		return nil
	}
	return [][]byte{bSET, args[1], append([]byte(nil), o.Str...), bKEEPTTL}
}

// HINCRBYFLOAT → HSET key field <result>
func rewriteHincrbyfloat(s *Server, c *Client, args [][]byte) [][]byte {
	o := c.dbx().Get(args[1])
	if o == nil {
		return nil
	}
	h, ok := o.Val.(interface{ Get([]byte) ([]byte, bool) })
	if !ok {
		return nil
	}
	v, found := h.Get(args[2])
	if !found {
		return nil
	}
	return [][]byte{bHSET, args[1], args[2], append([]byte(nil), v...)}
}
