package server

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// memCheckNode asserts that the node's running totals equal a recount of every key.
func memCheckNode(t *testing.T, n *testNode, when string) {
	t.Helper()
	n.srv.mu.Lock()
	err := n.srv.memCheck(true)
	n.srv.mu.Unlock()
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
}

func usedMemory(t *testing.T, r *rawConn) int64 {
	t.Helper()
	return infoInt(t, infoMap(t, r, "memory"), "used_memory")
}

func TestMemoryInfoFields(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	m := infoMap(t, r, "memory")
	for _, f := range []string{"used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human",
		"used_memory_peak", "used_memory_peak_human", "used_memory_peak_perc", "used_memory_overhead",
		"used_memory_startup", "used_memory_dataset", "used_memory_dataset_perc", "allocator_allocated",
		"maxmemory", "maxmemory_human", "maxmemory_policy", "mem_fragmentation_ratio", "mem_fragmentation_bytes",
		"mem_not_counted_for_evict", "mem_clients_normal", "mem_allocator", "lazyfree_pending_objects",
		"lazyfreed_objects"} {
		if _, ok := m[f]; !ok {
			t.Errorf("INFO memory has no %s", f)
		}
	}
	if m["maxmemory"] != "0" || m["maxmemory_human"] != "0B" || m["maxmemory_policy"] != "noeviction" {
		t.Fatalf("defaults: maxmemory=%s (%s) policy=%s", m["maxmemory"], m["maxmemory_human"], m["maxmemory_policy"])
	}
	mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory", "100mb", "maxmemory-policy", "allkeys-lru")
	m = infoMap(t, r, "memory", "stats")
	if m["maxmemory"] != strconv.Itoa(100<<20) || m["maxmemory_human"] != "100.00M" || m["maxmemory_policy"] != "allkeys-lru" {
		t.Fatalf("after CONFIG SET: maxmemory=%s (%s) policy=%s", m["maxmemory"], m["maxmemory_human"], m["maxmemory_policy"])
	}
	if _, ok := m["evicted_keys"]; !ok || m["evicted_keys"] != "0" {
		t.Fatalf("evicted_keys = %q", m["evicted_keys"])
	}
	if infoInt(t, m, "mem_clients_normal") <= 0 && infoInt(t, m, "used_memory_startup") <= 0 {
		t.Fatal("no base or client memory accounted")
	}
}

// used_memory is an account of the data set: it grows with what is stored and comes back down when it is
// removed, by about the size of the data.
func TestMemoryUsedFollowsData(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	base := usedMemory(t, r)
	value := strings.Repeat("v", 1000)
	for i := 0; i < 1000; i++ {
		mustDo(t, r, "OK", "SET", "key:"+strconv.Itoa(i), value)
	}
	full := usedMemory(t, r)
	if full-base < 1000*1000 || full-base > 1000*1400 {
		t.Fatalf("1000 values of 1000 bytes: used_memory %d -> %d", base, full)
	}
	m := infoMap(t, r, "memory")
	if infoInt(t, m, "used_memory_dataset") < 1000*1000 || infoInt(t, m, "used_memory_peak") < full {
		t.Fatalf("dataset %s, peak %s for used %d", m["used_memory_dataset"], m["used_memory_peak"], full)
	}
	for i := 0; i < 500; i++ {
		mustDo(t, r, ":1", "DEL", "key:"+strconv.Itoa(i))
	}
	half := usedMemory(t, r)
	if half >= full-400*1000 || half <= base+400*1000 {
		t.Fatalf("after deleting half: %d (empty %d, full %d)", half, base, full)
	}
	mustDo(t, r, "OK", "FLUSHALL")
	if after := usedMemory(t, r); after > base+64*1024 {
		t.Fatalf("after FLUSHALL: %d, empty node %d", after, base)
	}
	memCheckNode(t, n, "after FLUSHALL")
}

// The running total must equal a recount of every key after any mix of commands: in-place changes,
// overwrites, deletions, expiry (lazy and active), renames and moves across databases, flushes and swaps,
// transactions, and blocked clients served by another client's push.
func TestMemoryAccountingConsistency(t *testing.T) {
	n := startNode(t, "hz", "100")
	r := n.raw()
	rng := rand.New(rand.NewPCG(42, 1))
	key := func() string { return "k" + strconv.Itoa(rng.IntN(12)) }
	val := func() string {
		switch rng.IntN(4) {
		case 0:
			return strconv.Itoa(rng.IntN(1000))
		case 1:
			return strings.Repeat("x", rng.IntN(300))
		}
		return strings.Repeat("ab", 1+rng.IntN(40))
	}
	num := func(n int) string { return strconv.Itoa(rng.IntN(n)) }
	templates := []func() []string{
		func() []string { return []string{"SET", key(), val()} },
		func() []string { return []string{"SET", key(), val(), "EX", "100"} },
		func() []string { return []string{"SET", key(), val(), "KEEPTTL", "GET"} },
		func() []string { return []string{"APPEND", key(), val()} },
		func() []string { return []string{"SETRANGE", key(), num(500), val()} },
		func() []string { return []string{"INCR", key()} },
		func() []string { return []string{"INCRBYFLOAT", key(), "1.5"} },
		func() []string { return []string{"SETBIT", key(), num(4000), "1"} },
		func() []string { return []string{"MSET", key(), val(), key(), val(), key(), val()} },
		func() []string { return []string{"GETDEL", key()} },
		func() []string { return []string{"GETEX", key(), "PX", "5"} },
		func() []string { return []string{"PEXPIRE", key(), num(20)} },
		func() []string { return []string{"PERSIST", key()} },
		func() []string { return []string{"GET", key()} },
		func() []string { return []string{"LPUSH", key(), val(), val()} },
		func() []string { return []string{"RPUSH", key(), val(), strings.Repeat("L", 9000)} },
		func() []string { return []string{"LPOP", key(), num(3)} },
		func() []string { return []string{"LINSERT", key(), "BEFORE", val(), val()} },
		func() []string { return []string{"LSET", key(), num(3), val()} },
		func() []string { return []string{"LREM", key(), "0", val()} },
		func() []string { return []string{"LTRIM", key(), num(3), "-" + num(3)} },
		func() []string { return []string{"LMOVE", key(), key(), "LEFT", "RIGHT"} },
		func() []string { return []string{"HSET", key(), "f" + num(200), val(), "g" + num(20), val()} },
		func() []string { return []string{"HDEL", key(), "f" + num(200), "g" + num(20)} },
		func() []string { return []string{"HINCRBY", key(), "n" + num(5), "3"} },
		func() []string { return []string{"SADD", key(), val(), num(1000), "m" + num(300)} },
		func() []string { return []string{"SREM", key(), num(1000), "m" + num(300)} },
		func() []string { return []string{"SPOP", key()} },
		func() []string { return []string{"SMOVE", key(), key(), "m" + num(300)} },
		func() []string { return []string{"SINTERSTORE", key(), key(), key()} },
		func() []string { return []string{"SUNIONSTORE", key(), key(), key()} },
		func() []string { return []string{"ZADD", key(), num(100), "z" + num(200), num(100), val()} },
		func() []string { return []string{"ZREM", key(), "z" + num(200)} },
		func() []string { return []string{"ZINCRBY", key(), "2", "z" + num(200)} },
		func() []string { return []string{"ZPOPMIN", key(), num(3)} },
		func() []string { return []string{"ZUNIONSTORE", key(), "2", key(), key()} },
		func() []string { return []string{"ZRANGESTORE", key(), key(), "0", "-1"} },
		func() []string { return []string{"PFADD", key(), val(), val()} },
		func() []string { return []string{"PFCOUNT", key()} },
		func() []string { return []string{"PFMERGE", key(), key()} },
		func() []string { return []string{"BITOP", "OR", key(), key(), key()} },
		func() []string { return []string{"SORT", key(), "ALPHA", "STORE", key()} },
		func() []string { return []string{"RENAME", key(), key()} },
		func() []string { return []string{"COPY", key(), key(), "DB", num(3), "REPLACE"} },
		func() []string { return []string{"COPY", key(), key()} },
		func() []string { return []string{"MOVE", key(), num(3)} },
		func() []string { return []string{"DEL", key(), key()} },
		func() []string { return []string{"UNLINK", key()} },
		func() []string { return []string{"SELECT", num(3)} },
		func() []string { return []string{"SWAPDB", num(3), num(3)} },
		func() []string { return []string{"RESTORE", key(), "0", "bad", "REPLACE"} },
	}
	for i := 0; i < 4000; i++ {
		args := templates[rng.IntN(len(templates))]()
		if i%500 == 499 {
			args = []string{"FLUSHDB", []string{"SYNC", "ASYNC"}[rng.IntN(2)]}
		}
		r.do(args...)
		if i%250 == 0 {
			memCheckNode(t, n, fmt.Sprintf("command %d (%v)", i, args))
		}
	}
	memCheckNode(t, n, "after the mixed workload")
	mustDo(t, r, "OK", "SELECT", "0")
	mustDo(t, r, ":3", "RPUSH", "src", "b", "c", "a")
	mustDo(t, r, ":3", "SORT", "src", "ALPHA", "STORE", "sorted")
	mustDo(t, r, "OK", "SET", "other", strings.Repeat("o", 100))
	mustDo(t, r, ":3", "SORT", "src", "ALPHA", "STORE", "other")
	memCheckNode(t, n, "after SORT STORE")

	// transactions, and blocked clients served by pushes (a chain of BLMOVEs included)
	a, b := n.raw(), n.raw()
	a.cmd("BLMOVE", "qa", "qb", "LEFT", "RIGHT", "0")
	b.cmd("BLMOVE", "qb", "qc", "LEFT", "RIGHT", "0")
	waitFor(t, "two blocked clients", func() bool {
		return infoMap(t, r, "clients")["blocked_clients"] == "2"
	})
	mustDo(t, r, "OK", "MULTI")
	mustDo(t, r, "QUEUED", "SET", "s", strings.Repeat("s", 500))
	mustDo(t, r, "QUEUED", "LPUSH", "qa", strings.Repeat("q", 700))
	mustDo(t, r, "[OK :1]", "EXEC")
	if got := a.reply(); !strings.HasPrefix(got, `"qqq`) {
		t.Fatalf("BLMOVE qa qb: %s", got)
	}
	if got := b.reply(); !strings.HasPrefix(got, `"qqq`) {
		t.Fatalf("BLMOVE qb qc: %s", got)
	}
	mustDo(t, r, ":1", "LLEN", "qc")
	memCheckNode(t, n, "after serving blocked clients")
	c := n.raw()
	c.cmd("BLPOP", "qd", "0")
	waitFor(t, "BLPOP blocked", func() bool { return infoMap(t, r, "clients")["blocked_clients"] == "1" })
	mustDo(t, r, ":1", "RPUSH", "qd", strings.Repeat("d", 300))
	if got := c.reply(); !strings.HasPrefix(got, `["qd" "ddd`) {
		t.Fatalf("BLPOP: %s", got)
	}
	mustDo(t, r, ":0", "EXISTS", "qd")
	memCheckNode(t, n, "after BLPOP")

	// expiry: lazy on access and active from the cron
	expiredBefore := infoInt(t, infoMap(t, r, "stats"), "expired_keys")
	for i := 0; i < 50; i++ {
		mustDo(t, r, "OK", "SET", "ttl:"+strconv.Itoa(i), strings.Repeat("t", 100), "PX", "1")
	}
	time.Sleep(20 * time.Millisecond)
	mustDo(t, r, "(nil)", "GET", "ttl:0")
	waitFor(t, "active expiry", func() bool {
		return infoInt(t, infoMap(t, r, "stats"), "expired_keys") >= expiredBefore+50
	})
	memCheckNode(t, n, "after expiry")
}

func TestMemoryUsageCommand(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	mustDo(t, r, "(nil)", "MEMORY", "USAGE", "missing")
	mustDo(t, r, "OK", "SET", "small", "x")
	mustDo(t, r, "OK", "SET", "big", strings.Repeat("x", 10000))
	small, _ := strconv.Atoi(strings.TrimPrefix(r.do("MEMORY", "USAGE", "small"), ":"))
	big, _ := strconv.Atoi(strings.TrimPrefix(r.do("MEMORY", "USAGE", "big", "SAMPLES", "0"), ":"))
	if small <= 0 || small > 200 || big < 10000 || big > 10000+small+1024 {
		t.Fatalf("MEMORY USAGE: small %d, big %d", small, big)
	}
	for i := 0; i < 1000; i++ {
		r.do("RPUSH", "list", strings.Repeat("e", 50))
	}
	list, _ := strconv.Atoi(strings.TrimPrefix(r.do("MEMORY", "USAGE", "list", "SAMPLES", "5"), ":"))
	if list < 1000*50 {
		t.Fatalf("list of 1000 elements of 50 bytes: %d", list)
	}
	mustDo(t, r, "-ERR syntax error", "MEMORY", "USAGE", "big", "SAMPLES", "-1")
	mustDo(t, r, "-ERR value is not an integer or out of range", "MEMORY", "USAGE", "big", "SAMPLES", "x")
	mustDo(t, r, "-ERR syntax error", "MEMORY", "USAGE", "big", "FOO")

	stats := r.call("MEMORY", "STATS")
	fields := map[string]string{}
	for i := 0; i+1 < len(stats.elems); i += 2 {
		fields[stats.elems[i].str] = stats.elems[i+1].String()
	}
	if fields["keys.count"] != ":3" || fields["total.allocated"] == "" || !strings.Contains(fields["db.0"], "overhead.hashtable.main") {
		t.Fatalf("MEMORY STATS: %v", fields)
	}
	if doc := r.do("MEMORY", "DOCTOR"); !strings.Contains(doc, "too little") {
		t.Fatalf("MEMORY DOCTOR on a small instance: %s", doc)
	}
	mustDo(t, r, "OK", "MEMORY", "PURGE")
	if got := r.do("MEMORY", "MALLOC-STATS"); !strings.Contains(got, "/memory/classes/heap/objects:bytes") {
		t.Fatalf("MEMORY MALLOC-STATS: %s", got)
	}
	if got := r.do("MEMORY", "HELP"); !strings.Contains(got, "USAGE <key> [SAMPLES <count>]") {
		t.Fatalf("MEMORY HELP: %s", got)
	}
	mustDo(t, r, `["big"]`, "COMMAND", "GETKEYS", "MEMORY", "USAGE", "big")
}

func TestMemoryDirectives(t *testing.T) {
	n := startNode(t, "maxmemory", "10mb", "maxmemory-policy", "volatile-ttl", "lazyfree-lazy-user-del", "no")
	r := n.raw()
	mustDo(t, r, `["maxmemory" "10485760"]`, "CONFIG", "GET", "maxmemory")
	mustDo(t, r, `["maxmemory-policy" "volatile-ttl"]`, "CONFIG", "GET", "maxmemory-policy")
	mustDo(t, r, `["maxmemory-samples" "5"]`, "CONFIG", "GET", "maxmemory-samples")
	mustDo(t, r, `["maxmemory-eviction-tenacity" "10"]`, "CONFIG", "GET", "maxmemory-eviction-tenacity")
	mustDo(t, r, `["lfu-log-factor" "10"]`, "CONFIG", "GET", "lfu-log-factor")
	mustDo(t, r, `["lfu-decay-time" "1"]`, "CONFIG", "GET", "lfu-decay-time")
	mustDo(t, r, `["lazyfree-lazy-user-del" "no"]`, "CONFIG", "GET", "lazyfree-lazy-user-del")
	mustDo(t, r, `["lazyfree-lazy-eviction" "yes"]`, "CONFIG", "GET", "lazyfree-lazy-eviction")
	for _, p := range []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
		"volatile-lfu", "volatile-random", "volatile-ttl"} {
		mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory-policy", strings.ToUpper(p))
		mustDo(t, r, `["maxmemory-policy" "`+p+`"]`, "CONFIG", "GET", "maxmemory-policy")
	}
	if got := r.do("CONFIG", "SET", "maxmemory-policy", "lru"); !strings.HasPrefix(got, "-ERR CONFIG SET failed") ||
		!strings.Contains(got, "volatile-lru, volatile-lfu") {
		t.Fatalf("bad policy: %s", got)
	}
	if got := r.do("CONFIG", "SET", "maxmemory-samples", "0"); !strings.HasPrefix(got, "-ERR") {
		t.Fatalf("maxmemory-samples 0: %s", got)
	}
	if got := r.do("CONFIG", "SET", "maxmemory-clients", "10%"); !strings.HasPrefix(got, "-ERR") {
		t.Fatalf("maxmemory-clients 10%%: %s", got)
	}
	mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory-clients", "0")
	mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory", "1gb")
	mustDo(t, r, `["maxmemory" "1073741824"]`, "CONFIG", "GET", "maxmemory")
}

// UNLINK, FLUSHALL ASYNC and the lazyfree switches hand large values to the background freer, which
// counts what it released; the synchronous forms do not use it.
func TestMemoryLazyFree(t *testing.T) {
	n := startNode(t, "lazyfree-lazy-user-del", "no", "lazyfree-lazy-user-flush", "no")
	r := n.raw()
	lazyfreed := func() int64 { return infoInt(t, infoMap(t, r, "memory"), "lazyfreed_objects") }
	bigHash := func(key string) {
		args := []string{"HSET", key}
		for i := 0; i < 1000; i++ { // a hashtable: a listpack is freed in one piece, on the executor
			args = append(args, "field:"+strconv.Itoa(i), "value")
		}
		r.do(args...)
	}
	bigHash("h1")
	mustDo(t, r, ":1", "DEL", "h1")
	mustDo(t, r, "OK", "SET", "small", "x")
	mustDo(t, r, ":1", "UNLINK", "small") // too small to be worth the background
	if got := lazyfreed(); got != 0 {
		t.Fatalf("synchronous DEL and a small UNLINK: lazyfreed_objects %d", got)
	}
	bigHash("h2")
	mustDo(t, r, ":1", "UNLINK", "h2")
	waitFor(t, "UNLINK released in the background", func() bool { return lazyfreed() == 1 })
	mustDo(t, r, "OK", "CONFIG", "SET", "lazyfree-lazy-user-del", "yes")
	bigHash("h3")
	mustDo(t, r, ":1", "DEL", "h3")
	waitFor(t, "DEL released in the background", func() bool { return lazyfreed() == 2 })

	for i := 0; i < 100; i++ {
		r.do("SET", "key:"+strconv.Itoa(i), strings.Repeat("v", 100))
	}
	before := usedMemory(t, r)
	mustDo(t, r, "OK", "FLUSHALL", "SYNC")
	if got := lazyfreed(); got != 2 {
		t.Fatalf("FLUSHALL SYNC went through the background: %d", got)
	}
	for i := 0; i < 100; i++ {
		r.do("SET", "key:"+strconv.Itoa(i), strings.Repeat("v", 100))
	}
	mustDo(t, r, "OK", "FLUSHALL", "ASYNC")
	if after := usedMemory(t, r); after > before-100*100 {
		t.Fatalf("used_memory after FLUSHALL ASYNC: %d, before %d", after, before)
	}
	waitFor(t, "FLUSHALL ASYNC released in the background", func() bool { return lazyfreed() == 102 })
	m := infoMap(t, r, "memory")
	if m["lazyfree_pending_objects"] != "0" {
		t.Fatalf("lazyfree_pending_objects %s", m["lazyfree_pending_objects"])
	}
	memCheckNode(t, n, "after the lazy frees")
}

func TestMemoryHumanFormat(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	m := infoMap(t, r, "memory")
	re := regexp.MustCompile(`^\d+(\.\d\d[KMGTP]|B)$`)
	for _, f := range []string{"used_memory_human", "used_memory_peak_human", "used_memory_rss_human", "maxmemory_human"} {
		if !re.MatchString(m[f]) {
			t.Errorf("%s = %q", f, m[f])
		}
	}
}

// BenchmarkMemNoteSettle is the accounting's cost per key a write command names: the note before the
// handler and the settle after (two lookups each, one without a time to live).
func BenchmarkMemNoteSettle(b *testing.B) {
	n := startNode(b)
	s := n.srv
	r := dialRaw(b, n.addr)
	r.cmd("SET", "key", "value")
	r.reply()
	key := []byte("key")
	s.mu.Lock()
	defer s.mu.Unlock()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.memNote(0, key)
		s.memSettle()
	}
}

// A loader fills databases without commands; memKeyAdded accounts key by key and memRecountAll starts
// over from a recount.
func TestMemRecountAfterDirectLoad(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	mustDo(t, r, "OK", "SET", "k", "v") // the totals exist from here
	s := n.srv
	s.mu.Lock()
	for i := 0; i < 100; i++ {
		key := []byte("loaded:" + strconv.Itoa(i))
		s.dbs[1].Add(key, keyspace.Object{Kind: keyspace.KindString, Str: []byte(strings.Repeat("l", i))})
		s.memKeyAdded(s.dbs[1], key)
	}
	err := s.memCheck(true)
	for i := 0; i < 50; i++ {
		s.dbs[2].Add([]byte("raw:"+strconv.Itoa(i)), keyspace.Object{Kind: keyspace.KindString, Str: []byte("x")})
	}
	broken := s.memCheck(false)
	s.memRecountAll()
	fixed := s.memCheck(true)
	s.mu.Unlock()
	if err != nil || broken == nil || fixed != nil {
		t.Fatalf("memKeyAdded: %v; keys added unaccounted: %v; after memRecountAll: %v", err, broken, fixed)
	}
}
