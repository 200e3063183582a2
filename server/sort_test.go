package server

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// sortCStringTable: SORT reads numbers as C strings, so a NUL byte ends them, in elements and in BY
// values alike. Run on valkey-node and on redis-server.
var sortCStringTable = [][]string{
	{"RPUSH", "nul", "2", "1\x00x", "\x00abc", ":3"},
	{"SORT", "nul", `["\x00abc" "1\x00x" "2"]`},
	{"SET", "w_2", "\x00", "OK"},
	{"SET", "w_1\x00x", "5\x00junk", "OK"},
	{"SORT", "nul", "BY", "w_*", `["\x00abc" "2" "1\x00x"]`},
	{"RPUSH", "nul2", "1", "1\x00y", ":2"},
	{"SORT", "nul2", `["1" "1\x00y"]`},
}

func TestSortCStringNumbers(t *testing.T) {
	bitRunTable(t, startNode(t).raw(), sortCStringTable)
	ref, _ := startRedisServer(t)
	bitRunTable(t, ref, sortCStringTable)
}

func TestSortCommand(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	bitRunTable(t, r, [][]string{
		{"RPUSH", "l", "3", "1", "2", "10", ":4"},
		{"SORT", "l", `["1" "2" "3" "10"]`},
		{"SORT", "l", "DESC", `["10" "3" "2" "1"]`},
		{"SORT", "l", "ALPHA", `["1" "10" "2" "3"]`},
		{"SORT", "l", "LIMIT", "1", "2", `["2" "3"]`},
		{"SORT", "l", "LIMIT", "-5", "2", `["1" "2"]`},
		{"SORT", "l", "LIMIT", "10", "2", `[]`},
		{"SORT", "l", "LIMIT", "2", "-1", `["3" "10"]`},
		{"SORT", "l", "BY", "nosort", `["3" "1" "2" "10"]`},
		{"SORT", "l", "BY", "nosort", "DESC", `["10" "2" "1" "3"]`},
		{"SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2", `["2" "1"]`},
		{"MSET", "w_3", "1", "w_1", "3", "w_2", "2", "OK"},
		{"SORT", "l", "BY", "w_*", `["10" "3" "2" "1"]`},
		{"SORT", "l", "BY", "w_*", "LIMIT", "0", "1", `["10"]`},
		{"MSET", "o_1", "one", "o_2", "two", "OK"},
		{"SORT", "l", "GET", "o_*", "GET", "#", `["one" "1" "two" "2" (nil) "3" (nil) "10"]`},
		{"SORT", "l", "GET", "nostar", `[(nil) (nil) (nil) (nil)]`},
		{"HSET", "h_1", "f", "x", ":1"},
		{"HSET", "h_2", "f", "y", "g", "0", ":2"},
		{"SORT", "l", "GET", "h_*->f", "LIMIT", "0", "2", `["x" "y"]`},
		{"SORT", "l", "BY", "h_*->g", "DESC", `["3" "2" "10" "1"]`},
		{"SORT", "l", "BY", "w_*", "ALPHA", `["10" "3" "2" "1"]`},
		{"SORT", "l", "STORE", "dst", ":4"},
		{"LRANGE", "dst", "0", "-1", `["1" "2" "3" "10"]`},
		{"SORT", "l", "GET", "o_*", "STORE", "dst", ":4"},
		{"LRANGE", "dst", "0", "-1", `["one" "two" "" ""]`},
		{"SORT", "nokey", "STORE", "dst", ":0"},
		{"EXISTS", "dst", ":0"},
		{"SORT", "nokey", `[]`},
		{"SADD", "s", "5", "-1", "2.5", ":3"},
		{"SORT", "s", `["-1" "2.5" "5"]`},
		{"SORT", "s", "BY", "nosort", "STORE", "dst", ":3"},
		{"LRANGE", "dst", "0", "-1", `["-1" "2.5" "5"]`},
		{"ZADD", "z", "1", "c", "2", "a", "3", "b", ":3"},
		{"SORT", "z", "BY", "nosort", `["c" "a" "b"]`},
		{"SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2", `["b" "a"]`},
		{"SORT", "z", "ALPHA", `["a" "b" "c"]`},
		{"OBJECT", "ENCODING", "z", `"skiplist"`},
		{"SORT", "z", "-ERR One or more scores can't be converted into double"},
		{"RPUSH", "bad", "1", "x", ":2"},
		{"SORT", "bad", "-ERR One or more scores can't be converted into double"},
		{"SORT", "bad", "STORE", "dst", "-ERR One or more scores can't be converted into double"},
		{"RPUSH", "nums", " 1", "0x10", "", "-inf", "1e3", ":5"},
		{"SORT", "nums", `["-inf" "" " 1" "0x10" "1e3"]`},
		{"SORT", "l", "LIMIT", "1", "-ERR syntax error"},
		{"SORT", "l", "LIMIT", "a", "1", "-ERR value is not an integer or out of range"},
		{"SORT", "l", "FOO", "-ERR syntax error"},
		{"SORT", "l", "BY", "-ERR syntax error"},
		{"SORT_RO", "l", "STORE", "dst", "-ERR syntax error"},
		{"SORT_RO", "l", "DESC", `["10" "3" "2" "1"]`},
		{"SET", "str", "x", "OK"},
		{"SORT", "str", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"SORT", "-ERR wrong number of arguments for 'sort' command"},
		{"COMMAND", "GETKEYS", "SORT", "l", "LIMIT", "0", "1", "STORE", "dst", `["l" "dst"]`},
	})
	// BY and GET patterns need read access to every key
	bitRunTable(t, r, [][]string{
		{"ACL", "SETUSER", "u", "on", "nopass", "+@all", "~l", "~dst", "OK"},
		{"AUTH", "u", "x", "OK"},
		{"SORT", "l", "BY", "w_*", "-ERR BY option of SORT denied due to insufficient ACL permissions."},
		{"SORT", "l", "GET", "#", "-ERR GET option of SORT denied due to insufficient ACL permissions."},
		{"SORT", "l", "BY", "nosort", `["3" "1" "2" "10"]`},
	})
}

// TestSortDifferential compares SORT and SORT_RO on lists, sets and sorted sets with redis-server 7.0.
// Orders that depend on a hash table (an unsorted set without STORE) or on the sort algorithm's handling
// of ties (ALPHA BY with equal or missing values) are not generated.
func TestSortDifferential(t *testing.T) {
	ref, _ := startRedisServer(t)
	got := startNode(t).raw()
	rng := rand.New(rand.NewPCG(3, 5))
	elems := []string{"1", "2", "3", "10", "-4", "2.5", "7", "a", "b", "c", "abc", "0", "1e2", "x1", "99", "5"}
	numeric := []string{"1", "2", "3", "10", "-4", "2.5", "7", "0", "1e2", "99", "5"}
	setup := [][]string{{"flushall"}}
	for i, e := range elems {
		setup = append(setup, []string{"set", "w_" + e, strconv.Itoa((i * 7) % 16)})
		setup = append(setup, []string{"set", "aw_" + e, "k" + strconv.Itoa(100+(i*5)%16)})
		setup = append(setup, []string{"hset", "h_" + e, "f", "v" + e, "n", strconv.Itoa(i % 3)})
		if i%3 == 0 {
			setup = append(setup, []string{"set", "o_" + e, "obj" + e})
		}
	}
	for _, c := range setup {
		ref.call(c...)
		got.call(c...)
	}
	kw := func(s string) string {
		if rng.IntN(2) == 0 {
			return s
		}
		b := []byte(s)
		for i := range b {
			if b[i] >= 'a' && b[i] <= 'z' {
				b[i] -= 32
			}
		}
		return string(b)
	}
	sorted := 0 // non-empty sorted replies: the comparison must not be vacuous
	for i := 0; i < 3000; i++ {
		var cmd []string
		switch rng.IntN(8) {
		case 0:
			cmd = []string{"rpush", "l"}
			pool := elems
			if rng.IntN(2) == 0 {
				pool = numeric
			}
			for j := 1 + rng.IntN(4); j > 0; j-- {
				cmd = append(cmd, pool[rng.IntN(len(pool))])
			}
			if rng.IntN(2) == 0 {
				cmd[1] = "ln"
				cmd = append(cmd[:2], numeric[rng.IntN(len(numeric))])
			}
		case 1:
			cmd = []string{"sadd", []string{"s", "sn"}[rng.IntN(2)], numeric[rng.IntN(len(numeric))]}
			if cmd[1] == "s" {
				cmd[2] = elems[rng.IntN(len(elems))]
			}
		case 2:
			cmd = []string{"zadd", "z", strconv.Itoa(rng.IntN(10)), elems[rng.IntN(len(elems))]}
		case 3:
			cmd = []string{"del", []string{"l", "ln", "s", "sn", "z", "dst"}[rng.IntN(6)]}
		default:
			key := []string{"l", "ln", "s", "sn", "z", "missing", "w_1"}[rng.IntN(7)]
			name := "sort"
			if rng.IntN(4) == 0 {
				name = "sort_ro"
			}
			cmd = []string{kw(name), key}
			isSet := key == "s" || key == "sn"
			store := name == "sort" && rng.IntN(3) == 0
			alpha := rng.IntN(3) == 0
			by := ""
			switch rng.IntN(5) {
			case 0:
				by = "nosort"
				if isSet && !store {
					by = ""
				}
			case 1:
				if alpha {
					by = "aw_*"
				} else {
					by = "w_*"
				}
			case 2:
				if !alpha {
					by = "h_*->n"
				}
			}
			if by != "" {
				cmd = append(cmd, kw("by"), by)
			}
			if rng.IntN(3) == 0 {
				cmd = append(cmd, kw("limit"), strconv.Itoa(rng.IntN(8)-2), strconv.Itoa(rng.IntN(8)-2))
			}
			for j := rng.IntN(3); j > 0; j-- {
				cmd = append(cmd, kw("get"), []string{"#", "o_*", "h_*->f", "h_*->zz", "nostar"}[rng.IntN(5)])
			}
			switch rng.IntN(3) {
			case 0:
				cmd = append(cmd, kw("desc"))
			case 1:
				cmd = append(cmd, kw("asc"))
			}
			if alpha {
				cmd = append(cmd, kw("alpha"))
			}
			if store {
				cmd = append(cmd, kw("store"), "dst")
			}
		}
		want, have := ref.call(cmd...), got.call(cmd...)
		if want.typed() != have.typed() {
			t.Fatalf("step %d %q:\nredis-server: %s\nvalkey-node:  %s", i, cmd, want.typed(), have.typed())
		}
		if (cmd[0] == "sort" || cmd[0] == "SORT" || cmd[0] == "sort_ro" || cmd[0] == "SORT_RO") && len(have.elems) > 1 {
			sorted++
		}
		if len(cmd) > 2 && cmd[len(cmd)-2] == "store" || len(cmd) > 2 && cmd[len(cmd)-2] == "STORE" {
			a, b := ref.call("lrange", "dst", "0", "-1"), got.call("lrange", "dst", "0", "-1")
			if a.typed() != b.typed() {
				t.Fatalf("step %d %q: stored list differs:\nredis-server: %s\nvalkey-node:  %s", i, cmd, a.typed(), b.typed())
			}
		}
	}
	if sorted < 200 {
		t.Fatalf("only %d SORT replies had several elements", sorted)
	}
}

// go-redis over TLS in both protocols reads SORT replies.
func TestSortGoRedis(t *testing.T) {
	n := startNode(t, "tls")
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := n.tlsClient(proto)
		c.Del(ctx, "gl")
		c.RPush(ctx, "gl", "3", "1", "2")
		v, err := c.Sort(ctx, "gl", &redis.Sort{Order: "DESC"}).Result()
		if err != nil || strings.Join(v, ",") != "3,2,1" {
			t.Fatalf("RESP%d SORT: %v %v", proto, v, err)
		}
		v, err = c.SortRO(ctx, "gl", &redis.Sort{Offset: 1, Count: 1}).Result()
		if err != nil || strings.Join(v, ",") != "2" {
			t.Fatalf("RESP%d SORT_RO: %v %v", proto, v, err)
		}
		c.Close()
	}
}

func BenchmarkSort(b *testing.B) {
	n := startNode(b)
	c := n.client()
	defer c.Close()
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		c.RPush(ctx, "bl", (i*37)%101)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.Sort(ctx, "bl", &redis.Sort{})
	}
}

// FuzzSortArgs sends arbitrary option lists to SORT and SORT_RO on a list, a set and a sorted set.
// Replies must be one of the documented errors, an array of bulk strings and nulls, or (STORE) a count
// equal to the length of the stored list; SORT_RO must answer as SORT does whenever SORT does not store.
func FuzzSortArgs(f *testing.F) {
	for _, seed := range []string{
		"", "DESC", "ALPHA LIMIT 0 2", "BY w_* GET # GET o_*", "BY nosort DESC LIMIT 1 -1", "STORE dst",
		"LIMIT 9223372036854775807 9223372036854775807", "LIMIT -9223372036854775808 -1", "BY h_*->f ALPHA",
		"GET h_*->", "BY", "LIMIT 0", "STORE", "asc desc alpha", "GET nostar BY nosort STORE dst",
	} {
		f.Add([]byte(seed))
	}
	n := startNode(f)
	conn := n.raw()
	for _, c := range [][]string{
		{"RPUSH", "l", "3", "1", "b", "2", "10"}, {"SADD", "s", "5", "4", "x", "-1"},
		{"ZADD", "z", "1", "c", "2", "a", "3", "7"}, {"MSET", "w_1", "3", "w_2", "x", "o_a", "A", "o_3", "three"},
		{"HSET", "h_1", "f", "one"},
	} {
		conn.do(c...)
	}
	errs := map[string]bool{
		"-" + errSyntax: true, "-" + errNotInt: true, "-" + errWrongType: true,
		"-ERR One or more scores can't be converted into double": true,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fields := strings.Fields(string(data))
		if len(fields) > 16 {
			return
		}
		r := &rawConn{t: t, c: conn.c, br: conn.br}
		for _, key := range []string{"l", "s", "z", "w_1", "missing"} {
			reply := r.do(append([]string{"SORT", key}, fields...)...)
			switch {
			case strings.HasPrefix(reply, "-"):
				if !errs[reply] {
					t.Fatalf("SORT %s %q: unexpected error %s", key, fields, reply)
				}
			case strings.HasPrefix(reply, ":"):
				dst := ""
				for i := 0; i+1 < len(fields); i++ {
					if strings.EqualFold(fields[i], "store") {
						dst = fields[i+1]
					}
				}
				if got := r.do("LLEN", dst); got != reply {
					t.Fatalf("SORT %s %q stored %s elements but replied %s", key, fields, got, reply)
				}
			case !strings.HasPrefix(reply, "["):
				t.Fatalf("SORT %s %q: unexpected reply %s", key, fields, reply)
			default:
				if ro := r.do(append([]string{"SORT_RO", key}, fields...)...); ro != reply {
					t.Fatalf("SORT_RO %s %q = %s, SORT = %s", key, fields, ro, reply)
				}
			}
		}
		if p := r.do("PING"); p != "PONG" {
			t.Fatalf("PING: %s", p)
		}
	})
}
