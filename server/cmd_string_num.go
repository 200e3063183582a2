package server

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// incrDecr adds by to the integer value of key (INCR, DECR, INCRBY, DECRBY). The time to live is kept.
func (s *Server) incrDecr(c *Client, key []byte, by int64) {
	o, ok := s.writeString(c, key)
	if !ok {
		return
	}
	var cur int64
	if o != nil {
		if cur, ok = parseInt64(o.Str); !ok {
			c.Err(errNotInt)
			return
		}
	}
	if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
		c.Err(errOverflow)
		return
	}
	n := cur + by
	db := c.dbx()
	if o == nil {
		o = db.Set(key, keyspace.Object{Kind: keyspace.KindString, LRU: s.lruClock()}, false)
	}
	// the result is a plain integer again, whatever the old value's encoding was
	o.Str = strconv.AppendInt(o.Str[:0], n, 10)
	o.Raw, o.NoIntEnc = false, false
	s.keyModified(db, key)
	s.notifyKeyspace(notifyString, "incrby", key, db.ID)
	c.W().Int(n)
}

func incrCommand(c *Client, args [][]byte) { c.srv.incrDecr(c, args[1], 1) }
func decrCommand(c *Client, args [][]byte) { c.srv.incrDecr(c, args[1], -1) }

func incrbyCommand(c *Client, args [][]byte) {
	by, ok := parseInt64(args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	c.srv.incrDecr(c, args[1], by)
}

func decrbyCommand(c *Client, args [][]byte) {
	by, ok := parseInt64(args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	if by == math.MinInt64 {
		c.Err("ERR decrement would overflow")
		return
	}
	c.srv.incrDecr(c, args[1], -by)
}

// INCRBYFLOAT computes in the x87 80-bit "long double" of Valkey on amd64 (64-bit mantissa, 15-bit
// exponent), emulated with math/big at 64 bits of precision, so that results print as Valkey's do: for
// example 10.5 + 0.1 is "10.6" there, where float64 arithmetic would give 10.599999999999999645.
const (
	longDoublePrec   = 64
	longDoubleMaxExp = 16384  // |x| < 2^16384
	longDoubleMinExp = -16444 // smallest subnormal is 2^-16445 = 0.5 * 2^-16444
	longDoubleMaxLen = 5 * 1024
)

// parseLongDouble parses a number the way Valkey's string2ld does with strtold: decimal or hexadecimal,
// "inf"/"infinity" with a sign; no leading space, no trailing bytes, no NaN, nothing that overflows the
// long double range or underflows to zero.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= longDoubleMaxLen {
		return nil, false
	}
	switch b[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return nil, false
	}
	str := string(b)
	body := str
	neg := false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	if l := strings.ToLower(body); l == "inf" || l == "infinity" {
		return new(big.Float).SetInf(neg), true
	}
	if strings.ContainsRune(body, '_') {
		return nil, false
	}
	base := 10
	if len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		base = 0 // the hexadecimal form, with an optional binary 'p' exponent
	} else if strings.ContainsAny(body, "pP") {
		return nil, false // math/big would read a binary exponent that strtold refuses in decimal
	}
	f, _, err := big.ParseFloat(str, base, longDoublePrec, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	if f.Sign() != 0 {
		if exp := f.MantExp(nil); exp > longDoubleMaxExp || exp < longDoubleMinExp {
			return nil, false
		}
	}
	return f, true
}

// formatLongDouble prints like Valkey's human-friendly long double format: fixed point with 17 decimals,
// then trailing zeros (and a bare point) removed, "-0" printed as "0".
func formatLongDouble(f *big.Float) []byte {
	b := f.Append(nil, 'f', 17)
	for len(b) > 0 && b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if string(b) == "-0" {
		b = b[1:]
	}
	return b
}

func incrbyfloatCommand(c *Client, args [][]byte) {
	s := c.srv
	key := args[1]
	o, ok := s.writeString(c, key)
	if !ok {
		return
	}
	cur := new(big.Float)
	if o != nil {
		if cur, ok = parseLongDouble(o.Str); !ok {
			c.Err(errNotFloat)
			return
		}
	}
	incr, ok := parseLongDouble(args[2])
	if !ok {
		c.Err(errNotFloat)
		return
	}
	const errNaNInf = "ERR increment would produce NaN or Infinity"
	if cur.IsInf() || incr.IsInf() {
		c.Err(errNaNInf)
		return
	}
	sum := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven).Add(cur, incr)
	if sum.Sign() != 0 && sum.MantExp(nil) > longDoubleMaxExp {
		c.Err(errNaNInf)
		return
	}
	str := formatLongDouble(sum)
	db := c.dbx()
	if o == nil {
		o = db.Set(key, keyspace.Object{Kind: keyspace.KindString, LRU: s.lruClock()}, false)
	}
	// Valkey stores the printed result without trying the integer encoding
	o.Str = str
	o.Raw, o.NoIntEnc = false, true
	s.keyModified(db, key)
	s.notifyKeyspace(notifyString, "incrbyfloat", key, db.ID)
	c.W().Bulk(str)
}

func init() {
	register(
		spec{name: "incr", arity: 2, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: "string", summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", since: "1.0.0", complexity: "O(1)", handler: incrCommand},
		spec{name: "decr", arity: 2, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: "string", summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", since: "1.0.0", complexity: "O(1)", handler: decrCommand},
		spec{name: "incrby", arity: 3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: "string", summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", since: "1.0.0", complexity: "O(1)", handler: incrbyCommand},
		spec{name: "decrby", arity: 3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: "string", summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", since: "1.0.0", complexity: "O(1)", handler: decrbyCommand},
		spec{name: "incrbyfloat", arity: 3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: "string", summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", since: "2.6.0", complexity: "O(1)", handler: incrbyfloatCommand},
	)
}
