package server

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/rdb"
	"github.com/valkey-node/valkey-node/server/rdb/crc64"
)

// withFooter turns a payload body (type byte and value) into a DUMP payload of the given RDB version with
// a valid checksum.
func withFooter(body []byte, version uint16) []byte {
	p := append([]byte(nil), body...)
	p = binary.LittleEndian.AppendUint16(p, version)
	return binary.LittleEndian.AppendUint64(p, crc64.Checksum(p))
}

// payloadBody strips the version and checksum from a DUMP payload.
func payloadBody(t testing.TB, p string) []byte {
	t.Helper()
	if len(p) < 10 {
		t.Fatalf("payload of %d bytes", len(p))
	}
	return []byte(p[:len(p)-10])
}

// dumpOf returns the DUMP payload of key, failing the test when there is none.
func dumpOf(t testing.TB, r *rawConn, key string) string {
	t.Helper()
	v := r.call("DUMP", key)
	if v.kind != '$' {
		t.Fatalf("DUMP %s = %s", key, v)
	}
	return v.str
}

// valueContents renders a key's value in a form that does not depend on the server's iteration order.
func valueContents(t *testing.T, r *rawConn, key string) string {
	t.Helper()
	typ := r.do("TYPE", key)
	switch typ {
	case "string":
		return typ + " " + r.do("GET", key)
	case "list":
		return typ + " " + r.do("LRANGE", key, "0", "-1")
	case "set":
		return typ + " " + r.call("SMEMBERS", key).unordered(false)
	case "hash":
		return typ + " " + r.call("HGETALL", key).unordered(true)
	case "zset":
		return typ + " " + r.do("ZRANGE", key, "0", "-1", "WITHSCORES")
	}
	return typ
}

// restoreArgs is RESTORE of payload p under key, with the expiry the key has on src (absolute, so that
// the copy expires at the same moment).
func restoreArgs(t *testing.T, src *rawConn, srcKey, key, p string) []string {
	t.Helper()
	at := src.do("PEXPIRETIME", srcKey)
	if at == ":-1" {
		return []string{"RESTORE", key, "0", p}
	}
	return []string{"RESTORE", key, strings.TrimPrefix(at, ":"), p, "ABSTTL"}
}

// TestDumpRestoreInterop moves every kind and encoding of value both ways between valkey-node and a real
// redis-server 7 and checks that the copy has the same contents, the same digest and (here) the encoding
// the same value gets when built by commands.
func TestDumpRestoreInterop(t *testing.T) {
	rs, _ := startRedisServer(t, "--enable-debug-command", "yes")
	n := startNode(t, "enable-debug-command", "yes")
	r := n.raw()
	keys := digestFixture(t, r)
	digestFixture(t, rs)

	for _, k := range keys {
		// redis-server → valkey-node
		p := dumpOf(t, rs, k)
		mustDo(t, r, "OK", restoreArgs(t, rs, k, "from-redis:"+k, p)...)
		if got, want := valueContents(t, r, "from-redis:"+k), valueContents(t, rs, k); got != want {
			t.Errorf("%s restored from redis-server:\n got  %.200s\n want %.200s", k, got, want)
		}
		if got, want := r.do("DEBUG", "DIGEST-VALUE", "from-redis:"+k), rs.do("DEBUG", "DIGEST-VALUE", k); got != want {
			t.Errorf("%s restored from redis-server: digest %s, redis-server %s", k, got, want)
		}
		if got, want := r.do("OBJECT", "ENCODING", "from-redis:"+k), r.do("OBJECT", "ENCODING", k); got != want {
			t.Errorf("%s restored from redis-server: encoding %s, built by commands %s", k, got, want)
		}
		if got, want := r.do("PEXPIRETIME", "from-redis:"+k), rs.do("PEXPIRETIME", k); got != want {
			t.Errorf("%s restored from redis-server: PEXPIRETIME %s, want %s", k, got, want)
		}

		// valkey-node → redis-server
		p = dumpOf(t, r, k)
		mustDo(t, rs, "OK", restoreArgs(t, r, k, "from-node:"+k, p)...)
		if got, want := valueContents(t, rs, "from-node:"+k), valueContents(t, r, k); got != want {
			t.Errorf("%s restored on redis-server:\n got  %.200s\n want %.200s", k, got, want)
		}
		if got, want := rs.do("DEBUG", "DIGEST-VALUE", "from-node:"+k), r.do("DEBUG", "DIGEST-VALUE", k); got != want {
			t.Errorf("%s restored on redis-server: digest %s, valkey-node %s", k, got, want)
		}
	}

	// a payload from redis-server, damaged: both servers refuse it with the same words
	good := dumpOf(t, rs, "list")
	flipped := []byte(good)
	flipped[len(flipped)/2] ^= 0x40
	v99 := string(withFooter(payloadBody(t, good), 99))
	// a string that claims 63 bytes and has 2 (Valkey reads the value from the whole payload, footer
	// included, so a shorter claim would be satisfied by the footer's bytes)
	badBody := string(withFooter([]byte{0, 0x3f, 'a', 'b'}, 10))
	badType := string(withFooter([]byte{200, 1, 'a'}, 10))
	for i, tc := range []struct{ name, payload, want string }{
		{"one flipped byte", string(flipped), "-ERR DUMP payload version or checksum are wrong"},
		{"version 99", v99, "-ERR DUMP payload version or checksum are wrong"},
		{"too short", "abc", "-ERR DUMP payload version or checksum are wrong"},
		{"truncated value", badBody, "-ERR Bad data format"},
		{"unknown type", badType, "-ERR Bad data format"},
	} {
		for name, c := range map[string]*rawConn{"valkey-node": r, "redis-server": rs} {
			if got := c.do("RESTORE", "damaged"+strconv.Itoa(i), "0", tc.payload); got != tc.want {
				t.Errorf("%s: %s replied %s, want %s", tc.name, name, got, tc.want)
			}
		}
	}
	mustDo(t, r, ":0", "EXISTS", "damaged0", "damaged1", "damaged2", "damaged3", "damaged4")
}

// TestRestoreErrors runs RESTORE's argument checks on valkey-node and on redis-server: same replies, in the
// same order of precedence (options, then an existing key, then the ttl, then the payload).
func TestRestoreErrors(t *testing.T) {
	steps := []tableStep{
		{cmd: "DUMP missing", want: "(nil)"},
		{cmd: "DUMP", want: "-ERR wrong number of arguments for 'dump' command"},
		{cmd: "RESTORE k 0", want: "-ERR wrong number of arguments for 'restore' command"},
		{cmd: "SET existing v", want: "OK"},
		{cmd: "RESTORE k 0 %p FOO", want: "-ERR syntax error"},
		{cmd: "RESTORE k 0 %p IDLETIME", want: "-ERR syntax error"},
		{cmd: "RESTORE k 0 %p FREQ", want: "-ERR syntax error"},
		{cmd: "RESTORE k 0 %p IDLETIME -1", want: "-ERR Invalid IDLETIME value, must be >= 0"},
		{cmd: "RESTORE k 0 %p IDLETIME x", want: "-ERR value is not an integer or out of range"},
		{cmd: "RESTORE k 0 %p FREQ 256", want: "-ERR Invalid FREQ value, must be >= 0 and <= 255"},
		{cmd: "RESTORE k 0 %p FREQ -1", want: "-ERR Invalid FREQ value, must be >= 0 and <= 255"},
		{cmd: "RESTORE k 0 %p FREQ 1.5", want: "-ERR value is not an integer or out of range"},
		{cmd: "RESTORE k 0 %p IDLETIME 10 FREQ 5", want: "-ERR syntax error"},
		{cmd: "RESTORE k 0 %p FREQ 5 IDLETIME 10", want: "-ERR syntax error"},
		{cmd: "RESTORE k -1 %p", want: "-ERR Invalid TTL value, must be >= 0"},
		{cmd: "RESTORE k x %p", want: "-ERR value is not an integer or out of range"},
		{cmd: "RESTORE k 0 garbage", want: "-ERR DUMP payload version or checksum are wrong"},
		{cmd: "RESTORE existing 0 %p", want: "-BUSYKEY Target key name already exists."},
		{cmd: "RESTORE existing -1 garbage", want: "-BUSYKEY Target key name already exists."},
		{cmd: "RESTORE existing 0 %p FOO", want: "-ERR syntax error"},
		{cmd: "RESTORE existing -1 %p REPLACE", want: "-ERR Invalid TTL value, must be >= 0"},
		{cmd: "GET existing", want: `"v"`},
		// an expiry already past creates nothing, and with REPLACE the old value is gone all the same
		{cmd: "RESTORE k 1 %p ABSTTL", want: "OK"},
		{cmd: "EXISTS k", want: ":0"},
		{cmd: "RESTORE existing 1 %p ABSTTL REPLACE", want: "OK"},
		{cmd: "EXISTS existing", want: ":0"},
		{cmd: "RESTORE k 0 %p", want: "OK"},
		{cmd: "GET k", want: `"payload value"`},
		{cmd: "TTL k", want: ":-1"},
		{cmd: "RESTORE k 0 %p replace absttl idletime 5", want: "OK"},
		{cmd: "RESTORE k2 0 %p FREQ 255", want: "OK"},
		{cmd: "GET k2", want: `"payload value"`},
		{cmd: "RESTORE k3 100000 %p", want: "OK"},
		{cmd: "RESTORE k4 99999999999999 %p ABSTTL", want: "OK"},
		{cmd: "PEXPIRETIME k4", want: ":99999999999999"},
	}
	run := func(t *testing.T, r *rawConn) {
		mustDo(t, r, "OK", "SET", "src", "payload value")
		p := dumpOf(t, r, "src")
		for _, st := range steps {
			args := splitCmd(t, st.cmd)
			for i := range args {
				if args[i] == "%p" {
					args[i] = p
				}
			}
			checkReply(t, r, st.want, args...)
		}
		ttl, _ := strconv.Atoi(strings.TrimPrefix(r.do("PTTL", "k3"), ":"))
		if ttl <= 0 || ttl > 100000 {
			t.Errorf("PTTL after RESTORE k3 100000 = %d", ttl)
		}
	}
	t.Run("valkey-node", func(t *testing.T) { run(t, startNode(t).raw()) })
	t.Run("redis-server", func(t *testing.T) {
		rs, _ := startRedisServer(t)
		run(t, rs)
	})
}

// TestRestoreIdleTimeAndEvents: IDLETIME sets the key's age (FREQ its counter under LFU); RESTORE fires
// "restore" (and "del" when an expired RESTORE ... REPLACE removes the old value).
func TestRestoreIdleTimeAndEvents(t *testing.T) {
	n := startNode(t, "notify-keyspace-events", "KEA")
	sub := n.raw()
	mustDo(t, sub, `["psubscribe" "__keyevent@0__:*" :1]`, "PSUBSCRIBE", "__keyevent@0__:*")
	r := n.raw()
	mustDo(t, r, "OK", "SET", "src", "v")
	p := dumpOf(t, r, "src")
	mustDo(t, r, "OK", "RESTORE", "idle", "0", p, "IDLETIME", "1000")
	idle, _ := strconv.Atoi(strings.TrimPrefix(r.do("OBJECT", "IDLETIME", "idle"), ":"))
	if idle < 1000 || idle > 1100 {
		t.Errorf("OBJECT IDLETIME after RESTORE ... IDLETIME 1000 = %d", idle)
	}
	mustDo(t, r, "OK", "RESTORE", "idle", "0", p, "REPLACE")
	mustDo(t, r, "OK", "RESTORE", "idle", "1", p, "REPLACE", "ABSTTL")
	mustDo(t, r, "OK", "RESTORE", "idle", "1", p, "REPLACE", "ABSTTL") // nothing left to delete: no event
	mustDo(t, r, "-BUSYKEY Target key name already exists.", "RESTORE", "src", "0", p)
	expectKeyEvents(t, sub, []string{"set src", "restore idle", "restore idle", "del idle"})

	// FREQ counts under an LFU policy (and IDLETIME is then ignored), as in Valkey
	mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
	mustDo(t, r, "OK", "RESTORE", "freq", "0", p, "FREQ", "100")
	mustDo(t, r, ":100", "OBJECT", "FREQ", "freq")
	mustDo(t, r, "OK", "RESTORE", "freq", "0", p, "REPLACE", "IDLETIME", "1000")
	if f := r.do("OBJECT", "FREQ", "freq"); f == ":100" {
		t.Errorf("OBJECT FREQ after a RESTORE without FREQ = %s, want a new key's counter", f)
	}
}

// TestRestorePropagation: a relative ttl propagates as ABSTTL with the absolute time; an expired RESTORE
// that removed a key propagates as that deletion; refused and no-op RESTOREs propagate nothing.
func TestRestorePropagation(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	mustDo(t, r, "OK", "SET", "src", "v")
	p := dumpOf(t, r, "src")
	tap := tapStream(t, n)
	before := time.Now().UnixMilli()
	mustDo(t, r, "OK", "RESTORE", "a", "0", p)
	mustDo(t, r, "OK", "RESTORE", "b", "5000", p, "IDLETIME", "3")
	after := time.Now().UnixMilli()
	mustDo(t, r, "OK", "RESTORE", "c", "99999999999999", p, "ABSTTL")
	mustDo(t, r, "-BUSYKEY Target key name already exists.", "RESTORE", "a", "0", p)
	mustDo(t, r, "OK", "RESTORE", "nothing", "1", p, "ABSTTL")
	mustDo(t, r, "OK", "RESTORE", "a", "1", p, "ABSTTL", "REPLACE")
	mustDo(t, r, "OK", "CONFIG", "SET", "lazyfree-lazy-server-del", "no")
	mustDo(t, r, "OK", "RESTORE", "b", "1", p, "ABSTTL", "REPLACE")
	got := tap.commands(t)
	pp := strings.ReplaceAll(p, " ", "_") // the tap joins words with spaces
	for i := range got {
		got[i] = strings.Replace(got[i], p, pp, 1)
	}
	// the deletion propagates as UNLINK while lazyfree-lazy-server-del is on (the default), else as DEL
	want := []string{"SELECT 0", "RESTORE a 0 " + pp, "RESTORE b * " + pp + " IDLETIME 3 ABSTTL",
		"RESTORE c 99999999999999 " + pp + " ABSTTL", "UNLINK a", "DEL b"}
	if len(got) != len(want) {
		t.Fatalf("propagated %d commands: %q", len(got), got)
	}
	for i, w := range want {
		if strings.Contains(w, "*") {
			f := strings.Split(got[i], " ")
			at, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil || at < before+5000 || at > after+5000 {
				t.Errorf("propagated %q: the ttl should be absolute, in [%d, %d]", got[i], before+5000, after+5000)
			}
			f[2] = "*"
			got[i] = strings.Join(f, " ")
		}
		if got[i] != w {
			t.Errorf("propagated #%d: got %q, want %q", i, got[i], w)
		}
	}
}

// TestRestoreRandomPayloadsNeverCrash feeds RESTORE damaged payloads that still carry a valid checksum, so
// that they reach the decoder: each must be refused with "Bad data format" or restore a value that can
// then be read, dumped and digested; the node must stay up throughout.
func TestRestoreRandomPayloadsNeverCrash(t *testing.T) {
	n := startNode(t, "enable-debug-command", "yes")
	r := n.raw()
	keys := digestFixture(t, r)
	var bodies [][]byte
	for _, k := range keys {
		bodies = append(bodies, payloadBody(t, dumpOf(t, r, k)))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	iterations := 3000
	if testing.Short() {
		iterations = 300
	}
	restored := 0
	for i := 0; i < iterations; i++ {
		b := append([]byte(nil), bodies[rng.IntN(len(bodies))]...)
		switch rng.IntN(4) {
		case 0: // flip a few bytes
			for j := 0; j <= rng.IntN(4); j++ {
				b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			}
		case 1: // truncate
			b = b[:rng.IntN(len(b))]
		case 2: // overwrite a byte with an edge value
			b[rng.IntN(len(b))] = []byte{0, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xc0, 0xc3, 0xfe, 0xff}[rng.IntN(10)]
		case 3: // duplicate a slice
			x := rng.IntN(len(b))
			y := x + rng.IntN(len(b)-x)
			b = append(b[:y:y], b[x:]...)
		}
		got := r.do("RESTORE", "fuzz", "0", string(withFooter(b, 10)), "REPLACE")
		switch got {
		case "OK":
			restored++
			if d := r.call("DEBUG", "DIGEST-VALUE", "fuzz"); len(d.elems) != 1 {
				t.Fatalf("DIGEST-VALUE of a restored value = %s", d)
			}
			valueContents(t, r, "fuzz")
			again := dumpOf(t, r, "fuzz")
			mustDo(t, r, "OK", "RESTORE", "fuzz2", "0", again, "REPLACE")
		case "-ERR Bad data format":
		default:
			t.Fatalf("RESTORE of damaged payload %x: %s", b, got)
		}
	}
	mustDo(t, r, "PONG", "PING")
	t.Logf("%d of %d damaged payloads still decoded", restored, iterations)
}

// TestDebugReload: DEBUG RELOAD keeps the data set (contents, digest, encodings, expiries) through a save
// and a load; NOSAVE loads what the file holds; NOFLUSH keeps the keys in memory and MERGE lets the
// file's values win where both have the key.
func TestDebugReload(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "enable-debug-command", "yes", "dir", dir)
	r := n.raw()
	keys := digestFixture(t, r)
	before := map[string]string{}
	for _, k := range keys {
		before[k] = valueContents(t, r, k) + " " + r.do("OBJECT", "ENCODING", k) + " " + r.do("PEXPIRETIME", k)
	}
	digest := r.do("DEBUG", "DIGEST")
	mustDo(t, r, "OK", "DEBUG", "RELOAD")
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatalf("DEBUG RELOAD wrote no file: %v", err)
	}
	checkReply(t, r, digest, "DEBUG", "DIGEST")
	for _, k := range keys {
		if got := valueContents(t, r, k) + " " + r.do("OBJECT", "ENCODING", k) + " " + r.do("PEXPIRETIME", k); got != before[k] {
			t.Errorf("%s after DEBUG RELOAD:\n got  %.200s\n want %.200s", k, got, before[k])
		}
	}

	// NOSAVE: changes since the last save are lost
	mustDo(t, r, "OK", "SET", "extra", "1")
	mustDo(t, r, "OK", "DEBUG", "RELOAD", "NOSAVE")
	mustDo(t, r, ":0", "EXISTS", "extra")
	mustDo(t, r, digest, "DEBUG", "DIGEST")

	// NOFLUSH: the file's keys clash with the ones in memory
	mustDo(t, r, "OK", "SET", "memonly", "1")
	mustDo(t, r, "OK", "SET", "str", "changed")
	mustDo(t, r, "-"+errReloadLoad, "DEBUG", "RELOAD", "NOSAVE", "NOFLUSH")
	mustDo(t, r, `"1"`, "GET", "memonly")
	mustDo(t, r, "OK", "DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE")
	mustDo(t, r, `"1"`, "GET", "memonly")
	mustDo(t, r, `"hello world"`, "GET", "str")
	mustDo(t, r, ":1", "DEL", "memonly")
	mustDo(t, r, digest, "DEBUG", "DIGEST")
	mustDo(t, r, "OK", "DEBUG", "RELOAD", "nosave", "merge") // options are case-insensitive
	mustDo(t, r, digest, "DEBUG", "DIGEST")

	mustDo(t, r, "-"+errReloadOptions, "DEBUG", "RELOAD", "FOO")

	// a missing file: an error, and the data set is still there
	if err := os.Remove(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatal(err)
	}
	mustDo(t, r, "-"+errReloadLoad, "DEBUG", "RELOAD", "NOSAVE")
	mustDo(t, r, digest, "DEBUG", "DIGEST")
}

// TestDebugReloadErrorsMatchRedis compares the option error with redis-server's.
func TestDebugReloadErrorsMatchRedis(t *testing.T) {
	rs, _ := startRedisServer(t, "--enable-debug-command", "yes")
	r := startNode(t, "enable-debug-command", "yes").raw()
	for _, args := range [][]string{{"DEBUG", "RELOAD", "FOO"}, {"DEBUG", "RELOAD", "MERGE", "BAR"}} {
		if got, want := r.do(args...), rs.do(args...); got != want {
			t.Errorf("%v: got %s, redis-server %s", args, got, want)
		}
	}
}

// TestDumpCommandInfo: the command table entries (arity, flags, categories, tips, key specs) are the ones
// redis-server 7 reports.
func TestDumpCommandInfo(t *testing.T) {
	r := startNode(t).raw()
	want := `[["dump" :2 [readonly] :1 :1 :1 [@keyspace @read @slow] ["nondeterministic_output"] ` +
		`[["flags" [RO access] "begin_search" ["type" "index" "spec" ["index" :1]] "find_keys" ["type" "range" "spec" ["lastkey" :0 "keystep" :1 "limit" :0]]]] []] ` +
		`["restore" :-4 [write denyoom] :1 :1 :1 [@keyspace @write @slow @dangerous] [] ` +
		`[["flags" [OW update] "begin_search" ["type" "index" "spec" ["index" :1]] "find_keys" ["type" "range" "spec" ["lastkey" :0 "keystep" :1 "limit" :0]]]] []]]`
	mustDo(t, r, want, "COMMAND", "INFO", "dump", "restore")
	if _, ok := optionalBinary(t, "redis-server", "redis-server"); ok {
		rs, _ := startRedisServer(t)
		mustDo(t, rs, want, "COMMAND", "INFO", "dump", "restore")
	}
}

// fuzzSeedObjects are values of every kind, in small and large encodings, for the fuzz corpus.
func fuzzSeedObjects() []keyspace.Object {
	lim := rdb.DefaultLimits()
	list := keyspace.NewList()
	for i := 0; i < 5; i++ {
		list.PushBack([]byte("el" + strconv.Itoa(i)))
	}
	ints := keyspace.NewSetFor([]byte("1"), 3, lim.Set)
	strs := keyspace.NewSetFor([]byte("a"), 3, lim.Set)
	for i := 1; i <= 3; i++ {
		ints.Add([]byte(strconv.Itoa(i*1000)), lim.Set)
		strs.Add([]byte("m"+strconv.Itoa(i)), lim.Set)
	}
	hash := keyspace.NewHash()
	hash.Set([]byte("f"), []byte("v"), lim.Hash)
	hash.Set([]byte("n"), []byte("12"), lim.Hash)
	small := keyspace.NewZSetFrom([]keyspace.ZEntry{{Member: "a", Score: 1.5}, {Member: "b", Score: -2}}, false)
	large := keyspace.NewZSetFrom([]keyspace.ZEntry{{Member: "x", Score: 3}, {Member: "y", Score: 0.25}}, true)
	return []keyspace.Object{
		{Kind: keyspace.KindString, Str: []byte("hello")},
		{Kind: keyspace.KindString, Str: []byte("12345")},
		{Kind: keyspace.KindString, Str: []byte(strings.Repeat("compressible ", 10))},
		{Kind: keyspace.KindList, Val: list},
		{Kind: keyspace.KindSet, Val: ints},
		{Kind: keyspace.KindSet, Val: strs},
		{Kind: keyspace.KindHash, Val: hash},
		{Kind: keyspace.KindZSet, Val: small},
		{Kind: keyspace.KindZSet, Val: large},
	}
}

// FuzzRestorePayload feeds RESTORE's decoder payload bodies (the footer is added with a valid checksum, so
// that the fuzzer explores the value decoder rather than the CRC). Whatever decodes must survive a DUMP and
// a second RESTORE with the same digest: the two directions agree on every value the decoder accepts.
func FuzzRestorePayload(f *testing.F) {
	for _, o := range fuzzSeedObjects() {
		o := o
		for _, compress := range []bool{false, true} {
			p := rdb.DumpPayload(&o, rdb.Options{Compress: compress})
			f.Add(p[:len(p)-10])
		}
	}
	// plain RDB encodings old writers use: LIST (1), SET (2), HASH (4), ZSET_2 (5)
	f.Add([]byte{1, 2, 1, 'a', 1, 'b'})
	f.Add([]byte{2, 2, 1, 'a', 0xc0, 7})
	f.Add([]byte{4, 1, 1, 'f', 1, 'v'})
	f.Add(append([]byte{5, 1, 1, 'm'}, binary.LittleEndian.AppendUint64(nil, 0x3ff8000000000000)...))
	lim := rdb.DefaultLimits()
	f.Fuzz(func(t *testing.T, body []byte) {
		obj, err := rdb.ParseDumpPayload(withFooter(body, rdb.Version), lim)
		if err != nil {
			return
		}
		var d1 digest
		addValue(&d1, &obj, false)
		again := rdb.DumpPayload(&obj, rdb.Options{Compress: true})
		if again == nil {
			t.Fatalf("a decoded %s value does not encode", obj.Kind)
		}
		obj2, err := rdb.ParseDumpPayload(again, lim)
		if err != nil {
			t.Fatalf("our own DUMP of a decoded %s value does not decode: %v", obj.Kind, err)
		}
		var d2 digest
		addValue(&d2, &obj2, false)
		if d1 != d2 {
			t.Fatalf("%s value changed in a DUMP/RESTORE round trip: %s vs %s", obj.Kind, d1.hex(), d2.hex())
		}
	})
}
