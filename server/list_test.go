package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/valkey-node/valkey-node/server/config"
)

const wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value"

// listCommonSteps are exact replies shared by Valkey and Redis 7.0: list_diff_test.go also runs them
// against the real redis-server.
var listCommonSteps = []kvStep{
	// pushes
	{"LPUSH l a b c", ":3"},
	{"RPUSH l d e", ":5"},
	{"LRANGE l 0 -1", `["c" "b" "a" "d" "e"]`},
	{"LPUSHX nol a", ":0"},
	{"RPUSHX nol a", ":0"},
	{"EXISTS nol", ":0"},
	{"LPUSHX l x y", ":7"},
	{"RPUSHX l z", ":8"},
	{"LRANGE l 0 -1", `["y" "x" "c" "b" "a" "d" "e" "z"]`},
	{"LPUSH l", "-ERR wrong number of arguments for 'lpush' command"},
	{"RPUSHX l", "-ERR wrong number of arguments for 'rpushx' command"},
	{"SET s v", "OK"},
	{"LPUSH s a", wrongType},
	{"RPUSHX s a", wrongType},
	// LLEN, LINDEX, LRANGE
	{"LLEN l", ":8"},
	{"LLEN nol", ":0"},
	{"LLEN s", wrongType},
	{"LINDEX l 0", `"y"`},
	{"LINDEX l -1", `"z"`},
	{"LINDEX l 3", `"b"`},
	{"LINDEX l -8", `"y"`},
	{"LINDEX l 8", "(nil)"},
	{"LINDEX l -9", "(nil)"},
	{"LINDEX l abc", "-ERR value is not an integer or out of range"},
	{"LINDEX nol abc", "(nil)"},
	{"LINDEX s 0", wrongType},
	{"LRANGE l 1 2", `["x" "c"]`},
	{"LRANGE l -3 -2", `["d" "e"]`},
	{"LRANGE l -100 1", `["y" "x"]`},
	{"LRANGE l 5 100", `["d" "e" "z"]`},
	{"LRANGE l 3 2", "[]"},
	{"LRANGE l 8 10", "[]"},
	{"LRANGE l -1 -100", "[]"},
	{"LRANGE l 0 9223372036854775807", `["y" "x" "c" "b" "a" "d" "e" "z"]`},
	{"LRANGE l -9223372036854775808 0", `["y"]`},
	{"LRANGE nol 0 -1", "[]"},
	{"LRANGE nol a 1", "-ERR value is not an integer or out of range"},
	{"LRANGE l 0 1.5", "-ERR value is not an integer or out of range"},
	{"LRANGE s 0 -1", wrongType},
	// LPOP / RPOP
	{"LPOP l", `"y"`},
	{"RPOP l", `"z"`},
	{"LPOP l 2", `["x" "c"]`},
	{"RPOP l 2", `["e" "d"]`},
	{"LPOP l 0", "[]"},
	{"LPOP l -1", "-ERR value is out of range, must be positive"},
	{"RPOP l abc", "-ERR value is out of range, must be positive"},
	{"LPOP l 1 2", "-ERR wrong number of arguments for 'lpop' command"},
	{"RPOP l 1 2", "-ERR wrong number of arguments for 'rpop' command"},
	{"LPOP nol", "(nil)"},
	{"LPOP nol 1", "(nil)"},
	{"RPOP nol 0", "(nil)"},
	{"LPOP s", wrongType},
	{"LPOP s 0", wrongType},
	{"RPOP l 10", `["a" "b"]`},
	{"EXISTS l", ":0"},
	// LSET
	{"RPUSH l a b c", ":3"},
	{"LSET l 0 A", "OK"},
	{"LSET l -1 C", "OK"},
	{"LSET l 3 x", "-ERR index out of range"},
	{"LSET l -4 x", "-ERR index out of range"},
	{"LSET l abc x", "-ERR value is not an integer or out of range"},
	{"LSET nol 0 x", "-ERR no such key"},
	{"LSET nol abc x", "-ERR no such key"},
	{"LSET s 0 x", wrongType},
	{"LRANGE l 0 -1", `["A" "b" "C"]`},
	// LINSERT
	{"LINSERT l BEFORE b x", ":4"},
	{"LINSERT l after C y", ":5"},
	{"LINSERT l AFTER nope z", ":-1"},
	{"LINSERT l MIDDLE b z", "-ERR syntax error"},
	{"LINSERT nol BEFORE a b", ":0"},
	{"LINSERT s BEFORE a b", wrongType},
	{"LINSERT nol MIDDLE a b", "-ERR syntax error"},
	{"LRANGE l 0 -1", `["A" "x" "b" "C" "y"]`},
	// LREM
	{"DEL l", ":1"},
	{"RPUSH l a b a c a b", ":6"},
	{"LREM l 1 a", ":1"},
	{"LRANGE l 0 -1", `["b" "a" "c" "a" "b"]`},
	{"LREM l -1 b", ":1"},
	{"LRANGE l 0 -1", `["b" "a" "c" "a"]`},
	{"LREM l 0 a", ":2"},
	{"LREM l 0 nope", ":0"},
	{"LRANGE l 0 -1", `["b" "c"]`},
	{"LREM l -9223372036854775808 b", ":1"},
	{"LREM l abc c", "-ERR value is not an integer or out of range"},
	{"LREM nol 0 a", ":0"},
	{"LREM s 0 a", wrongType},
	{"LREM l 0 c", ":1"},
	{"EXISTS l", ":0"},
	// LTRIM
	{"RPUSH l 1 2 3 4 5", ":5"},
	{"LTRIM l 1 -2", "OK"},
	{"LRANGE l 0 -1", `["2" "3" "4"]`},
	{"LTRIM l -100 100", "OK"},
	{"LRANGE l 0 -1", `["2" "3" "4"]`},
	{"LTRIM l a 1", "-ERR value is not an integer or out of range"},
	{"LTRIM nol 0 1", "OK"},
	{"LTRIM s 0 1", wrongType},
	{"LTRIM l 2 1", "OK"},
	{"EXISTS l", ":0"},
	// LPOS
	{"RPUSH l a b c 1 2 3 c c", ":8"},
	{"LPOS l c", ":2"},
	{"LPOS l c RANK 2", ":6"},
	{"LPOS l c RANK -1", ":7"},
	{"LPOS l c RANK -3", ":2"},
	{"LPOS l c RANK 4", "(nil)"},
	{"LPOS l c COUNT 0", "[:2 :6 :7]"},
	{"LPOS l c COUNT 2", "[:2 :6]"},
	{"LPOS l c COUNT 2 RANK -1", "[:7 :6]"},
	{"LPOS l c COUNT 0 MAXLEN 7", "[:2 :6]"},
	{"LPOS l c MAXLEN 2", "(nil)"},
	{"LPOS l c RANK -1 MAXLEN 1", ":7"},
	{"LPOS l c RANK 2 COUNT 0 MAXLEN 0", "[:6 :7]"},
	{"LPOS l nope", "(nil)"},
	{"LPOS l nope COUNT 1", "[]"},
	{"LPOS nol a", "(nil)"},
	{"LPOS nol a COUNT 1", "[]"},
	{"LPOS s a", wrongType},
	{"LPOS l c RANK 0", "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"},
	{"LPOS l c RANK x", "-ERR value is not an integer or out of range"},
	{"LPOS l c COUNT -1", "-ERR COUNT can't be negative"},
	{"LPOS l c COUNT x", "-ERR COUNT can't be negative"},
	{"LPOS l c MAXLEN -1", "-ERR MAXLEN can't be negative"},
	{"LPOS l c RANK", "-ERR syntax error"},
	{"LPOS l c FOO 1", "-ERR syntax error"},
	{"LPOS nol c RANK 0", "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"},
	// LMOVE / RPOPLPUSH
	{"DEL l", ":1"},
	{"RPUSH src a b c", ":3"},
	{"LMOVE src dst LEFT RIGHT", `"a"`},
	{"LMOVE src dst RIGHT LEFT", `"c"`},
	{"LRANGE dst 0 -1", `["c" "a"]`},
	{"RPOPLPUSH src dst", `"b"`},
	{"EXISTS src", ":0"},
	{"LRANGE dst 0 -1", `["b" "c" "a"]`},
	{"LMOVE dst dst LEFT RIGHT", `"b"`},
	{"LRANGE dst 0 -1", `["c" "a" "b"]`},
	{"RPOPLPUSH dst dst", `"b"`},
	{"LRANGE dst 0 -1", `["b" "c" "a"]`},
	{"LMOVE nol dst LEFT LEFT", "(nil)"},
	{"RPOPLPUSH nol dst", "(nil)"},
	{"LMOVE dst s LEFT LEFT", wrongType},
	{"RPOPLPUSH s dst", wrongType},
	{"LLEN dst", ":3"},
	{"LMOVE dst x UP LEFT", "-ERR syntax error"},
	{"LMOVE dst x LEFT DOWN", "-ERR syntax error"},
	{"RPUSH one x", ":1"},
	{"LMOVE one one RIGHT LEFT", `"x"`},
	{"LRANGE one 0 -1", `["x"]`},
	{"LMOVE one other LEFT LEFT", `"x"`},
	{"EXISTS one", ":0"},
	// LMPOP
	{"DEL dst other", ":2"},
	{"RPUSH m1 a b c d", ":4"},
	{"LMPOP 2 nol m1 LEFT", `["m1" ["a"]]`},
	{"LMPOP 2 nol m1 RIGHT COUNT 2", `["m1" ["d" "c"]]`},
	{"LMPOP 1 m1 left count 10", `["m1" ["b"]]`},
	{"LMPOP 2 nol m1 LEFT", "(nil)"},
	{"LMPOP 2 s m1 LEFT", wrongType},
	{"LMPOP 0 m1 LEFT", "-ERR numkeys should be greater than 0"},
	{"LMPOP x m1 LEFT", "-ERR numkeys should be greater than 0"},
	{"LMPOP 5 m1 LEFT", "-ERR syntax error"},
	{"LMPOP 9223372036854775807 m1 LEFT", "-ERR syntax error"},
	{"LMPOP 1 m1 MIDDLE", "-ERR syntax error"},
	{"LMPOP 1 m1 LEFT COUNT 0", "-ERR count should be greater than 0"},
	{"LMPOP 1 m1 LEFT COUNT x", "-ERR count should be greater than 0"},
	{"LMPOP 1 m1 LEFT COUNT 1 COUNT 1", "-ERR syntax error"},
	{"LMPOP 1 m1 LEFT COUNT", "-ERR syntax error"},
	{"LMPOP 1 m1 LEFT FOO", "-ERR syntax error"},
	{"LMPOP 1 m1", "-ERR wrong number of arguments for 'lmpop' command"},
	// blocking commands that need not wait
	{"RPUSH b1 x y z", ":3"},
	{"BLPOP nol b1 0", `["b1" "x"]`},
	{"BRPOP nol b1 0", `["b1" "z"]`},
	{"BLMOVE b1 b2 LEFT LEFT 0", `"y"`},
	{"BRPOPLPUSH b2 b1 0", `"y"`},
	{"BLMPOP 0 2 nol b1 RIGHT COUNT 5", `["b1" ["y"]]`},
	{"BLPOP s 0", wrongType},
	{"BLPOP nol s 0", wrongType},
	{"BLMOVE s b1 LEFT LEFT 0", wrongType},
	{"BLMPOP 0 1 s LEFT", wrongType},
	{"BLPOP nol -1", "-ERR timeout is negative"},
	{"BLPOP nol abc", "-ERR timeout is not a float or out of range"},
	{"BRPOPLPUSH nol b1 abc", "-ERR timeout is not a float or out of range"},
	{"BLMOVE nol b1 UP LEFT -1", "-ERR syntax error"},
	{"BLMOVE nol b1 LEFT LEFT -1", "-ERR timeout is negative"},
	{"BLMPOP abc 1 nol LEFT", "-ERR timeout is not a float or out of range"},
	{"BLMPOP -1 0 nol LEFT", "-ERR numkeys should be greater than 0"},
	{"BLMPOP 0 1 nol LEFT COUNT 0", "-ERR count should be greater than 0"},
	{"BLPOP nol 0.01", "(nil)"},
	{"BRPOP nol nol2 0.01", "(nil)"},
	{"BLMOVE nol b1 LEFT LEFT 0.01", "(nil)"},
	{"BRPOPLPUSH nol b1 0.01", "(nil)"},
	{"BLMPOP 0.01 2 nol nol2 LEFT", "(nil)"},
	{"DBSIZE", ":1"}, // s
}

// listValkeySteps are replies where Valkey 7.2 differs from Redis 7.0.
var listValkeySteps = []kvStep{
	{"RPUSH l a b a", ":3"},
	// Redis 7.0 accepted LONG_MIN and overflowed negating it
	{"LPOS l a RANK -9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
	{"LPOS l a RANK -9223372036854775807", "(nil)"},
	{"LPOS l a RANK 9223372036854775807", "(nil)"},
	// Valkey keeps small lists as listpack (Redis 7.0 answers quicklist for every list)
	{"OBJECT ENCODING l", `"listpack"`},
}

func TestListCommands(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	runSteps(t, r, listCommonSteps)
	runSteps(t, r, listValkeySteps)
}

// A list key behaves as any key: TYPE, expiry, COPY (deep), RENAME, and the empty list never exists.
func TestListAsKey(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	runSteps(t, r, []kvStep{
		{"RPUSH l a b c", ":3"},
		{"TYPE l", "list"},
		{"COPY l l2", ":1"},
		{"RPUSH l2 d", ":4"},
		{"LRANGE l 0 -1", `["a" "b" "c"]`},
		{"LRANGE l2 0 -1", `["a" "b" "c" "d"]`},
		{"OBJECT ENCODING l2", `"listpack"`},
		{"PEXPIRE l 1", ":1"},
	})
	time.Sleep(20 * time.Millisecond)
	runSteps(t, r, []kvStep{
		{"LLEN l", ":0"},
		{"RPUSH l x", ":1"},
		{"TTL l", ":-1"},
		{"EXPIRE l 100", ":1"},
		{"RPUSH l y", ":2"},
		{"LPOP l", `"x"`},
		{"TTL l", ":100"},
		{"RENAME l l3", "OK"},
		{"LRANGE l3 0 -1", `["y"]`},
		{"SET s v", "OK"},
	})
	if got := r.do("SCAN", "0", "TYPE", "list"); got != `["0" ["l2" "l3"]]` && got != `["0" ["l3" "l2"]]` {
		t.Fatalf("SCAN TYPE list: %s", got)
	}
}

// Replies whose shape depends on the protocol: a null bulk string or a null array in RESP2, the null
// type in RESP3; arrays of integers from LPOS; nested arrays from LMPOP.
func TestListGoRedis(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprint("RESP", proto), func(t *testing.T) {
			c := n.client(func(o *redis.Options) { o.Protocol = proto })
			c.FlushAll(ctx)
			if v, err := c.RPush(ctx, "l", "a", "b", "c", "b").Result(); err != nil || v != 4 {
				t.Fatalf("RPUSH: %v %v", v, err)
			}
			if _, err := c.LPop(ctx, "nol").Result(); err != redis.Nil {
				t.Fatalf("LPOP missing: %v", err)
			}
			if _, err := c.LPopCount(ctx, "nol", 2).Result(); err != redis.Nil {
				t.Fatalf("LPOP missing with count: %v", err)
			}
			if v, err := c.LPopCount(ctx, "l", 0).Result(); err != nil || len(v) != 0 {
				t.Fatalf("LPOP count 0: %v %v", v, err)
			}
			if v, err := c.LPos(ctx, "l", "b", redis.LPosArgs{Rank: -1}).Result(); err != nil || v != 3 {
				t.Fatalf("LPOS: %v %v", v, err)
			}
			if _, err := c.LPos(ctx, "l", "zz", redis.LPosArgs{}).Result(); err != redis.Nil {
				t.Fatalf("LPOS no match: %v", err)
			}
			if v, err := c.LPosCount(ctx, "l", "b", 0, redis.LPosArgs{}).Result(); err != nil || fmt.Sprint(v) != "[1 3]" {
				t.Fatalf("LPOS COUNT: %v %v", v, err)
			}
			if k, v, err := c.LMPop(ctx, "right", 2, "nol", "l").Result(); err != nil || k != "l" || fmt.Sprint(v) != "[b c]" {
				t.Fatalf("LMPOP: %v %v %v", k, v, err)
			}
			if _, _, err := c.LMPop(ctx, "left", 1, "nol").Result(); err != redis.Nil {
				t.Fatalf("LMPOP missing: %v", err)
			}
			if v, err := c.BLPop(ctx, 0, "nol", "l").Result(); err != nil || fmt.Sprint(v) != "[l a]" {
				t.Fatalf("BLPOP: %v %v", v, err)
			}
			// (go-redis rounds timeouts up to 1 s: the timeouts' null shapes are checked on a raw connection)
			if v, err := c.BLMove(ctx, "l", "d", "LEFT", "RIGHT", 0).Result(); err != nil || v != "b" {
				t.Fatalf("BLMOVE: %v %v", v, err)
			}
			if k, v, err := c.BLMPop(ctx, 0, "right", 5, "nol", "d").Result(); err != nil || k != "d" || fmt.Sprint(v) != "[b]" {
				t.Fatalf("BLMPOP: %v %v %v", k, v, err)
			}
			if v, err := c.LIndex(ctx, "nol", 0).Result(); err != redis.Nil {
				t.Fatalf("LINDEX missing: %v %v", v, err)
			}
			if err := c.LSet(ctx, "nol", 0, "x").Err(); err == nil || err.Error() != "ERR no such key" {
				t.Fatalf("LSET missing: %v", err)
			}
		})
	}
	// the raw null shapes
	r := n.raw()
	runSteps(t, r, []kvStep{{"LPOP nol", "(nil)"}})
	r.cmd("LPOP", "nol", "1")
	if l := r.line(); l != "*-1" {
		t.Fatalf("RESP2 LPOP missing with count: %q, want *-1", l)
	}
	r.cmd("LPOP", "nol")
	if l := r.line(); l != "$-1" {
		t.Fatalf("RESP2 LPOP missing: %q, want $-1", l)
	}
	r.cmd("BLPOP", "nol", "0.01")
	if l := r.line(); l != "*-1" {
		t.Fatalf("RESP2 BLPOP timeout: %q, want *-1", l)
	}
	// BLMOVE and BRPOPLPUSH time out with a null array like the other blocking list commands, but
	// answer a null bulk string inside a transaction, where they cannot block
	for _, cmd := range [][]string{{"BLMOVE", "nol", "x", "LEFT", "LEFT", "0.01"}, {"BRPOPLPUSH", "nol", "x", "0.01"}} {
		r.cmd(cmd...)
		if l := r.line(); l != "*-1" {
			t.Fatalf("RESP2 %v timeout: %q, want *-1", cmd, l)
		}
	}
	mustDo(t, r, "OK", "MULTI")
	mustDo(t, r, "QUEUED", "BLMOVE", "nol", "x", "LEFT", "LEFT", "0")
	mustDo(t, r, "QUEUED", "BRPOPLPUSH", "nol", "x", "0")
	mustDo(t, r, "QUEUED", "BLPOP", "nol", "0")
	r.cmd("EXEC")
	for _, want := range []string{"*3", "$-1", "$-1", "*-1"} {
		if l := r.line(); l != want {
			t.Fatalf("RESP2 blocking commands in EXEC: %q, want %q", l, want)
		}
	}
	r.do("HELLO", "3")
	for _, cmd := range [][]string{{"LPOP", "nol", "1"}, {"LPOP", "nol"}, {"BLPOP", "nol", "0.01"}, {"BLMOVE", "nol", "x", "LEFT", "LEFT", "0.01"}, {"LMPOP", "1", "nol", "LEFT"}} {
		r.cmd(cmd...)
		if l := r.line(); l != "_" {
			t.Fatalf("RESP3 %v: %q, want _", cmd, l)
		}
	}
}

func listNodeEncoding(t *testing.T, r *rawConn, key string) string {
	t.Helper()
	return r.do("OBJECT", "ENCODING", key)
}

// The listpack <-> quicklist conversions of Valkey 7.2, on a count limit and on size limits.
func TestListEncodingConversion(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	mustDo(t, r, "OK", "CONFIG", "SET", "list-max-listpack-size", "3")
	check := func(key, want string) {
		t.Helper()
		if got := listNodeEncoding(t, r, key); got != `"`+want+`"` {
			t.Fatalf("OBJECT ENCODING %s = %s, want %s", key, got, want)
		}
	}
	create := func(key string, elems ...string) {
		t.Helper()
		r.do("DEL", key)
		mustDo(t, r, ":"+strconv.Itoa(len(elems)), append([]string{"RPUSH", key}, elems...)...)
	}
	// growing: RPUSH, LPUSH, LINSERT, LSET, LMOVE
	create("l", "a", "b", "c")
	check("l", "listpack")
	mustDo(t, r, ":4", "RPUSH", "l", "d")
	check("l", "quicklist")
	create("l", "a", "b", "c")
	mustDo(t, r, ":4", "LINSERT", "l", "AFTER", "b", "x")
	check("l", "quicklist")
	create("l", "a", "b", "c")
	mustDo(t, r, ":-1", "LINSERT", "l", "AFTER", "nope", "x") // Valkey converts before looking for the pivot
	check("l", "quicklist")
	create("src", "x")
	create("l", "a", "b", "c")
	mustDo(t, r, `"x"`, "LMOVE", "src", "l", "LEFT", "LEFT")
	check("l", "quicklist")
	// shrinking: back to listpack only at half the limit (3/2 = 1 element)
	create("l", "a", "b", "c", "d")
	mustDo(t, r, `["d" "c"]`, "RPOP", "l", "2")
	check("l", "quicklist")
	mustDo(t, r, `"b"`, "RPOP", "l")
	check("l", "listpack")
	create("l", "a", "a", "a", "d")
	mustDo(t, r, ":3", "LREM", "l", "3", "a")
	check("l", "listpack")
	create("l", "a", "b", "c", "d")
	mustDo(t, r, "OK", "LTRIM", "l", "1", "1")
	check("l", "listpack")

	// size limit -1: 4 kB nodes
	mustDo(t, r, "OK", "CONFIG", "SET", "list-max-ziplist-size", "-1") // the old name is an alias
	mustDo(t, r, `["list-max-listpack-size" "-1"]`, "CONFIG", "GET", "list-max-listpack-size")
	big := strings.Repeat("d", 4096)
	create("l", "a", "b", "c", big)
	check("l", "quicklist")
	mustDo(t, r, `["`+big+`"]`, "RPOP", "l", "1")
	check("l", "listpack")
	create("l", "a", big, big, big)
	mustDo(t, r, ":3", "LREM", "l", "3", big)
	check("l", "listpack")
	create("l", "a", "b", "c", big)
	mustDo(t, r, "OK", "LTRIM", "l", "0", "1")
	check("l", "listpack")
	create("l", "a", "b", "c")
	mustDo(t, r, "OK", "LSET", "l", "1", big)
	check("l", "quicklist")
	// replacing the element of a plain node (larger than a node) with a small one
	huge := strings.Repeat("x", 8192)
	create("l", huge, "a", "b")
	mustDo(t, r, `["b" "a"]`, "RPOP", "l", "2")
	check("l", "quicklist")
	mustDo(t, r, "OK", "LSET", "l", "-1", "c")
	check("l", "listpack")
	mustDo(t, r, `["c"]`, "LRANGE", "l", "0", "-1")

	// the default, 8 kB: many small elements stay a listpack
	mustDo(t, r, "OK", "CONFIG", "SET", "list-max-listpack-size", "-2")
	r.do("DEL", "l")
	args := []string{"RPUSH", "l"}
	for i := 0; i < 500; i++ {
		args = append(args, "elem")
	}
	mustDo(t, r, ":500", args...)
	check("l", "listpack")
	mustDo(t, r, ":1000", args...)
	check("l", "listpack") // 1000 entries of 6 bytes: 6007 bytes
	// Valkey estimates the growth from the elements' lengths only (500 x 4 bytes): 8007 bytes fit
	mustDo(t, r, ":1500", args...)
	check("l", "listpack")
	mustDo(t, r, ":2000", args...)
	check("l", "quicklist")
	mustDo(t, r, "OK", "LTRIM", "l", "0", "99")
	check("l", "listpack")

	// 0 counts as 1 element per node; below -5 counts as -5 (64 kB)
	mustDo(t, r, "OK", "CONFIG", "SET", "list-max-listpack-size", "0")
	create("l", "a")
	check("l", "listpack")
	mustDo(t, r, ":2", "RPUSH", "l", "b")
	check("l", "quicklist")
	mustDo(t, r, "OK", "CONFIG", "SET", "list-max-listpack-size", "-6")
	create("l", strings.Repeat("x", 60000))
	check("l", "listpack")
	mustDo(t, r, ":2", "RPUSH", "l", strings.Repeat("x", 5536))
	check("l", "quicklist")
}

func TestListDirectives(t *testing.T) {
	n := startNode(t, "list-max-ziplist-size", "5")
	r := n.raw()
	runSteps(t, r, []kvStep{
		{"CONFIG GET list-max-listpack-size", `["list-max-listpack-size" "5"]`},
		{"CONFIG GET list-max-ziplist-size", `["list-max-ziplist-size" "5"]`},
		{"CONFIG GET list-compress-depth", `["list-compress-depth" "0"]`},
		{"CONFIG SET list-compress-depth 0", "OK"},
		{"CONFIG SET list-compress-depth 1", "-ERR CONFIG SET failed (possibly related to argument 'list-compress-depth') - 'list-compress-depth 1' is not supported yet by valkey-node (only 'list-compress-depth 0' is accepted)"},
		{"CONFIG SET list-compress-depth -1", "-ERR CONFIG SET failed (possibly related to argument 'list-compress-depth') - argument must be between 0 and 2147483647 inclusive"},
		{"CONFIG SET list-max-listpack-size abc", "-ERR CONFIG SET failed (possibly related to argument 'list-max-listpack-size') - argument couldn't be parsed into an integer"},
		{"RPUSH l 1 2 3 4 5", ":5"},
		{"OBJECT ENCODING l", `"listpack"`},
		{"RPUSH l 6", ":6"},
		{"OBJECT ENCODING l", `"quicklist"`},
	})
	// a config file or command line that asks for compression is refused at start
	_, err := New(Options{Args: []config.Option{{Name: "list-compress-depth", Args: []string{"2"}}}})
	if err == nil || !strings.Contains(err.Error(), "list-compress-depth") {
		t.Fatalf("list-compress-depth 2 at start: %v", err)
	}
}

// waitBlocked waits until count clients are blocked.
func waitBlocked(t *testing.T, n *testNode, count int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d blocked clients", count), func() bool {
		n.srv.mu.Lock()
		defer n.srv.mu.Unlock()
		return n.srv.blockedCount == count
	})
}

// blockAll sends cmd on each connection in turn, waiting until each one is blocked, so that the order in
// which they blocked is known.
func blockAll(t *testing.T, n *testNode, conns []*rawConn, cmd ...string) {
	t.Helper()
	n.srv.mu.Lock()
	base := n.srv.blockedCount
	n.srv.mu.Unlock()
	for i, c := range conns {
		c.cmd(cmd...)
		waitBlocked(t, n, base+i+1)
	}
}

func expectReply(t *testing.T, c *rawConn, want string) {
	t.Helper()
	if got := c.reply(); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// Clients blocked on a key are served in the order they blocked; one LPUSH of several elements serves
// several waiters, each with the head at its turn.
func TestListBlockingFairness(t *testing.T) {
	n := startNode(t)
	w := []*rawConn{n.raw(), n.raw(), n.raw()}
	blockAll(t, n, w, "BLPOP", "q", "0")
	p := n.raw()
	mustDo(t, p, ":3", "LPUSH", "q", "a", "b", "c")
	expectReply(t, w[0], `["q" "c"]`)
	expectReply(t, w[1], `["q" "b"]`)
	expectReply(t, w[2], `["q" "a"]`)
	mustDo(t, p, ":0", "EXISTS", "q")

	// more waiters than elements: the rest keep waiting, in order
	blockAll(t, n, w, "BRPOP", "q", "0")
	mustDo(t, p, ":2", "RPUSH", "q", "x", "y")
	expectReply(t, w[0], `["q" "y"]`)
	expectReply(t, w[1], `["q" "x"]`)
	waitBlocked(t, n, 1)
	mustDo(t, p, ":1", "RPUSH", "q", "z")
	expectReply(t, w[2], `["q" "z"]`)

	// a client blocked on several keys is woken by any of them, and pops from the first non-empty one
	// in its own key order (Valkey 7.2 re-runs the command)
	blockAll(t, n, w[:1], "BLPOP", "k1", "k2", "0")
	mustDo(t, p, ":1", "RPUSH", "k2", "v2")
	expectReply(t, w[0], `["k2" "v2"]`)
	blockAll(t, n, w[:1], "BLPOP", "k1", "k2", "0")
	mustDo(t, p, "OK", "MULTI")
	mustDo(t, p, "QUEUED", "RPUSH", "k2", "v2")
	mustDo(t, p, "QUEUED", "RPUSH", "k1", "v1")
	mustDo(t, p, "[:1 :1]", "EXEC")
	expectReply(t, w[0], `["k1" "v1"]`)
	mustDo(t, p, `["v2"]`, "LRANGE", "k2", "0", "-1")
}

func TestListBlockingTimeouts(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	for _, st := range []kvStep{
		{"BLPOP q 0.05", "(nil)"},
		{"BRPOP q q2 0.05", "(nil)"},
		{"BLMOVE q d LEFT RIGHT 0.05", "(nil)"},
		{"BRPOPLPUSH q d 0.05", "(nil)"},
		{"BLMPOP 0.05 2 q q2 LEFT COUNT 3", "(nil)"},
	} {
		if got := r.do(splitCmd(t, st.cmd)...); got != st.want {
			t.Fatalf("%s: %s", st.cmd, got)
		}
	}
	waitBlocked(t, n, 0)
	// a timed-out wait leaves nothing registered: a later push is not taken by anyone
	mustDo(t, r, ":1", "RPUSH", "q", "x")
	mustDo(t, r, ":1", "LLEN", "q")
	mustDo(t, r, ":0", "EXISTS", "d")
}

// Inside MULTI blocking commands do not wait; a push inside MULTI wakes waiters only after EXEC.
func TestListBlockingMulti(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	runSteps(t, r, []kvStep{
		{"MULTI", "OK"},
		{"BLPOP q 0", "QUEUED"},
		{"BLMOVE q d LEFT LEFT 0", "QUEUED"},
		{"BLMPOP 0 1 q LEFT", "QUEUED"},
		{"RPUSH q x", "QUEUED"},
		{"BRPOP q 0", "QUEUED"},
		{"EXEC", `[(nil) (nil) (nil) :1 ["q" "x"]]`},
	})
	w := n.raw()
	blockAll(t, n, []*rawConn{w}, "BLPOP", "q", "0")
	runSteps(t, r, []kvStep{
		{"MULTI", "OK"},
		{"LPUSH q a", "QUEUED"},
		{"LLEN q", "QUEUED"},
		{"LPUSH q b", "QUEUED"},
		{"EXEC", "[:1 :1 :2]"},
	})
	expectReply(t, w, `["q" "b"]`)
	mustDo(t, r, `["a"]`, "LRANGE", "q", "0", "-1")
}

// BLMOVE chains: an element moved by one blocked client wakes the clients blocked on its destination,
// within the same command that pushed it.
func TestListBlockingMoveChain(t *testing.T) {
	n := startNode(t)
	a, b, c := n.raw(), n.raw(), n.raw()
	blockAll(t, n, []*rawConn{a}, "BLMOVE", "s1", "s2", "LEFT", "RIGHT", "0")
	blockAll(t, n, []*rawConn{b}, "BRPOPLPUSH", "s2", "s3", "0")
	blockAll(t, n, []*rawConn{c}, "BLPOP", "s3", "0")
	p := n.raw()
	mustDo(t, p, ":1", "RPUSH", "s1", "v")
	expectReply(t, a, `"v"`)
	expectReply(t, b, `"v"`)
	expectReply(t, c, `["s3" "v"]`)
	mustDo(t, p, ":0", "EXISTS", "s1", "s2", "s3")

	// rotation: BLMOVE with the same source and destination keeps the element in the list, and the
	// next waiter on that list still gets it
	blockAll(t, n, []*rawConn{a}, "BLMOVE", "r", "r", "RIGHT", "LEFT", "0")
	blockAll(t, n, []*rawConn{b}, "BLPOP", "r", "0")
	mustDo(t, p, ":1", "RPUSH", "r", "x")
	expectReply(t, a, `"x"`)
	expectReply(t, b, `["r" "x"]`)
	mustDo(t, p, ":0", "EXISTS", "r")
	mustDo(t, p, ":3", "RPUSH", "r", "1", "2", "3")
	mustDo(t, p, `"3"`, "BLMOVE", "r", "r", "RIGHT", "LEFT", "0")
	mustDo(t, p, `["3" "1" "2"]`, "LRANGE", "r", "0", "-1")
}

// A waiter whose key is replaced by a value of another kind keeps waiting (Valkey only serves it once a
// list is there); a BLMOVE whose destination has the wrong kind is answered WRONGTYPE when served.
func TestListBlockingWrongType(t *testing.T) {
	n := startNode(t)
	w := n.raw()
	p := n.raw()
	blockAll(t, n, []*rawConn{w}, "BLPOP", "k", "0")
	// TESTPUSH (blocking_test.go) stores a string and signals the key as ready
	mustDo(t, p, "OK", "TESTPUSH", "k", "str")
	waitBlocked(t, n, 1)
	mustDo(t, p, ":1", "DEL", "k")
	mustDo(t, p, ":1", "RPUSH", "k", "v")
	expectReply(t, w, `["k" "v"]`)

	mustDo(t, p, "OK", "SET", "dst", "str")
	blockAll(t, n, []*rawConn{w}, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
	mustDo(t, p, ":1", "RPUSH", "src", "x")
	expectReply(t, w, wrongType)
	mustDo(t, p, `["x"]`, "LRANGE", "src", "0", "-1")
	waitBlocked(t, n, 0)
}

// A client that disconnects while blocked takes nothing; the next waiter gets the element.
func TestListBlockingDisconnect(t *testing.T) {
	n := startNode(t)
	gone, stays := n.raw(), n.raw()
	blockAll(t, n, []*rawConn{gone, stays}, "BLPOP", "q", "0")
	gone.c.Close()
	waitBlocked(t, n, 1)
	p := n.raw()
	mustDo(t, p, ":2", "RPUSH", "q", "a", "b")
	expectReply(t, stays, `["q" "a"]`)
	mustDo(t, p, `["b"]`, "LRANGE", "q", "0", "-1")

	mover := n.raw()
	blockAll(t, n, []*rawConn{mover}, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0")
	mover.c.Close()
	waitBlocked(t, n, 0)
	mustDo(t, p, ":1", "RPUSH", "src", "x")
	mustDo(t, p, `["x"]`, "LRANGE", "src", "0", "-1")
	mustDo(t, p, ":0", "EXISTS", "dst")
}

func TestListBlockingMpop(t *testing.T) {
	n := startNode(t)
	w := n.raw()
	p := n.raw()
	blockAll(t, n, []*rawConn{w}, "BLMPOP", "0", "2", "x", "y", "RIGHT", "COUNT", "2")
	mustDo(t, p, ":3", "RPUSH", "y", "1", "2", "3")
	expectReply(t, w, `["y" ["3" "2"]]`)
	mustDo(t, p, `["1"]`, "LRANGE", "y", "0", "-1")
}

func TestListClientUnblock(t *testing.T) {
	n := startNode(t)
	w := n.raw()
	id := strings.TrimPrefix(w.do("CLIENT", "ID"), ":")
	p := n.raw()
	blockAll(t, n, []*rawConn{w}, "BLPOP", "q", "0")
	mustDo(t, p, ":1", "CLIENT", "UNBLOCK", id)
	expectReply(t, w, "(nil)")
	mustDo(t, p, ":0", "CLIENT", "UNBLOCK", id)
	blockAll(t, n, []*rawConn{w}, "BLMOVE", "q", "d", "LEFT", "LEFT", "0")
	mustDo(t, p, ":1", "CLIENT", "UNBLOCK", id, "TIMEOUT")
	expectReply(t, w, "(nil)")
	blockAll(t, n, []*rawConn{w}, "BLMPOP", "0", "1", "q", "LEFT")
	mustDo(t, p, ":1", "CLIENT", "UNBLOCK", id, "ERROR")
	expectReply(t, w, "-UNBLOCKED client unblocked via CLIENT UNBLOCK")
	mustDo(t, p, "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR", "CLIENT", "UNBLOCK", id, "FOO")
	// the unblocked client is usable, and a later push is not lost
	mustDo(t, w, "PONG", "PING")
	mustDo(t, p, ":1", "RPUSH", "q", "v")
	mustDo(t, p, ":1", "LLEN", "q")
}

// Keyspace events of a push that serves a blocked client: the push, then the pop and the deletion.
func TestListBlockingNotifications(t *testing.T) {
	n := startNode(t, "notify-keyspace-events", "KElg")
	sub := n.raw()
	mustDo(t, sub, `["psubscribe" "__keyspace@0__:q" :1]`, "PSUBSCRIBE", "__keyspace@0__:q")
	w := n.raw()
	blockAll(t, n, []*rawConn{w}, "BLPOP", "q", "0")
	p := n.raw()
	mustDo(t, p, ":1", "RPUSH", "q", "x")
	expectReply(t, w, `["q" "x"]`)
	for _, ev := range []string{"rpush", "lpop", "del"} {
		expectReply(t, sub, `["pmessage" "__keyspace@0__:q" "__keyspace@0__:q" "`+ev+`"]`)
	}
}

// Producers and consumers racing on one list: every element is delivered exactly once.
func TestListBlockingConcurrent(t *testing.T) {
	n := startNode(t)
	const consumers, producers, per = 4, 2, 50
	total := producers * per
	got := make(chan string, total)
	var wg sync.WaitGroup
	for i := 0; i < consumers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := n.raw()
			for {
				rep := c.do("BRPOP", "work", "stop", "10")
				if rep == `["stop" "x"]` || rep == "(nil)" {
					return
				}
				got <- rep
			}
		}()
	}
	var pw sync.WaitGroup
	for p := 0; p < producers; p++ {
		pw.Add(1)
		go func() {
			defer pw.Done()
			c := n.raw()
			for i := 0; i < per; i++ {
				c.do("LPUSH", "work", fmt.Sprintf("p%d-%d", p, i))
			}
		}()
	}
	pw.Wait()
	ctl := n.raw()
	waitFor(t, "work drained", func() bool { return ctl.do("EXISTS", "work") == ":0" && len(got) == total })
	for i := 0; i < consumers; i++ {
		ctl.do("RPUSH", "stop", "x")
	}
	wg.Wait()
	close(got)
	seen := map[string]bool{}
	for r := range got {
		if seen[r] {
			t.Fatalf("delivered twice: %s", r)
		}
		seen[r] = true
	}
	if len(seen) != total {
		t.Fatalf("delivered %d of %d", len(seen), total)
	}
}
