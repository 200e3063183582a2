package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

const hsWrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value"

// hsBigFloat is HINCRBYFLOAT 1e308 on the largest double: long double arithmetic prints every digit.
const hsBigFloat = `"279769313486231570002352240441350078789299929179619934003987695617693370918830364684014944221042050987341155710361544171686148029276505307138777262321877129888036065002204239033812550598509174132739480498569620043582760541189365866551522561741435317031294527744011878159793174665688773926186886103199182225408"`

var hashReplyTable = []tableStep{
	{cmd: "FLUSHALL", want: "OK"},
	{cmd: "HSET h", want: "-ERR wrong number of arguments for 'hset' command"},
	{cmd: "HSET h a", want: "-ERR wrong number of arguments for 'hset' command"},
	{cmd: "HSET h a 1 b", want: "-ERR wrong number of arguments for 'hset' command"},
	{cmd: "HMSET h a 1 b", want: "-ERR wrong number of arguments for 'hmset' command"},
	{cmd: "HSET h a 1 b 2", want: ":2"},
	{cmd: "HSET h a 10 c 3", want: ":1"},
	{cmd: "HGETALL h", want: `["a" "10" "b" "2" "c" "3"]`},
	{cmd: "HMSET h d 4", want: "OK"},
	{cmd: "HSETNX h a x", want: ":0"},
	{cmd: "HSETNX h e 5", want: ":1"},
	{cmd: "HSETNX h2 f v", want: ":1"},
	{cmd: "HGET h a", want: `"10"`},
	{cmd: "HGET h nosuch", want: "(nil)"},
	{cmd: "HGET nokey a", want: "(nil)"},
	{cmd: "HGET h", want: "-ERR wrong number of arguments for 'hget' command"},
	{cmd: "HMGET h a nosuch e", want: `["10" (nil) "5"]`},
	{cmd: "HMGET nokey a b", want: "[(nil) (nil)]"},
	{cmd: "HMGET h", want: "-ERR wrong number of arguments for 'hmget' command"},
	{cmd: "HLEN h", want: ":5"},
	{cmd: "HLEN nokey", want: ":0"},
	{cmd: "HSTRLEN h a", want: ":2"},
	{cmd: "HSTRLEN h nosuch", want: ":0"},
	{cmd: "HSTRLEN nokey a", want: ":0"},
	{cmd: "HEXISTS h a", want: ":1"},
	{cmd: "HEXISTS h nosuch", want: ":0"},
	{cmd: "HEXISTS nokey a", want: ":0"},
	{cmd: "HKEYS h", want: `["a" "b" "c" "d" "e"]`},
	{cmd: "HVALS h", want: `["10" "2" "3" "4" "5"]`},
	{cmd: "HKEYS nokey", want: "[]"},
	{cmd: "HVALS nokey", want: "[]"},
	{cmd: "HGETALL nokey", want: "[]"},
	{cmd: "HDEL h a nosuch b", want: ":2"},
	{cmd: "HDEL h nosuch", want: ":0"},
	{cmd: "HDEL nokey a", want: ":0"},
	{cmd: "HDEL h", want: "-ERR wrong number of arguments for 'hdel' command"},
	{cmd: "HKEYS h", want: `["c" "d" "e"]`},
	{cmd: "HDEL h2 f", want: ":1"},
	{cmd: "EXISTS h2", want: ":0"},
	{cmd: `HSET bin "\x00a" "\r\n" "" ""`, want: ":2"},
	{cmd: `HGETALL bin`, want: `["\x00a" "\r\n" "" ""]`},
	{cmd: `HSTRLEN bin ""`, want: ":0"},
	{cmd: `HEXISTS bin ""`, want: ":1"},

	// HINCRBY
	{cmd: "HINCRBY h c 5", want: ":8"},
	{cmd: "HINCRBY h new -3", want: ":-3"},
	{cmd: "HINCRBY nokey2 f 7", want: ":7"},
	{cmd: "HINCRBY h c x", want: "-ERR value is not an integer or out of range"},
	{cmd: "HINCRBY h c 1.5", want: "-ERR value is not an integer or out of range"},
	{cmd: "HINCRBY h c 9223372036854775808", want: "-ERR value is not an integer or out of range"},
	{cmd: `HSET h s abc big 9223372036854775807 neg -9223372036854775808 sp " 1" fl 1.5 z 007`, want: ":6"},
	{cmd: "HINCRBY h s 1", want: "-ERR hash value is not an integer"},
	{cmd: "HINCRBY h sp 1", want: "-ERR hash value is not an integer"},
	{cmd: "HINCRBY h fl 1", want: "-ERR hash value is not an integer"},
	{cmd: "HINCRBY h z 1", want: "-ERR hash value is not an integer"},
	{cmd: "HINCRBY h big 1", want: "-ERR increment or decrement would overflow"},
	{cmd: "HINCRBY h neg -1", want: "-ERR increment or decrement would overflow"},
	{cmd: "HINCRBY h big -1", want: ":9223372036854775806"},
	{cmd: "HINCRBY h neg 9223372036854775807", want: ":-1"},
	{cmd: "HINCRBY h", want: "-ERR wrong number of arguments for 'hincrby' command"},

	// HINCRBYFLOAT: long double arithmetic and Valkey's printing
	{cmd: "HINCRBYFLOAT h f 10.5", want: `"10.5"`},
	{cmd: "HINCRBYFLOAT h f 0.1", want: `"10.6"`},
	{cmd: "HINCRBYFLOAT h f -10.6", want: `"0"`},
	{cmd: "HINCRBYFLOAT h f 1e3", want: `"1000"`},
	{cmd: "HINCRBYFLOAT h f 0x10", want: `"1016"`},
	{cmd: "HINCRBY h f 1", want: ":1017"},
	{cmd: "HINCRBYFLOAT h fl 1.25", want: `"2.75"`},
	{cmd: "HINCRBYFLOAT h y 1e-400", want: `"0"`},
	{cmd: "HINCRBYFLOAT h f x", want: "-ERR value is not a valid float"},
	{cmd: "HINCRBYFLOAT h f nan", want: "-ERR value is not a valid float"},
	{cmd: `HINCRBYFLOAT h f ""`, want: "-ERR value is not a valid float"},
	{cmd: "HINCRBYFLOAT h f inf", want: "-ERR value is NaN or Infinity"},
	{cmd: "HINCRBYFLOAT h f -inf", want: "-ERR value is NaN or Infinity"},
	{cmd: "HINCRBYFLOAT h s 1", want: "-ERR hash value is not a float"},
	{cmd: "HINCRBYFLOAT h sp 1", want: "-ERR hash value is not a float"},
	{cmd: "HSET h i inf", want: ":1"},
	{cmd: "HINCRBYFLOAT h i 1", want: "-ERR increment would produce NaN or Infinity"},
	{cmd: "HSET h g 1.7976931348623157e308", want: ":1"},
	{cmd: "HINCRBYFLOAT h g 1e308", want: hsBigFloat},
	{cmd: "HGET h g", want: hsBigFloat},

	// wrong types; the increments are parsed before the key is looked at
	{cmd: "SET str x", want: "OK"},
	{cmd: "HSET str a 1", want: hsWrongType},
	{cmd: "HMSET str a 1", want: hsWrongType},
	{cmd: "HSETNX str a 1", want: hsWrongType},
	{cmd: "HGET str a", want: hsWrongType},
	{cmd: "HMGET str a", want: hsWrongType},
	{cmd: "HDEL str a", want: hsWrongType},
	{cmd: "HLEN str", want: hsWrongType},
	{cmd: "HSTRLEN str a", want: hsWrongType},
	{cmd: "HEXISTS str a", want: hsWrongType},
	{cmd: "HKEYS str", want: hsWrongType},
	{cmd: "HVALS str", want: hsWrongType},
	{cmd: "HGETALL str", want: hsWrongType},
	{cmd: "HINCRBY str a 1", want: hsWrongType},
	{cmd: "HINCRBY str a x", want: "-ERR value is not an integer or out of range"},
	{cmd: "HINCRBYFLOAT str a 1", want: hsWrongType},
	{cmd: "HINCRBYFLOAT str a x", want: "-ERR value is not a valid float"},
	{cmd: "HRANDFIELD str", want: hsWrongType},
	{cmd: "HRANDFIELD str 1", want: hsWrongType},
	{cmd: "HRANDFIELD str x", want: "-ERR value is not an integer or out of range"},
	{cmd: "HSCAN str 0", want: hsWrongType},
	{cmd: "HSCAN str x", want: "-ERR invalid cursor"},
	{cmd: "GET h", want: hsWrongType},

	// HRANDFIELD: argument errors, then the deterministic cases
	{cmd: "DEL r", want: ":0"},
	{cmd: "HSET r a 1 b 2 c 3", want: ":3"},
	{cmd: "HRANDFIELD r x", want: "-ERR value is not an integer or out of range"},
	{cmd: "HRANDFIELD r 1 foo", want: "-ERR syntax error"},
	{cmd: "HRANDFIELD r 1 withvalues x", want: "-ERR syntax error"},
	{cmd: "HRANDFIELD nokey 1 foo", want: "-ERR syntax error"},
	{cmd: "HRANDFIELD r -9223372036854775808", want: "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
	{cmd: "HRANDFIELD r 4611686018427387904 withvalues", want: "-ERR value is out of range"},
	{cmd: "HRANDFIELD r -4611686018427387904 withvalues", want: "-ERR value is out of range"},
	{cmd: "HRANDFIELD nokey", want: "(nil)"},
	{cmd: "HRANDFIELD nokey 3", want: "[]"},
	{cmd: "HRANDFIELD nokey -3 withvalues", want: "[]"},
	{cmd: "HRANDFIELD r 0", want: "[]"},
	{cmd: "HRANDFIELD r 0 withvalues", want: "[]"},
	{cmd: "HRANDFIELD r 3", want: `["a" "b" "c"]`},
	{cmd: "HRANDFIELD r 9223372036854775807", want: `["a" "b" "c"]`},
	{cmd: "HRANDFIELD r 10 WITHVALUES", want: `["a" "1" "b" "2" "c" "3"]`},
	{cmd: "HSET one f v", want: ":1"},
	{cmd: "HRANDFIELD one", want: `"f"`},
	{cmd: "HRANDFIELD one 1", want: `["f"]`},
	{cmd: "HRANDFIELD one -3", want: `["f" "f" "f"]`},
	{cmd: "HRANDFIELD one -2 withvalues", want: `["f" "v" "f" "v"]`},

	// HSCAN: a listpack is returned whole; options are read only for an existing key
	{cmd: "HSCAN r x", want: "-ERR invalid cursor"},
	{cmd: "HSCAN r 18446744073709551616", want: "-ERR invalid cursor"},
	{cmd: "HSCAN r 0", want: `["0" ["a" "1" "b" "2" "c" "3"]]`},
	{cmd: "HSCAN r 18446744073709551615", want: `["0" ["a" "1" "b" "2" "c" "3"]]`},
	{cmd: "HSCAN r -1", want: "-ERR invalid cursor", valkeyOnly: true},
	{cmd: "HSCAN r 0 MATCH b*", want: `["0" ["b" "2"]]`},
	{cmd: "HSCAN r 0 match [ac] count 1", want: `["0" ["a" "1" "c" "3"]]`},
	{cmd: "HSCAN r 0 COUNT 0", want: "-ERR syntax error"},
	{cmd: "HSCAN r 0 COUNT x", want: "-ERR value is not an integer or out of range"},
	{cmd: "HSCAN r 0 foo", want: "-ERR syntax error"},
	{cmd: "HSCAN r 0 MATCH", want: "-ERR syntax error"},
	{cmd: "HSCAN r 0 TYPE hash", want: "-ERR syntax error"},
	{cmd: "HSCAN nokey 0 foo", want: `["0" []]`},
	{cmd: "HSCAN r 0 NOVALUES", want: `["0" ["a" "b" "c"]]`, valkeyOnly: true},
	{cmd: "HSCAN r 0 MATCH a NOVALUES", want: `["0" ["a"]]`, valkeyOnly: true},

	// encodings at the default thresholds (128 entries, 64 bytes)
	{cmd: "OBJECT ENCODING r", want: `"listpack"`},
	{cmd: "HSET lv f " + strings.Repeat("v", 64), want: ":1"},
	{cmd: "OBJECT ENCODING lv", want: `"listpack"`},
	{cmd: "HSET lv f " + strings.Repeat("v", 65), want: ":0"},
	{cmd: "OBJECT ENCODING lv", want: `"hashtable"`},
	{cmd: "HDEL lv f", want: ":1"},
	{cmd: "HSET lf " + strings.Repeat("f", 65) + " v", want: ":1"},
	{cmd: "OBJECT ENCODING lf", want: `"hashtable"`},
	{cmd: "HSET li a 1", want: ":1"},
	{cmd: "HINCRBY li " + strings.Repeat("f", 65) + " 1", want: ":1"},
	{cmd: "OBJECT ENCODING li", want: `"hashtable"`},
	{cmd: "HSET lx a 1", want: ":1"},
	{cmd: "HSETNX lx " + strings.Repeat("f", 65) + " 1", want: ":1"},
	{cmd: "OBJECT ENCODING lx", want: `"hashtable"`},
	{cmd: "HSET lfl a 1e60", want: ":1"},
	{cmd: "OBJECT ENCODING lfl", want: `"listpack"`},
	// 1e60 is not exact in a long double: the 60-digit result still fits a listpack value, 1e100's does not
	{cmd: "HINCRBYFLOAT lfl a 1", want: `"999999999999999999999373423426722168652130621984886772203520"`},
	{cmd: "OBJECT ENCODING lfl", want: `"listpack"`},
	{cmd: "HSET lfl b 1e100", want: ":1"},
	{cmd: "HINCRBYFLOAT lfl b 1", want: `"9999999999999999999669353532207342619498699019828496079271391541752018669482644324418977840117055488"`},
	{cmd: "OBJECT ENCODING lfl", want: `"hashtable"`},
}

// TestHashCommands runs the exact-reply table (RESP2) on valkey-node.
func TestHashCommands(t *testing.T) {
	n := startNode(t)
	runTable(t, n.raw(), hashReplyTable, false)
}

// TestHashTableOnRedis runs the same table on the real redis-server 7.0, which shows the expected replies
// are Redis's (rows where Valkey differs are marked and skipped).
func TestHashTableOnRedis(t *testing.T) {
	ref, _ := startRedisServer(t)
	runTable(t, ref, hashReplyTable, true)
}

// TestHashEncodingThresholds: the entry limit at its default, the HSET pre-conversion Valkey applies when
// one command brings more pairs than a listpack holds, and the directives with their old aliases.
func TestHashEncodingThresholds(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	pairs := func(from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprintf("f%d", i), "v")
		}
		return out
	}
	mustDo(t, r, ":512", append([]string{"HSET", "h"}, pairs(0, 512)...)...)
	mustDo(t, r, `"listpack"`, "OBJECT", "ENCODING", "h")
	mustDo(t, r, ":1", "HSET", "h", "f512", "v")
	mustDo(t, r, `"hashtable"`, "OBJECT", "ENCODING", "h")
	// a hashtable does not go back, even when it shrinks
	mustDo(t, r, ":512", append([]string{"HDEL", "h"}, pairs(0, 512)...)...)
	mustDo(t, r, `"hashtable"`, "OBJECT", "ENCODING", "h")
	// 513 pairs in one HSET convert up front, duplicates or not (Valkey; Redis 7.0 counts the result)
	dup := []string{"HSET", "d"}
	for i := 0; i < 513; i++ {
		dup = append(dup, "same", "v")
	}
	mustDo(t, r, ":1", dup...)
	mustDo(t, r, `"hashtable"`, "OBJECT", "ENCODING", "d")

	mustDo(t, r, `["hash-max-listpack-entries" "512"]`, "CONFIG", "GET", "hash-max-listpack-entries")
	mustDo(t, r, `["hash-max-ziplist-value" "64"]`, "CONFIG", "GET", "hash-max-ziplist-value")
	mustDo(t, r, "OK", "CONFIG", "SET", "hash-max-ziplist-entries", "2", "hash-max-listpack-value", "1kb")
	mustDo(t, r, `["hash-max-listpack-entries" "2" "hash-max-listpack-value" "1024"]`, "CONFIG", "GET", "hash-max-listpack-*")
	mustDo(t, r, ":2", "HSET", "small", "a", "1", "b", strings.Repeat("x", 1000))
	mustDo(t, r, `"listpack"`, "OBJECT", "ENCODING", "small")
	mustDo(t, r, ":1", "HSET", "small", "c", "1")
	mustDo(t, r, `"hashtable"`, "OBJECT", "ENCODING", "small")
	if got := r.do("CONFIG", "SET", "hash-max-listpack-entries", "-1"); !strings.HasPrefix(got, "-ERR CONFIG SET failed") {
		t.Fatalf("CONFIG SET negative: %s", got)
	}
}

// TestHashRESP3 checks the RESP3 shapes: HGETALL is a map, HRANDFIELD WITHVALUES nests its pairs, a
// missing field is the RESP3 null.
func TestHashRESP3(t *testing.T) {
	n := startNode(t)
	c := n.raw()
	c.do("HELLO", "3")
	for _, st := range []struct{ cmd, want string }{
		{"HSET h a 1 b 2", ":2"},
		{"HGETALL h", `%["a" "1" "b" "2"]`},
		{"HGETALL nokey", "%[]"},
		{"HGET h nosuch", "(null)"},
		{"HMGET h a nosuch", `["1" (null)]`},
		{"HRANDFIELD h 5 WITHVALUES", `[["a" "1"] ["b" "2"]]`},
		{"HRANDFIELD h 5", `["a" "b"]`},
		{"HRANDFIELD nokey", "(null)"},
		{"HRANDFIELD nokey 2 WITHVALUES", "[]"},
		{"HSCAN h 0", `["0" ["a" "1" "b" "2"]]`},
		{"HINCRBYFLOAT h a 0.5", `"1.5"`},
	} {
		if got := c.call(strings.Fields(st.cmd)...).typed(); got != st.want {
			t.Errorf("%s: got %s, want %s", st.cmd, got, st.want)
		}
	}
	c.do("HSET", "one", "f", "v")
	if got := c.do("HRANDFIELD", "one", "-2", "WITHVALUES"); got != `[["f" "v"] ["f" "v"]]` {
		t.Errorf("HRANDFIELD -2 WITHVALUES: %s", got)
	}
}

// TestHashGoRedis runs go-redis's typed hash API over TLS in RESP2 and RESP3.
func TestHashGoRedis(t *testing.T) {
	n := startNode(t, "tls")
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx := context.Background()
			c := n.tlsClient(proto)
			c.FlushAll(ctx)
			if v, err := c.HSet(ctx, "h", "a", "1", "b", "2").Result(); err != nil || v != 2 {
				t.Fatalf("HSET: %v %v", v, err)
			}
			if v, err := c.HGetAll(ctx, "h").Result(); err != nil || fmt.Sprint(v) != "map[a:1 b:2]" {
				t.Fatalf("HGETALL: %v %v", v, err)
			}
			if _, err := c.HGet(ctx, "h", "nosuch").Result(); err != redis.Nil {
				t.Fatalf("HGET missing: %v", err)
			}
			if v, err := c.HMGet(ctx, "h", "a", "nosuch").Result(); err != nil || fmt.Sprint(v) != "[1 <nil>]" {
				t.Fatalf("HMGET: %v %v", v, err)
			}
			if v, err := c.HSetNX(ctx, "h", "a", "x").Result(); err != nil || v {
				t.Fatalf("HSETNX: %v %v", v, err)
			}
			if v, err := c.HIncrBy(ctx, "h", "a", 41).Result(); err != nil || v != 42 {
				t.Fatalf("HINCRBY: %v %v", v, err)
			}
			if v, err := c.HIncrByFloat(ctx, "h", "b", 0.5).Result(); err != nil || v != 2.5 {
				t.Fatalf("HINCRBYFLOAT: %v %v", v, err)
			}
			if v, err := c.HKeys(ctx, "h").Result(); err != nil || fmt.Sprint(v) != "[a b]" {
				t.Fatalf("HKEYS: %v %v", v, err)
			}
			if v, err := c.HVals(ctx, "h").Result(); err != nil || fmt.Sprint(v) != "[42 2.5]" {
				t.Fatalf("HVALS: %v %v", v, err)
			}
			if v, err := c.HLen(ctx, "h").Result(); err != nil || v != 2 {
				t.Fatalf("HLEN: %v %v", v, err)
			}
			if v, err := c.HExists(ctx, "h", "b").Result(); err != nil || !v {
				t.Fatalf("HEXISTS: %v %v", v, err)
			}
			if v, err := c.HStrLen(ctx, "h", "b").Result(); err != nil || v != 3 {
				t.Fatalf("HSTRLEN: %v %v", v, err)
			}
			if v, err := c.HRandFieldWithValues(ctx, "h", 5).Result(); err != nil || fmt.Sprint(v) != "[{a 42} {b 2.5}]" {
				t.Fatalf("HRANDFIELD WITHVALUES: %v %v", v, err)
			}
			if v, err := c.HRandField(ctx, "h", -3).Result(); err != nil || len(v) != 3 {
				t.Fatalf("HRANDFIELD -3: %v %v", v, err)
			}
			keys, cursor, err := c.HScan(ctx, "h", 0, "a*", 10).Result()
			if err != nil || cursor != 0 || fmt.Sprint(keys) != "[a 42]" {
				t.Fatalf("HSCAN: %v %v %v", keys, cursor, err)
			}
			if v, err := c.HDel(ctx, "h", "a", "b", "c").Result(); err != nil || v != 2 {
				t.Fatalf("HDEL: %v %v", v, err)
			}
			if v, err := c.Exists(ctx, "h").Result(); err != nil || v != 0 {
				t.Fatalf("EXISTS after emptying: %v %v", v, err)
			}
			c.Set(ctx, "s", "x", 0)
			if err := c.HSet(ctx, "s", "a", "1").Err(); err == nil || err.Error() != errWrongType {
				t.Fatalf("WRONGTYPE: %v", err)
			}
			c.HSet(ctx, "h", "s", "abc")
			if err := c.HIncrBy(ctx, "h", "s", 1).Err(); err == nil || err.Error() != errHashNotInt {
				t.Fatalf("HINCRBY on a string: %v", err)
			}
			if err := c.HIncrByFloat(ctx, "h", "s", 1).Err(); err == nil || err.Error() != errHashNotFloat {
				t.Fatalf("HINCRBYFLOAT on a string: %v", err)
			}
		})
	}
}

// TestHScanGuaranteeUnderGrowth: every field present for a whole HSCAN iteration is returned, while
// another client keeps adding fields (and the table keeps resizing) between the calls.
func TestHScanGuaranteeUnderGrowth(t *testing.T) {
	n := startNode(t)
	r, w := n.raw(), n.raw()
	const orig = 2000
	for i := 0; i < orig; i += 100 {
		args := []string{"HSET", "h"}
		for j := i; j < i+100; j++ {
			args = append(args, fmt.Sprintf("orig:%d", j), "v")
		}
		mustDo(t, r, ":100", args...)
	}
	mustDo(t, r, `"hashtable"`, "OBJECT", "ENCODING", "h")
	seen := map[string]bool{}
	cursor, added := "0", 0
	for calls := 0; ; calls++ {
		cursor = hsScanStep(t, r, "HSCAN", "h", cursor, seen, true)
		for j := 0; j < 20 && added < 30000; j++ {
			w.do("HSET", "h", fmt.Sprintf("new:%d", added), "v")
			added++
		}
		if cursor == "0" {
			break
		}
		if calls > 100000 {
			t.Fatal("HSCAN does not end")
		}
	}
	for i := 0; i < orig; i++ {
		if !seen[fmt.Sprintf("orig:%d", i)] {
			t.Fatalf("orig:%d missed by HSCAN while the hash grew to %d fields", i, orig+added)
		}
	}
}

// hsScanStep runs one HSCAN/SSCAN call with COUNT 10 and records the fields (or members) it returned.
func hsScanStep(t *testing.T, r *rawConn, cmd, key, cursor string, seen map[string]bool, pairs bool) string {
	t.Helper()
	r.cmd(cmd, key, cursor, "COUNT", "10")
	if l := r.line(); l != "*2" {
		t.Fatalf("%s reply starts with %q", cmd, l)
	}
	r.line() // $n of the cursor
	next := r.line()
	l := r.line()
	count, err := strconv.Atoi(strings.TrimPrefix(l, "*"))
	if err != nil {
		t.Fatalf("%s list header %q", cmd, l)
	}
	for i := 0; i < count; i++ {
		r.line()
		v := r.line()
		if !pairs || i%2 == 0 {
			seen[v] = true
		}
	}
	return next
}

// TestHashNotifications checks the keyspace events of the hash commands, in Valkey's order.
func TestHashNotifications(t *testing.T) {
	n := startNode(t, "notify-keyspace-events", "KEA")
	sub := n.raw()
	mustDo(t, sub, `["psubscribe" "__keyevent@0__:*" :1]`, "PSUBSCRIBE", "__keyevent@0__:*")
	r := n.raw()
	for _, c := range []string{
		"HSET h a 1", "HSET h a 1", "HMSET h b 2", "HSETNX h a 1", "HSETNX h c 3", "HDEL h nosuch",
		"HDEL h a", "HINCRBY h n 1", "HINCRBYFLOAT h n 1.5", "HINCRBY h c x", "HDEL h b c n",
	} {
		r.do(strings.Fields(c)...)
	}
	want := []string{"hset h", "hset h", "hset h", "hset h", "hdel h", "hincrby h", "hincrbyfloat h", "hdel h", "del h"}
	expectKeyEvents(t, sub, want)
}

// TestHashWatchAndCopy: a hash write invalidates WATCH, a no-op does not, and COPY is deep in both
// encodings.
func TestHashWatchAndCopy(t *testing.T) {
	n := startNode(t)
	a, b := n.raw(), n.raw()
	mustDo(t, a, ":1", "HSET", "h", "f", "1")
	mustDo(t, a, "OK", "WATCH", "h")
	mustDo(t, b, ":2", "HINCRBY", "h", "f", "1")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "HGET", "h", "f")
	mustDo(t, a, "(nil)", "EXEC")
	mustDo(t, a, "OK", "WATCH", "h")
	mustDo(t, b, ":0", "HDEL", "h", "nosuch")
	mustDo(t, b, ":0", "HSETNX", "h", "f", "x")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "HGET", "h", "f")
	mustDo(t, a, `["2"]`, "EXEC")

	for _, big := range []bool{false, true} {
		src := "c" + strconv.FormatBool(big)
		mustDo(t, a, ":2", "HSET", src, "p", "1", "q", "2")
		if big {
			mustDo(t, a, ":1", "HSET", src, "long", strings.Repeat("x", 100))
		}
		mustDo(t, a, ":1", "COPY", src, src+"copy")
		mustDo(t, a, ":1", "HDEL", src+"copy", "p")
		mustDo(t, a, ":0", "HSET", src+"copy", "q", "changed")
		mustDo(t, a, `"1"`, "HGET", src, "p")
		mustDo(t, a, `"2"`, "HGET", src, "q")
		mustDo(t, a, `"changed"`, "HGET", src+"copy", "q")
	}
}

// TestHashConcurrentIncrements: HINCRBY from many clients at once loses no update.
func TestHashConcurrentIncrements(t *testing.T) {
	n := startNode(t)
	const clients, each = 8, 200
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
			req := fmt.Sprintf("*4\r\n$7\r\nHINCRBY\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\n1\r\n*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$2\r\nc%d\r\n$1\r\nv\r\n", i)
			for j := 0; j < each; j++ {
				if _, err := c.Write([]byte(req)); err != nil {
					t.Error(err)
					return
				}
				for k := 0; k < 2; k++ {
					if _, err := br.ReadString('\n'); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}(i)
	}
	wg.Wait()
	r := n.raw()
	mustDo(t, r, fmt.Sprintf(`"%d"`, clients*each), "HGET", "h", "f")
	mustDo(t, r, fmt.Sprintf(":%d", clients+1), "HLEN", "h")
}

// ---- benchmarks ----

// hsBenchPipeline drives a node with `clients` connections sending pipelines of `depth` commands from
// gen (connection c's pipeline holds gen(c*depth) .. gen(c*depth+depth-1)), redis-benchmark -P depth.
func hsBenchPipeline(b *testing.B, clients, depth int, gen func(i int) []string) {
	n := startNode(b)
	batches := make([][][]byte, clients)
	for c := range batches {
		batches[c] = [][]byte{respPipeline(depth, func(i int) []string { return gen(c*depth + i) })}
	}
	benchPipelined(b, n.addr, depth, batches)
}

// BenchmarkHSet is redis-benchmark's HSET test (key myhash, field element:__rand_int__) at -P 16.
func BenchmarkHSet(b *testing.B) {
	hsBenchPipeline(b, 50, 16, func(i int) []string {
		return []string{"HSET", "myhash", "element:" + strconv.Itoa(i%100000), "xxx"}
	})
}

// BenchmarkHSetSmall writes into many small (listpack) hashes, the memory benchmark's shape.
func BenchmarkHSetSmall(b *testing.B) {
	hsBenchPipeline(b, 50, 16, func(i int) []string {
		return []string{"HSET", "h:" + strconv.Itoa(i%1000), "field:" + strconv.Itoa(i%100), "value"}
	})
}

// BenchmarkHashMemoryVsRedis loads 1M fields into 10k small hashes with pipelined HSETs into
// valkey-node and into redis-server, and reports bytes per field for both (heap growth here, used_memory
// growth there) and their ratio; the target is a ratio of at most 1.5.
func BenchmarkHashMemoryVsRedis(b *testing.B) {
	const hashes, fields = 10000, 100
	writeHSet := func(w *bufio.Writer, i int) {
		key := fmt.Sprintf("hash:%d", i)
		fmt.Fprintf(w, "*%d\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n", 2+2*fields, len(key), key)
		for j := 0; j < fields; j++ {
			f, v := fmt.Sprintf("field:%d", j), fmt.Sprintf("value:%d", i+j)
			fmt.Fprintf(w, "$%d\r\n%s\r\n$%d\r\n%s\r\n", len(f), f, len(v), v)
		}
	}
	var ours, theirs float64
	for i := 0; i < b.N; i++ {
		n := startNode(b)
		before := memHeap()
		memLoad(b, n.addr, hashes, writeHSet)
		ours = float64(memHeap()-before) / (hashes * fields)
		n.stop()

		// the comparison is the point of this benchmark: startRedisServer skips it (or fails it when
		// VALKEY_NODE_REQUIRE_INTEROP=1) without redis-server, as every interop test does
		_, port := startRedisServer(b)
		addr := loopbackAddr(port)
		base := memUsedMemory(b, addr)
		memLoad(b, addr, hashes, writeHSet)
		theirs = (memUsedMemory(b, addr) - base) / (hashes * fields)
	}
	b.ReportMetric(ours, "bytes/field")
	if theirs > 0 {
		b.ReportMetric(theirs, "redis-bytes/field")
		b.ReportMetric(ours/theirs, "ratio")
	}
}
