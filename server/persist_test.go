package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/server/config"
)

// fillAllTypes writes keys of every type and encoding through r: small and large values so that every
// encoding a type has appears, integers, binary data and expiries. prefix keeps sets of keys apart.
func fillAllTypes(t *testing.T, r *rawConn, prefix string) {
	t.Helper()
	must := func(args ...string) {
		t.Helper()
		if got := r.do(args...); strings.HasPrefix(got, "-") {
			t.Fatalf("%v: %s", args, got)
		}
	}
	p := prefix
	must("SET", p+"str:int", "12345")
	must("SET", p+"str:neg", "-987654321012")
	must("SET", p+"str:short", "hello")
	must("SET", p+"str:bin", "a\x00b\r\n\xff")
	must("SET", p+"str:long", strings.Repeat("compressible ", 200))
	must("SET", p+"str:ttl", "v", "PX", "3600000")
	for i := 0; i < 5; i++ {
		must("RPUSH", p+"list:small", "e"+strconv.Itoa(i), strconv.Itoa(i*1000))
	}
	for i := 0; i < 1000; i++ {
		must("RPUSH", p+"list:big", fmt.Sprintf("element-%d", i))
	}
	must("RPUSH", p+"list:huge-elem", strings.Repeat("x", 10000), "tail")
	must("EXPIRE", p+"list:big", "7200")
	for i := 0; i < 10; i++ {
		must("HSET", p+"hash:small", "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	for i := 0; i < 600; i++ {
		must("HSET", p+"hash:big", "field"+strconv.Itoa(i), strconv.Itoa(i))
	}
	must("HSET", p+"hash:longval", "f", strings.Repeat("y", 100))
	for i := 0; i < 20; i++ {
		must("SADD", p+"set:ints", strconv.Itoa(i*7-50))
	}
	for i := 0; i < 20; i++ {
		must("SADD", p+"set:small", "m"+strconv.Itoa(i))
	}
	for i := 0; i < 600; i++ {
		must("SADD", p+"set:big", "member"+strconv.Itoa(i))
	}
	for i := 0; i < 600; i++ {
		must("SADD", p+"set:bigints", strconv.Itoa(i))
	}
	for i := 0; i < 10; i++ {
		must("ZADD", p+"zset:small", strconv.Itoa(i)+".5", "z"+strconv.Itoa(i))
	}
	must("ZADD", p+"zset:small", "inf", "plus", "-inf", "minus")
	for i := 0; i < 300; i++ {
		must("ZADD", p+"zset:big", strconv.Itoa(i%17), "member"+strconv.Itoa(i))
	}
	must("PEXPIRE", p+"zset:big", "9000000")
	must("PFADD", p+"hll", "a", "b", "c", "d")
	must("SETBIT", p+"bitmap", "1000", "1")
}

// contents renders every key of the selected database of r, with its type, encoding-independent value
// and whether it has a time to live, sorted by key: two servers with the same data give the same text.
func contents(t *testing.T, r *rawConn) string {
	t.Helper()
	keys := r.call("KEYS", "*")
	var names []string
	for _, k := range keys.elems {
		names = append(names, k.str)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		typ := r.do("TYPE", k)
		var v string
		switch typ {
		case "string":
			v = r.do("GET", k)
		case "list":
			v = r.do("LRANGE", k, "0", "-1")
		case "hash":
			v = r.call("HGETALL", k).unordered(true)
		case "set":
			v = r.call("SMEMBERS", k).unordered(false)
		case "zset":
			v = r.do("ZRANGE", k, "0", "-1", "WITHSCORES")
		default:
			v = "?"
		}
		ttl := r.do("PTTL", k)
		hasTTL := ttl != "-1"
		fmt.Fprintf(&b, "%q %s ttl=%v %s\n", k, typ, hasTTL, v)
	}
	return b.String()
}

func TestSaveAndReloadEveryType(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "dir", dir)
	r := n.raw()
	fillAllTypes(t, r, "")
	r.do("SELECT", "3")
	fillAllTypes(t, r, "db3:")
	r.do("SELECT", "0")
	want0 := contents(t, r)
	if got := r.do("SAVE"); got != "OK" {
		t.Fatalf("SAVE: %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatalf("no dump.rdb after SAVE: %v", err)
	}
	info := r.do("INFO", "persistence")
	if !strings.Contains(info, "rdb_changes_since_last_save:0") || !strings.Contains(info, "rdb_saves:1") {
		t.Fatalf("INFO persistence after SAVE:\n%s", info)
	}
	r.do("SELECT", "3")
	want3 := contents(t, r)
	n.stop()

	n2 := startNode(t, "dir", dir)
	r2 := n2.raw()
	if got := contents(t, r2); got != want0 {
		t.Fatalf("db0 after reload differs: %s", firstDiff(got, want0))
	}
	r2.do("SELECT", "3")
	if got := contents(t, r2); got != want3 {
		t.Fatalf("db3 after reload differs: %s", firstDiff(got, want3))
	}
	// encodings follow the thresholds after a load, as after the commands that built them
	r2.do("SELECT", "0")
	for key, enc := range map[string]string{
		"str:int": "int", "str:short": "embstr", "str:long": "raw", "list:small": "listpack", "list:big": "quicklist",
		"hash:small": "listpack", "hash:big": "hashtable", "hash:longval": "hashtable", "set:ints": "intset",
		"set:small": "listpack", "set:big": "hashtable", "set:bigints": "hashtable", "zset:small": "listpack", "zset:big": "skiplist",
	} {
		if got := r2.do("OBJECT", "ENCODING", key); got != `"`+enc+`"` {
			t.Errorf("OBJECT ENCODING %s after load = %s, want %s", key, got, enc)
		}
	}
}

// TestBgsaveIsPointInTime changes the data in every way while a slowed-down BGSAVE runs: the file must hold
// the data as it was when BGSAVE started, and the live node the data as it is after the changes.
func TestBgsaveIsPointInTime(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "dir", dir, "rdb-key-save-delay", "20000")
	r := n.raw()
	fillAllTypes(t, r, "")
	want := contents(t, r)
	if got := r.do("BGSAVE"); got != "Background saving started" {
		t.Fatalf("BGSAVE: %s", got)
	}
	if got := r.do("BGSAVE"); got != "-ERR Background save already in progress" {
		t.Fatalf("second BGSAVE: %s", got)
	}
	if got := r.do("SAVE"); got != "-ERR Background save already in progress" {
		t.Fatalf("SAVE during BGSAVE: %s", got)
	}
	// in-place changes to every type, overwrites, deletions and new keys
	for _, c := range [][]string{
		{"APPEND", "str:short", " world"}, {"SETRANGE", "str:long", "0", "CHANGED"}, {"INCR", "str:int"},
		{"SETBIT", "bitmap", "1", "1"}, {"PFADD", "hll", "zzz"},
		{"RPUSH", "list:small", "new"}, {"LSET", "list:big", "5", "changed"}, {"LPOP", "list:huge-elem"},
		{"HSET", "hash:small", "f0", "changed"}, {"HDEL", "hash:big", "field1"}, {"SADD", "set:ints", "100000"},
		{"SREM", "set:big", "member1"}, {"SPOP", "set:small"}, {"ZADD", "zset:small", "100", "z0"}, {"ZREM", "zset:big", "member2"},
		{"SET", "str:neg", "overwritten"}, {"DEL", "hash:longval"}, {"SET", "brand-new", "x"}, {"RENAME", "set:bigints", "renamed"},
		{"PERSIST", "str:ttl"}, {"EXPIRE", "list:small", "1000"},
	} {
		if got := r.do(c...); strings.HasPrefix(got, "-") {
			t.Fatalf("%v: %s", c, got)
		}
	}
	after := contents(t, r)
	if after == want {
		t.Fatal("the changes changed nothing")
	}
	waitFor(t, "BGSAVE to finish", func() bool {
		return strings.Contains(r.do("INFO", "persistence"), "rdb_bgsave_in_progress:0")
	})
	if info := r.do("INFO", "persistence"); !strings.Contains(info, "rdb_last_bgsave_status:ok") {
		t.Fatalf("INFO persistence:\n%s", info)
	}
	if got := contents(t, r); got != after {
		t.Fatalf("live data changed by the save: %s", firstDiff(got, after))
	}
	// the node keeps its data but must not save it again at exit: load the file elsewhere
	saved := filepath.Join(t.TempDir(), "dump.rdb")
	b, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(saved, b, 0o644); err != nil {
		t.Fatal(err)
	}
	n2 := startNode(t, "dir", filepath.Dir(saved))
	if got := contents(t, n2.raw()); got != want {
		t.Fatalf("BGSAVE file is not the data at BGSAVE time: %s", firstDiff(got, want))
	}
}

func TestSavePointsTriggerBgsave(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "dir", dir, "save", "1 2")
	r := n.raw()
	r.do("SET", "a", "1")
	r.do("SET", "b", "2")
	waitFor(t, "a save point to save", func() bool {
		return strings.Contains(r.do("INFO", "persistence"), "rdb_saves:1")
	})
	if got := r.do("CONFIG", "GET", "save"); got != `["save" "1 2"]` {
		t.Fatalf("CONFIG GET save: %s", got)
	}
	if got := r.do("CONFIG", "SET", "save", "900 1 300 10"); got != "OK" {
		t.Fatalf("CONFIG SET save: %s", got)
	}
	if got := r.do("CONFIG", "GET", "save"); got != `["save" "900 1 300 10"]` {
		t.Fatalf("CONFIG GET save after SET: %s", got)
	}
	if got := r.do("CONFIG", "SET", "save", "1 x"); !strings.Contains(got, "Invalid save parameters") {
		t.Fatalf("CONFIG SET save bad: %s", got)
	}
}

func TestShutdownSavesWithSavePoints(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "dir", dir, "save", "3600 1")
	r := n.raw()
	fillAllTypes(t, r, "")
	want := contents(t, r)
	r.cmd("SHUTDOWN")
	waitFor(t, "the connection to close", r.closed)
	n.stop()
	n2 := startNode(t, "dir", dir, "save", "3600 1")
	r2 := n2.raw()
	if got := contents(t, r2); got != want {
		t.Fatalf("after SHUTDOWN and restart: %s", firstDiff(got, want))
	}
	// NOSAVE keeps the old file: this change is lost on purpose
	r2.do("SET", "lost", "1")
	r2.cmd("SHUTDOWN", "NOSAVE")
	waitFor(t, "the connection to close", r2.closed)
	n2.stop()
	n3 := startNode(t, "dir", dir)
	if got := n3.raw().do("EXISTS", "lost"); got != ":0" {
		t.Fatalf("SHUTDOWN NOSAVE saved anyway: EXISTS lost = %s", got)
	}
}

// TestFailedSaveKeepsOldFileAndRefusesWrites: a save that cannot write leaves the previous RDB in place,
// reports the error in INFO persistence and, with stop-writes-on-bgsave-error, refuses writes with MISCONF
// until a save succeeds.
func TestFailedSaveKeepsOldFileAndRefusesWrites(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "dir", dir, "save", "3600 1")
	r := n.raw()
	r.do("SET", "k", "old")
	if got := r.do("SAVE"); got != "OK" {
		t.Fatalf("SAVE: %s", got)
	}
	good, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	r.do("SET", "k", "new")
	// the disk fills up half way through the temporary file
	setSaveFault(func(w int64) error {
		if w > 100 {
			return errors.New("injected: no space left on device")
		}
		return nil
	})
	defer setSaveFault(nil)
	r.do("SET", "big", strings.Repeat("x", 1000))
	if got := r.do("BGSAVE"); got != "Background saving started" {
		t.Fatalf("BGSAVE: %s", got)
	}
	waitFor(t, "the failed BGSAVE to be reported", func() bool {
		return strings.Contains(r.do("INFO", "persistence"), "rdb_last_bgsave_status:err")
	})
	if got := r.do("SET", "k", "newer"); !strings.HasPrefix(got, "-MISCONF ") {
		t.Fatalf("write after a failed save: %s", got)
	}
	if got := r.do("GET", "k"); got != `"new"` {
		t.Fatalf("read after a failed save: %s", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "dump.rdb")); string(got) != string(good) {
		t.Fatal("the old RDB was changed by a failed save")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "dump.rdb" {
			t.Errorf("failed save left %s behind", e.Name())
		}
	}
	if !strings.Contains(n.logs.String(), "injected: no space left on device") {
		t.Errorf("the log does not report the save error:\n%s", n.logs)
	}
	setSaveFault(nil)
	if got := r.do("SAVE"); got != "OK" {
		t.Fatalf("SAVE after fixing the disk: %s", got)
	}
	if got := r.do("SET", "k", "newer"); got != "OK" {
		t.Fatalf("write after a good save: %s", got)
	}
}

// TestBadRDBRefusesToStart: truncated, corrupt or too-new files stop the start with the file and offset.
func TestBadRDBRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "dir", dir)
	r := n.raw()
	fillAllTypes(t, r, "")
	r.do("SAVE")
	n.stop()
	good, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)/2] ^= 0xff
	for name, data := range map[string][]byte{
		"truncated": good[:len(good)/2],
		"corrupt":   corrupt,
		"version":   append([]byte("REDIS0099"), good[9:]...),
		"empty":     {},
	} {
		t.Run(name, func(t *testing.T) {
			d := t.TempDir()
			path := filepath.Join(d, "dump.rdb")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			srv, err := New(Options{Args: testArgs("dir", d, "port", strconv.Itoa(freePort(t)), "bind", "127.0.0.1"), LogWriter: &syncBuffer{}})
			if err != nil {
				t.Fatal(err)
			}
			err = srv.Start()
			srv.Shutdown(t.Context())
			if err == nil {
				t.Fatal("started on a bad RDB")
			}
			if !strings.Contains(err.Error(), path) && !strings.Contains(err.Error(), "dump.rdb") {
				t.Errorf("error does not name the file: %v", err)
			}
			if name != "empty" && name != "version" && !strings.Contains(err.Error(), "offset") {
				t.Errorf("error does not give the offset: %v", err)
			}
			if got, _ := os.ReadFile(path); string(got) != string(data) {
				t.Error("the bad file was overwritten")
			}
		})
	}
}

// testArgs turns name, value pairs into command-line directives.
func testArgs(pairs ...string) []config.Option {
	var out []config.Option
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, config.Option{Name: pairs[i], Args: []string{pairs[i+1]}})
	}
	return out
}

// firstDiff shows the first line where two contents renderings differ, shortened.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	short := func(s string) string {
		if len(s) > 300 {
			return s[:300] + "..."
		}
		return s
	}
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i, short(a), short(b))
		}
	}
	return "no difference"
}
