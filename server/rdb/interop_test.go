package rdb

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The interop rule: a test that needs redis-server is skipped, naming the Debian package, when it is
// missing; with VALKEY_NODE_REQUIRE_INTEROP=1 it fails instead, so a CI that installed it cannot pass by
// skipping.
func requireRedisServer(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("redis-server")
	if err == nil {
		return p
	}
	if os.Getenv("VALKEY_NODE_REQUIRE_INTEROP") == "1" {
		t.Fatal("redis-server not found: install the Debian package redis-server")
	}
	t.Skip("redis-server not found: install the Debian package redis-server")
	return ""
}

// freePort returns a loopback port nobody listens on (redis-server does not accept port 0).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// redisProc is a redis-server started for a test.
type redisProc struct {
	addr string
	logs *lockedBuffer
}

// startRedis runs redis-server on a free loopback port with dir as its working directory, killed at
// cleanup; it returns once the server answers PING (the RDB, if any, is loaded by then).
func startRedis(t *testing.T, bin, dir string, extra ...string) *redisProc {
	t.Helper()
	port := freePort(t)
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"}, extra...)
	logs := &lockedBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	p := &redisProc{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), logs: logs}
	c := redis.NewClient(&redis.Options{Addr: p.addr, Protocol: 2, MaxRetries: -1})
	defer c.Close()
	for i := 0; ; i++ {
		select {
		case <-exited:
			t.Fatalf("redis-server exited:\n%s", logs.String())
		default:
		}
		if err := c.Ping(context.Background()).Err(); err == nil {
			return p
		} else if i == 500 {
			t.Fatalf("redis-server not answering: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *redisProc) client(t *testing.T, db int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: p.addr, DB: db, Protocol: 2})
	t.Cleanup(func() { c.Close() })
	return c
}

// contentOf is describe without the encoding: what a client can read.
func contentOf(desc string) string {
	kind, rest, _ := strings.Cut(desc, "/")
	_, content, _ := strings.Cut(rest, ":")
	return kind + ":" + content
}

// redisContent reads key from a server in describe's content format.
func redisContent(t *testing.T, ctx context.Context, c *redis.Client, key string) string {
	t.Helper()
	typ, err := c.Type(ctx, key).Result()
	must(t, err)
	var b strings.Builder
	b.WriteString(typ + ":")
	switch typ {
	case "string":
		v, err := c.Get(ctx, key).Result()
		must(t, err)
		fmt.Fprintf(&b, "%q", v)
	case "list":
		vs, err := c.LRange(ctx, key, 0, -1).Result()
		must(t, err)
		for _, v := range vs {
			fmt.Fprintf(&b, " %q", v)
		}
	case "set":
		vs, err := c.SMembers(ctx, key).Result()
		must(t, err)
		sort.Strings(vs)
		for _, v := range vs {
			fmt.Fprintf(&b, " %q", v)
		}
	case "hash":
		m, err := c.HGetAll(ctx, key).Result()
		must(t, err)
		var ps []string
		for f, v := range m {
			ps = append(ps, fmt.Sprintf("%q=%q", f, v))
		}
		sort.Strings(ps)
		b.WriteString(" " + strings.Join(ps, " "))
	case "zset":
		zs, err := c.ZRangeWithScores(ctx, key, 0, -1).Result()
		must(t, err)
		for _, z := range zs {
			fmt.Fprintf(&b, " %q@%s", z.Member.(string), fmtScore(z.Score))
		}
	default:
		t.Fatalf("key %q of type %s", key, typ)
	}
	return b.String()
}

// fillRedis writes the interop data set: every kind in its small and large encodings, with expiries,
// in two databases. It returns the keys of each database.
func fillRedis(t *testing.T, ctx context.Context, c0, c1 *redis.Client) (db0, db1 []string) {
	t.Helper()
	do := func(c *redis.Client, args ...any) {
		t.Helper()
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	do(c0, "SET", "str:int", "12345")
	do(c0, "SET", "str:neg", "-7")
	do(c0, "SET", "str:int64", "9223372036854775807")
	do(c0, "SET", "str:short", "hello")
	do(c0, "SET", "str:empty", "")
	do(c0, "SET", "str:binary", "\x00\xff\r\n\x01")
	do(c0, "SET", "str:long", strings.Repeat("compressible text ", 500))
	do(c0, "SET", "str:leading0", "0123")
	do(c0, "SET", "str:expiring", "soon", "PXAT", "4102444800123")
	do(c0, "RPUSH", "list:small", "a", "1", "-200", "", "hello")
	big := make([]any, 0, 302)
	big = append(big, "RPUSH", "list:large")
	for i := 0; i < 300; i++ {
		big = append(big, "element:"+strconv.Itoa(i))
	}
	do(c0, big...)
	do(c0, "RPUSH", "list:bigelem", "head", strings.Repeat("B", 10_000), "tail")
	do(c0, "PEXPIREAT", "list:bigelem", "4102444800456")
	do(c0, "HSET", "hash:small", "f", "v", "n", "12", "neg", "-3", "e", "")
	hbig := []any{"HSET", "hash:large"}
	for i := 0; i < 200; i++ {
		hbig = append(hbig, "field:"+strconv.Itoa(i), "value:"+strconv.Itoa(i))
	}
	do(c0, hbig...)
	hhuge := []any{"HSET", "hash:huge"}
	for i := 0; i < 600; i++ {
		hhuge = append(hhuge, "f"+strconv.Itoa(i), strconv.Itoa(i))
	}
	do(c0, hhuge...)
	do(c0, "HSET", "hash:longval", "f", strings.Repeat("v", 100))
	do(c0, "SADD", "set:intset", "1", "2", "3", "-100", "70000", "9223372036854775807")
	do(c0, "SADD", "set:small", "a", "b", "c", "1")
	sbig := []any{"SADD", "set:large"}
	for i := 0; i < 200; i++ {
		sbig = append(sbig, "member:"+strconv.Itoa(i))
	}
	do(c0, sbig...)
	ibig := []any{"SADD", "set:manyints"}
	for i := 0; i < 600; i++ {
		ibig = append(ibig, strconv.Itoa(i*7))
	}
	do(c0, ibig...)
	do(c0, "ZADD", "zset:small", "1", "a", "2.5", "b", "-inf", "c", "+inf", "d", "0.1", "e", "-3", "f")
	zbig := []any{"ZADD", "zset:large"}
	for i := 0; i < 200; i++ {
		zbig = append(zbig, strconv.FormatFloat(float64(i)/7, 'g', -1, 64), "m:"+strconv.Itoa(i))
	}
	do(c0, zbig...)
	do(c0, "PEXPIREAT", "zset:large", "4102444800789")
	do(c0, "ZADD", "zset:longmember", "5", strings.Repeat("z", 100))
	do(c1, "SET", "db1:key", "in db 1")
	do(c1, "HSET", "db1:hash", "a", "b")
	db0 = []string{"str:int", "str:neg", "str:int64", "str:short", "str:empty", "str:binary", "str:long",
		"str:leading0", "str:expiring", "list:small", "list:large", "list:bigelem", "hash:small", "hash:large", "hash:huge",
		"hash:longval", "set:intset", "set:small", "set:large", "set:manyints", "zset:small", "zset:large",
		"zset:longmember"}
	return db0, []string{"db1:key", "db1:hash"}
}

// encodingComparable reports whether the encoding of key must be the same on both sides. Redis 7.0 has
// no listpack lists (a list is always a quicklist) nor listpack sets (a small set of strings is a
// hashtable); from 7.2 on every encoding follows the same rules as ours.
func encodingComparable(redisVersion, key string) bool {
	if redisVersion >= "7.2" {
		return true
	}
	return key != "set:small" && !strings.HasPrefix(key, "list:")
}

// serverVersion is the redis_version INFO reports.
func serverVersion(t *testing.T, ctx context.Context, c *redis.Client) string {
	info, err := c.Info(ctx, "server").Result()
	must(t, err)
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v
		}
	}
	t.Fatal("no redis_version in INFO")
	return ""
}

const interopLib = "#!lua name=rdbtest\nredis.register_function('rdbtest_one', function(keys, args) return 1 end)"

func TestInteropRedisServer(t *testing.T) {
	bin := requireRedisServer(t)
	ctx := context.Background()
	lim := DefaultLimits()

	// 1. Redis writes a file with every kind; we decode it.
	dir1 := t.TempDir()
	r1 := startRedis(t, bin, dir1, "--maxmemory-policy", "allkeys-lru")
	c0, c1 := r1.client(t, 0), r1.client(t, 1)
	version := serverVersion(t, ctx, c0)
	comparable := func(key string) bool { return encodingComparable(version, key) }
	keys0, keys1 := fillRedis(t, ctx, c0, c1)
	must(t, c0.Do(ctx, "FUNCTION", "LOAD", interopLib).Err())
	must(t, c0.XAdd(ctx, &redis.XAddArgs{Stream: "stream:events", Values: []string{"f", "v"}}).Err())
	must(t, c0.XGroupCreate(ctx, "stream:events", "grp", "0").Err())
	must(t, c0.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "grp", Consumer: "alice", Streams: []string{"stream:events", ">"}}).Err())
	must(t, c0.Set(ctx, "str:after-stream", "still loaded", 0).Err())
	keys0 = append(keys0, "str:after-stream")

	type truth struct {
		content, encoding string
		expire            int64
	}
	want := map[string]truth{}
	for db, keys := range [][]string{keys0, keys1} {
		c := []*redis.Client{c0, c1}[db]
		for _, k := range keys {
			enc, err := c.ObjectEncoding(ctx, k).Result()
			must(t, err)
			exp, err := c.Do(ctx, "PEXPIRETIME", k).Int64()
			must(t, err)
			want[fmt.Sprint(db, "/", k)] = truth{redisContent(t, ctx, c, k), enc, exp}
		}
	}
	must(t, c0.Save(ctx).Err())
	data, err := os.ReadFile(filepath.Join(dir1, "dump.rdb"))
	must(t, err)

	d := NewDecoder(bytes.NewReader(data), lim)
	ver, err := d.Header()
	must(t, err)
	if ver < 10 {
		t.Errorf("Redis %s wrote version %d", version, ver)
	}
	var decoded []testKey
	var functions []string
	sawStream := false
	db := 0
	for {
		var rec Record
		err := d.Next(&rec)
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			if fe := asFormatError(t, err); strings.Contains(fe.Msg, "stream value for key 'stream:events' is not supported yet") {
				sawStream = true
				continue
			}
			t.Fatalf("decoding Redis's file: %v", err)
		}
		switch rec.Kind {
		case RecSelectDB:
			db = rec.DB
		case RecFunction:
			functions = append(functions, string(rec.Code))
		case RecKey:
			if rec.Idle < 0 {
				t.Errorf("key %q: no IDLE record under allkeys-lru", rec.Key)
			}
			obj := rec.Obj
			decoded = append(decoded, testKey{db: db, key: string(rec.Key), obj: &obj, expire: rec.ExpireMs})
		}
	}
	if !sawStream {
		t.Error("the stream key was not reported")
	}
	if len(functions) != 1 || functions[0] != interopLib {
		t.Errorf("functions %q", functions)
	}
	if len(decoded) != len(want) {
		t.Errorf("decoded %d keys, Redis had %d", len(decoded), len(want))
	}
	for _, k := range decoded {
		w, ok := want[fmt.Sprint(k.db, "/", k.key)]
		if !ok {
			t.Errorf("unexpected key %d/%s", k.db, k.key)
			continue
		}
		desc := describe(k.obj)
		if got := contentOf(desc); got != w.content {
			t.Errorf("%s: decoded %.200s\nRedis has %.200s", k.key, got, w.content)
		}
		if enc := encodingOf(k.obj); comparable(k.key) && enc != w.encoding {
			t.Errorf("%s: decoded as %s, Redis has %s", k.key, enc, w.encoding)
		}
		if k.expire != w.expire {
			t.Errorf("%s: expiry %d, Redis has %d", k.key, k.expire, w.expire)
		}
	}

	// 2. We write the same values; a second Redis loads our file.
	dir2 := t.TempDir()
	var buf bytes.Buffer
	e := NewEncoder(&buf, Options{Compress: true, Checksum: true})
	must(t, e.Header())
	must(t, e.Aux("redis-ver", "7.0.15"))
	must(t, e.Aux("redis-bits", "64"))
	must(t, e.Function(interopLib))
	cur := -1
	for _, k := range decoded {
		if k.db != cur {
			cur = k.db
			must(t, e.SelectDB(cur, 0, 0))
		}
		must(t, e.Key(k.key, k.obj, k.expire))
	}
	must(t, e.Finish())
	must(t, os.WriteFile(filepath.Join(dir2, "ours.rdb"), buf.Bytes(), 0o644))
	r2 := startRedis(t, bin, dir2, "--dbfilename", "ours.rdb")
	d0, d1 := r2.client(t, 0), r2.client(t, 1)
	if n, _ := d0.DBSize(ctx).Result(); int(n) != len(keys0) {
		t.Errorf("Redis loaded %d keys of ours in db 0, want %d\n%s", n, len(keys0), r2.logs.String())
	}
	for db, keys := range [][]string{keys0, keys1} {
		c := []*redis.Client{d0, d1}[db]
		for _, k := range keys {
			w := want[fmt.Sprint(db, "/", k)]
			if got := redisContent(t, ctx, c, k); got != w.content {
				t.Errorf("%s: Redis read %.200s from our file, want %.200s", k, got, w.content)
			}
			if enc, _ := c.ObjectEncoding(ctx, k).Result(); comparable(k) && enc != w.encoding {
				t.Errorf("%s: Redis loaded our value as %s, want %s", k, enc, w.encoding)
			}
			if exp, _ := c.Do(ctx, "PEXPIRETIME", k).Int64(); exp != w.expire {
				t.Errorf("%s: Redis loaded expiry %d, want %d", k, exp, w.expire)
			}
		}
	}
	if got, err := d0.Do(ctx, "FCALL", "rdbtest_one", 0).Int64(); err != nil || got != 1 {
		t.Errorf("function from our file: %d, %v", got, err)
	}

	// 3. DUMP payloads both ways.
	for _, k := range decoded {
		c := []*redis.Client{d0, d1}[k.db]
		w := want[fmt.Sprint(k.db, "/", k.key)]
		restored := "restored:" + k.key
		must(t, c.Do(ctx, "RESTORE", restored, 0, string(DumpPayload(k.obj, Options{Compress: true}))).Err())
		if got := redisContent(t, ctx, c, restored); got != w.content {
			t.Errorf("%s: RESTORE of our payload gave %.200s, want %.200s", k.key, got, w.content)
		}
		p, err := c.Dump(ctx, k.key).Result()
		must(t, err)
		obj, err := ParseDumpPayload([]byte(p), lim)
		if err != nil {
			t.Errorf("%s: parsing Redis's DUMP: %v", k.key, err)
			continue
		}
		if got := contentOf(describe(&obj)); got != w.content {
			t.Errorf("%s: Redis's DUMP parsed as %.200s, want %.200s", k.key, got, w.content)
		}
		if enc := encodingOf(&obj); comparable(k.key) && enc != w.encoding {
			t.Errorf("%s: Redis's DUMP parsed as %s, want %s", k.key, enc, w.encoding)
		}
	}
}
