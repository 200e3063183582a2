package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

const evictValue = 1000

var evictVal = strings.Repeat("x", evictValue)

// evictNode starts a node with a policy; eviction is never cut short by time (tenacity 100) unless the
// test says otherwise.
func evictNode(t *testing.T, policy string, extra ...string) (*testNode, *rawConn) {
	t.Helper()
	n := startNode(t, append([]string{"maxmemory-policy", policy, "maxmemory-eviction-tenacity", "100"}, extra...)...)
	return n, n.raw()
}

// setMaxmemoryAbove sets maxmemory to the memory in use now plus room, and returns it.
func setMaxmemoryAbove(t *testing.T, r *rawConn, room int64) int64 {
	t.Helper()
	max := usedMemory(t, r) + room
	mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory", strconv.FormatInt(max, 10))
	return max
}

func evictedKeys(t *testing.T, r *rawConn) int64 {
	t.Helper()
	return infoInt(t, infoMap(t, r, "stats"), "evicted_keys")
}

func keyExists(t *testing.T, r *rawConn, key string) bool {
	t.Helper()
	return r.do("EXISTS", key) == ":1"
}

// checkWithinLimit asserts that used memory is within maxmemory, give or take the key the last command
// added after the eviction that preceded it.
func checkWithinLimit(t *testing.T, r *rawConn, max int64) {
	t.Helper()
	if used := usedMemory(t, r); used > max+2*evictValue {
		t.Fatalf("used_memory %d over maxmemory %d", used, max)
	}
}

// The volatile policies evict only keys with a time to live: the others survive, and once only they are
// left, writes are refused.
func TestEvictVolatilePoliciesSpareKeysWithoutTTL(t *testing.T) {
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			n, r := evictNode(t, policy)
			for i := 0; i < 50; i++ {
				mustDo(t, r, "OK", "SET", "perm:"+strconv.Itoa(i), evictVal)
			}
			max := setMaxmemoryAbove(t, r, 30*evictValue)
			for i := 0; i < 100; i++ {
				mustDo(t, r, "OK", "SET", "vol:"+strconv.Itoa(i), evictVal, "EX", "1000")
			}
			if ev := evictedKeys(t, r); ev < 50 {
				t.Fatalf("%d keys evicted for 100 added over a room of 30", ev)
			}
			for i := 0; i < 50; i++ {
				if !keyExists(t, r, "perm:"+strconv.Itoa(i)) {
					t.Fatalf("perm:%d, which has no time to live, was evicted", i)
				}
			}
			checkWithinLimit(t, r, max)
			// with nothing volatile left to evict, a write that needs memory is refused
			refused := false
			for i := 0; i < 100 && !refused; i++ {
				refused = r.do("SET", "more:"+strconv.Itoa(i), evictVal) == "-"+errOOM
			}
			if !refused {
				t.Fatal("writes never refused once only keys without a time to live were left")
			}
			for i := 0; i < 50; i++ {
				if !keyExists(t, r, "perm:"+strconv.Itoa(i)) {
					t.Fatalf("perm:%d evicted", i)
				}
			}
			memCheckNode(t, n, "after eviction")
		})
	}
}

// volatile-ttl evicts the keys that expire soonest first.
func TestEvictVolatileTTLShortestFirst(t *testing.T) {
	_, r := evictNode(t, "volatile-ttl", "maxmemory-samples", "10")
	for i := 0; i < 40; i++ {
		// vol:0 expires first, vol:39 last
		mustDo(t, r, "OK", "SET", "vol:"+strconv.Itoa(i), evictVal, "EX", strconv.Itoa(10000+100*i))
	}
	setMaxmemoryAbove(t, r, 2*evictValue)
	for i := 0; i < 12; i++ {
		mustDo(t, r, "OK", "SET", "late:"+strconv.Itoa(i), evictVal, "EX", "1000000")
	}
	ev := evictedKeys(t, r)
	if ev < 8 {
		t.Fatalf("%d keys evicted", ev)
	}
	for i := 20; i < 40; i++ {
		if !keyExists(t, r, "vol:"+strconv.Itoa(i)) {
			t.Fatalf("vol:%d, among the longest times to live, was evicted (%d evictions)", i, ev)
		}
	}
	for i := 0; i < 12; i++ {
		if !keyExists(t, r, "late:"+strconv.Itoa(i)) {
			t.Fatalf("late:%d, the longest time to live, was evicted", i)
		}
	}
}

// ageKeys makes every key of database 0 look last accessed secs seconds earlier.
func ageKeys(n *testNode, secs uint32) {
	n.srv.mu.Lock()
	defer n.srv.mu.Unlock()
	n.srv.dbs[0].Range(func(_ string, o *keyspace.Object) bool {
		o.LRU -= secs
		return true
	})
}

// allkeys-lru keeps the keys that were read recently.
func TestEvictAllkeysLRUKeepsRecentlyRead(t *testing.T) {
	n, r := evictNode(t, "allkeys-lru", "maxmemory-samples", "10")
	for i := 0; i < 100; i++ {
		mustDo(t, r, "OK", "SET", "key:"+strconv.Itoa(i), evictVal)
	}
	ageKeys(n, 1000)
	for i := 0; i < 20; i++ {
		if got := r.do("GET", "key:"+strconv.Itoa(i)); got != strconv.Quote(evictVal) {
			t.Fatalf("GET key:%d: %s", i, got)
		}
	}
	max := setMaxmemoryAbove(t, r, 2*evictValue)
	for i := 0; i < 30; i++ {
		mustDo(t, r, "OK", "SET", "new:"+strconv.Itoa(i), evictVal)
	}
	if ev := evictedKeys(t, r); ev < 25 {
		t.Fatalf("%d keys evicted", ev)
	}
	for i := 0; i < 20; i++ {
		if !keyExists(t, r, "key:"+strconv.Itoa(i)) {
			t.Fatalf("key:%d, read recently, was evicted", i)
		}
	}
	checkWithinLimit(t, r, max)
}

// allkeys-lfu keeps the keys that were read often.
func TestEvictAllkeysLFUKeepsFrequentlyRead(t *testing.T) {
	_, r := evictNode(t, "allkeys-lfu", "maxmemory-samples", "10", "lfu-log-factor", "0")
	for i := 0; i < 100; i++ {
		mustDo(t, r, "OK", "SET", "key:"+strconv.Itoa(i), evictVal)
	}
	for round := 0; round < 10; round++ {
		for i := 0; i < 20; i++ {
			r.do("GET", "key:"+strconv.Itoa(i))
		}
	}
	max := setMaxmemoryAbove(t, r, 2*evictValue)
	for i := 0; i < 30; i++ {
		mustDo(t, r, "OK", "SET", "new:"+strconv.Itoa(i), evictVal)
	}
	if ev := evictedKeys(t, r); ev < 25 {
		t.Fatalf("%d keys evicted", ev)
	}
	for i := 0; i < 20; i++ {
		if !keyExists(t, r, "key:"+strconv.Itoa(i)) {
			t.Fatalf("key:%d, read often, was evicted", i)
		}
	}
	checkWithinLimit(t, r, max)
}

// The random policies evict something, and a Ee subscriber hears about it.
func TestEvictRandomPolicies(t *testing.T) {
	for _, policy := range []string{"allkeys-random", "volatile-random"} {
		t.Run(policy, func(t *testing.T) {
			n, r := evictNode(t, policy, "notify-keyspace-events", "Ee")
			sub := n.raw()
			mustDo(t, sub, `["psubscribe" "__keyevent@0__:*" :1]`, "PSUBSCRIBE", "__keyevent@0__:*")
			for i := 0; i < 100; i++ {
				mustDo(t, r, "OK", "SET", "key:"+strconv.Itoa(i), evictVal, "EX", "1000")
			}
			max := setMaxmemoryAbove(t, r, 10*evictValue)
			for i := 0; i < 40; i++ {
				mustDo(t, r, "OK", "SET", "new:"+strconv.Itoa(i), evictVal, "EX", "1000")
			}
			if ev := evictedKeys(t, r); ev < 30 {
				t.Fatalf("%d keys evicted", ev)
			}
			checkWithinLimit(t, r, max)
			ev := sub.call()
			if len(ev.elems) != 4 || ev.elems[2].str != "__keyevent@0__:evicted" {
				t.Fatalf("keyspace event: %s", ev)
			}
		})
	}
}

// noeviction refuses writes that need memory with Valkey's exact error, and keeps serving reads and
// deletions (which make room again). Queuing into a transaction is refused too.
func TestEvictNoevictionOOM(t *testing.T) {
	n, r := evictNode(t, "noeviction")
	for i := 0; i < 10; i++ {
		mustDo(t, r, "OK", "SET", "key:"+strconv.Itoa(i), evictVal)
	}
	setMaxmemoryAbove(t, r, 20*evictValue)
	last := -1
	for i := 10; i < 100; i++ {
		got := r.do("SET", "key:"+strconv.Itoa(i), evictVal)
		if got == "-"+errOOM {
			last = i
			break
		}
		if got != "OK" {
			t.Fatalf("SET key:%d: %s", i, got)
		}
	}
	if last < 0 {
		t.Fatal("writes never refused")
	}
	mustDo(t, r, "-OOM command not allowed when used memory > 'maxmemory'.", "SET", "another", "v")
	mustDo(t, r, "-"+errOOM, "LPUSH", "list", "v")
	mustDo(t, r, strconv.Quote(evictVal), "GET", "key:0")
	mustDo(t, r, ":1", "EXISTS", "key:1")
	mustDo(t, r, "OK", "MULTI")
	mustDo(t, r, "-"+errOOM, "GET", "key:0")
	mustDo(t, r, "-EXECABORT Transaction discarded because of previous errors.", "EXEC")
	if ev := evictedKeys(t, r); ev != 0 {
		t.Fatalf("noeviction evicted %d keys", ev)
	}
	// an EXEC whose transaction writes is refused, and the transaction is over; one that only reads runs
	mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory", "0")
	mustDo(t, r, "OK", "MULTI")
	mustDo(t, r, "QUEUED", "SET", "another", "v")
	q := n.raw()
	mustDo(t, q, "OK", "CONFIG", "SET", "maxmemory", "1")
	mustDo(t, r, "-EXECABORT Transaction discarded because of: "+errOOM, "EXEC")
	mustDo(t, r, "-ERR EXEC without MULTI", "EXEC")
	mustDo(t, q, "OK", "CONFIG", "SET", "maxmemory", "0")
	mustDo(t, r, "OK", "MULTI")
	mustDo(t, r, "QUEUED", "GET", "key:0")
	mustDo(t, q, "OK", "CONFIG", "SET", "maxmemory", "1")
	mustDo(t, r, "["+strconv.Quote(evictVal)+"]", "EXEC")
	// the check comes before a command: the one that crosses the limit runs, the next is refused
	mustDo(t, q, "OK", "CONFIG", "SET", "maxmemory", strconv.FormatInt(usedMemory(t, r)+5*evictValue, 10))
	mustDo(t, r, ":"+strconv.Itoa(10*evictValue), "APPEND", "big", strings.Repeat("b", 10*evictValue))
	mustDo(t, r, "-"+errOOM, "APPEND", "big", "b")
	mustDo(t, r, ":1", "DEL", "big")
	mustDo(t, r, ":11", "APPEND", "big", strings.Repeat("b", 11))
	memCheckNode(t, n, "after OOM")
}

// Lowering maxmemory at runtime evicts at the next command.
func TestEvictAfterConfigSetLowerMaxmemory(t *testing.T) {
	_, r := evictNode(t, "allkeys-random")
	for i := 0; i < 200; i++ {
		mustDo(t, r, "OK", "SET", "key:"+strconv.Itoa(i), evictVal)
	}
	max := usedMemory(t, r) - 100*evictValue
	mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory", strconv.FormatInt(max, 10))
	mustDo(t, r, "OK", "SET", "x", "y")
	if ev := evictedKeys(t, r); ev < 90 {
		t.Fatalf("%d keys evicted after lowering maxmemory by 100 keys' worth", ev)
	}
	checkWithinLimit(t, r, max)
	if m := infoMap(t, r, "stats"); infoInt(t, m, "total_eviction_exceeded_time") < 0 || m["current_eviction_exceeded_time"] != "0" {
		t.Fatalf("eviction time: %v %v", m["total_eviction_exceeded_time"], m["current_eviction_exceeded_time"])
	}
}

// With maxmemory-eviction-tenacity 0 a command evicts at most a few keys and runs anyway; the cron goes
// on evicting until memory is back within the limit.
func TestEvictTenacityZeroContinuesInBackground(t *testing.T) {
	_, r := evictNode(t, "allkeys-random", "maxmemory-eviction-tenacity", "0", "hz", "100")
	for i := 0; i < 400; i++ {
		mustDo(t, r, "OK", "SET", "key:"+strconv.Itoa(i), evictVal)
	}
	max := usedMemory(t, r) - 300*evictValue
	mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory", strconv.FormatInt(max, 10))
	mustDo(t, r, "OK", "SET", "x", "y")
	if ev := evictedKeys(t, r); ev == 0 || ev >= 300 {
		t.Fatalf("%d keys evicted by one command with tenacity 0", ev)
	}
	waitFor(t, "the background eviction", func() bool { return usedMemory(t, r) <= max })
}

// Eviction honours lazyfree-lazy-eviction: large values go to the background freer.
func TestEvictLazyFree(t *testing.T) {
	_, r := evictNode(t, "allkeys-random")
	for k := 0; k < 20; k++ {
		args := []string{"HSET", "h:" + strconv.Itoa(k)}
		for i := 0; i < 1000; i++ { // a hashtable: a listpack is freed in one piece, on the executor
			args = append(args, "f"+strconv.Itoa(i), "value")
		}
		r.do(args...)
	}
	max := usedMemory(t, r) / 2
	mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory", strconv.FormatInt(max, 10))
	mustDo(t, r, "OK", "SET", "x", "y")
	ev := evictedKeys(t, r)
	if ev == 0 {
		t.Fatal("nothing evicted")
	}
	waitFor(t, "evicted hashes released in the background", func() bool {
		return infoInt(t, infoMap(t, r, "memory"), "lazyfreed_objects") >= ev-1 // x itself may be one
	})
}

func TestEvictionPoolKeepsBest(t *testing.T) {
	var p evictionPool
	for i := 0; i < 40; i++ {
		idle := uint64((i * 7) % 40)
		p.insert(evictCandidate{idle: idle, db: 0, key: "k" + strconv.Itoa(int(idle))})
		p.insert(evictCandidate{idle: idle, db: 0, key: "k" + strconv.Itoa(int(idle))}) // duplicates are ignored
	}
	if p.n != evictPoolSize {
		t.Fatalf("pool holds %d", p.n)
	}
	for want := 39; want >= 40-evictPoolSize; want-- {
		e, ok := p.popBest()
		if !ok || e.idle != uint64(want) {
			t.Fatalf("popBest: %+v, want idle %d", e, want)
		}
	}
	if _, ok := p.popBest(); ok {
		t.Fatal("pool not empty")
	}
}

func TestEvictTimeLimit(t *testing.T) {
	for _, c := range []struct {
		tenacity int64
		want     time.Duration
	}{{0, 0}, {1, 50 * time.Microsecond}, {10, 500 * time.Microsecond}, {100, -1}} {
		if got := evictTimeLimit(c.tenacity); got != c.want {
			t.Errorf("tenacity %d: %v, want %v", c.tenacity, got, c.want)
		}
	}
	if a, b := evictTimeLimit(11), evictTimeLimit(99); a <= 500*time.Microsecond || b <= a {
		t.Errorf("tenacity 11: %v, 99: %v", a, b)
	}
}
