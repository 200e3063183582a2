package server

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
)

func TestHLLCommands(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	bitRunTable(t, r, [][]string{
		{"PFADD", "h", ":1"},
		{"GET", "h", `"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"`},
		{"PFADD", "h", ":0"},
		{"PFCOUNT", "h", ":0"},
		{"GET", "h", `"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"`},
		{"PFADD", "h", "a", "b", "c", ":1"},
		{"PFADD", "h", "a", ":0"},
		{"PFCOUNT", "h", ":3"},
		{"PFCOUNT", "h", ":3"},
		{"PFADD", "h2", "c", "d", ":1"},
		{"PFCOUNT", "h", "h2", ":4"},
		{"PFCOUNT", "h", "nokey", ":3"},
		{"PFCOUNT", "nokey", ":0"},
		{"PFMERGE", "m", "h", "h2", "OK"},
		{"PFCOUNT", "m", ":4"},
		{"PFMERGE", "empty", "OK"},
		{"PFCOUNT", "empty", ":0"},
		{"OBJECT", "ENCODING", "m", `"raw"`},
		{"SET", "s", "hello world, this is not an hll", "OK"},
		{"PFADD", "s", "a", "-WRONGTYPE Key is not a valid HyperLogLog string value."},
		{"PFCOUNT", "s", "-WRONGTYPE Key is not a valid HyperLogLog string value."},
		{"PFCOUNT", "h", "s", "-WRONGTYPE Key is not a valid HyperLogLog string value."},
		{"PFMERGE", "h", "s", "-WRONGTYPE Key is not a valid HyperLogLog string value."},
		{"PFMERGE", "s", "h", "-WRONGTYPE Key is not a valid HyperLogLog string value."},
		{"SET", "short", "HYLL", "OK"},
		{"PFCOUNT", "short", "-WRONGTYPE Key is not a valid HyperLogLog string value."},
		{"SET", "baddense", "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00", "OK"},
		{"PFCOUNT", "baddense", "-WRONGTYPE Key is not a valid HyperLogLog string value."},
		{"SET", "corrupt", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe", "OK"},
		{"PFCOUNT", "corrupt", "-INVALIDOBJ Corrupted HLL object detected"},
		{"PFADD", "corrupt", "x", ":1"}, // the register found is inside the short run, as in Valkey
		{"PFCOUNT", "corrupt", "h", "-INVALIDOBJ Corrupted HLL object detected"},
		{"PFMERGE", "m", "corrupt", "-INVALIDOBJ Corrupted HLL object detected"},
		{"RPUSH", "l", "a", ":1"},
		{"PFADD", "l", "a", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"PFCOUNT", "l", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"PFMERGE", "m", "l", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"PFADD", "-ERR wrong number of arguments for 'pfadd' command"},
		{"PFCOUNT", "-ERR wrong number of arguments for 'pfcount' command"},
		{"PFMERGE", "-ERR wrong number of arguments for 'pfmerge' command"},
		{"CONFIG", "GET", "hll-sparse-max-bytes", `["hll-sparse-max-bytes" "3000"]`},
		{"CONFIG", "SET", "hll-sparse-max-bytes", "100", "OK"},
	})
	// with a tiny sparse limit the value is promoted to dense (16 + 12288 bytes) early
	bitRunTable(t, r, [][]string{
		{"DEL", "d", ":0"},
	})
	for i := 0; i < 50; i++ {
		r.do("PFADD", "d", "e"+strconv.Itoa(i))
	}
	bitRunTable(t, r, [][]string{
		{"STRLEN", "d", ":12304"},
		{"PFCOUNT", "d", ":50"},
	})
}

func TestHLLAccuracy(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	rng := rand.New(rand.NewPCG(1, 2))
	args := []string{"PFADD", "big"}
	for i := 0; i < 20000; i++ {
		args = append(args, strconv.FormatUint(rng.Uint64(), 36))
	}
	if got := r.do(args...); got != ":1" {
		t.Fatalf("PFADD: %s", got)
	}
	got := r.do("PFCOUNT", "big")
	c, _ := strconv.Atoi(got[1:])
	if c < 19600 || c > 20400 {
		t.Fatalf("PFCOUNT of 20000 distinct elements = %d", c)
	}
}

// TestHLLDifferential sends the same seeded random HyperLogLog commands to the real redis-server 7.0 and
// to valkey-node and compares every reply exactly, including GET of the HyperLogLog strings: the sparse
// and dense bytes, the cached cardinality and its validity bit must be identical.
func TestHLLDifferential(t *testing.T) {
	ref, _ := startRedisServer(t)
	got := startNode(t).raw()
	for _, limit := range []string{"3000", "200"} {
		for _, c := range []*rawConn{ref, got} {
			c.call("flushall")
			c.call("config", "set", "hll-sparse-max-bytes", limit)
			c.call("set", "str", "not an hll at all")
		}
		rng := rand.New(rand.NewPCG(7, 11))
		keys := []string{"h1", "h2", "h3", "h4", "missing", "str"}
		key := func() string { return keys[rng.IntN(len(keys))] }
		for i := 0; i < 4000; i++ {
			var cmd []string
			switch rng.IntN(10) {
			case 0, 1, 2, 3:
				cmd = []string{"pfadd", key()}
				pool := 50
				if rng.IntN(3) == 0 {
					pool = 1 << 20
				}
				for j := rng.IntN(12); j > 0; j-- {
					cmd = append(cmd, "e"+strconv.Itoa(rng.IntN(pool)))
				}
			case 4, 5:
				cmd = []string{"pfcount"}
				for j := 1 + rng.IntN(3); j > 0; j-- {
					cmd = append(cmd, key())
				}
			case 6:
				cmd = []string{"pfmerge", key()}
				for j := rng.IntN(3); j > 0; j-- {
					cmd = append(cmd, key())
				}
			case 7, 8:
				cmd = []string{"get", key()}
			default:
				if rng.IntN(4) == 0 {
					cmd = []string{"del", key()}
				} else if rng.IntN(3) == 0 {
					cmd = []string{"object", "encoding", key()}
				} else {
					cmd = []string{"strlen", key()}
				}
			}
			want, have := ref.call(cmd...), got.call(cmd...)
			if want.typed() != have.typed() {
				t.Fatalf("limit %s step %d %q:\nredis-server: %.300s\nvalkey-node:  %.300s", limit, i, cmd, want.typed(), have.typed())
			}
		}
		// the final values are byte-identical
		for _, k := range keys {
			if a, b := ref.call("get", k), got.call("get", k); a.typed() != b.typed() {
				t.Fatalf("limit %s: GET %s differs", limit, k)
			}
		}
	}
}

// go-redis over TLS in both protocols reads the HyperLogLog replies.
func TestHLLGoRedis(t *testing.T) {
	n := startNode(t, "tls")
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := n.tlsClient(proto)
		c.Del(ctx, "g1", "g2", "gm")
		if v, err := c.PFAdd(ctx, "g1", "a", "b").Result(); err != nil || v != 1 {
			t.Fatalf("RESP%d PFADD: %v %v", proto, v, err)
		}
		c.PFAdd(ctx, "g2", "b", "c")
		if v, err := c.PFCount(ctx, "g1", "g2").Result(); err != nil || v != 3 {
			t.Fatalf("RESP%d PFCOUNT: %v %v", proto, v, err)
		}
		if err := c.PFMerge(ctx, "gm", "g1", "g2").Err(); err != nil {
			t.Fatalf("RESP%d PFMERGE: %v", proto, err)
		}
		if v, err := c.PFCount(ctx, "gm").Result(); err != nil || v != 3 {
			t.Fatalf("RESP%d PFCOUNT merged: %v %v", proto, v, err)
		}
		c.Close()
	}
}

func BenchmarkPFAdd(b *testing.B) {
	n := startNode(b)
	c := n.client()
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.PFAdd(ctx, "bench", strconv.Itoa(i))
	}
}

// Concurrent PFADDs from several clients to one key give the registers, and so the count, of the same
// elements added by one client: the result does not depend on the interleaving.
func TestHLLConcurrentAdds(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	const clients, per = 6, 400
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := n.client()
			for i := 0; i < per; i++ {
				if err := c.PFAdd(ctx, "conc", "w"+strconv.Itoa(w)+":"+strconv.Itoa(i)).Err(); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c := n.client()
	var all []any
	for w := 0; w < clients; w++ {
		for i := 0; i < per; i++ {
			all = append(all, "w"+strconv.Itoa(w)+":"+strconv.Itoa(i))
		}
	}
	c.PFAdd(ctx, "seq", all...)
	a, err1 := c.PFCount(ctx, "conc").Result()
	b, err2 := c.PFCount(ctx, "seq").Result()
	if err1 != nil || err2 != nil || a != b {
		t.Fatalf("concurrent count %d (%v), sequential count %d (%v)", a, err1, b, err2)
	}
	if a < 2300 || a > 2500 {
		t.Fatalf("count %d for 2400 distinct elements", a)
	}
}
