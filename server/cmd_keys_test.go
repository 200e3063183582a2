package server

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// The expected replies below were checked against redis-server 7.0; the SCAN cursor and TYPE checks and
// the COPY/MOVE range error follow Valkey 8 where it differs.
func TestKeyCommands(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	t.Run("generic and expire", func(t *testing.T) {
		runSteps(t, r, []kvStep{
			{"FLUSHALL", "OK"},
			{"MSET a 1 b 2 c 3", "OK"},
			{"DEL a a nosuch", ":1"},
			{"UNLINK b c b", ":2"},
			{"DBSIZE", ":0"},
			{"MSET a 1 b 2", "OK"},
			{"EXISTS a a b nosuch", ":3"},
			{"TYPE a", "string"},
			{"TYPE nosuch", "none"},
			{"TOUCH a b nosuch a", ":3"},
			{"EXPIRE a 100 NX XX", "-ERR NX and XX, GT or LT options at the same time are not compatible"},
			{"EXPIRE a 100 NX GT", "-ERR NX and XX, GT or LT options at the same time are not compatible"},
			{"EXPIRE a 100 NX LT", "-ERR NX and XX, GT or LT options at the same time are not compatible"},
			{"EXPIRE a 100 GT LT", "-ERR GT and LT options at the same time are not compatible"},
			{"EXPIRE a 100 FOO", "-ERR Unsupported option FOO"},
			{"EXPIRE a 100 XX GT XX", ":0"},
			{"EXPIRE a abc", "-ERR value is not an integer or out of range"},
			{"EXPIRE a abc FOO", "-ERR Unsupported option FOO"},
			{"EXPIRE a 9223372036854775807", "-ERR invalid expire time in 'expire' command"},
			{"EXPIRE a -9223372036854775808", "-ERR invalid expire time in 'expire' command"},
			{"PEXPIRE a 9223372036854775807", "-ERR invalid expire time in 'pexpire' command"},
			{"EXPIREAT a 9223372036854775807", "-ERR invalid expire time in 'expireat' command"},
			{"PEXPIREAT a 9223372036854775807", ":1"},
			{"EXPIRE a 9223372036854775", "-ERR invalid expire time in 'expire' command"},
			{"EXPIRE nosuch 100", ":0"},
			{"EXPIRE a 100 XX", ":1"},
			{"EXPIRE a 100 NX", ":0"},
			{"EXPIRE a 200 GT", ":1"},
			{"EXPIRE a 50 GT", ":0"},
			{"EXPIRE a 50 LT", ":1"},
			{"EXPIRE a 500 LT", ":0"},
			{"PERSIST a", ":1"},
			{"PERSIST a", ":0"},
			{"PERSIST nosuch", ":0"},
			{"EXPIRE a 100 GT", ":0"},
			{"EXPIRE a 100 LT", ":1"},
			{"PERSIST a", ":1"},
			{"TTL nosuch", ":-2"},
			{"PTTL nosuch", ":-2"},
			{"TTL b", ":-1"},
			{"PTTL b", ":-1"},
			{"EXPIRETIME b", ":-1"},
			{"PEXPIRETIME b", ":-1"},
			{"EXPIRETIME nosuch", ":-2"},
			{"EXPIREAT b 4000000000", ":1"},
			{"EXPIRETIME b", ":4000000000"},
			{"PEXPIRETIME b", ":4000000000000"},
			{"PEXPIREAT b 4000000000123", ":1"},
			{"EXPIRETIME b", ":4000000000"},
			{"PEXPIRETIME b", ":4000000000123"},
			{"EXPIRE b -1", ":1"},
			{"EXISTS b", ":0"},
			{"SET b 2", "OK"},
			{"PEXPIREAT b 1", ":1"},
			{"EXISTS b", ":0"},
			{"SET b 2", "OK"},
			{"EXPIREAT b 0", ":1"},
			{"EXISTS b", ":0"},
			{"SET b 2", "OK"},
			{"EXPIRE b 0 XX", ":0"},
			{"EXISTS b", ":1"},
			{"EXPIRE b 0 NX", ":1"},
			{"EXISTS b", ":0"},
			{"KEYS *", `["a"]`},
		})
	})
	t.Run("keys and scan arguments", func(t *testing.T) {
		runSteps(t, r, []kvStep{
			{"MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5", "OK"},
			{"KEYS nomatch*", "[]"},
			{"SCAN abc", "-ERR invalid cursor"},
			{"SCAN -1", "-ERR invalid cursor"},
			{"SCAN 18446744073709551616", "-ERR invalid cursor"},
			{"SCAN 0 COUNT 0", "-ERR syntax error"},
			{"SCAN 0 COUNT -1", "-ERR syntax error"},
			{"SCAN 0 COUNT abc", "-ERR value is not an integer or out of range"},
			{"SCAN 0 COUNT", "-ERR syntax error"},
			{"SCAN 0 MATCH", "-ERR syntax error"},
			{"SCAN 0 FOO bar", "-ERR syntax error"},
			{"SCAN 0 TYPE string1", "-ERR unknown type name 'string1'"},
			{"SCAN 0 TYPE", "-ERR syntax error"},
			{"SCAN 0 NOVALUES", "-ERR syntax error"},
			{"SCAN 0 COUNT 9223372036854775807 MATCH nomatch*", `["0" []]`},
			{"SCAN 18446744073709551615 MATCH nomatch*", `["0" []]`},
		})
	})
	t.Run("rename copy move and databases", func(t *testing.T) {
		runSteps(t, r, []kvStep{
			{"RENAME nosuch x", "-ERR no such key"},
			{"RENAME nosuch nosuch", "-ERR no such key"},
			{"RENAMENX nosuch x", "-ERR no such key"},
			{"RENAME a a", "OK"},
			{"RENAMENX a a", ":0"},
			{"SET r1 v1", "OK"},
			{"EXPIRE r1 1000", ":1"},
			{"RENAME r1 r2", "OK"},
			{"EXISTS r1", ":0"},
			{"GET r2", `"v1"`},
			{"SET r3 v3", "OK"},
			{"RENAME r3 r2", "OK"},
			{"TTL r2", ":-1"},
			{"GET r2", `"v3"`},
			{"SET r4 v4", "OK"},
			{"RENAMENX r4 r2", ":0"},
			{"RENAMENX r4 r5", ":1"},
			{"GET r5", `"v4"`},
			{"COPY r5 r6", ":1"},
			{"GET r6", `"v4"`},
			{"COPY r5 r6", ":0"},
			{"COPY r5 r6 REPLACE", ":1"},
			{"COPY r5 r5", "-ERR source and destination objects are the same"},
			{"COPY r5 r5 DB 0", "-ERR source and destination objects are the same"},
			{"COPY r5 r5 DB 1", ":1"},
			{"COPY r5 x DB 16", "-ERR DB index is out of range"},
			{"COPY r5 x DB -1", "-ERR DB index is out of range"},
			{"COPY r5 x DB abc", "-ERR value is not an integer or out of range"},
			{"COPY r5 x DB 99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647"},
			{"COPY r5 x DB", "-ERR syntax error"},
			{"COPY r5 x FOO", "-ERR syntax error"},
			{"COPY nosuch x", ":0"},
			{"COPY r5 x REPLACE REPLACE DB 2 DB 3", ":1"},
			{"MOVE r5 0", "-ERR source and destination objects are the same"},
			{"MOVE r5 16", "-ERR DB index is out of range"},
			{"MOVE r5 abc", "-ERR value is not an integer or out of range"},
			{"MOVE r5 -1", "-ERR DB index is out of range"},
			{"MOVE nosuch 1", ":0"},
			{"MOVE r5 1", ":0"},
			{"MOVE r6 1", ":1"},
			{"EXISTS r5", ":1"},
			{"SELECT 1", "OK"},
			{"GET r5", `"v4"`},
			{"DBSIZE", ":2"},
			{"SELECT 3", "OK"},
			{"GET x", `"v4"`},
			{"SELECT 0", "OK"},
			{"SWAPDB 0 1", "OK"},
			{"SWAPDB 0 16", "-ERR DB index is out of range"},
			{"SWAPDB abc 1", "-ERR invalid first DB index"},
			{"SWAPDB 0 abc", "-ERR invalid second DB index"},
			{"SWAPDB -1 0", "-ERR DB index is out of range"},
			{"SWAPDB 0 0", "OK"},
			{"DBSIZE", ":2"},
			{"GET r5", `"v4"`},
			{"SWAPDB 0 1", "OK"},
			{"FLUSHDB FOO", "-ERR syntax error"},
			{"FLUSHDB ASYNC SYNC", "-ERR syntax error"},
			{"FLUSHALL FOO", "-ERR syntax error"},
			{"FLUSHDB async", "OK"},
			{"DBSIZE", ":0"},
			{"SELECT 1", "OK"},
			{"DBSIZE", ":2"},
			{"FLUSHALL SYNC", "OK"},
			{"DBSIZE", ":0"},
			{"SELECT 0", "OK"},
			{"RANDOMKEY", "(nil)"},
			{"SCAN 0", `["0" []]`},
			{"KEYS *", "[]"},
			{"FLUSHALL", "OK"},
		})
	})
}

// sortedReply renders an array reply's elements sorted, for commands whose order is the hash order.
func sortedReply(t *testing.T, r *rawConn, args ...string) string {
	t.Helper()
	got := r.do(args...)
	if !strings.HasPrefix(got, "[") {
		return got
	}
	items := strings.Fields(strings.Trim(got, "[]"))
	sort.Strings(items)
	return "[" + strings.Join(items, " ") + "]"
}

// setActiveExpire switches the periodic expiry cycle, so that tests can observe keys that expired but
// were not reclaimed yet.
func setActiveExpire(n *testNode, on bool) {
	n.srv.mu.Lock()
	n.srv.activeExpire = on
	n.srv.mu.Unlock()
}

// dbLen is the number of keys physically in database id, expired or not.
func dbLen(n *testNode, id int) int {
	n.srv.mu.Lock()
	defer n.srv.mu.Unlock()
	return n.srv.dbs[id].Len()
}

func TestKeysPattern(t *testing.T) {
	n := startNode(t)
	setActiveExpire(n, false)
	r := n.raw()
	r.do("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5", "h\x00llo", "6", "H*llo", "7")
	cases := []struct{ pattern, want string }{
		{"*", `["H*llo" "h\x00llo" "hallo" "heeeello" "hello" "hllo" "hxllo"]`},
		{"h?llo", `["h\x00llo" "hallo" "hello" "hxllo"]`},
		{"h*llo", `["h\x00llo" "hallo" "heeeello" "hello" "hllo" "hxllo"]`},
		{"h[ae]llo", `["hallo" "hello"]`},
		{"h[^e]llo", `["h\x00llo" "hallo" "hxllo"]`},
		{"h[a-b]llo", `["hallo"]`},
		{`H\*llo`, `["H*llo"]`},
		{"x*", "[]"},
	}
	for _, c := range cases {
		if got := sortedReply(t, r, "KEYS", c.pattern); got != c.want {
			t.Errorf("KEYS %q = %s, want %s", c.pattern, got, c.want)
		}
	}
	// an expired key that was not reclaimed yet is not listed, and KEYS does not reclaim it
	r.do("PEXPIRE", "hello", "1")
	time.Sleep(5 * time.Millisecond)
	if got := sortedReply(t, r, "KEYS", "h?llo"); got != `["h\x00llo" "hallo" "hxllo"]` {
		t.Errorf("KEYS with an expired key: %s", got)
	}
	if got := r.do("DBSIZE"); got != ":7" {
		t.Errorf("DBSIZE after KEYS = %s, want :7 (the expired key is reclaimed lazily)", got)
	}
}

// TYPE knows every type name, and SCAN TYPE filters by them (case-insensitively).
func TestTypeNames(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	r.do("SET", "s", "v")
	kinds := map[string]keyspace.Kind{"l": keyspace.KindList, "st": keyspace.KindSet, "z": keyspace.KindZSet,
		"h": keyspace.KindHash, "x": keyspace.KindStream}
	for k, kind := range kinds {
		putKind(n, 0, k, kind)
	}
	runSteps(t, r, []kvStep{
		{"TYPE s", "string"},
		{"TYPE l", "list"},
		{"TYPE st", "set"},
		{"TYPE z", "zset"},
		{"TYPE h", "hash"},
		{"TYPE x", "stream"},
		{"TYPE nosuch", "none"},
		{"SCAN 0 TYPE list COUNT 100", `["0" ["l"]]`},
		{"SCAN 0 TYPE ZSET COUNT 100", `["0" ["z"]]`},
		{"SCAN 0 TYPE Stream COUNT 100", `["0" ["x"]]`},
		{"SCAN 0 TYPE string COUNT 100", `["0" ["s"]]`},
		{"SCAN 0 TYPE hash MATCH z COUNT 100", `["0" []]`},
		{"SCAN 0 TYPE none", "-ERR unknown type name 'none'"},
	})
}

// scanAll runs a whole SCAN iteration with the given options, calling between each call, and returns
// every key with the number of times it was returned plus the size of each batch.
func scanAll(t *testing.T, r *rawConn, between func(), opts ...string) (map[string]int, []int) {
	t.Helper()
	seen := map[string]int{}
	var batches []int
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 1_000_000 {
			t.Fatal("SCAN does not terminate")
		}
		r.cmd(append([]string{"SCAN", cursor}, opts...)...)
		if l := r.line(); l != "*2" {
			t.Fatalf("SCAN reply header %q", l)
		}
		l := r.line()
		if l[0] != '$' {
			t.Fatalf("SCAN cursor %q", l)
		}
		cursor = r.line()
		l = r.line()
		cnt, err := strconv.Atoi(l[1:])
		if l[0] != '*' || err != nil {
			t.Fatalf("SCAN keys header %q", l)
		}
		for i := 0; i < cnt; i++ {
			r.line() // $len
			seen[r.line()]++
		}
		batches = append(batches, cnt)
		if cursor == "0" {
			return seen, batches
		}
		if between != nil {
			between()
		}
	}
}

// msetMany writes keys prefix0..prefixN-1 in batches.
func msetMany(t *testing.T, r *rawConn, prefix string, from, to int) {
	t.Helper()
	for i := from; i < to; i += 500 {
		args := []string{"MSET"}
		for j := i; j < min(i+500, to); j++ {
			args = append(args, prefix+strconv.Itoa(j), "v")
		}
		if got := r.do(args...); got != "OK" {
			t.Fatal(got)
		}
	}
}

// The SCAN guarantee: a full iteration returns every key that exists from its start to its end, even
// while the table grows and shrinks between calls; COUNT, MATCH and TYPE are honoured.
func TestScanGuarantee(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	w := n.raw()
	const keep = 10000
	msetMany(t, r, "keep:", 0, keep)

	t.Run("COUNT", func(t *testing.T) {
		for _, count := range []int{10, 1000} {
			seen, batches := scanAll(t, r, nil, "COUNT", strconv.Itoa(count))
			if len(seen) != keep {
				t.Fatalf("COUNT %d: %d distinct keys, want %d", count, len(seen), keep)
			}
			for i, b := range batches {
				// each call samples buckets until COUNT keys were seen: a call returns at least COUNT
				// keys (unless it ends the iteration) and at most COUNT plus one bucket's chain
				if (i < len(batches)-1 && b < count) || b > count+32 {
					t.Fatalf("COUNT %d: batch %d has %d keys", count, i, b)
				}
			}
			if max := keep/count + 1; len(batches) > max {
				t.Errorf("COUNT %d: %d calls, want at most %d", count, len(batches), max)
			}
		}
	})

	t.Run("resizing", func(t *testing.T) {
		// with 2000 keys that stay, grow the table sixteenfold during the first part of the iteration and
		// then delete the extra keys again, so that the cursor crosses growing and shrinking rehashes
		w.do("FLUSHDB")
		const stay = 2000
		msetMany(t, r, "stay:", 0, stay)
		grown, shrinking, calls := 0, false, 0
		between := func() {
			calls++
			if calls%2 != 0 {
				return
			}
			switch {
			case !shrinking && grown < 30000:
				msetMany(t, w, "tmp:", grown, grown+2000)
				grown += 2000
			case grown > 0:
				shrinking = true
				args := []string{"DEL"}
				for j := 0; j < 3000 && grown > 0; j++ {
					grown--
					args = append(args, "tmp:"+strconv.Itoa(grown))
				}
				w.do(args...)
			}
		}
		seen, _ := scanAll(t, r, between, "COUNT", "10")
		if !shrinking || grown != 0 {
			t.Fatalf("the iteration ended before the table grew and shrank (%d extra keys left)", grown)
		}
		missing := 0
		for i := 0; i < stay; i++ {
			if seen["stay:"+strconv.Itoa(i)] == 0 {
				missing++
			}
		}
		if missing > 0 {
			t.Fatalf("%d keys present for the whole iteration were not returned", missing)
		}
		w.do("FLUSHDB")
		msetMany(t, r, "keep:", 0, keep)
	})

	t.Run("MATCH and TYPE", func(t *testing.T) {
		for i := 0; i < 100; i++ {
			putKind(n, 0, "other:"+strconv.Itoa(i), keyspace.KindHash)
		}
		seen, _ := scanAll(t, r, nil, "MATCH", "keep:1*", "COUNT", "100")
		want := 0
		for i := 0; i < keep; i++ {
			if strings.HasPrefix(strconv.Itoa(i), "1") {
				want++
			}
		}
		for k := range seen {
			if !strings.HasPrefix(k, "keep:1") {
				t.Fatalf("MATCH keep:1* returned %q", k)
			}
		}
		if len(seen) != want {
			t.Errorf("MATCH keep:1*: %d keys, want %d", len(seen), want)
		}
		seen, _ = scanAll(t, r, nil, "TYPE", "hash", "COUNT", "100")
		if len(seen) != 100 {
			t.Errorf("TYPE hash: %d keys, want 100", len(seen))
		}
		for k := range seen {
			if !strings.HasPrefix(k, "other:") {
				t.Fatalf("TYPE hash returned %q", k)
			}
		}
		seen, _ = scanAll(t, r, nil, "TYPE", "string", "MATCH", "*:99*")
		if len(seen) != 111 { // keep:99, keep:990..999, keep:9900..9999
			t.Errorf("TYPE string MATCH *:99*: %d keys, want 111", len(seen))
		}
	})
}

// SCAN drops keys that expired and reclaims them; RANDOMKEY never returns an expired key.
func TestScanAndRandomKeySkipExpired(t *testing.T) {
	n := startNode(t)
	setActiveExpire(n, false)
	r := n.raw()
	if got := r.do("RANDOMKEY"); got != "(nil)" {
		t.Fatalf("RANDOMKEY on an empty database = %s", got)
	}
	msetMany(t, r, "gone:", 0, 200)
	for i := 0; i < 200; i++ {
		r.do("PEXPIRE", "gone:"+strconv.Itoa(i), "1")
	}
	r.do("SET", "live", "v")
	time.Sleep(5 * time.Millisecond)
	for i := 0; i < 20; i++ {
		if got := r.do("RANDOMKEY"); got != `"live"` {
			t.Fatalf("RANDOMKEY = %s, want the only live key", got)
		}
	}
	seen, _ := scanAll(t, r, nil, "COUNT", "7")
	if len(seen) != 1 || seen["live"] != 1 {
		t.Fatalf("SCAN returned %v, want only live", seen)
	}
	if got := dbLen(n, 0); got != 1 {
		t.Fatalf("%d keys left after SCAN and RANDOMKEY, want the expired ones reclaimed", got)
	}
	r.do("PEXPIRE", "live", "1")
	time.Sleep(5 * time.Millisecond)
	if got := r.do("RANDOMKEY"); got != "(nil)" {
		t.Fatalf("RANDOMKEY with only expired keys = %s", got)
	}
}

// RENAME, COPY and MOVE keep the time to live, across databases too; COPY duplicates the value.
func TestRenameCopyMoveKeepTTL(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	const limit = 100000
	ttlIn := func(key string) {
		t.Helper()
		if v := pttl(t, r, key); v <= 0 || v > limit {
			t.Errorf("PTTL %s = %d, want in (0, %d]", key, v, limit)
		}
	}
	runSteps(t, r, []kvStep{
		{"SET k v PX 100000", "OK"},
		{"RENAME k k2", "OK"},
		{"EXISTS k", ":0"},
	})
	ttlIn("k2")
	runSteps(t, r, []kvStep{
		{"SET dst old", "OK"},
		{"RENAME k2 dst", "OK"},
		{"GET dst", `"v"`},
	})
	ttlIn("dst")
	runSteps(t, r, []kvStep{
		{"COPY dst cp DB 2", ":1"},
		{"MOVE dst 3", ":1"},
		{"EXISTS dst", ":0"},
		{"SELECT 2", "OK"},
		{"GET cp", `"v"`},
	})
	ttlIn("cp")
	runSteps(t, r, []kvStep{
		{"APPEND cp 2", ":2"},
		{"SELECT 3", "OK"},
		{"GET dst", `"v"`},
	})
	ttlIn("dst")
	runSteps(t, r, []kvStep{
		{"SET plain p", "OK"},
		{"MOVE plain 0", ":1"},
		{"COPY dst plain DB 0", ":0"},
		{"COPY dst plain DB 0 REPLACE", ":1"},
		{"SELECT 0", "OK"},
		{"GET plain", `"v"`},
	})
	ttlIn("plain")
	// a copy without a time to live replaces one with it and leaves none
	runSteps(t, r, []kvStep{
		{"SET src s", "OK"},
		{"COPY src plain REPLACE", ":1"},
		{"PTTL plain", ":-1"},
		{"SET m x", "OK"},
		{"SELECT 4", "OK"},
		{"SET m y", "OK"},
		{"SELECT 0", "OK"},
		{"MOVE m 4", ":0"},
		{"GET m", `"x"`},
		{"OBJECT ENCODING src", `"embstr"`},
		{"APPEND src x", ":2"},
		{"COPY src src2", ":1"},
		{"OBJECT ENCODING src2", `"raw"`},
		{"SET i 12", "OK"},
		{"COPY i i2", ":1"},
		{"OBJECT ENCODING i2", `"int"`},
		{"INCR i2", ":13"},
		{"GET i", `"12"`},
	})
}

func TestFlushAndSwapDB(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	other := n.raw()
	for _, db := range []string{"0", "1", "5"} {
		r.do("SELECT", db)
		msetMany(t, r, "db"+db+":", 0, 100)
		r.do("SET", "ttl", db, "EX", "1000")
	}
	runSteps(t, r, []kvStep{
		{"SELECT 5", "OK"},
		{"FLUSHDB", "OK"},
		{"DBSIZE", ":0"},
		{"SELECT 1", "OK"},
		{"DBSIZE", ":101"},
		{"SWAPDB 1 0", "OK"},
		{"GET db1:0", "(nil)"},
		{"GET db0:0", `"v"`},
		{"GET ttl", `"0"`},
	})
	if v := pttl(t, r, "ttl"); v <= 0 {
		t.Errorf("TTL not swapped with its key: %d", v)
	}
	// another client stays on database 0 and sees what was in 1
	runSteps(t, other, []kvStep{
		{"GET db1:0", `"v"`},
		{"GET ttl", `"1"`},
		{"SWAPDB 0 1", "OK"},
		{"GET db0:0", `"v"`},
		{"FLUSHALL ASYNC", "OK"},
		{"DBSIZE", ":0"},
	})
	for id := 0; id < 16; id++ {
		if l := dbLen(n, id); l != 0 {
			t.Errorf("database %d holds %d keys after FLUSHALL", id, l)
		}
	}
	runSteps(t, r, []kvStep{
		{"DBSIZE", ":0"},
		{"SET a 1", "OK"},
		{"FLUSHALL SYNC", "OK"},
		{"GET a", "(nil)"},
		{"FLUSHDB SYNC", "OK"},
		{"FLUSHDB ASYNC", "OK"},
	})
}

// OBJECT IDLETIME follows reads and writes; EXISTS, TYPE, TTL and OBJECT itself do not touch the key,
// TOUCH does.
func TestObjectIdletimeAndTouch(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	age := func(key string) {
		n.srv.mu.Lock()
		n.srv.dbs[0].Get([]byte(key)).LRU -= 1000
		n.srv.mu.Unlock()
	}
	idle := func(key string) int64 {
		t.Helper()
		got := r.do("OBJECT", "IDLETIME", key)
		v, err := strconv.ParseInt(strings.TrimPrefix(got, ":"), 10, 64)
		if err != nil {
			t.Fatalf("OBJECT IDLETIME %s = %s", key, got)
		}
		return v
	}
	r.do("SET", "k", "v")
	age("k")
	for _, cmd := range [][]string{{"EXISTS", "k"}, {"TYPE", "k"}, {"TTL", "k"}, {"OBJECT", "ENCODING", "k"}, {"SCAN", "0"}, {"KEYS", "*"}} {
		r.do(cmd...)
		if v := idle("k"); v < 1000 {
			t.Errorf("%q touched the key (idle %d)", cmd, v)
		}
	}
	for _, cmd := range [][]string{{"GET", "k"}, {"TOUCH", "k", "nosuch"}, {"APPEND", "k", "x"}, {"STRLEN", "k"}} {
		age("k")
		r.do(cmd...)
		if v := idle("k"); v >= 1000 {
			t.Errorf("%q did not touch the key (idle %d)", cmd, v)
		}
	}
	if got := r.do("TOUCH", "k", "k", "nosuch"); got != ":2" {
		t.Errorf("TOUCH = %s", got)
	}
}

// The generic key commands through go-redis, RESP2 and RESP3.
func TestKeyCommandsGoRedis(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			c := n.client(func(o *redis.Options) { o.Protocol = proto })
			c.FlushAll(ctx)
			c.MSet(ctx, "a", "1", "b", "2")
			steps := []struct {
				name string
				do   func() (any, error)
				want string
			}{
				{"EXISTS", func() (any, error) { return c.Exists(ctx, "a", "a", "nosuch").Result() }, "2"},
				{"TYPE", func() (any, error) { return c.Type(ctx, "a").Result() }, "string"},
				{"EXPIRE NX", func() (any, error) { return c.ExpireNX(ctx, "a", time.Hour).Result() }, "true"},
				{"EXPIRE NX again", func() (any, error) { return c.ExpireNX(ctx, "a", time.Hour).Result() }, "false"},
				{"EXPIREAT", func() (any, error) { return c.ExpireAt(ctx, "b", time.Unix(4000000000, 0)).Result() }, "true"},
				{"EXPIRETIME", func() (any, error) { return c.ExpireTime(ctx, "b").Result() }, "1111111h6m40s"},
				{"TTL missing", func() (any, error) { return c.TTL(ctx, "nosuch").Result() }, "-2ns"},
				{"PERSIST", func() (any, error) { return c.Persist(ctx, "b").Result() }, "true"},
				{"TTL none", func() (any, error) { return c.TTL(ctx, "b").Result() }, "-1ns"},
				{"SCAN", func() (any, error) {
					keys, cursor, err := c.Scan(ctx, 0, "a*", 100).Result()
					return fmt.Sprint(keys, cursor), err
				}, "[a] 0"},
				{"SCAN TYPE", func() (any, error) {
					keys, cursor, err := c.ScanType(ctx, 0, "", 100, "list").Result()
					return fmt.Sprint(keys, cursor), err
				}, "[] 0"},
				{"KEYS", func() (any, error) { return c.Keys(ctx, "b").Result() }, "[b]"},
				{"COPY", func() (any, error) { return c.Copy(ctx, "a", "c", 1, false).Result() }, "1"},
				{"RENAME", func() (any, error) { return c.Rename(ctx, "b", "d").Result() }, "OK"},
				{"RENAME missing", func() (any, error) { return c.Rename(ctx, "b", "d").Result() }, "error: ERR no such key"},
				{"RENAMENX", func() (any, error) { return c.RenameNX(ctx, "d", "a").Result() }, "false"},
				{"MOVE", func() (any, error) { return c.Move(ctx, "d", 2).Result() }, "true"},
				{"DEL", func() (any, error) { return c.Del(ctx, "a", "d", "nosuch").Result() }, "1"},
				{"RANDOMKEY", func() (any, error) { return c.RandomKey(ctx).Result() }, "error: redis: nil"},
				{"DBSIZE", func() (any, error) { return c.DBSize(ctx).Result() }, "0"},
				{"SWAPDB", func() (any, error) { return c.Do(ctx, "SWAPDB", 0, 2).Result() }, "OK"},
				{"DBSIZE after SWAPDB", func() (any, error) { return c.DBSize(ctx).Result() }, "1"},
				{"OBJECT IDLETIME", func() (any, error) { return c.ObjectIdleTime(ctx, "nosuch").Result() }, "error: redis: nil"},
				{"FLUSHDB", func() (any, error) { return c.FlushDBAsync(ctx).Result() }, "OK"},
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
