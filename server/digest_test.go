package server

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

const zeroDigest = "0000000000000000000000000000000000000000"

// TestDigestScoreFormat checks the score layout of Valkey's digest (fpconv_dtoa's rules) on the values that
// exercise each branch: integers, plain decimals, the switch to exponents on both sides, and specials.
func TestDigestScoreFormat(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "-0"}, {1, "1"}, {-3, "-3"}, {1.5, "1.5"}, {0.25, "0.25"},
		{0.1, "0.1"}, {-2.5, "-2.5"}, {123.456, "123.456"}, {1234567.891, "1234567.891"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"},
		{1e7, "10000000"}, {12300000, "12300000"}, {1e8, "1e+8"}, {1.5e8, "150000000"}, {1e20, "1e+20"},
		{123456789012, "123456789012"}, {1e21, "1e+21"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
		{0.0001, "0.0001"}, {0.000001, "0.000001"}, {1e-7, "1e-7"}, {1.2345678e-5, "1.2345678e-5"},
		{0.1234567891, "0.1234567891"}, {5e-324, "5e-324"}, {1.0 / 3, "0.3333333333333333"},
		{-1e-10, "-1e-10"}, {9007199254740993, "9007199254740992"},
	} {
		if got := string(appendDigestScore(nil, tc.f)); got != tc.want {
			t.Errorf("score %v: got %q, want %q", tc.f, got, tc.want)
		}
	}
}

// TestDigestEmptyAndMissing: an empty data set and a missing key digest to forty zeros.
func TestDigestEmptyAndMissing(t *testing.T) {
	n := startNode(t, "enable-debug-command", "yes")
	r := n.raw()
	mustDo(t, r, zeroDigest, "DEBUG", "DIGEST")
	mustDo(t, r, "["+zeroDigest+" "+zeroDigest+"]", "DEBUG", "DIGEST-VALUE", "a", "b")
	mustDo(t, r, "[]", "DEBUG", "DIGEST-VALUE")
	mustDo(t, r, "OK", "SET", "a", "1")
	if d := r.do("DEBUG", "DIGEST"); d == zeroDigest || len(d) != 40 {
		t.Fatalf("DIGEST with one key = %s", d)
	}
	mustDo(t, r, ":1", "DEL", "a")
	mustDo(t, r, zeroDigest, "DEBUG", "DIGEST")
	mustDo(t, r, "-ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG HELP.", "DEBUG", "DIGEST", "x")
}

// TestDigestSemantics checks what the digest depends on: contents, list order, the database, the presence
// of a time to live (not its value); and what it does not: insertion order of unordered collections and
// the encoding a value happens to have.
func TestDigestSemantics(t *testing.T) {
	n := startNode(t, "enable-debug-command", "yes")
	r := n.raw()
	digestOf := func(key string) string {
		t.Helper()
		v := r.call("DEBUG", "DIGEST-VALUE", key)
		if len(v.elems) != 1 {
			t.Fatalf("DIGEST-VALUE %s = %s", key, v)
		}
		return v.elems[0].str
	}
	run := func(cmds ...string) {
		t.Helper()
		for _, c := range cmds {
			if got := r.do(strings.Fields(c)...); strings.HasPrefix(got, "-") {
				t.Fatalf("%s: %s", c, got)
			}
		}
	}
	same := func(a, b string) {
		t.Helper()
		if da, db := digestOf(a), digestOf(b); da != db || da == zeroDigest {
			t.Errorf("%s and %s should digest alike: %s %s", a, b, da, db)
		}
	}
	differ := func(a, b string) {
		t.Helper()
		if da, db := digestOf(a), digestOf(b); da == db {
			t.Errorf("%s and %s should digest differently: both %s", a, b, da)
		}
	}

	run("SADD s1 a b c", "SADD s2 c b a", "SADD s3 a b d")
	same("s1", "s2")
	differ("s1", "s3")
	run("HSET h1 f1 v1 f2 v2", "HSET h2 f2 v2 f1 v1", "HSET h3 f1 v2 f2 v1")
	same("h1", "h2")
	differ("h1", "h3") // the pairing of field and value counts
	run("ZADD z1 1 a 2 b", "ZADD z2 2 b 1 a", "ZADD z3 2 a 1 b")
	same("z1", "z2")
	differ("z1", "z3")
	run("RPUSH l1 a b c", "LPUSH l2 c b a", "RPUSH l3 c b a")
	same("l1", "l2")
	differ("l1", "l3") // lists are ordered
	run("SET str1 foobar", "SET str2 foo", "APPEND str2 bar", "SET str3 fooba")
	same("str1", "str2")
	differ("str1", "str3")
	// the type is part of it: a one-element list is not the string it holds
	run("SET t1 x", "RPUSH t2 x")
	differ("t1", "t2")

	// encodings do not matter: grow past the small-encoding limits, shrink back, compare with a fresh one
	var many []string
	for i := 0; i < 600; i++ {
		many = append(many, strconv.Itoa(i))
	}
	run("SADD bigset "+strings.Join(many, " "), "SREM bigset "+strings.Join(many[3:], " "), "SADD smallset 0 1 2")
	mustDo(t, r, `"hashtable"`, "OBJECT", "ENCODING", "bigset")
	mustDo(t, r, `"intset"`, "OBJECT", "ENCODING", "smallset")
	same("bigset", "smallset")
	var pairs, zpairs []string
	for i := 0; i < 600; i++ {
		pairs = append(pairs, "f"+strconv.Itoa(i), "v")
		if i < 200 {
			zpairs = append(zpairs, strconv.Itoa(i), "m"+strconv.Itoa(i))
		}
	}
	run("HSET bighash "+strings.Join(pairs, " "), "HSET smallhash f0 v")
	for i := 1; i < 600; i++ {
		run("HDEL bighash f" + strconv.Itoa(i))
	}
	mustDo(t, r, `"hashtable"`, "OBJECT", "ENCODING", "bighash")
	same("bighash", "smallhash")
	run("ZADD bigz "+strings.Join(zpairs, " "), "ZREMRANGEBYRANK bigz 1 -1", "ZADD smallz 0 m0")
	mustDo(t, r, `"skiplist"`, "OBJECT", "ENCODING", "bigz")
	same("bigz", "smallz")

	// a time to live adds a mark, whatever the time
	run("SET e1 v", "SET e2 v EX 100", "SET e3 v EX 5000")
	differ("e1", "e2")
	same("e2", "e3")

	// the whole data set: order of creation does not matter, the database does
	mustDo(t, r, "OK", "FLUSHALL")
	run("SET a 1", "SADD b x y", "RPUSH c 1 2")
	d1 := r.do("DEBUG", "DIGEST")
	mustDo(t, r, "OK", "FLUSHALL")
	run("RPUSH c 1 2", "SADD b y x", "SET a 1")
	if d2 := r.do("DEBUG", "DIGEST"); d2 != d1 {
		t.Errorf("same data, other insertion order: %s vs %s", d1, d2)
	}
	mustDo(t, r, "OK", "SWAPDB", "0", "1")
	if d3 := r.do("DEBUG", "DIGEST"); d3 == d1 || d3 == zeroDigest {
		t.Errorf("moving the data to database 1 should change the digest: %s", d3)
	}
}

// digestFixture fills a server with one key of every kind and encoding, with scores and expiries chosen
// so that Redis 7.0 (which formats scores with %.17g) and Valkey (fpconv) print them alike.
func digestFixture(t *testing.T, r *rawConn) []string {
	t.Helper()
	var big []string
	for i := 0; i < 700; i++ {
		big = append(big, "m"+strconv.Itoa(i))
	}
	var ints []string
	for i := 0; i < 600; i++ {
		ints = append(ints, strconv.Itoa(i*7-100))
	}
	var hpairs, zpairs []string
	for i := 0; i < 300; i++ {
		hpairs = append(hpairs, "field"+strconv.Itoa(i), strings.Repeat("v", i%90))
		zpairs = append(zpairs, strconv.Itoa(i-150)+".5", "member"+strconv.Itoa(i))
	}
	cmds := [][]string{
		{"SET", "str", "hello world"},
		{"SET", "int", "12345"},
		{"SET", "negint", "-987654321"},
		{"SET", "bigint", "9223372036854775807"},
		{"SET", "long", strings.Repeat("abc", 100)},
		{"SET", "empty", ""},
		{"SET", "bin", "\x00\x01\xff\r\n"},
		{"SET", "ttlstr", "expiring", "EX", "1000"},
		{"RPUSH", "list", "a", "b", "c", "1", "2"},
		append([]string{"RPUSH", "biglist"}, big...),
		{"RPUSH", "hugeelem", strings.Repeat("x", 10000), "y"},
		{"SADD", "intset", "1", "2", "3", "-5"},
		{"SADD", "strset", "a", "b", "c"},
		append([]string{"SADD", "bigintset"}, ints...),
		append([]string{"SADD", "bigset"}, big...),
		{"HSET", "hash", "f1", "v1", "f2", "2"},
		append([]string{"HSET", "bighash"}, hpairs...),
		{"ZADD", "zset", "1.5", "a", "2", "b", "-3", "c", "0.25", "d", "inf", "e", "-inf", "f", "0", "g"},
		append([]string{"ZADD", "bigzset"}, zpairs...),
		{"ZADD", "zint", "1", "100", "2", "200"},
		{"HSET", "ttlhash", "a", "b"},
		{"PEXPIREAT", "ttlhash", "99999999999999"},
	}
	keys := []string{}
	for _, c := range cmds {
		if got := r.do(c...); strings.HasPrefix(got, "-") {
			t.Fatalf("%s: %s", c[0], got)
		}
		if c[0] != "PEXPIREAT" {
			keys = append(keys, c[1])
		}
	}
	// a second database, so that the database number is mixed in
	for _, c := range [][]string{{"SELECT", "3"}, {"SET", "db3key", "v"}, {"SADD", "db3set", "q"}, {"SELECT", "0"}} {
		if got := r.do(c...); got != "OK" && got != ":1" {
			t.Fatalf("%v: %s", c, got)
		}
	}
	return keys
}

// TestDigestMatchesRedis fills valkey-node and a real redis-server with the same data and compares DEBUG
// DIGEST and DEBUG DIGEST-VALUE of every key.
func TestDigestMatchesRedis(t *testing.T) {
	rs, _ := startRedisServer(t, "--enable-debug-command", "yes")
	n := startNode(t, "enable-debug-command", "yes")
	r := n.raw()
	keys := digestFixture(t, r)
	digestFixture(t, rs)
	for _, k := range keys {
		want := rs.do("DEBUG", "DIGEST-VALUE", k)
		if got := r.do("DEBUG", "DIGEST-VALUE", k); got != want {
			t.Errorf("DIGEST-VALUE %s: got %s, redis-server %s", k, got, want)
		}
	}
	all := append([]string{"DEBUG", "DIGEST-VALUE"}, keys...)
	if got, want := r.do(all...), rs.do(all...); got != want {
		t.Errorf("DIGEST-VALUE of all keys: got %s, redis-server %s", got, want)
	}
	want := rs.do("DEBUG", "DIGEST")
	if got := r.do("DEBUG", "DIGEST"); got != want {
		t.Errorf("DEBUG DIGEST: got %s, redis-server %s", got, want)
	}
	if want == zeroDigest {
		t.Fatal("the fixture left redis-server empty")
	}
}
