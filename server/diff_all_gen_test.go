package server

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// diffGen produces the command sequence of TestDiffAllTypes: valid and invalid commands of every data
// type over one small key space, so that the types collide on the same keys. It is a pure function of
// its seed: nothing in it depends on the servers' replies.
//
// What it never generates, because the reply is not a function of the command sequence:
//   - random draws: SPOP without a count, SPOP/SRANDMEMBER/HRANDFIELD/ZRANDMEMBER with a count that may
//     be below the collection's size or negative (it uses counts above any size here, which return
//     everything, compared unordered), RANDOMKEY;
//   - clock races: GT/LT against a relative expiry set a few commands earlier (both sides would compare
//     now+N with then+N), relative expiries short enough to pass during the run;
//   - ALPHA together with BY (SORT leaves the order of equal weights to the sort algorithm);
//   - things that are process-local: CLIENT ID, OBJECT FREQ/IDLETIME, INFO, HELLO's server fields;
//   - DBSIZE: it counts keys whose expiry passed until the expire cycle reclaims them, and 7.0 keeps
//     the key of a SET with a past EXAT/PXAT until then (KEYS and the final comparison skip such keys);
//   - OBJECT REFCOUNT: it shows memory sharing, not data. 7.0 shares the integers 0..9999 but COPY
//     duplicates them (refcount 1), where valkey-node reports INT_MAX for every such value.
//
// The Valkey-over-7.0 steering of the other differential tests applies too: no "-0" scores (7.0 and
// Valkey pick a new sorted set's encoding differently, and the small form drops the sign), no LPOS RANK
// LONG_MIN, no ZRANK WITHSCORE or ZSCAN NOSCORES, BITPOS ranges always integers; and no unknown type
// name in SCAN TYPE, an error since Valkey 8.0 where 7.0 answers an empty scan.
type diffGen struct {
	rng   *rand.Rand
	multi int // commands left to queue in the open MULTI block; 0 outside one
}

// diffKeys is the key space. Each family prefers a few of them, overlapping with the next family's, and
// now and then takes any key.
var diffKeys = []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"}

// Absolute expiry times far in the future (2100 and later) and in the past: the replies that depend on
// them (EXPIRETIME, GT/LT outcomes) are exact, unlike those of relative expiries.
var (
	diffAbsSeconds = []string{"4102444800", "4102444801", "5000000000", "1", "1000000000"}
	diffAbsMillis  = []string{"4102444800000", "4102444800999", "5000000000123", "1", "1000000000000"}
	// relative expiries: long enough never to pass during a run, or not positive (the key goes at once),
	// or not valid
	diffRelSeconds = []string{"1000", "5000", "100000", "0", "-5", "x", "9223372036854775807", "1.5"}
	diffRelMillis  = []string{"1000000", "5000000", "100000000", "0", "-5", "x", "9223372036854775807"}
)

func (g *diffGen) n(k int) int              { return g.rng.IntN(k) }
func (g *diffGen) pick(xs ...string) string { return xs[g.n(len(xs))] }
func (g *diffGen) chance(k int) bool        { return g.n(k) == 0 }

// kw returns a keyword in a random letter case: commands and options are case-insensitive.
func (g *diffGen) kw(s string) string {
	switch g.n(3) {
	case 0:
		return strings.ToLower(s)
	case 1:
		return strings.ToUpper(s)
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

// key picks one of the family's preferred keys, or (one time in eight) any key.
func (g *diffGen) key(family ...int) string {
	if len(family) == 0 || g.chance(8) {
		return diffKeys[g.n(len(diffKeys))]
	}
	return diffKeys[family[g.n(len(family))]]
}

// the families' preferred keys
func (g *diffGen) anyKey() string  { return g.key() }
func (g *diffGen) strKey() string  { return g.key(0, 1, 2) }
func (g *diffGen) listKey() string { return g.key(2, 3) }
func (g *diffGen) hashKey() string { return g.key(3, 4) }
func (g *diffGen) setKey() string  { return g.key(4, 5) }
func (g *diffGen) zKey() string    { return g.key(5, 6) }
func (g *diffGen) bitKey() string  { return g.key(0, 7) }
func (g *diffGen) hllKey() string  { return g.key(1, 7) }

func (g *diffGen) keys(family func() string, max int) []string {
	out := make([]string, 1+g.n(max))
	for i := range out {
		out[i] = family()
	}
	return out
}

// value is a string value: integers (int encoding), short and long (embstr/raw) texts, binary bytes.
func (g *diffGen) value() string {
	switch g.n(16) {
	case 0:
		return ""
	case 1:
		return "9223372036854775807"
	case 2:
		return "-9223372036854775808"
	case 3:
		return " 1"
	case 4:
		return "\x00\xff\r\n"
	case 5:
		return strings.Repeat("v", 40+g.n(10)) // around the 44-byte embstr limit
	case 10:
		return strings.Repeat("w", 62+g.n(5)) // around the 64-byte listpack value limit of hashes
	case 6:
		return "3.5"
	case 7:
		return "1e3"
	case 8:
		return "abc"
	case 9:
		return "007"
	}
	return strconv.Itoa(g.n(30) - 5)
}

// integer is an integer argument, sometimes not one or out of range.
func (g *diffGen) integer() string {
	switch g.n(20) {
	case 0:
		return "x"
	case 1:
		return "1.5"
	case 2:
		return "9223372036854775808"
	case 3:
		return "-9223372036854775809"
	case 4:
		return "9223372036854775807"
	case 5:
		return "-9223372036854775808"
	case 6:
		return ""
	}
	return strconv.Itoa(g.n(14) - 4)
}

// index is a list/range index, mostly small.
func (g *diffGen) index() string {
	if g.chance(12) {
		return g.integer()
	}
	return strconv.Itoa(g.n(16) - 8)
}

// float is a float argument: finite, infinite, NaN, not a number.
func (g *diffGen) float() string {
	switch g.n(14) {
	case 0:
		return "nan"
	case 1:
		return "inf"
	case 2:
		return "-inf"
	case 3:
		return "+inf"
	case 4:
		return "x"
	case 5:
		return "1e400"
	case 6:
		return "0.1"
	case 7:
		return "-2.5"
	case 8:
		return "1e-3"
	case 9:
		return "3.0e2"
	}
	return strconv.Itoa(g.n(20) - 8)
}

// elem is a list element or set member: integers (intsets, SORT weights k0..k7) and short texts.
func (g *diffGen) elem() string {
	switch g.n(12) {
	case 0:
		return g.pick("a", "b", "c", "abc", "")
	case 1:
		return strings.Repeat("x", 60+g.n(10)) // around the 64-byte listpack value limit
	case 2:
		return "007" // not an integer for intsets
	case 3, 4:
		return g.pick("a", "b", "c", "d")
	}
	return strconv.Itoa(g.n(12) - 2)
}

func (g *diffGen) elems(max int) []string {
	out := make([]string, 1+g.n(max))
	for i := range out {
		out[i] = g.elem()
	}
	return out
}

func (g *diffGen) field() string { return "f" + strconv.Itoa(g.n(6)) }

// member is a sorted set member: never longer than zset-max-listpack-value, so that the -0 steering
// above holds.
func (g *diffGen) member() string { return g.pick("a", "b", "c", "d", "e", "1", "2", "10", "") }

// score is a sorted set score: never "-0".
func (g *diffGen) score() string {
	switch g.n(12) {
	case 0:
		return g.pick("inf", "-inf", "+inf")
	case 1:
		return g.pick("nan", "x", "")
	case 2:
		return g.pick("1.5", "0.1", "-2.25", "1e2")
	}
	return strconv.Itoa(g.n(10) - 3)
}

// scoreBound is a ZRANGEBYSCORE-style bound.
func (g *diffGen) scoreBound() string {
	switch g.n(8) {
	case 0:
		return g.pick("-inf", "+inf", "inf")
	case 1:
		return "(" + strconv.Itoa(g.n(8)-2)
	case 2:
		return g.pick("x", "(", "nan")
	}
	return strconv.Itoa(g.n(8) - 2)
}

func (g *diffGen) lexBound() string {
	return g.pick("-", "+", "[a", "(b", "[c", "(", "a", "[", "[1")
}

func (g *diffGen) pattern() string {
	return g.pick("*", "k*", "k[0-3]", "?", "*1", "f*", "a*", "[a-c]")
}

// next returns the next command. It opens MULTI blocks now and then and closes them after a few
// commands with EXEC (mostly) or DISCARD.
func (g *diffGen) next() []string {
	if g.multi > 0 {
		g.multi--
		if g.multi == 0 {
			if g.chance(8) {
				return []string{g.kw("discard")}
			}
			return []string{g.kw("exec")}
		}
		switch g.n(25) {
		case 0:
			return []string{g.kw("multi")} // nested: an error, the block stays open
		case 1:
			return []string{g.kw("watch"), g.key()} // not allowed inside MULTI
		case 2:
			return []string{g.kw("get")} // arity error: EXEC aborts
		}
		return g.command(true)
	}
	switch g.n(40) {
	case 0:
		g.multi = 2 + g.n(5)
		return []string{g.kw("multi")}
	case 1:
		return []string{g.pick("EXEC", "DISCARD")} // without MULTI
	case 2:
		return append([]string{g.kw("watch")}, g.keys(g.anyKey, 2)...)
	case 3:
		return []string{g.kw("unwatch")}
	}
	return g.command(false)
}

// command picks a family and one of its commands. inMulti leaves out what the comparison needs the
// state of the key for after the reply (OBJECT ENCODING) and the blocking forms.
func (g *diffGen) command(inMulti bool) []string {
	for {
		var c []string
		switch g.n(100) {
		case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11:
			c = g.stringCmd()
		case 12, 13, 14, 15, 16, 17:
			c = g.counterCmd()
		case 18, 19, 20, 21, 22, 23, 24, 25, 26, 27:
			c = g.listCmd(inMulti)
		case 28, 29, 30, 31, 32, 33, 34, 35, 36:
			c = g.hashCmd()
		case 37, 38, 39, 40, 41, 42, 43, 44, 45:
			c = g.setCmd()
		case 46, 47, 48, 49, 50, 51, 52, 53, 54, 55:
			c = g.zsetCmd(inMulti)
		case 56, 57, 58, 59, 60, 61:
			c = g.bitmapCmd()
		case 62, 63, 64, 65, 66:
			c = g.hllCmd()
		case 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78:
			c = g.keyCmd(inMulti)
		case 79, 80, 81, 82, 83, 84, 85:
			c = g.expireCmd()
		case 86, 87, 88, 89, 90:
			c = g.sortCmd(inMulti)
		default:
			c = g.typeProbe(inMulti)
		}
		if c != nil {
			return c
		}
	}
}
