package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestZSetRESP3 checks the RESP3 shapes: scores are doubles, WITHSCORES pairs are nested arrays, ZPOPMIN
// without a count stays flat.
func TestZSetRESP3(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	if got := r.do("HELLO", "3"); !strings.HasPrefix(got, "[") {
		t.Fatalf("HELLO 3: %s", got)
	}
	runTable(t, r, []tableStep{
		{cmd: "ZADD r 1 a 2.5 b 3 c", want: ":3"},
		{cmd: "ZSCORE r b", want: ",2.5"},
		{cmd: "ZSCORE r nosuch", want: "(nil)"},
		{cmd: "ZMSCORE r a nosuch", want: "[,1 (nil)]"},
		{cmd: "ZINCRBY r 1 a", want: ",2"},
		{cmd: "ZADD r INCR 1 a", want: ",3"},
		{cmd: "ZRANGE r 0 1 WITHSCORES", want: `[["b" ,2.5] ["a" ,3]]`},
		{cmd: "ZRANGE r 0 1", want: `["b" "a"]`},
		{cmd: "ZRANGEBYSCORE r -inf +inf WITHSCORES LIMIT 0 1", want: `[["b" ,2.5]]`},
		{cmd: "ZRANK r a WITHSCORE", want: "[:1 ,3]"},
		{cmd: "ZRANK r nosuch WITHSCORE", want: "(nil)"},
		{cmd: "ZUNION 1 r WITHSCORES", want: `[["b" ,2.5] ["a" ,3] ["c" ,3]]`},
		{cmd: "ZRANDMEMBER r 5 WITHSCORES", want: `[["c" ,3] ["a" ,3] ["b" ,2.5]]`},
		{cmd: "ZSCAN r 0", want: `["0" ["b" "2.5" "a" "3" "c" "3"]]`},
		{cmd: "ZADD one 7 only", want: ":1"},
		{cmd: "ZRANDMEMBER one -2 WITHSCORES", want: `[["only" ,7] ["only" ,7]]`},
		{cmd: "ZRANDMEMBER one -2", want: `["only" "only"]`},
		{cmd: "ZPOPMIN r", want: `["b" ,2.5]`},
		{cmd: "ZPOPMIN r 1", want: `[["a" ,3]]`},
		{cmd: "ZADD r 1 x inf y", want: ":2"},
		{cmd: "ZMPOP 1 r MAX", want: `["r" [["y" ,inf]]]`},
		{cmd: "BZPOPMIN r 0", want: `["r" "x" ,1]`},
		{cmd: "BZMPOP 0 1 r MIN", want: `["r" [["c" ,3]]]`},
		{cmd: "ZMPOP 1 r MIN", want: "(nil)"},
		{cmd: "BZPOPMIN r 0.01", want: "(nil)"},
	}, false)
}

// TestZSetGoRedis runs go-redis's typed API over TLS in RESP2 and RESP3.
func TestZSetGoRedis(t *testing.T) {
	n := startNode(t, "tls")
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx := context.Background()
			c := n.tlsClient(proto)
			c.FlushAll(ctx)
			if v, err := c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}, redis.Z{Score: 3, Member: "c"}).Result(); err != nil || v != 3 {
				t.Fatalf("ZADD: %v %v", v, err)
			}
			zs, err := c.ZRangeWithScores(ctx, "z", 0, -1).Result()
			if err != nil || fmt.Sprint(zs) != "[{1 a} {2.5 b} {3 c}]" {
				t.Fatalf("ZRANGE WITHSCORES: %v %v", zs, err)
			}
			if f, err := c.ZScore(ctx, "z", "b").Result(); err != nil || f != 2.5 {
				t.Fatalf("ZSCORE: %v %v", f, err)
			}
			if _, err := c.ZScore(ctx, "z", "nosuch").Result(); err != redis.Nil {
				t.Fatalf("ZSCORE missing: %v", err)
			}
			if f, err := c.ZIncrBy(ctx, "z", 0.5, "a").Result(); err != nil || f != 1.5 {
				t.Fatalf("ZINCRBY: %v %v", f, err)
			}
			if rs, err := c.ZRankWithScore(ctx, "z", "b").Result(); err != nil || rs.Rank != 1 || rs.Score != 2.5 {
				t.Fatalf("ZRANK WITHSCORE: %v %v", rs, err)
			}
			if v, err := c.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: "z", Start: "(1.5", Stop: "+inf", ByScore: true, Rev: false, Count: 1}).Result(); err != nil || fmt.Sprint(v) != "[{2.5 b}]" {
				t.Fatalf("ZRANGE BYSCORE LIMIT: %v %v", v, err)
			}
			//lint:ignore SA1019 ZREVRANGEBYSCORE is a command clients still send; the node must answer it
			if v, err := c.ZRevRangeByScore(ctx, "z", &redis.ZRangeBy{Min: "-inf", Max: "+inf"}).Result(); err != nil || fmt.Sprint(v) != "[c b a]" {
				t.Fatalf("ZREVRANGEBYSCORE: %v %v", v, err)
			}
			if v, err := c.ZMScore(ctx, "z", "a", "nosuch").Result(); err != nil || fmt.Sprint(v) != "[1.5 0]" {
				t.Fatalf("ZMSCORE: %v %v", v, err)
			}
			c.ZAdd(ctx, "z2", redis.Z{Score: 10, Member: "b"}, redis.Z{Score: 1, Member: "x"})
			if v, err := c.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"z", "z2"}, Aggregate: "MAX"}).Result(); err != nil || fmt.Sprint(v) != "[{1 x} {1.5 a} {3 c} {10 b}]" {
				t.Fatalf("ZUNION WITHSCORES: %v %v", v, err)
			}
			if v, err := c.ZInterCard(ctx, 0, "z", "z2").Result(); err != nil || v != 1 {
				t.Fatalf("ZINTERCARD: %v %v", v, err)
			}
			if v, err := c.ZRandMemberWithScores(ctx, "z", 10).Result(); err != nil || fmt.Sprint(v) != "[{3 c} {2.5 b} {1.5 a}]" {
				t.Fatalf("ZRANDMEMBER WITHSCORES: %v %v", v, err)
			}
			if v, err := c.ZPopMin(ctx, "z").Result(); err != nil || fmt.Sprint(v) != "[{1.5 a}]" {
				t.Fatalf("ZPOPMIN: %v %v", v, err)
			}
			if v, err := c.ZPopMax(ctx, "z", 2).Result(); err != nil || fmt.Sprint(v) != "[{3 c} {2.5 b}]" {
				t.Fatalf("ZPOPMAX 2: %v %v", v, err)
			}
			if k, v, err := c.ZMPop(ctx, "min", 5, "nokey", "z2").Result(); err != nil || k != "z2" || fmt.Sprint(v) != "[{1 x} {10 b}]" {
				t.Fatalf("ZMPOP: %v %v %v", k, v, err)
			}
			c.ZAdd(ctx, "z3", redis.Z{Score: 7, Member: "m"})
			if v, err := c.BZPopMin(ctx, time.Second, "nokey", "z3").Result(); err != nil || v.Key != "z3" || v.Member != "m" || v.Score != 7 {
				t.Fatalf("BZPOPMIN: %v %v", v, err)
			}
			// (go-redis rounds a BZPOPMAX timeout up to a second: send it raw)
			if _, err := c.Do(ctx, "BZPOPMAX", "z3", "0.01").Result(); err != redis.Nil {
				t.Fatalf("BZPOPMAX timeout: %v", err)
			}
			if err := c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "a"}).Err(); err != nil {
				t.Fatal(err)
			}
			keys, cursor, err := c.ZScan(ctx, "z", 0, "*", 10).Result()
			if err != nil || cursor != 0 || fmt.Sprint(keys) != "[a 1]" {
				t.Fatalf("ZSCAN: %v %v %v", keys, cursor, err)
			}
			c.Set(ctx, "s", "x", 0)
			if err := c.ZAdd(ctx, "s", redis.Z{Score: 1, Member: "a"}).Err(); err == nil || err.Error() != errWrongType {
				t.Fatalf("WRONGTYPE: %v", err)
			}
			if err := c.Do(ctx, "ZADD", "z", "NX", "XX", 1, "a").Err(); err == nil || err.Error() != errZSetNXXX {
				t.Fatalf("NX XX: %v", err)
			}
		})
	}
}

// TestZSetBlockingFairness: clients blocked on a key are served in the order they blocked, each with the
// member it is due (the lowest for BZPOPMIN), when one ZADD from another client adds several members.
func TestZSetBlockingFairness(t *testing.T) {
	n := startNode(t)
	const waiters = 4
	conns := make([]*rawConn, waiters)
	blocked := func(k int) func() bool {
		return func() bool {
			n.srv.mu.Lock()
			defer n.srv.mu.Unlock()
			return n.srv.blockedCount == k
		}
	}
	for i := range conns {
		conns[i] = n.raw()
		if i%2 == 0 {
			conns[i].cmd("BZPOPMIN", "other", "q", "0")
		} else {
			conns[i].cmd("BZMPOP", "0", "2", "other", "q", "MIN")
		}
		waitFor(t, "client to block", blocked(i+1))
	}
	p := n.raw()
	mustDo(t, p, ":5", "ZADD", "q", "4", "d", "1", "a", "3", "c", "2", "b", "5", "e")
	want := []string{`["q" "a" "1"]`, `["q" [["b" "2"]]]`, `["q" "c" "3"]`, `["q" [["d" "4"]]]`}
	for i, c := range conns {
		if got := c.reply(); got != want[i] {
			t.Fatalf("waiter %d got %s, want %s", i, got, want[i])
		}
	}
	mustDo(t, p, `["e"]`, "ZRANGE", "q", "0", "-1")
	waitFor(t, "no client blocked", blocked(0))

	// a waiter is served from whichever of its keys is filled, and one that leaves takes nothing
	gone := n.raw()
	gone.cmd("BZPOPMAX", "k1", "k2", "0")
	waitFor(t, "client to block", blocked(1))
	gone.c.Close()
	waitFor(t, "client to leave", blocked(0))
	w := n.raw()
	w.cmd("BZPOPMAX", "k1", "k2", "0")
	waitFor(t, "client to block", blocked(1))
	mustDo(t, p, ":2", "ZADD", "k2", "1", "x", "2", "y")
	if got := w.reply(); got != `["k2" "y" "2"]` {
		t.Fatalf("served %s", got)
	}
	mustDo(t, p, `["x"]`, "ZRANGE", "k2", "0", "-1")

	// a ZADD inside MULTI serves the waiter once EXEC has run; a ZUNIONSTORE creating the key serves too
	w.cmd("BZPOPMIN", "k3", "0")
	waitFor(t, "client to block", blocked(1))
	mustDo(t, p, "OK", "MULTI")
	mustDo(t, p, "QUEUED", "ZADD", "k3", "1", "m")
	mustDo(t, p, "QUEUED", "ZADD", "k3", "0", "n")
	mustDo(t, p, "[:1 :1]", "EXEC")
	if got := w.reply(); got != `["k3" "n" "0"]` {
		t.Fatalf("after EXEC: %s", got)
	}
	w.cmd("BZPOPMIN", "k4", "0")
	waitFor(t, "client to block", blocked(1))
	mustDo(t, p, ":2", "ZUNIONSTORE", "k4", "2", "k3", "k2")
	if got := w.reply(); got != `["k4" "m" "1"]` {
		t.Fatalf("after ZUNIONSTORE: %s", got)
	}
	// inside MULTI a blocking pop does not block
	mustDo(t, p, "OK", "MULTI")
	mustDo(t, p, "QUEUED", "BZPOPMIN", "nokey", "0")
	mustDo(t, p, "QUEUED", "BZMPOP", "0", "1", "nokey", "MIN")
	mustDo(t, p, "[(nil) (nil)]", "EXEC")
}

// TestZSetBlockingConcurrent: poppers and pushers racing; every member is delivered exactly once.
func TestZSetBlockingConcurrent(t *testing.T) {
	n := startNode(t)
	const poppers, per = 4, 50
	var wg sync.WaitGroup
	got := make(chan string, poppers*per)
	for w := 0; w < poppers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := n.raw()
			for i := 0; i < per; i++ {
				got <- c.do("BZPOPMIN", "q1", "q2", "10")
			}
		}()
	}
	var pw sync.WaitGroup
	for p := 0; p < 2; p++ {
		pw.Add(1)
		go func(p int) {
			defer pw.Done()
			c := n.raw()
			for i := 0; i < poppers*per/2; i++ {
				key := "q1"
				if i%2 == 1 {
					key = "q2"
				}
				c.do("ZADD", key, strconv.Itoa(i), fmt.Sprintf("m%d-%d", p, i))
			}
		}(p)
	}
	pw.Wait()
	wg.Wait()
	close(got)
	seen := map[string]bool{}
	for r := range got {
		if r == "(nil)" {
			t.Fatal("a popper timed out")
		}
		parts := strings.Fields(strings.Trim(r, "[]"))
		if len(parts) != 3 || seen[parts[1]] {
			t.Fatalf("bad or duplicate delivery %s", r)
		}
		seen[parts[1]] = true
	}
	if len(seen) != poppers*per {
		t.Fatalf("delivered %d of %d", len(seen), poppers*per)
	}
}

// TestZSetRanksAgainstModel drives a large (skip list) sorted set through the commands and checks ranks,
// rank ranges, score counts and LIMIT ranges against a brute-force model after every change.
func TestZSetRanksAgainstModel(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	rng := rand.New(rand.NewPCG(7, 7))
	model := map[string]int{}
	sorted := func() []string {
		out := make([]string, 0, len(model))
		for m := range model {
			out = append(out, m)
		}
		sort.Slice(out, func(i, j int) bool {
			a, b := out[i], out[j]
			return model[a] < model[b] || (model[a] == model[b] && a < b)
		})
		return out
	}
	for i := 0; i < 300; i++ {
		m := "m" + strconv.Itoa(i)
		model[m] = rng.IntN(100)
		mustDo(t, r, ":1", "ZADD", "big", strconv.Itoa(model[m]), m)
	}
	mustDo(t, r, `"skiplist"`, "OBJECT", "ENCODING", "big")
	for op := 0; op < 3000; op++ {
		m := "m" + strconv.Itoa(rng.IntN(400))
		switch rng.IntN(4) {
		case 0:
			sc := rng.IntN(100)
			_, had := model[m]
			want := ":1"
			if had {
				want = ":0"
			}
			model[m] = sc
			mustDo(t, r, want, "ZADD", "big", strconv.Itoa(sc), m)
		case 1:
			_, had := model[m]
			delete(model, m)
			mustDo(t, r, ":"+strconv.Itoa(zb2i(had)), "ZREM", "big", m)
		case 2:
			if _, had := model[m]; had {
				model[m] += 3
				mustDo(t, r, `"`+strconv.Itoa(model[m])+`"`, "ZINCRBY", "big", "3", m)
			}
		}
		s := sorted()
		idx := -1
		for i, x := range s {
			if x == m {
				idx = i
			}
		}
		if idx >= 0 {
			mustDo(t, r, ":"+strconv.Itoa(idx), "ZRANK", "big", m)
			mustDo(t, r, ":"+strconv.Itoa(len(s)-1-idx), "ZREVRANK", "big", m)
		} else {
			mustDo(t, r, "(nil)", "ZRANK", "big", m)
		}
		if op%10 == 0 && len(s) > 0 {
			a := rng.IntN(len(s))
			b := a + rng.IntN(20)
			want := s[a:min(b+1, len(s))]
			mustDo(t, r, zquote(want), "ZRANGE", "big", strconv.Itoa(a), strconv.Itoa(b))
			lo, hi := rng.IntN(100), rng.IntN(100)
			var in []string
			for _, x := range s {
				if model[x] >= lo && model[x] <= hi {
					in = append(in, x)
				}
			}
			mustDo(t, r, ":"+strconv.Itoa(len(in)), "ZCOUNT", "big", strconv.Itoa(lo), strconv.Itoa(hi))
			off, cnt := rng.IntN(10), rng.IntN(10)
			var lim []string
			if off < len(in) {
				lim = in[off:min(off+cnt, len(in))]
			}
			mustDo(t, r, zquote(lim), "ZRANGEBYSCORE", "big", strconv.Itoa(lo), strconv.Itoa(hi), "LIMIT", strconv.Itoa(off), strconv.Itoa(cnt))
		}
	}
}

func zquote(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return "[" + strings.Join(q, " ") + "]"
}

// TestZScanGuarantee: a full ZSCAN of a large sorted set returns every member that was there for the
// whole iteration, even while members are added and removed between the calls (the table grows and
// shrinks).
func TestZScanGuarantee(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	args := []string{"ZADD", "big"}
	for i := 0; i < 2000; i++ {
		args = append(args, strconv.Itoa(i), "keep"+strconv.Itoa(i))
	}
	mustDo(t, r, ":2000", args...)
	seen := map[string]bool{}
	cursor := "0"
	calls := 0
	for {
		rep := r.do("ZSCAN", "big", cursor, "COUNT", "20")
		var list string
		cursor, list = zscanSplit(t, rep)
		for i, f := range strings.Fields(list) {
			if i%2 == 0 {
				seen[strings.Trim(f, `"`)] = true
			}
		}
		calls++
		switch calls {
		case 3:
			more := []string{"ZADD", "big"}
			for i := 0; i < 5000; i++ {
				more = append(more, "100000", "tmp"+strconv.Itoa(i))
			}
			mustDo(t, r, ":5000", more...)
		case 30:
			mustDo(t, r, ":5000", "ZREMRANGEBYSCORE", "big", "100000", "100000")
			mustDo(t, r, ":2", "ZREM", "big", "keep0", "keep2") // score 0 and 2: not kept for the whole scan
		}
		if cursor == "0" {
			break
		}
	}
	for i := 3; i < 2000; i++ {
		if !seen["keep"+strconv.Itoa(i)] {
			t.Fatalf("keep%d missed by the scan", i)
		}
	}
	if calls < 10 {
		t.Fatalf("the scan took %d calls: COUNT was not honoured", calls)
	}
}

func zscanSplit(t *testing.T, rep string) (cursor, list string) {
	t.Helper()
	// ["<cursor>" [items...]]
	rest := strings.TrimPrefix(rep, `["`)
	i := strings.Index(rest, `"`)
	if i < 0 {
		t.Fatalf("bad ZSCAN reply %s", rep)
	}
	cursor = rest[:i]
	list = strings.TrimSuffix(strings.TrimPrefix(rest[i+1:], " ["), "]]")
	return cursor, list
}

// TestZSetNotifications checks the keyspace events, in Valkey's order.
func TestZSetNotifications(t *testing.T) {
	n := startNode(t, "notify-keyspace-events", "KEA")
	sub := n.raw()
	if got := sub.do("PSUBSCRIBE", "__keyevent@0__:*"); got != `["psubscribe" "__keyevent@0__:*" :1]` {
		t.Fatalf("PSUBSCRIBE: %s", got)
	}
	r := n.raw()
	for _, c := range []string{
		"ZADD z 1 a 2 b", "ZADD z XX 1 nosuch", "ZINCRBY z 1 a", "ZADD z INCR 1 a", "ZREM z nosuch",
		"ZREM z a", "ZPOPMAX z", "ZADD z 1 a 2 b 3 c", "ZREMRANGEBYSCORE z 3 3", "ZREMRANGEBYRANK z 0 0",
		"ZREMRANGEBYLEX z - +", "ZADD z 1 a", "ZUNIONSTORE d 1 z", "ZINTERSTORE d 2 z nokey", "ZRANGESTORE d z 0 0",
		"ZDIFFSTORE d 1 z", "ZMPOP 1 z MIN",
	} {
		r.do(strings.Fields(c)...)
	}
	want := []string{"zadd z", "zincr z", "zincr z", "zrem z", "zpopmax z", "del z", "zadd z", "zremrangebyscore z",
		"zremrangebyrank z", "zremrangebylex z", "del z", "zadd z", "zunionstore d", "del d", "zrangestore d",
		"zdiffstore d", "zpopmin z", "del z"}
	expectKeyEvents(t, sub, want)
}

// TestZSetWatchCopyAndKeys: writes invalidate WATCH, COPY makes an independent copy, and the movable-key
// commands report their keys to COMMAND GETKEYS.
func TestZSetWatchCopyAndKeys(t *testing.T) {
	n := startNode(t)
	a, b := n.raw(), n.raw()
	mustDo(t, a, ":2", "ZADD", "z", "1", "x", "2", "y")
	mustDo(t, a, "OK", "WATCH", "z")
	mustDo(t, b, `"2"`, "ZINCRBY", "z", "1", "x")
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "ZCARD", "z")
	mustDo(t, a, "(nil)", "EXEC")
	mustDo(t, a, "OK", "WATCH", "z")
	mustDo(t, b, ":0", "ZADD", "z", "XX", "2", "x") // no change: the watch holds
	mustDo(t, a, "OK", "MULTI")
	mustDo(t, a, "QUEUED", "ZCARD", "z")
	mustDo(t, a, "[:2]", "EXEC")

	for _, big := range []bool{false, true} {
		src := "c" + strconv.FormatBool(big)
		mustDo(t, a, ":2", "ZADD", src, "1", "p", "2", "q")
		if big {
			mustDo(t, a, ":1", "ZADD", src, "3", long65)
		}
		mustDo(t, a, ":1", "COPY", src, src+"copy")
		mustDo(t, a, ":1", "ZREM", src+"copy", "p")
		mustDo(t, a, `"1"`, "ZSCORE", src, "p")
		mustDo(t, a, "(nil)", "ZSCORE", src+"copy", "p")
		mustDo(t, a, ":0", "ZRANK", src+"copy", "q")
		mustDo(t, a, ":1", "ZRANK", src, "q")
	}

	runTable(t, a, []tableStep{
		{cmd: "COMMAND GETKEYS ZUNIONSTORE dst 2 a b WEIGHTS 1 2", want: `["dst" "a" "b"]`},
		{cmd: "COMMAND GETKEYS ZINTER 3 a b c", want: `["a" "b" "c"]`},
		{cmd: "COMMAND GETKEYS ZMPOP 2 a b MIN", want: `["a" "b"]`},
		{cmd: "COMMAND GETKEYS BZMPOP 0 1 a MAX", want: `["a"]`},
		{cmd: "COMMAND GETKEYS BZPOPMIN a b 0", want: `["a" "b"]`},
		{cmd: "COMMAND GETKEYS ZRANGESTORE dst src 0 -1", want: `["dst" "src"]`},
	}, false)
}

func BenchmarkZAdd(b *testing.B) {
	benchZCommands(b, func(i int) []string {
		return []string{"ZADD", "bench", strconv.Itoa(i % 1000), "member:" + strconv.Itoa(i%100000)}
	}, nil)
}

func BenchmarkZAddSmall(b *testing.B) {
	benchZCommands(b, func(i int) []string {
		return []string{"ZADD", "small:" + strconv.Itoa(i%1000), strconv.Itoa(i % 100), "m" + strconv.Itoa(i%100)}
	}, nil)
}

func BenchmarkZRange(b *testing.B) {
	setup := []string{"ZADD", "bench"}
	for i := 0; i < 1000; i++ {
		setup = append(setup, strconv.Itoa(i), "member:"+strconv.Itoa(i))
	}
	benchZCommands(b, func(i int) []string {
		start := i % 900
		return []string{"ZRANGE", "bench", strconv.Itoa(start), strconv.Itoa(start + 99), "WITHSCORES"}
	}, setup)
}

func BenchmarkZRangeByScore(b *testing.B) {
	setup := []string{"ZADD", "bench"}
	for i := 0; i < 1000; i++ {
		setup = append(setup, strconv.Itoa(i), "member:"+strconv.Itoa(i))
	}
	benchZCommands(b, func(i int) []string {
		lo := i % 900
		return []string{"ZRANGEBYSCORE", "bench", strconv.Itoa(lo), "+inf", "LIMIT", "0", "10"}
	}, setup)
}

// benchZCommands sends b.N commands in pipelines of 16 over one connection (the -P 16 shape), cycling
// through 256 pipelines of gen's commands, and skips over every reply without decoding it, so that the
// figures are the server's: allocations are counted for the whole process, client included.
func benchZCommands(b *testing.B, gen func(i int) []string, setup []string) {
	n := startNode(b)
	if setup != nil {
		n.raw().do(setup...)
	}
	const depth = 16
	batches := make([][]byte, 256)
	for i := range batches {
		batches[i] = respPipeline(depth, func(j int) []string { return gen(i*depth + j) })
	}
	benchPipelined(b, n.addr, depth, [][][]byte{batches})
}
