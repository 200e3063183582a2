package server

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Differential test of the hash and set commands: the same seeded random command sequence goes to the
// real redis-server 7.0 and to valkey-node, and the replies must be identical, with these allowances:
//   - replies that list a hashtable (or a 7.0 set, which has no listpack encoding) are compared as
//     unordered collections: their order is the order of a hash table, which differs between processes;
//   - SPOP, SRANDMEMBER and HRANDFIELD are random: only the shape is compared (length, members drawn from
//     the key, uniqueness when asked), and after an SPOP our set is rebuilt with Redis's content;
//   - OBJECT ENCODING of a set: Redis 7.0 has no listpack sets (Valkey and 7.2 do), so 7.0's "hashtable"
//     stands for either of our "listpack" and "hashtable"; "intset" must match exactly. Hash encodings
//     match exactly; HSETs carry fewer pairs than hash-max-listpack-entries, because Valkey (and we)
//     convert up front when one HSET brings more pairs than that, where 7.0 counts the resulting fields.
// Replies hold no doubles apart from HINCRBYFLOAT, which both compute in long double and print alike, so
// no float normalisation is needed here.

// hsGen generates the random commands.
type hsGen struct {
	rng *rand.Rand
}

func (g *hsGen) n(k int) int              { return g.rng.IntN(k) }
func (g *hsGen) pick(xs ...string) string { return xs[g.n(len(xs))] }
func (g *hsGen) count() string            { return strconv.Itoa(g.n(14) - 5) }
func (g *hsGen) kw(kw string) string      { return g.pick(kw, strings.ToUpper(kw)) }
func (g *hsGen) field() string            { return "f" + strconv.Itoa(g.n(30)) }
func (g *hsGen) fields(max int) (out []string) {
	for i := 0; i <= g.n(max); i++ {
		out = append(out, g.field())
	}
	return out
}

// hashKey and setKey are mostly keys of the right type, sometimes missing or of another type.
func (g *hsGen) hashKey() string {
	if g.n(8) == 0 {
		return g.pick("str", "nokey", "s1")
	}
	return g.pick("h1", "h2", "h3", "h4")
}

func (g *hsGen) setKey() string {
	if g.n(8) == 0 {
		return g.pick("str", "nokey", "h1")
	}
	return g.pick("s1", "s2", "s3", "s4", "s5")
}

func (g *hsGen) value() string {
	switch g.n(8) {
	case 0:
		return strconv.Itoa(g.n(2000) - 1000)
	case 1:
		return strconv.FormatFloat(float64(g.n(2000))/8-100, 'f', -1, 64)
	case 2:
		return strings.Repeat("v", 60+g.n(10)) // around hash-max-listpack-value
	case 3:
		return "9223372036854775807"
	case 4:
		return ""
	}
	return "v" + strconv.Itoa(g.n(50))
}

// member is an integer most of the time, so intsets form and convert.
func (g *hsGen) member() string {
	switch g.n(10) {
	case 0:
		return "m" + strconv.Itoa(g.n(20))
	case 1:
		return strings.Repeat("x", 60+g.n(10))
	case 2:
		return "0" + strconv.Itoa(g.n(9)) // not an integer for string2ll
	}
	return strconv.Itoa(g.n(60) - 10)
}

func (g *hsGen) members(max int) (out []string) {
	for i := 0; i <= g.n(max); i++ {
		out = append(out, g.member())
	}
	return out
}

func (g *hsGen) pattern() string { return g.pick("*", "f1*", "*2", "?", "1*", "m*", "[a-f]*") }

// hsCmd is a generated command and how its reply is compared.
type hsCmd struct {
	args []string
	// how: "" exact; "elems" unordered elements; "pairs" unordered pairs; "scan" an HSCAN/SSCAN reply
	// (cursor exact, list unordered: pairs for HSCAN); "rand" a random draw; "spop" a random pop
	how string
	// key whose encoding decides whether an order-sensitive reply may be compared exactly
	key string
}

func (g *hsGen) next() hsCmd {
	c := func(how, key string, args ...string) hsCmd { return hsCmd{args: args, how: how, key: key} }
	switch g.n(45) {
	case 0, 1, 2:
		k := g.hashKey()
		args := []string{g.pick("HSET", "hset", "HMSET"), k}
		for _, f := range g.fields(6) {
			args = append(args, f, g.value())
		}
		if g.n(20) == 0 {
			args = args[:len(args)-1] // odd: wrong number of arguments
		}
		return hsCmd{args: args}
	case 3:
		return c("", "", "HSETNX", g.hashKey(), g.field(), g.value())
	case 4, 5:
		return c("", "", "HGET", g.hashKey(), g.field())
	case 6:
		return c("", "", append([]string{"HMGET", g.hashKey()}, g.fields(4)...)...)
	case 7:
		return c("", "", append([]string{"HDEL", g.hashKey()}, g.fields(4)...)...)
	case 8:
		return c("", "", g.pick("HLEN", "HSTRLEN", "HEXISTS"), g.hashKey(), g.field())
	case 9:
		k := g.hashKey()
		return c("pairs", k, "HGETALL", k)
	case 10:
		k := g.hashKey()
		return c("elems", k, g.pick("HKEYS", "HVALS"), k)
	case 11, 12:
		return c("", "", "HINCRBY", g.hashKey(), g.field(), g.pick("1", "-7", "100", "x", "9223372036854775807", "-9223372036854775808"))
	case 13:
		return c("", "", "HINCRBYFLOAT", g.hashKey(), g.field(), g.pick("1.5", "-0.25", "1e3", "x", "inf", "0.1", "5"))
	case 14, 15:
		args := []string{"HRANDFIELD", g.hashKey()}
		if g.n(4) > 0 {
			args = append(args, g.count())
			if g.n(2) == 0 {
				args = append(args, g.kw("withvalues"))
			}
		}
		return c("rand", args[1], args...)
	case 16:
		k := g.hashKey()
		args := []string{"HSCAN", k, "0", "COUNT", "1000"}
		if g.n(2) == 0 {
			args = append(args, "MATCH", g.pattern())
		}
		return c("scan", k, args...)
	case 17, 18, 19, 20:
		return c("", "", append([]string{"SADD", g.setKey()}, g.members(6)...)...)
	case 21, 22:
		return c("", "", append([]string{"SREM", g.setKey()}, g.members(4)...)...)
	case 23:
		return c("", "", g.pick("SCARD", "SISMEMBER"), g.setKey(), g.member())
	case 24:
		return c("", "", append([]string{"SMISMEMBER", g.setKey()}, g.members(3)...)...)
	case 25, 26:
		k := g.setKey()
		return c("elems", k, "SMEMBERS", k)
	case 27, 28:
		args := []string{"SPOP", g.setKey()}
		if g.n(3) > 0 {
			args = append(args, g.pick("0", "1", "2", "3", "5", "10", "40", "-1", "x"))
		}
		return c("spop", args[1], args...)
	case 29, 30:
		args := []string{"SRANDMEMBER", g.setKey()}
		if g.n(4) > 0 {
			args = append(args, g.count())
		}
		return c("rand", args[1], args...)
	case 31:
		return c("", "", "SMOVE", g.setKey(), g.setKey(), g.member())
	case 32, 33:
		keys := []string{g.setKey(), g.setKey()}
		if g.n(2) == 0 {
			keys = append(keys, g.setKey())
		}
		return c("elems", "", append([]string{g.pick("SINTER", "SUNION", "SDIFF")}, keys...)...)
	case 34:
		args := []string{"SINTERCARD", g.pick("1", "2", "2", "2", "3", "0", "x"), g.setKey(), g.setKey()}
		if g.n(2) == 0 {
			args = append(args, "LIMIT", g.pick("0", "1", "3", "-1"))
		}
		return hsCmd{args: args}
	case 35, 36:
		args := []string{g.pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), g.pick("s1", "s2", "s5", "d1", "str")}
		args = append(args, g.setKey(), g.setKey())
		return hsCmd{args: args}
	case 37:
		k := g.setKey()
		args := []string{"SSCAN", k, "0", "COUNT", "1000"}
		if g.n(2) == 0 {
			args = append(args, "MATCH", g.pattern())
		}
		return c("scan", k, args...)
	case 38:
		return c("", "", "OBJECT", "ENCODING", g.pick(g.hashKey(), g.setKey(), "d1"))
	case 39:
		return c("", "", g.pick("TYPE", "EXISTS", "DEL"), g.pick(g.hashKey(), g.setKey(), "d1"))
	case 40:
		// bad arguments
		return c("", "", strings.Fields(g.pick("HSCAN h1 0 COUNT 0", "HSCAN h1 x", "SSCAN s1 0 MATCH", "SPOP s1 1 2",
			"HRANDFIELD h1 1 x", "SRANDMEMBER s1 -9223372036854775808", "SINTERCARD 3 s1 s2", "HGET h1",
			"SMISMEMBER s1", "HINCRBY h1 f1 1.5", "SINTERCARD 1 s1 LIMIT"))...)
	case 41:
		if g.n(4) == 0 {
			return c("", "", "SET", "str", "x")
		}
		return c("", "", "HSET", g.pick("h1", "h2"), "n", strconv.Itoa(g.n(100)))
	}
	// fill the sets so that they cross the encoding thresholds now and then
	args := []string{"SADD", g.pick("s1", "s2", "s3")}
	base := g.n(600)
	for i := 0; i < 20; i++ {
		args = append(args, strconv.Itoa(base+i))
	}
	return hsCmd{args: args}
}

// hsSetEncoding maps an OBJECT ENCODING reply of a set to what Redis 7.0 can answer.
func hsSetEncoding(enc string) string {
	if enc == `"listpack"` {
		return `"hashtable"`
	}
	return enc
}

// hsMembers returns the members of a set key (or fields of a hash key with their values) on c.
func hsContent(c *rawConn, key string) (kind string, members map[string]string) {
	kind = c.call("TYPE", key).String()
	members = map[string]string{}
	switch kind {
	case "set":
		for _, e := range c.call("SMEMBERS", key).elems {
			members[e.str] = ""
		}
	case "hash":
		r := c.call("HGETALL", key)
		for i := 0; i+1 < len(r.elems); i += 2 {
			members[r.elems[i].str] = r.elems[i+1].str
		}
	}
	return kind, members
}

// hsCheckRandom verifies the shape of a random reply against the key's content before the command.
func hsCheckRandom(t *testing.T, cmd hsCmd, content map[string]string, reply respNode, resp3 bool) string {
	if reply.kind == '-' || reply.kind == '_' {
		return reply.typed()
	}
	if reply.kind == '$' {
		if _, ok := content[reply.str]; !ok {
			t.Errorf("%v: %q is not in the key", cmd.args, reply.str)
		}
		return "one"
	}
	withValues := len(cmd.args) == 4 && strings.EqualFold(cmd.args[3], "withvalues")
	var picks []string
	for i := 0; i < len(reply.elems); i++ {
		e := reply.elems[i]
		switch {
		case withValues && resp3:
			if len(e.elems) != 2 || content[e.elems[0].str] != e.elems[1].str {
				t.Errorf("%v: bad pair %s", cmd.args, e)
			}
			picks = append(picks, e.elems[0].str)
		case withValues:
			if i+1 >= len(reply.elems) || content[e.str] != reply.elems[i+1].str {
				t.Errorf("%v: bad pair at %d: %s", cmd.args, i, reply)
			}
			picks = append(picks, e.str)
			i++
		default:
			picks = append(picks, e.str)
		}
	}
	distinct := map[string]bool{}
	for _, p := range picks {
		if _, ok := content[p]; !ok {
			t.Errorf("%v: %q is not in the key", cmd.args, p)
		}
		distinct[p] = true
	}
	count, _ := strconv.Atoi(cmd.args[2])
	if count > 0 && len(distinct) != len(picks) {
		t.Errorf("%v: repeated members in %s", cmd.args, reply)
	}
	return fmt.Sprintf("%c%d", reply.kind, len(picks))
}

func TestHashSetDifferential(t *testing.T) {
	// small thresholds so that conversions happen often; Redis 7.0 knows all of these but the set
	// listpack ones, which stay at Valkey's defaults on our side
	limits := []string{"hash-max-listpack-entries", "16", "hash-max-listpack-value", "64", "set-max-intset-entries", "40"}
	var redisArgs []string
	for i := 0; i < len(limits); i += 2 {
		redisArgs = append(redisArgs, "--"+limits[i], limits[i+1])
	}
	_, redisPort := startRedisServer(t, redisArgs...)
	redisAddr := loopbackAddr(redisPort)
	n := startNode(t, limits...)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ref, our := dialRaw(t, redisAddr), dialRaw(t, n.addr)
			refCheck, ourCheck := dialRaw(t, redisAddr), dialRaw(t, n.addr) // side channels, RESP2
			for _, c := range []*rawConn{ref, our} {
				c.call("FLUSHALL")
				if proto == 3 {
					c.call("HELLO", "3")
				}
			}
			g := &hsGen{rng: rand.New(rand.NewPCG(uint64(proto), 42))}
			for i := 0; i < 5000; i++ {
				cmd := g.next()
				var content map[string]string
				if cmd.how == "rand" || cmd.how == "spop" {
					_, content = hsContent(refCheck, cmd.key)
				}
				a, b := ref.call(cmd.args...), our.call(cmd.args...)
				ra, rb := a.typed(), b.typed()
				switch cmd.how {
				case "elems", "pairs":
					enc := refCheck.call("OBJECT", "ENCODING", cmd.key).String()
					if cmd.key == "" || (enc != `"listpack"` && enc != `"intset"`) {
						ra, rb = a.unordered(cmd.how == "pairs"), b.unordered(cmd.how == "pairs")
					}
				case "scan":
					if len(a.elems) == 2 && len(b.elems) == 2 {
						pairs := cmd.args[0] == "HSCAN"
						ra = a.elems[0].typed() + " " + a.elems[1].unordered(pairs)
						rb = b.elems[0].typed() + " " + b.elems[1].unordered(pairs)
					}
				case "rand", "spop":
					ra, rb = hsCheckRandom(t, cmd, content, a, proto == 3), hsCheckRandom(t, cmd, content, b, proto == 3)
				}
				if len(cmd.args) == 3 && strings.EqualFold(cmd.args[0], "object") && refCheck.call("TYPE", cmd.args[2]).String() == "set" {
					rb = hsSetEncoding(rb)
				}
				if ra != rb {
					t.Fatalf("command %d %q:\n redis       %s\n valkey-node %s", i, cmd.args, ra, rb)
				}
				if cmd.how == "spop" && a.kind != '-' && a.kind != '_' {
					hsResyncPop(t, refCheck, ourCheck, cmd.key)
				}
			}
			// the final contents agree
			for _, k := range []string{"h1", "h2", "h3", "h4", "s1", "s2", "s3", "s4", "s5", "d1", "str"} {
				ka, ca := hsContent(refCheck, k)
				kb, cb := hsContent(ourCheck, k)
				if ka != kb || fmt.Sprint(ca) != fmt.Sprint(cb) {
					t.Fatalf("key %s differs at the end: %s %v / %s %v", k, ka, ca, kb, cb)
				}
			}
		})
	}
}

// hsResyncPop gives our set the content Redis's set has after an SPOP (each side popped its own random
// members), in an encoding that maps to Redis's: an intset stays an intset, anything else is rebuilt as a
// non-intset. SPOP may legitimately change the encoding differently on the two sides: when it draws the
// members that stay into a new set, Valkey starts that set as a listpack for a hashtable source where
// Redis 7.0 starts an intset if the first member drawn is an integer.
func hsResyncPop(t *testing.T, ref, our *rawConn, key string) {
	_, content := hsContent(ref, key)
	enc := ref.call("OBJECT", "ENCODING", key).String()
	our.call("DEL", key)
	if len(content) == 0 {
		return
	}
	members := make([]string, 0, len(content))
	for m := range content {
		members = append(members, m)
	}
	sort.Strings(members)
	if enc == `"intset"` {
		our.call(append([]string{"SADD", key}, members...)...)
		return
	}
	const marker = "\x00resync"
	our.call(append([]string{"SADD", key, marker}, members...)...)
	our.call("SREM", key, marker)
}
