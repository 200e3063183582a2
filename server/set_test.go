package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var setReplyTable = []tableStep{
	{cmd: "FLUSHALL", want: "OK"},
	{cmd: "SADD s", want: "-ERR wrong number of arguments for 'sadd' command"},
	{cmd: "SADD s 3 1 2 1", want: ":3"},
	{cmd: "SMEMBERS s", want: `["1" "2" "3"]`},
	{cmd: "OBJECT ENCODING s", want: `"intset"`},
	{cmd: "SADD s b a", want: ":2"},
	// Valkey (and Redis 7.2) keep small non-integer sets as a listpack in insertion order; 7.0 has no
	// listpack sets
	{cmd: "OBJECT ENCODING s", want: `"listpack"`, valkeyOnly: true},
	{cmd: "SMEMBERS s", want: `["1" "2" "3" "b" "a"]`, valkeyOnly: true},
	{cmd: "SCARD s", want: ":5"},
	{cmd: "SCARD nokey", want: ":0"},
	{cmd: "SISMEMBER s a", want: ":1"},
	{cmd: "SISMEMBER s 2", want: ":1"},
	{cmd: "SISMEMBER s z", want: ":0"},
	{cmd: "SISMEMBER nokey a", want: ":0"},
	{cmd: "SMISMEMBER s a z 1", want: "[:1 :0 :1]"},
	{cmd: "SMISMEMBER nokey a", want: "[:0]"},
	{cmd: "SMISMEMBER s", want: "-ERR wrong number of arguments for 'smismember' command"},
	{cmd: "SREM s a z", want: ":1"},
	{cmd: "SREM s", want: "-ERR wrong number of arguments for 'srem' command"},
	{cmd: "SREM nokey a", want: ":0"},
	{cmd: "SMEMBERS nokey", want: "[]"},
	{cmd: "SADD one x", want: ":1"},
	{cmd: "SREM one x y", want: ":1"},
	{cmd: "EXISTS one", want: ":0"},
	{cmd: "SADD iset 5 -3 100 0 5", want: ":4"},
	{cmd: "SMEMBERS iset", want: `["-3" "0" "5" "100"]`},
	{cmd: "SISMEMBER iset 05", want: ":0"},
	{cmd: "SADD iset 05", want: ":1"},
	{cmd: "SISMEMBER iset 05", want: ":1"},
	{cmd: `SADD bin "\x00" "" "\r\n"`, want: ":3"},
	{cmd: `SISMEMBER bin ""`, want: ":1"},
	{cmd: "SCARD bin", want: ":3"},

	// SMOVE
	{cmd: "SADD src a b", want: ":2"},
	{cmd: "SADD dst c", want: ":1"},
	{cmd: "SMOVE src dst a", want: ":1"},
	{cmd: "SMOVE src dst a", want: ":0"},
	{cmd: "SMOVE src src b", want: ":1"},
	{cmd: "SMOVE src src z", want: ":0"},
	{cmd: "SMOVE nokey dst a", want: ":0"},
	{cmd: "SMOVE src dst2 b", want: ":1"},
	{cmd: "EXISTS src", want: ":0"},
	{cmd: "SMEMBERS dst2", want: `["b"]`},
	{cmd: "SMOVE dst dst2 b", want: ":0"},
	{cmd: "SMOVE dst dst2 c", want: ":1"},
	{cmd: "SCARD dst2", want: ":2"},
	{cmd: "SET str x", want: "OK"},
	{cmd: "SMOVE str dst a", want: hsWrongType},
	{cmd: "SMOVE dst str a", want: hsWrongType},
	{cmd: "SMOVE nokey str a", want: ":0"},
	{cmd: "SMOVE dst nokey2 zz", want: ":0"},
	{cmd: "SMOVE dst", want: "-ERR wrong number of arguments for 'smove' command"},

	// SPOP and SRANDMEMBER: argument errors and the cases without randomness
	{cmd: "SPOP s x", want: "-ERR value is out of range, must be positive"},
	{cmd: "SPOP s -1", want: "-ERR value is out of range, must be positive"},
	{cmd: "SPOP s 1 2", want: "-ERR syntax error"},
	{cmd: "SPOP nokey", want: "(nil)"},
	{cmd: "SPOP nokey 2", want: "[]"},
	{cmd: "SPOP s 0", want: "[]"},
	{cmd: "SPOP str", want: hsWrongType},
	{cmd: "SPOP str 1", want: hsWrongType},
	{cmd: "SPOP str x", want: "-ERR value is out of range, must be positive"},
	{cmd: "SADD p 3 1 2", want: ":3"},
	{cmd: "SPOP p 10", want: `["1" "2" "3"]`},
	{cmd: "EXISTS p", want: ":0"},
	{cmd: "SADD q x", want: ":1"},
	{cmd: "SPOP q", want: `"x"`},
	{cmd: "EXISTS q", want: ":0"},
	{cmd: "SRANDMEMBER s x", want: "-ERR value is not an integer or out of range"},
	{cmd: "SRANDMEMBER s -9223372036854775808", want: "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
	{cmd: "SRANDMEMBER s 1 2", want: "-ERR syntax error"},
	{cmd: "SRANDMEMBER nokey", want: "(nil)"},
	{cmd: "SRANDMEMBER nokey 3", want: "[]"},
	{cmd: "SRANDMEMBER nokey -3", want: "[]"},
	{cmd: "SRANDMEMBER s 0", want: "[]"},
	{cmd: "SRANDMEMBER str", want: hsWrongType},
	{cmd: "SRANDMEMBER str 1", want: hsWrongType},
	{cmd: "SADD q2 x", want: ":1"},
	{cmd: "SRANDMEMBER q2", want: `"x"`},
	{cmd: "SRANDMEMBER q2 -3", want: `["x" "x" "x"]`},
	{cmd: "SRANDMEMBER q2 5", want: `["x"]`},
	{cmd: "SADD ints 3 1 2", want: ":3"},
	{cmd: "SRANDMEMBER ints 10", want: `["1" "2" "3"]`},
	{cmd: "SRANDMEMBER ints 9223372036854775807", want: `["1" "2" "3"]`},

	// the algebra
	{cmd: "DEL a b c", want: ":0"},
	{cmd: "SADD a 1 2 3 4", want: ":4"},
	{cmd: "SADD b 3 4 5", want: ":3"},
	{cmd: "SADD c x 3", want: ":2"},
	{cmd: "SINTER a b", want: `["3" "4"]`},
	{cmd: "SINTER a b c", want: `["3"]`},
	{cmd: "SINTER a", want: `["1" "2" "3" "4"]`},
	{cmd: "SINTER a nokey", want: "[]"},
	{cmd: "SINTER nokey str", want: hsWrongType},
	{cmd: "SINTER a str", want: hsWrongType},
	{cmd: "SINTER", want: "-ERR wrong number of arguments for 'sinter' command"},
	{cmd: "SINTERCARD 2 a b", want: ":2"},
	{cmd: "SINTERCARD 2 a b LIMIT 1", want: ":1"},
	{cmd: "SINTERCARD 2 a b limit 0", want: ":2"},
	{cmd: "SINTERCARD 1 a LIMIT 1 LIMIT 3", want: ":3"},
	{cmd: "SINTERCARD 2 a nokey", want: ":0"},
	{cmd: "SINTERCARD 0 a", want: "-ERR numkeys should be greater than 0"},
	{cmd: "SINTERCARD -1 a", want: "-ERR numkeys should be greater than 0"},
	{cmd: "SINTERCARD x a", want: "-ERR numkeys should be greater than 0"},
	{cmd: "SINTERCARD 3 a b", want: "-ERR Number of keys can't be greater than number of args"},
	{cmd: "SINTERCARD 1 a LIMIT -1", want: "-ERR LIMIT can't be negative"},
	{cmd: "SINTERCARD 1 a LIMIT x", want: "-ERR LIMIT can't be negative"},
	{cmd: "SINTERCARD 1 a foo", want: "-ERR syntax error"},
	{cmd: "SINTERCARD 1 a LIMIT", want: "-ERR syntax error"},
	{cmd: "SINTERCARD 1 str", want: hsWrongType},
	{cmd: "SINTERCARD 1", want: "-ERR wrong number of arguments for 'sintercard' command"},
	{cmd: "SINTERSTORE d a b", want: ":2"},
	{cmd: "SMEMBERS d", want: `["3" "4"]`},
	{cmd: "OBJECT ENCODING d", want: `"intset"`},
	{cmd: "SINTERSTORE d a nokey", want: ":0"},
	{cmd: "EXISTS d", want: ":0"},
	{cmd: "SINTERSTORE d a str", want: hsWrongType},
	{cmd: "SINTERSTORE d", want: "-ERR wrong number of arguments for 'sinterstore' command"},
	{cmd: "SINTERSTORE a a", want: ":4"},
	{cmd: "SUNION a b", want: `["1" "2" "3" "4" "5"]`},
	{cmd: "SUNION a c", want: `["1" "2" "3" "4" "x"]`, valkeyOnly: true},
	{cmd: "SUNION nokey", want: "[]"},
	{cmd: "SUNION nokey str", want: hsWrongType},
	{cmd: "SUNIONSTORE d a b", want: ":5"},
	{cmd: "SMEMBERS d", want: `["1" "2" "3" "4" "5"]`},
	{cmd: "SUNIONSTORE d nokey", want: ":0"},
	{cmd: "EXISTS d", want: ":0"},
	{cmd: "SDIFF a b", want: `["1" "2"]`},
	{cmd: "SDIFF a b c", want: `["1" "2"]`},
	{cmd: "SDIFF a nokey", want: `["1" "2" "3" "4"]`},
	{cmd: "SDIFF nokey a", want: "[]"},
	{cmd: "SDIFF a a", want: "[]"},
	{cmd: "SDIFF a nokey a", want: "[]"},
	{cmd: "SDIFF str a", want: hsWrongType},
	{cmd: "SDIFF a str", want: hsWrongType},
	{cmd: "SDIFFSTORE d a b", want: ":2"},
	{cmd: "SMEMBERS d", want: `["1" "2"]`},
	{cmd: "SDIFFSTORE d a a", want: ":0"},
	{cmd: "EXISTS d", want: ":0"},
	// a STORE replaces a key of any type and drops its time to live
	{cmd: "SINTERSTORE str a b", want: ":2"},
	{cmd: "TYPE str", want: "set"},
	{cmd: "SADD d 1", want: ":1"},
	{cmd: "EXPIRE d 100", want: ":1"},
	{cmd: "SUNIONSTORE d a", want: ":4"},
	{cmd: "TTL d", want: ":-1"},

	// SSCAN: small sets are returned whole
	{cmd: "SSCAN a x", want: "-ERR invalid cursor"},
	{cmd: "SSCAN a 0", want: `["0" ["1" "2" "3" "4"]]`},
	// Valkey reads the cursor with string2ull, which refuses a negative number; 7.0's strtoul wraps it
	{cmd: "SSCAN a -1", want: "-ERR invalid cursor", valkeyOnly: true},
	{cmd: "SSCAN a 0 MATCH [13] COUNT 1", want: `["0" ["1" "3"]]`},
	{cmd: "SSCAN a 0 COUNT 0", want: "-ERR syntax error"},
	{cmd: "SSCAN a 0 COUNT x", want: "-ERR value is not an integer or out of range"},
	{cmd: "SSCAN a 0 MATCH", want: "-ERR syntax error"},
	{cmd: "SSCAN a 0 NOVALUES", want: "-ERR syntax error"},
	{cmd: "SSCAN nokey 0 foo", want: `["0" []]`},
	{cmd: "SSCAN dst 0 foo", want: "-ERR syntax error"},
	{cmd: "SET str x", want: "OK"},
	{cmd: "SSCAN str 0", want: hsWrongType},

	// wrong types for the rest
	{cmd: "SADD str a", want: hsWrongType},
	{cmd: "SREM str a", want: hsWrongType},
	{cmd: "SCARD str", want: hsWrongType},
	{cmd: "SISMEMBER str a", want: hsWrongType},
	{cmd: "SMISMEMBER str a", want: hsWrongType},
	{cmd: "SMEMBERS str", want: hsWrongType},
	{cmd: "HSET hh f v", want: ":1"},
	{cmd: "SADD hh a", want: hsWrongType},
	{cmd: "SUNIONSTORE hh a", want: ":4"},
	{cmd: "TYPE hh", want: "set"},
}

func TestSetCommands(t *testing.T) {
	n := startNode(t)
	runTable(t, n.raw(), setReplyTable, false)
}

// TestSetTableOnRedis runs the set table on the real redis-server 7.0.
func TestSetTableOnRedis(t *testing.T) {
	ref, _ := startRedisServer(t)
	runTable(t, ref, setReplyTable, true)
}

// TestSetEncodings follows a set through Valkey's encodings at the default thresholds (intset 512,
// listpack 128 entries of 64 bytes) and checks what the algebra and SPOP produce.
func TestSetEncodings(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	nums := func(prefix string, from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, prefix+strconv.Itoa(i))
		}
		return out
	}
	enc := func(key, want string) {
		t.Helper()
		mustDo(t, r, `"`+want+`"`, "OBJECT", "ENCODING", key)
	}
	mustDo(t, r, ":512", append([]string{"SADD", "i"}, nums("", 0, 512)...)...)
	enc("i", "intset")
	mustDo(t, r, ":1", "SADD", "i", "512")
	enc("i", "hashtable")
	// 513 members announced in one SADD: a hashtable from the start
	mustDo(t, r, ":513", append([]string{"SADD", "i2"}, nums("", 0, 513)...)...)
	enc("i2", "hashtable")
	// intset + string: listpack while it fits, else hashtable
	mustDo(t, r, ":127", append([]string{"SADD", "m"}, nums("", 0, 127)...)...)
	mustDo(t, r, ":1", "SADD", "m", "x")
	enc("m", "listpack")
	mustDo(t, r, ":1", "SADD", "m", "y")
	enc("m", "hashtable")
	mustDo(t, r, ":128", append([]string{"SADD", "m2"}, nums("", 0, 128)...)...)
	mustDo(t, r, ":1", "SADD", "m2", "x")
	enc("m2", "hashtable")
	mustDo(t, r, ":1", "SADD", "m3", "1")
	mustDo(t, r, ":1", "SADD", "m3", strings.Repeat("x", 65))
	enc("m3", "hashtable")
	// listpack limits
	mustDo(t, r, ":128", append([]string{"SADD", "l"}, nums("m", 0, 128)...)...)
	enc("l", "listpack")
	mustDo(t, r, ":1", "SADD", "l", "m128")
	enc("l", "hashtable")
	mustDo(t, r, ":1", "SADD", "l2", strings.Repeat("x", 64))
	enc("l2", "listpack")
	mustDo(t, r, ":1", "SADD", "l2", strings.Repeat("x", 65))
	enc("l2", "hashtable")
	// no way back: an emptied-down hashtable stays one
	mustDo(t, r, ":1", "SREM", "l2", strings.Repeat("x", 65))
	enc("l2", "hashtable")
	// SINTERSTORE of integers gives an intset even from hashtables; SUNIONSTORE of a few strings a listpack
	mustDo(t, r, ":513", "SINTERSTORE", "inter", "i2", "i2")
	enc("inter", "hashtable")
	mustDo(t, r, ":1", "SADD", "few", "5")
	mustDo(t, r, ":1", "SINTERSTORE", "inter", "i2", "few")
	enc("inter", "intset")
	mustDo(t, r, ":129", "SUNIONSTORE", "un", "l")
	enc("un", "hashtable")
	mustDo(t, r, ":2", "SUNIONSTORE", "un", "few", "l2")
	enc("un", "listpack")
	// SPOP taking most of a hashtable set rebuilds it as a fresh (here listpack) set
	mustDo(t, r, ":200", append([]string{"SADD", "sp"}, nums("e", 0, 200)...)...)
	enc("sp", "hashtable")
	if got := r.do("SPOP", "sp", "190"); !strings.HasPrefix(got, `["e`) || strings.Count(got, `"`) != 380 {
		t.Fatalf("SPOP 190: %s", hsShorten(got))
	}
	mustDo(t, r, ":10", "SCARD", "sp")
	enc("sp", "listpack")
	// and a few pops leave the encoding alone
	mustDo(t, r, ":300", append([]string{"SADD", "sp2"}, nums("e", 0, 300)...)...)
	r.do("SPOP", "sp2", "10")
	enc("sp2", "hashtable")

	mustDo(t, r, `["set-max-intset-entries" "512"]`, "CONFIG", "GET", "set-max-intset-entries")
	mustDo(t, r, "OK", "CONFIG", "SET", "set-max-intset-entries", "2", "set-max-listpack-entries", "3", "set-max-listpack-value", "2")
	mustDo(t, r, ":2", "SADD", "c1", "1", "2")
	enc("c1", "intset")
	mustDo(t, r, ":1", "SADD", "c1", "3")
	enc("c1", "hashtable")
	// three integers announced: too many for the intset, a listpack from the start
	mustDo(t, r, ":3", "SADD", "c3", "1", "2", "3")
	enc("c3", "listpack")
	mustDo(t, r, ":2", "SADD", "c2", "a", "bb")
	enc("c2", "listpack")
	mustDo(t, r, ":1", "SADD", "c2", "ccc")
	enc("c2", "hashtable")
}

func hsShorten(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// TestSetRESP3 checks the RESP3 shapes: SMEMBERS, SPOP with a count and the algebra are sets,
// SRANDMEMBER with a count and SMISMEMBER arrays.
func TestSetRESP3(t *testing.T) {
	n := startNode(t)
	c := n.raw()
	c.do("HELLO", "3")
	for _, st := range []struct{ cmd, want string }{
		{"SADD s 2 1", ":2"},
		{"SMEMBERS s", `~["1" "2"]`},
		{"SMEMBERS nokey", "~[]"},
		{"SINTER s s", `~["1" "2"]`},
		{"SUNION s nokey", `~["1" "2"]`},
		{"SDIFF s nokey", `~["1" "2"]`},
		{"SINTER s nokey", "~[]"},
		{"SRANDMEMBER s 5", `["1" "2"]`},
		{"SRANDMEMBER nokey 5", "[]"},
		{"SRANDMEMBER nokey", "(null)"},
		{"SMISMEMBER s 1 3", "[:1 :0]"},
		{"SISMEMBER s 1", ":1"},
		{"SSCAN s 0", `["0" ["1" "2"]]`},
		{"SPOP nokey 3", "~[]"},
		{"SPOP s 0", "~[]"},
		{"SPOP s 5", `~["1" "2"]`},
		{"SPOP s", "(null)"},
	} {
		if got := c.call(strings.Fields(st.cmd)...).typed(); got != st.want {
			t.Errorf("%s: got %s, want %s", st.cmd, got, st.want)
		}
	}
}

// TestSetGoRedis runs go-redis's typed set API over TLS in RESP2 and RESP3.
func TestSetGoRedis(t *testing.T) {
	n := startNode(t, "tls")
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx := context.Background()
			c := n.tlsClient(proto)
			c.FlushAll(ctx)
			if v, err := c.SAdd(ctx, "s", 3, 1, 2, "a").Result(); err != nil || v != 4 {
				t.Fatalf("SADD: %v %v", v, err)
			}
			if v, err := c.SMembers(ctx, "s").Result(); err != nil || fmt.Sprint(v) != "[1 2 3 a]" {
				t.Fatalf("SMEMBERS: %v %v", v, err)
			}
			if v, err := c.SMembersMap(ctx, "s").Result(); err != nil || len(v) != 4 {
				t.Fatalf("SMEMBERS map: %v %v", v, err)
			}
			if v, err := c.SCard(ctx, "s").Result(); err != nil || v != 4 {
				t.Fatalf("SCARD: %v %v", v, err)
			}
			if v, err := c.SIsMember(ctx, "s", "a").Result(); err != nil || !v {
				t.Fatalf("SISMEMBER: %v %v", v, err)
			}
			if v, err := c.SMIsMember(ctx, "s", "a", "z").Result(); err != nil || fmt.Sprint(v) != "[true false]" {
				t.Fatalf("SMISMEMBER: %v %v", v, err)
			}
			if v, err := c.SRem(ctx, "s", "a", "z").Result(); err != nil || v != 1 {
				t.Fatalf("SREM: %v %v", v, err)
			}
			c.SAdd(ctx, "t", 2, 3, 4)
			if v, err := c.SInter(ctx, "s", "t").Result(); err != nil || fmt.Sprint(v) != "[2 3]" {
				t.Fatalf("SINTER: %v %v", v, err)
			}
			if v, err := c.SInterCard(ctx, 1, "s", "t").Result(); err != nil || v != 1 {
				t.Fatalf("SINTERCARD: %v %v", v, err)
			}
			if v, err := c.SUnion(ctx, "s", "t").Result(); err != nil || fmt.Sprint(v) != "[1 2 3 4]" {
				t.Fatalf("SUNION: %v %v", v, err)
			}
			if v, err := c.SDiff(ctx, "s", "t").Result(); err != nil || fmt.Sprint(v) != "[1]" {
				t.Fatalf("SDIFF: %v %v", v, err)
			}
			if v, err := c.SInterStore(ctx, "d", "s", "t").Result(); err != nil || v != 2 {
				t.Fatalf("SINTERSTORE: %v %v", v, err)
			}
			if v, err := c.SUnionStore(ctx, "d", "s", "t").Result(); err != nil || v != 4 {
				t.Fatalf("SUNIONSTORE: %v %v", v, err)
			}
			if v, err := c.SDiffStore(ctx, "d", "s", "t").Result(); err != nil || v != 1 {
				t.Fatalf("SDIFFSTORE: %v %v", v, err)
			}
			if v, err := c.SMove(ctx, "s", "t", 1).Result(); err != nil || !v {
				t.Fatalf("SMOVE: %v %v", v, err)
			}
			if v, err := c.SRandMemberN(ctx, "t", -6).Result(); err != nil || len(v) != 6 {
				t.Fatalf("SRANDMEMBER -6: %v %v", v, err)
			}
			if v, err := c.SRandMemberN(ctx, "t", 10).Result(); err != nil || fmt.Sprint(v) != "[1 2 3 4]" {
				t.Fatalf("SRANDMEMBER 10: %v %v", v, err)
			}
			members, cursor, err := c.SScan(ctx, "t", 0, "[12]", 10).Result()
			if err != nil || cursor != 0 || fmt.Sprint(members) != "[1 2]" {
				t.Fatalf("SSCAN: %v %v %v", members, cursor, err)
			}
			v, err := c.SPopN(ctx, "t", 3).Result()
			if err != nil || len(v) != 3 {
				t.Fatalf("SPOP 3: %v %v", v, err)
			}
			last, err := c.SPop(ctx, "t").Result()
			if err != nil || last == "" {
				t.Fatalf("SPOP: %v %v", last, err)
			}
			if _, err := c.SPop(ctx, "t").Result(); err != redis.Nil {
				t.Fatalf("SPOP on the emptied key: %v", err)
			}
			c.Set(ctx, "str", "x", 0)
			if err := c.SAdd(ctx, "str", "a").Err(); err == nil || err.Error() != errWrongType {
				t.Fatalf("WRONGTYPE: %v", err)
			}
		})
	}
}

// TestSScanGuaranteeUnderGrowth: SSCAN returns every member present for the whole iteration while
// another client keeps adding members between calls.
func TestSScanGuaranteeUnderGrowth(t *testing.T) {
	n := startNode(t)
	r, w := n.raw(), n.raw()
	const orig = 2000
	for i := 0; i < orig; i += 100 {
		args := []string{"SADD", "s"}
		for j := i; j < i+100; j++ {
			args = append(args, fmt.Sprintf("orig:%d", j))
		}
		mustDo(t, r, ":100", args...)
	}
	seen := map[string]bool{}
	cursor, added := "0", 0
	for calls := 0; ; calls++ {
		cursor = hsScanStep(t, r, "SSCAN", "s", cursor, seen, false)
		for j := 0; j < 20 && added < 30000; j++ {
			w.do("SADD", "s", fmt.Sprintf("new:%d", added))
			added++
		}
		if cursor == "0" {
			break
		}
		if calls > 100000 {
			t.Fatal("SSCAN does not end")
		}
	}
	for i := 0; i < orig; i++ {
		if !seen[fmt.Sprintf("orig:%d", i)] {
			t.Fatalf("orig:%d missed by SSCAN while the set grew to %d members", i, orig+added)
		}
	}
}

// TestSetRandomDistribution: SRANDMEMBER with a positive count returns distinct members, covers the
// whole set over many draws, and SPOP removes exactly what it returns, in every encoding.
func TestSetRandomDistribution(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	for _, tc := range []struct {
		key     string
		members []string
	}{
		{"ints", []string{"1", "2", "3", "4", "5", "6", "7", "8"}},
		{"lp", []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		{"ht", append([]string{strings.Repeat("x", 65)}, "a", "b", "c", "d", "e", "f", "g")},
	} {
		r.do(append([]string{"SADD", tc.key}, tc.members...)...)
		counts := map[string]int{}
		for i := 0; i < 300; i++ {
			got := r.do("SRANDMEMBER", tc.key, "3")
			items := strings.Fields(strings.Trim(got, "[]"))
			if len(items) != 3 {
				t.Fatalf("%s: SRANDMEMBER 3 = %s", tc.key, got)
			}
			distinct := map[string]bool{}
			for _, it := range items {
				distinct[it] = true
				counts[it]++
			}
			if len(distinct) != 3 {
				t.Fatalf("%s: repeated members in %s", tc.key, got)
			}
		}
		if len(counts) != len(tc.members) {
			t.Fatalf("%s: only %d of %d members drawn: %v", tc.key, len(counts), len(tc.members), counts)
		}
		// SPOP 6 of 8 takes the rebuilding path; what remains plus what was popped is the set
		got := r.do("SPOP", tc.key, "6")
		popped := strings.Fields(strings.Trim(got, "[]"))
		rest := strings.Fields(strings.Trim(r.do("SMEMBERS", tc.key), "[]"))
		all := append(popped, rest...)
		sort.Strings(all)
		want := make([]string, len(tc.members))
		for i, m := range tc.members {
			want[i] = strconv.Quote(m)
		}
		sort.Strings(want)
		if len(popped) != 6 || len(rest) != 2 || strings.Join(all, " ") != strings.Join(want, " ") {
			t.Fatalf("%s: SPOP 6 = %s, left %v", tc.key, got, rest)
		}
	}
}

// TestSetNotifications checks the keyspace events of the set commands, in Valkey's order.
func TestSetNotifications(t *testing.T) {
	n := startNode(t, "notify-keyspace-events", "KEA")
	sub := n.raw()
	mustDo(t, sub, `["psubscribe" "__keyevent@0__:*" :1]`, "PSUBSCRIBE", "__keyevent@0__:*")
	r := n.raw()
	for _, c := range []string{
		"SADD s a b", "SADD s a", "SREM s z", "SREM s a", "SMOVE s t b", "SADD s x", "SPOP s", "SADD s 1 2",
		"SPOP s 5", "SADD s 1", "SINTERSTORE d s t", "SINTERSTORE d s nokey", "SUNIONSTORE d s", "SDIFFSTORE d s t",
		"SDIFFSTORE d s s", "SMOVE t s b",
	} {
		r.do(strings.Fields(c)...)
	}
	// (the SINTERSTOREs with an empty result and no destination to delete send nothing)
	want := []string{
		"sadd s", "srem s", "srem s", "del s", "sadd t", "sadd s", "spop s", "del s", "sadd s", "spop s", "del s",
		"sadd s", "sunionstore d", "sdiffstore d", "del d", "srem t", "del t", "sadd s",
	}
	expectKeyEvents(t, sub, want)
}

// TestSetWatchCopyAndKeys: set writes invalidate WATCH, COPY is deep in every encoding, and SINTERCARD's
// keys are found by COMMAND GETKEYS.
func TestSetWatchCopyAndKeys(t *testing.T) {
	n := startNode(t)
	a, b := n.raw(), n.raw()
	mustDo(t, a, ":1", "SADD", "s", "x")
	mustDo(t, a, "OK", "WATCH", "s")
	mustDo(t, b, ":0", "SADD", "s", "x") // no change: the watch holds
	mustDo(t, b, ":0", "SREM", "s", "nosuch")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "SCARD", "s")
	mustDo(t, a, "[:1]", "EXEC")
	mustDo(t, a, "OK", "WATCH", "s")
	mustDo(t, b, ":1", "SADD", "s", "y")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "SCARD", "s")
	mustDo(t, a, "(nil)", "EXEC")
	mustDo(t, a, "OK", "WATCH", "d")
	mustDo(t, b, ":2", "SUNIONSTORE", "d", "s")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "SCARD", "d")
	mustDo(t, a, "(nil)", "EXEC")

	for i, first := range []string{"1", "a", strings.Repeat("x", 70)} {
		src := "c" + strconv.Itoa(i)
		mustDo(t, a, ":2", "SADD", src, first, "2")
		mustDo(t, a, ":1", "COPY", src, src+"copy")
		mustDo(t, a, ":1", "SREM", src+"copy", "2")
		mustDo(t, a, ":1", "SADD", src+"copy", "3")
		mustDo(t, a, ":1", "SISMEMBER", src, "2")
		mustDo(t, a, ":0", "SISMEMBER", src, "3")
		mustDo(t, a, ":2", "SCARD", src)
	}
	mustDo(t, a, `["a" "b"]`, "COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1")
	mustDo(t, a, `["d" "a" "b"]`, "COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b")
	mustDo(t, a, `["a" "b"]`, "COMMAND", "GETKEYS", "SMOVE", "a", "b", "m")
}

// TestSetConcurrentWriters: SADD/SREM/SMOVE from many clients at once keep the sets consistent.
func TestSetConcurrentWriters(t *testing.T) {
	n := startNode(t)
	const clients, each = 8, 100
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", n.addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for j := 0; j < each; j++ {
				m := fmt.Sprintf("c%d:%d", i, j)
				// add to a, move to b: every member ends in b exactly once
				req := fmt.Sprintf("*3\r\n$4\r\nSADD\r\n$1\r\na\r\n$%d\r\n%s\r\n*4\r\n$5\r\nSMOVE\r\n$1\r\na\r\n$1\r\nb\r\n$%d\r\n%s\r\n", len(m), m, len(m), m)
				if _, err := c.Write([]byte(req)); err != nil {
					t.Error(err)
					return
				}
				for k := 0; k < 2; k++ {
					if l, err := br.ReadString('\n'); err != nil || l != ":1\r\n" {
						t.Errorf("reply %q %v", l, err)
						return
					}
				}
			}
		}(i)
	}
	wg.Wait()
	r := n.raw()
	mustDo(t, r, ":0", "EXISTS", "a")
	mustDo(t, r, fmt.Sprintf(":%d", clients*each), "SCARD", "b")
}

// BenchmarkSAdd is redis-benchmark's SADD test (key myset, member element:__rand_int__) at -P 16.
func BenchmarkSAdd(b *testing.B) {
	hsBenchPipeline(b, 50, 16, func(i int) []string {
		return []string{"SADD", "myset", "element:" + strconv.Itoa(i%100000)}
	})
}

// BenchmarkSAddIntset adds integers to small sets (the intset encoding).
func BenchmarkSAddIntset(b *testing.B) {
	hsBenchPipeline(b, 50, 16, func(i int) []string {
		return []string{"SADD", "s:" + strconv.Itoa(i%1000), strconv.Itoa(i % 300)}
	})
}

// TestRandomHugeCountClosesClient: SRANDMEMBER/HRANDFIELD with a huge negative count stop at the output
// buffer limit and close the client instead of holding the node; other clients carry on.
func TestRandomHugeCountClosesClient(t *testing.T) {
	n := startNode(t, "client-output-buffer-limit normal 1mb 0 0")
	r := n.raw()
	mustDo(t, r, ":1", "SADD", "s", "member")
	mustDo(t, r, ":1", "HSET", "h", "f", "v")
	for _, cmd := range [][]string{
		{"SRANDMEMBER", "s", "-9223372036854775807"},
		{"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"},
	} {
		c := n.raw()
		c.cmd(cmd...)
		if l := c.line(); !strings.HasPrefix(l, "*") {
			t.Fatalf("%v: reply starts with %q", cmd, l)
		}
		c.c.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.Copy(io.Discard, c.br); err != nil {
			t.Fatalf("%v: the connection was not closed: %v", cmd, err)
		}
		mustDo(t, r, "PONG", "PING")
	}
}
