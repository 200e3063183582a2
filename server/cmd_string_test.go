package server

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// kvStep is one command of a table test and its exact reply as rawConn renders it (split by splitCmd).
type kvStep struct{ cmd, want string }

// runSteps sends each command in order on r and compares the reply.
func runSteps(t *testing.T, r *rawConn, steps []kvStep) {
	t.Helper()
	for _, st := range steps {
		checkReply(t, r, st.want, splitCmd(t, st.cmd)...)
	}
}

// putKind stores a value of another kind than string under key, for the type checks of commands whose
// data types do not exist yet.
func putKind(n *testNode, db int, key string, kind keyspace.Kind) {
	n.srv.mu.Lock()
	defer n.srv.mu.Unlock()
	n.srv.dbs[db].Set([]byte(key), keyspace.Object{Kind: kind, Val: struct{}{}}, false)
}

// The expected replies below were checked against redis-server 7.0 (Valkey's string code is the same);
// where Valkey 8 differs from Redis 7.0 the test follows Valkey.
func TestStringCommands(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	t.Run("set family", func(t *testing.T) {
		runSteps(t, r, []kvStep{
			{"FLUSHALL", "OK"},
			{"SET k v", "OK"},
			{"SETNX k x", ":0"},
			{"SETNX n x", ":1"},
			{"GET n", `"x"`},
			{"SETEX se 100 v", "OK"},
			{"SETEX se 0 v", "-ERR invalid expire time in 'setex' command"},
			{"SETEX se -5 v", "-ERR invalid expire time in 'setex' command"},
			{"SETEX se abc v", "-ERR value is not an integer or out of range"},
			{"SETEX se 9223372036854775807 v", "-ERR invalid expire time in 'setex' command"},
			{"SETEX se 9223372036854775 v", "-ERR invalid expire time in 'setex' command"},
			{"PSETEX pe 0 v", "-ERR invalid expire time in 'psetex' command"},
			{"PSETEX pe 9223372036854775807 v", "-ERR invalid expire time in 'psetex' command"},
			{"PSETEX pe 100000 v", "OK"},
			{"MSET a 1 b 2", "OK"},
			{"MSET a 1 b", "-ERR wrong number of arguments for 'mset' command"},
			{"MGET a b nosuch", `["1" "2" (nil)]`},
			{"MSETNX a 9 c 3", ":0"},
			{"GET c", "(nil)"},
			{"MSETNX c 3 d 4", ":1"},
			{"MSETNX x 1 y", "-ERR wrong number of arguments for 'msetnx' command"},
			{"MSETNX dup 1 dup 2", ":1"},
			{"GET dup", `"2"`},
			{"GETSET a 10", `"1"`},
			{"GETSET new v", "(nil)"},
			{"GETDEL a", `"10"`},
			{"GETDEL a", "(nil)"},
			{"EXISTS a", ":0"},
			{"GETEX nosuch EX 10", "(nil)"},
			{"GETEX nosuch EX 0", "(nil)"},
			{"GETEX b", `"2"`},
			{"GETEX b EX 100", `"2"`},
			{"GETEX b PERSIST", `"2"`},
			{"TTL b", ":-1"},
			{"GETEX b EX 0", "-ERR invalid expire time in 'getex' command"},
			{"GETEX b EX -1", "-ERR invalid expire time in 'getex' command"},
			{"GETEX b PX abc", "-ERR value is not an integer or out of range"},
			{"GETEX b EX", "-ERR syntax error"},
			{"GETEX b EX 10 PX 100", "-ERR syntax error"},
			{"GETEX b PERSIST EX 10", "-ERR syntax error"},
			{"GETEX b EX 10 PERSIST", "-ERR syntax error"},
			{"GETEX b NX", "-ERR syntax error"},
			{"GETEX b KEEPTTL", "-ERR syntax error"},
			{"GETEX b GET", "-ERR syntax error"},
			{"GETEX b EX 10 EX 20", `"2"`},
			{"GETEX b PERSIST PERSIST", `"2"`},
			{"GETEX b EXAT 1", `"2"`},
			{"EXISTS b", ":0"},
			{"SET k v NX NX", "(nil)"},
			{"SET k v XX NX", "-ERR syntax error"},
			{"SET k v GET GET", `"v"`},
			{"SET k v2 KEEPTTL EX 10", "-ERR syntax error"},
			{"SET k v2 EX 10 KEEPTTL", "-ERR syntax error"},
			{"SET k v EX", "-ERR syntax error"},
			{"SET k v PERSIST", "-ERR syntax error"},
			{"SET k v XX GET", `"v"`},
			{"SET nok v XX GET", "(nil)"},
			{"SET nok v NX GET", "(nil)"},
			{"EXISTS nok", ":1"},
			{"SET k v EX 10 EX 20", "OK"},
			{"SET k v PXAT 1", "OK"},
			{"GET k", "(nil)"},
			{"SET k v EXAT 0", "-ERR invalid expire time in 'set' command"},
			{"SET k v EX 9223372036854776", "-ERR invalid expire time in 'set' command"},
			{"SET wt x", "OK"},
		})
	})
	t.Run("append and ranges", func(t *testing.T) {
		runSteps(t, r, []kvStep{
			{"APPEND ap Hello", ":5"},
			{`APPEND ap " World"`, ":11"},
			{"GET ap", `"Hello World"`},
			{"STRLEN ap", ":11"},
			{"STRLEN nosuch", ":0"},
			{`SET gr "This is a string"`, "OK"},
			{"GETRANGE gr 0 3", `"This"`},
			{"GETRANGE gr -3 -1", `"ing"`},
			{"GETRANGE gr 0 -1", `"This is a string"`},
			{"GETRANGE gr 10 100", `"string"`},
			{"GETRANGE gr -1 -5", `""`},
			{"GETRANGE gr 5 3", `""`},
			{"GETRANGE gr -100 2", `"Thi"`},
			{"GETRANGE gr -100 -50", `"T"`},
			{"GETRANGE gr 100 200", `""`},
			{"GETRANGE gr 0 -100", `"T"`},
			{"GETRANGE nosuch 0 -1", `""`},
			{"GETRANGE gr a 1", "-ERR value is not an integer or out of range"},
			{"GETRANGE nosuch a 1", "-ERR value is not an integer or out of range"},
			{"SUBSTR gr 0 3", `"This"`},
			{`SET sr "Hello World"`, "OK"},
			{"SETRANGE sr 6 Redis", ":11"},
			{"GET sr", `"Hello Redis"`},
			{"SETRANGE pad 5 x", ":6"},
			{"GET pad", `"\x00\x00\x00\x00\x00x"`},
			{`SETRANGE empty 5 ""`, ":0"},
			{"EXISTS empty", ":0"},
			{`SETRANGE sr 0 ""`, ":11"},
			{"SETRANGE sr -1 x", "-ERR offset is out of range"},
			{"SETRANGE sr 536870912 x", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
			{"SETRANGE sr 536870911 xy", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
			{`SETRANGE sr 536870911 ""`, ":11"},
			{"SETRANGE sr x y", "-ERR value is not an integer or out of range"},
		})
	})
	t.Run("counters", func(t *testing.T) {
		runSteps(t, r, []kvStep{
			{"SET n 10", "OK"},
			{"INCR n", ":11"},
			{"DECR n", ":10"},
			{"INCRBY n -20", ":-10"},
			{"DECRBY n 5", ":-15"},
			{"INCR newn", ":1"},
			{"DECR newd", ":-1"},
			{"SET big 9223372036854775807", "OK"},
			{"INCR big", "-ERR increment or decrement would overflow"},
			{"INCRBY big 0", ":9223372036854775807"},
			{"INCRBY big -1", ":9223372036854775806"},
			{"SET small -9223372036854775808", "OK"},
			{"DECR small", "-ERR increment or decrement would overflow"},
			{"INCRBY small -1", "-ERR increment or decrement would overflow"},
			{"DECRBY n -9223372036854775808", "-ERR decrement would overflow"},
			{"INCRBY n 9223372036854775808", "-ERR value is not an integer or out of range"},
			{"SET s abc", "OK"},
			{"INCR s", "-ERR value is not an integer or out of range"},
			{`SET sp " 1"`, "OK"},
			{"INCR sp", "-ERR value is not an integer or out of range"},
			{"SET lead 01", "OK"},
			{"INCR lead", "-ERR value is not an integer or out of range"},
			{"INCRBY n 1.5", "-ERR value is not an integer or out of range"},
			{"SET f 10.50", "OK"},
			{"INCRBYFLOAT f 0.1", `"10.6"`},
			{"INCRBYFLOAT f -5", `"5.6"`},
			{"SET f2 5.0e3", "OK"},
			{"INCRBYFLOAT f2 2.0e2", `"5200"`},
			{"INCRBYFLOAT nf 0.1", `"0.1"`},
			{"INCRBYFLOAT nf 0.2", `"0.3"`},
			{"INCRBYFLOAT nf -0.3", `"0"`},
			{"INCRBYFLOAT nf2 -0.0", `"0"`},
			{"INCRBYFLOAT f abc", "-ERR value is not a valid float"},
			{"INCRBYFLOAT s 1", "-ERR value is not a valid float"},
			{"INCRBYFLOAT f inf", "-ERR increment would produce NaN or Infinity"},
			{"INCRBYFLOAT f -Infinity", "-ERR increment would produce NaN or Infinity"},
			{"INCRBYFLOAT f nan", "-ERR value is not a valid float"},
			{`INCRBYFLOAT f " 1"`, "-ERR value is not a valid float"},
			{`INCRBYFLOAT f "1 "`, "-ERR value is not a valid float"},
			{"INCRBYFLOAT f 1e5000", "-ERR value is not a valid float"},
			{"INCRBYFLOAT f 1e-5000", "-ERR value is not a valid float"},
			{"INCRBYFLOAT f 0x10", `"21.6"`},
			{"INCRBYFLOAT f 1p3", "-ERR value is not a valid float"},
			{"INCRBYFLOAT f +1.5", `"23.1"`},
			{"INCRBYFLOAT f .5", `"23.6"`},
			{"INCRBYFLOAT f 5.", `"28.6"`},
			{"INCRBYFLOAT f 1_0", "-ERR value is not a valid float"},
			{"INCRBYFLOAT f 1e", "-ERR value is not a valid float"},
			{"INCRBYFLOAT f3 3.0e3", `"3000"`},
			{"INCRBYFLOAT f3 1.23456789012345678", `"3001.23456789012345669"`},
			{"INCRBYFLOAT f4 1e20", `"100000000000000000000"`},
			{"INCRBYFLOAT f5 0.1234567890123456789", `"0.12345678901234568"`},
			{"INCRBYFLOAT f6 123456789012345678901234567890", `"123456789012345678899921813504"`},
			{"SET ov 1e4932", "OK"},
			{"INCRBYFLOAT ov 1e4932", "-ERR increment would produce NaN or Infinity"},
			{"SET fi inf", "OK"},
			{"INCRBYFLOAT fi 1", "-ERR increment would produce NaN or Infinity"},
			{"INCRBYFLOAT wt abc", "-ERR value is not a valid float"},
		})
	})
	t.Run("lcs", func(t *testing.T) {
		runSteps(t, r, []kvStep{
			{"SET lcs1 ohmytext", "OK"},
			{"SET lcs2 mynewtext", "OK"},
			{"LCS lcs1 lcs2", `"mytext"`},
			{"LCS lcs1 lcs2 LEN", ":6"},
			{"LCS lcs1 lcs2 IDX", `["matches" [[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] "len" :6]`},
			{"LCS lcs1 lcs2 IDX MINMATCHLEN 4 WITHMATCHLEN", `["matches" [[[:4 :7] [:5 :8] :4]] "len" :6]`},
			{"LCS lcs1 lcs2 IDX WITHMATCHLEN", `["matches" [[[:4 :7] [:5 :8] :4] [[:2 :3] [:0 :1] :2]] "len" :6]`},
			{"LCS lcs1 lcs2 IDX LEN", "-ERR If you want both the length and indexes, please just use IDX."},
			{"LCS lcs1 lcs2 MINMATCHLEN", "-ERR syntax error"},
			{"LCS lcs1 lcs2 MINMATCHLEN x", "-ERR value is not an integer or out of range"},
			{"LCS lcs1 lcs2 MINMATCHLEN -3 IDX", `["matches" [[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] "len" :6]`},
			{"LCS lcs1 lcs2 FOO", "-ERR syntax error"},
			{"LCS lcs1 nosuch", `""`},
			{"LCS nosuch nosuch2 IDX", `["matches" [] "len" :0]`},
			{"LCS lcs1 lcs2 LEN LEN", ":6"},
			{"SET la ABCBDAB", "OK"},
			{"SET lb BDCABA", "OK"},
			{"LCS la lb", `"BDAB"`},
			{"LCS la lb IDX WITHMATCHLEN", `["matches" [[[:5 :6] [:3 :4] :2] [[:3 :4] [:0 :1] :2]] "len" :4]`},
		})
	})
	t.Run("object", func(t *testing.T) {
		runSteps(t, r, []kvStep{
			{"SET e1 int1", "OK"},
			{"OBJECT ENCODING n", `"int"`},
			{"SET e2 12345678901234567890", "OK"},
			{"OBJECT ENCODING e2", `"embstr"`},
			{"SET e3 9223372036854775808", "OK"},
			{"OBJECT ENCODING e3", `"embstr"`},
			{"SET e4 12345678901234567890123456789012345678901234", "OK"},
			{"OBJECT ENCODING e4", `"embstr"`},
			{"SET e5 123456789012345678901234567890123456789012345", "OK"},
			{"OBJECT ENCODING e5", `"raw"`},
			{"OBJECT ENCODING ap", `"raw"`},
			{"OBJECT ENCODING pad", `"raw"`},
			{"SETRANGE sr2 0 123", ":3"},
			{"OBJECT ENCODING sr2", `"raw"`},
			{"APPEND ap2 123", ":3"},
			{"OBJECT ENCODING ap2", `"int"`},
			{"APPEND ap2 4", ":4"},
			{"OBJECT ENCODING ap2", `"raw"`},
			{"INCR ap2", ":1235"},
			{"OBJECT ENCODING ap2", `"int"`},
			{"INCRBYFLOAT ibf 3", `"3"`},
			{"OBJECT ENCODING ibf", `"embstr"`},
			{"OBJECT ENCODING f", `"embstr"`},
			{"SET neg0 -0", "OK"},
			{"OBJECT ENCODING neg0", `"embstr"`},
			{"OBJECT ENCODING nosuch", "(nil)"},
			{"OBJECT REFCOUNT n", ":1"},
			{"SET r1 9999", "OK"},
			{"OBJECT REFCOUNT r1", ":2147483647"},
			{"SET r2 10000", "OK"},
			{"OBJECT REFCOUNT r2", ":1"},
			{"OBJECT REFCOUNT ap", ":1"},
			{"OBJECT REFCOUNT nosuch", "(nil)"},
			{"OBJECT FREQ ap", "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."},
			{"OBJECT FREQ nosuch", "(nil)"},
			{"OBJECT IDLETIME nosuch", "(nil)"},
			{"OBJECT ENCODING", "-ERR wrong number of arguments for 'object|encoding' command"},
			{"OBJECT", "-ERR wrong number of arguments for 'object' command"},
		})
	})
}

// Every string command refuses a key of another type with WRONGTYPE; MGET reads it as missing; SET and
// the other plain writes replace it.
func TestStringWrongType(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	putKind(n, 0, "lst", keyspace.KindList)
	const wrong = "-WRONGTYPE Operation against a key holding the wrong kind of value"
	runSteps(t, r, []kvStep{
		{"GET lst", wrong},
		{"GETSET lst v", wrong},
		{"GETDEL lst", wrong},
		{"GETEX lst PERSIST", wrong},
		{"APPEND lst v", wrong},
		{"STRLEN lst", wrong},
		{"GETRANGE lst 0 -1", wrong},
		{"SUBSTR lst 0 -1", wrong},
		{"SETRANGE lst 0 v", wrong},
		{"INCR lst", wrong},
		{"DECR lst", wrong},
		{"INCRBY lst 2", wrong},
		{"DECRBY lst 2", wrong},
		{"INCRBYFLOAT lst 1.5", wrong},
		{"SET lst v GET", wrong},
		{"LCS lst lst", "-ERR The specified keys must contain string values"},
		{"MGET lst", "[(nil)]"},
		{"SETNX lst v", ":0"},
		{"MSETNX lst v other v", ":0"},
		{"TYPE lst", "list"},
		{"SET lst v", "OK"},
		{"TYPE lst", "string"},
	})
	putKind(n, 0, "lst", keyspace.KindHash)
	runSteps(t, r, []kvStep{
		{"MSET lst v", "OK"},
		{"GET lst", `"v"`},
	})
}

// Keys and values are byte strings: NUL, CR/LF, invalid UTF-8 and the empty string all round-trip.
func TestStringBinarySafe(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	runSteps(t, r, []kvStep{
		{`SET "\x00\xff\r\nkey" "\x00\xfe\r\nval"`, "OK"},
		{`GET "\x00\xff\r\nkey"`, `"\x00\xfe\r\nval"`},
		{`STRLEN "\x00\xff\r\nkey"`, ":7"},
		{`APPEND "\x00\xff\r\nkey" "\x80"`, ":8"},
		{`GETRANGE "\x00\xff\r\nkey" 1 -2`, `"\xfe\r\nval"`},
		{`SETRANGE "\x00\xff\r\nkey" 0 "\xc3("`, ":8"},
		{`GET "\x00\xff\r\nkey"`, `"\xc3(\r\nval\x80"`},
		{`MSET "\xe2\x28\xa1" 1 "" empty`, "OK"},
		{`MGET "\xe2\x28\xa1" "" "\x00"`, `["1" "empty" (nil)]`},
		{`INCR "\xe2\x28\xa1"`, ":2"},
		{`INCRBYFLOAT "\xe2\x28\xa1" 0.5`, `"2.5"`},
		{`GETDEL ""`, `"empty"`},
		{`SET "\x00" ""`, "OK"},
		{`GET "\x00"`, `""`},
		{`STRLEN "\x00"`, ":0"},
		{`EXISTS "\x00" "\x00\x00"`, ":1"},
		{`SET a "\x00ab\x00"`, "OK"},
		{`SET b "xa\x00b"`, "OK"},
		{`LCS a b`, `"a\x00"`},
		{`LCS a b IDX`, `["matches" [[[:3 :3] [:2 :2]] [[:1 :1] [:1 :1]]] "len" :2]`},
	})
}

// APPEND, SETRANGE and LCS respect proto-max-bulk-len.
func TestStringSizeLimits(t *testing.T) {
	n := startNode(t, "proto-max-bulk-len", "1048576")
	r := n.raw()
	big := strings.Repeat("x", 1048000)
	if got := r.do("SET", "big", big); got != "OK" {
		t.Fatal(got)
	}
	const tooBig = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	runSteps(t, r, []kvStep{
		{"APPEND big " + strings.Repeat("y", 577), tooBig},
		{"APPEND big " + strings.Repeat("y", 576), ":1048576"},
		{"SETRANGE big 1048576 z", tooBig},
		{"SETRANGE big 1048575 zz", tooBig},
		{"SETRANGE big 1048575 z", ":1048576"},
		{"SETRANGE new 1048576 z", tooBig},
		{"EXISTS new", ":0"},
	})
	r.do("SET", "a", strings.Repeat("ab", 300))
	r.do("SET", "b", strings.Repeat("ba", 300))
	if got := r.do("LCS", "a", "b", "LEN"); got != "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len" {
		t.Errorf("LCS over the transient memory limit: %s", got)
	}
	r.do("SET", "a", strings.Repeat("ab", 200))
	r.do("SET", "b", strings.Repeat("ba", 200))
	if got := r.do("LCS", "a", "b", "LEN"); got != ":399" {
		t.Errorf("LCS within the limit: %s", got)
	}
}

// pttl reads a key's remaining time to live in ms.
func pttl(t *testing.T, r *rawConn, key string) int64 {
	t.Helper()
	got := r.do("PTTL", key)
	v, err := strconv.ParseInt(strings.TrimPrefix(got, ":"), 10, 64)
	if err != nil {
		t.Fatalf("PTTL %s = %s", key, got)
	}
	return v
}

// Which string writes set, keep or clear the time to live.
func TestStringTTLEffects(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	const hour = 3600 * 1000
	within := func(key string, limit int64) {
		t.Helper()
		if v := pttl(t, r, key); v <= 0 || v > limit {
			t.Errorf("PTTL %s = %d, want in (0, %d]", key, v, limit)
		}
	}
	none := func(key string) {
		t.Helper()
		if v := pttl(t, r, key); v != -1 {
			t.Errorf("PTTL %s = %d, want -1", key, v)
		}
	}
	r.do("SETEX", "k", "3600", "1")
	within("k", hour)
	r.do("PSETEX", "k", "7200000", "1")
	within("k", 2*hour)
	if v := pttl(t, r, "k"); v <= hour {
		t.Errorf("PSETEX did not replace the TTL: %d", v)
	}
	for _, cmd := range [][]string{
		{"INCR", "k"}, {"DECRBY", "k", "3"}, {"INCRBYFLOAT", "k", "1.5"}, {"APPEND", "k", "0"},
		{"SETRANGE", "k", "0", "7"}, {"SET", "k", "v", "KEEPTTL"}, {"SET", "k", "v", "XX", "KEEPTTL"},
		{"GETEX", "k"}, {"GET", "k"}, {"SETNX", "k", "x"},
	} {
		r.do(cmd...)
		if v := pttl(t, r, "k"); v <= hour {
			t.Errorf("%q changed the TTL: %d", cmd, v)
		}
	}
	r.do("GETEX", "k", "PERSIST")
	none("k")
	r.do("GETEX", "k", "PX", "5000")
	within("k", 5000)
	r.do("GETEX", "k", "EXAT", strconv.FormatInt(time.Now().Unix()+3600, 10))
	within("k", hour)
	r.do("GETSET", "k", "2")
	none("k")
	r.do("SET", "k", "1", "EX", "100")
	r.do("SET", "k", "2")
	none("k")
	r.do("SET", "k", "1", "PX", "100000")
	r.do("MSET", "k", "3")
	none("k")
	r.do("SET", "k", "1", "PXAT", strconv.FormatInt(time.Now().UnixMilli()+hour, 10))
	within("k", hour)
	r.do("SET", "k", "1", "EX", "10", "GET")
	within("k", 10000)
}

// go-redis, in RESP2 and RESP3, decodes the string commands' replies to the same values.
func TestStringGoRedis(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			c := n.client(func(o *redis.Options) { o.Protocol = proto })
			if err := c.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			steps := []struct {
				name string
				do   func() (any, error)
				want string
			}{
				{"SET", func() (any, error) { return c.Set(ctx, "k", "v", 0).Result() }, "OK"},
				{"SET NX", func() (any, error) { return c.SetNX(ctx, "k", "w", 0).Result() }, "false"},
				{"GET", func() (any, error) { return c.Get(ctx, "k").Result() }, "v"},
				{"GET missing", func() (any, error) { return c.Get(ctx, "nosuch").Result() }, "error: redis: nil"},
				{"SET GET", func() (any, error) {
					return c.SetArgs(ctx, "k", "v2", redis.SetArgs{Get: true}).Result()
				}, "v"},
				{"MSET", func() (any, error) { return c.MSet(ctx, "a", "1", "b", "2").Result() }, "OK"},
				{"MGET", func() (any, error) { return c.MGet(ctx, "a", "nosuch", "b").Result() }, "[1 <nil> 2]"},
				{"MSETNX", func() (any, error) { return c.MSetNX(ctx, "a", "1", "c", "3").Result() }, "false"},
				//lint:ignore SA1019 GETSET is a command clients still send; the node must answer it
				{"GETSET", func() (any, error) { return c.GetSet(ctx, "a", "10").Result() }, "1"},
				{"GETDEL", func() (any, error) { return c.GetDel(ctx, "a").Result() }, "10"},
				{"GETEX", func() (any, error) { return c.GetEx(ctx, "b", time.Hour).Result() }, "2"},
				{"APPEND", func() (any, error) { return c.Append(ctx, "b", "34").Result() }, "3"},
				{"STRLEN", func() (any, error) { return c.StrLen(ctx, "b").Result() }, "3"},
				{"GETRANGE", func() (any, error) { return c.GetRange(ctx, "b", -2, -1).Result() }, "34"},
				{"SETRANGE", func() (any, error) { return c.SetRange(ctx, "b", 1, "xy").Result() }, "3"},
				{"INCR", func() (any, error) { return c.Incr(ctx, "n").Result() }, "1"},
				{"INCRBY", func() (any, error) { return c.IncrBy(ctx, "n", math.MaxInt64).Result() }, "error: ERR increment or decrement would overflow"},
				{"DECRBY", func() (any, error) { return c.DecrBy(ctx, "n", 11).Result() }, "-10"},
				{"INCRBYFLOAT", func() (any, error) { return c.IncrByFloat(ctx, "n", 10.5).Result() }, "0.5"},
				{"INCRBYFLOAT bad", func() (any, error) { return c.IncrByFloat(ctx, "b", 1).Result() }, "error: ERR value is not a valid float"},
				{"LCS", func() (any, error) {
					c.MSet(ctx, "l1", "ohmytext", "l2", "mynewtext")
					m, err := c.LCS(ctx, &redis.LCSQuery{Key1: "l1", Key2: "l2"}).Result()
					if err != nil {
						return nil, err
					}
					return m.MatchString, nil
				}, "mytext"},
				{"LCS IDX", func() (any, error) {
					m, err := c.LCS(ctx, &redis.LCSQuery{Key1: "l1", Key2: "l2", Idx: true, WithMatchLen: true}).Result()
					if err != nil {
						return nil, err
					}
					return fmt.Sprint(m.Matches, m.Len), nil
				}, "[{{4 7} {5 8} 4} {{2 3} {0 1} 2}] 6"},
				{"OBJECT ENCODING", func() (any, error) { return c.ObjectEncoding(ctx, "n").Result() }, "embstr"},
				{"OBJECT REFCOUNT", func() (any, error) { return c.ObjectRefCount(ctx, "nosuch").Result() }, "error: redis: nil"},
			}
			for _, st := range steps {
				v, err := st.do()
				got := fmt.Sprint(v)
				if err != nil {
					got = "error: " + err.Error()
				}
				if got != st.want {
					t.Errorf("%s: got %s, want %s", st.name, got, st.want)
				}
			}
		})
	}
}

// INCRBYFLOAT's long double arithmetic and printing, against values printed by a real server.
func TestLongDoubleFormat(t *testing.T) {
	cases := []struct{ a, b, want string }{
		{"10.50", "0.1", "10.6"},
		{"0.1", "0.2", "0.3"},
		{"3000", "1.23456789012345678", "3001.23456789012345669"},
		{"0", "1e20", "100000000000000000000"},
		{"0", "0.1234567890123456789", "0.12345678901234568"},
		{"0", "123456789012345678901234567890", "123456789012345678899921813504"},
		{"-0.1", "0.1", "0"},
		{"0", "1.5e-18", "0"},
		{"0", "-1.5e-18", "0"},
		{"0", "0x1p-2", "0.25"},
		{"1", "-3", "-2"},
	}
	for _, c := range cases {
		a, ok1 := parseLongDouble([]byte(c.a))
		b, ok2 := parseLongDouble([]byte(c.b))
		if !ok1 || !ok2 {
			t.Errorf("%s + %s: parse failed", c.a, c.b)
			continue
		}
		sum := new(big.Float).SetPrec(longDoublePrec).Add(a, b)
		if got := string(formatLongDouble(sum)); got != c.want {
			t.Errorf("%s + %s = %s, want %s", c.a, c.b, got, c.want)
		}
	}
	for _, bad := range []string{"", " 1", "1 ", "\t1", "nan", "-nan", "1e5000", "-1e5000", "1e-5000", "1p3", "1_0", "0x", "abc", strings.Repeat("1", 5120)} {
		if _, ok := parseLongDouble([]byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	for _, good := range []string{"inf", "-INF", "+Infinity", "1e4931", "5.", ".5", "+1", "0x1.8p1", "00012"} {
		if _, ok := parseLongDouble([]byte(good)); !ok {
			t.Errorf("%q refused", good)
		}
	}
}
