package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// step is one command of a script with its exact reply, rendered by render. want2/want3 override want
// for RESP2/RESP3 where the encodings differ. A want starting with "~" is a regular expression (for
// replies that depend on the clock). sortReply sorts array elements (and the element list of a SCAN
// reply), for commands whose order is unspecified.
type step struct {
	args         []any
	want         string
	want2, want3 string
	sortReply    bool
}

// otherDB stands for a database other than the selected one (MOVE).
const otherDB = "<other-db>"

func s(want string, args ...any) step { return step{args: args, want: want} }

// stringKeyScript exercises the string and key commands of the core with Valkey's exact replies. It runs
// in an empty database; keys are plain names because each protocol gets its own database.
var stringKeyScript = []step{
	s("PONG", "PING"),
	s(`"hello world"`, "ECHO", "hello world"),
	// SET and its options
	s("OK", "SET", "k", "v1"),
	s("v1", "GET", "k"),
	s("(nil)", "GET", "missing"),
	s("v1", "SET", "k", "v2", "GET"),
	s("(nil)", "SET", "k", "v3", "NX"),
	s("OK", "SET", "k", "v3", "XX"),
	s("(nil)", "SET", "missing", "v", "XX"),
	s("OK", "SET", "k", "v4", "EX", "100"),
	s(":100", "TTL", "k"),
	s("OK", "SET", "k", "v5", "KEEPTTL"),
	s(":100", "TTL", "k"),
	s("OK", "SET", "k", "v6"),
	s(":-1", "TTL", "k"),
	s(":-2", "TTL", "missing"),
	s("-ERR invalid expire time in 'set' command", "SET", "k", "v", "EX", "0"),
	s("-ERR invalid expire time in 'set' command", "SET", "k", "v", "PX", "-5"),
	s("-ERR syntax error", "SET", "k", "v", "NX", "XX"),
	s("-ERR value is not an integer or out of range", "SET", "k", "v", "EX", "ten"),
	s("OK", "SET", "k", "v", "PXAT", "4102444800000"),
	s(":4102444800000", "PEXPIRETIME", "k"),
	s(":4102444800", "EXPIRETIME", "k"),
	s("OK", "SET", "k", "v", "EXAT", "4102444801"),
	s(":4102444801", "EXPIRETIME", "k"),
	s("OK", "SET", "nottl", "v"),
	s(":-1", "EXPIRETIME", "nottl"),
	s(":-2", "PEXPIRETIME", "missing"),
	// SETNX SETEX PSETEX GETSET GETDEL GETEX
	s(":1", "SETNX", "nx", "a"),
	s(":0", "SETNX", "nx", "b"),
	s("a", "GET", "nx"),
	s("OK", "SETEX", "ex", "100", "v"),
	s(":100", "TTL", "ex"),
	s("-ERR invalid expire time in 'setex' command", "SETEX", "ex", "0", "v"),
	s("OK", "PSETEX", "pex", "100000", "v"),
	s(`~^:(99\d{3}|100000)$`, "PTTL", "pex"),
	s("a", "GETSET", "nx", "c"),
	s("c", "GET", "nx"),
	s("(nil)", "GETSET", "gs", "first"),
	s("c", "GETDEL", "nx"),
	s("(nil)", "GETDEL", "nx"),
	s(":0", "EXISTS", "nx"),
	s("OK", "SET", "gx", "val"),
	s("val", "GETEX", "gx", "EX", "100"),
	s(":100", "TTL", "gx"),
	s("val", "GETEX", "gx", "PERSIST"),
	s(":-1", "TTL", "gx"),
	s("(nil)", "GETEX", "missing"),
	// MSET MGET MSETNX
	s("OK", "MSET", "m1", "a", "m2", "b"),
	s("[a b (nil)]", "MGET", "m1", "m2", "m3"),
	s(":0", "MSETNX", "m2", "x", "m3", "y"),
	s("(nil)", "GET", "m3"),
	s(":1", "MSETNX", "m3", "y", "m4", "z"),
	s("[a b y z]", "MGET", "m1", "m2", "m3", "m4"),
	s("-ERR wrong number of arguments for 'mset' command", "MSET", "m1", "a", "m2"),
	// APPEND STRLEN GETRANGE SETRANGE
	s(":5", "APPEND", "ap", "Hello"),
	s(":11", "APPEND", "ap", " World"),
	s(":11", "STRLEN", "ap"),
	s(":0", "STRLEN", "missing"),
	s("Hello", "GETRANGE", "ap", "0", "4"),
	s("rld", "GETRANGE", "ap", "-3", "-1"),
	s(`"Hello World"`, "GETRANGE", "ap", "0", "-1"),
	s(`""`, "GETRANGE", "ap", "20", "30"),
	s(`""`, "GETRANGE", "missing", "0", "-1"),
	s(":11", "SETRANGE", "ap", "6", "Redis"),
	s(`"Hello Redis"`, "GET", "ap"),
	s(":6", "SETRANGE", "pad", "5", "x"),
	s(`"\x00\x00\x00\x00\x00x"`, "GET", "pad"),
	s("-ERR offset is out of range", "SETRANGE", "pad", "-1", "x"),
	// INCR family
	s(":1", "INCR", "n"),
	s(":11", "INCRBY", "n", "10"),
	s(":10", "DECR", "n"),
	s(":-5", "DECRBY", "n", "15"),
	s("-ERR value is not an integer or out of range", "INCRBY", "n", "1.5"),
	s("-ERR value is not an integer or out of range", "INCR", "ap"),
	s("OK", "SET", "max", "9223372036854775807"),
	s("-ERR increment or decrement would overflow", "INCR", "max"),
	s("-ERR increment or decrement would overflow", "INCRBY", "n", "-9223372036854775808"),
	s("OK", "SET", "f", "10.50"),
	s("10.6", "INCRBYFLOAT", "f", "0.1"),
	s("5.6", "INCRBYFLOAT", "f", "-5"),
	s("OK", "SET", "f", "5.0e3"),
	s("5200", "INCRBYFLOAT", "f", "2.0e2"),
	s("-ERR value is not a valid float", "INCRBYFLOAT", "ap", "1"),
	// OBJECT ENCODING follows the value
	s("int", "OBJECT", "ENCODING", "n"),
	s("embstr", "OBJECT", "ENCODING", "m1"),
	s("raw", "OBJECT", "ENCODING", "ap"),
	s("(nil)", "OBJECT", "ENCODING", "missing"),
	// LCS, whose IDX reply is a map in RESP3
	s("OK", "MSET", "lcs1", "ohmytext", "lcs2", "mynewtext"),
	s("mytext", "LCS", "lcs1", "lcs2"),
	s(":6", "LCS", "lcs1", "lcs2", "LEN"),
	{args: []any{"LCS", "lcs1", "lcs2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"},
		want2: "[matches [[[:4 :7] [:5 :8] :4]] len :6]",
		want3: "{len::6 matches:[[[:4 :7] [:5 :8] :4]]}"},
	// keys: DEL UNLINK EXISTS TYPE TOUCH
	s(":2", "EXISTS", "m1", "m1"),
	s(":3", "EXISTS", "m1", "m2", "missing", "m3"),
	s("string", "TYPE", "m1"),
	s("none", "TYPE", "missing"),
	s(":2", "TOUCH", "m1", "m2", "missing"),
	s(":2", "DEL", "m1", "m2", "missing"),
	s(":2", "UNLINK", "m3", "m4"),
	s(":0", "EXISTS", "m1", "m2", "m3", "m4"),
	// EXPIRE family with NX XX GT LT
	s("OK", "SET", "e", "v"),
	s(":0", "EXPIRE", "e", "100", "XX"),
	s(":0", "EXPIRE", "e", "100", "GT"),
	s(":1", "EXPIRE", "e", "100", "NX"),
	s(":0", "EXPIRE", "e", "200", "NX"),
	s(":0", "EXPIRE", "e", "50", "GT"),
	s(":1", "EXPIRE", "e", "200", "GT"),
	s(":1", "EXPIRE", "e", "100", "LT"),
	s(":1", "EXPIRE", "e", "150", "XX"),
	s(":150", "TTL", "e"),
	s("-ERR NX and XX, GT or LT options at the same time are not compatible", "EXPIRE", "e", "100", "NX", "XX"),
	s("-ERR GT and LT options at the same time are not compatible", "EXPIRE", "e", "100", "GT", "LT"),
	s(":1", "PEXPIRE", "e", "100000"),
	s(`~^:(99\d{3}|100000)$`, "PTTL", "e"),
	s(":1", "EXPIREAT", "e", "4102444800"),
	s(":4102444800", "EXPIRETIME", "e"),
	s(":1", "PEXPIREAT", "e", "4102444800123"),
	s(":4102444800123", "PEXPIRETIME", "e"),
	s(":1", "PERSIST", "e"),
	s(":0", "PERSIST", "e"),
	s(":-1", "PTTL", "e"),
	s(":0", "EXPIRE", "missing", "100"),
	s(":1", "EXPIRE", "e", "-1"),
	s(":0", "EXISTS", "e"),
	s("-ERR value is not an integer or out of range", "EXPIRE", "e", "soon"),
	// RENAME RENAMENX COPY MOVE
	s("OK", "SET", "r1", "one"),
	s("OK", "SET", "r2", "two"),
	s("OK", "RENAME", "r1", "r3"),
	s(":0", "EXISTS", "r1"),
	s("one", "GET", "r3"),
	s(":0", "RENAMENX", "r3", "r2"),
	s(":1", "RENAMENX", "r3", "r4"),
	s("-ERR no such key", "RENAME", "missing", "x"),
	s(":1", "COPY", "r4", "c1"),
	s(":0", "COPY", "r4", "c1"),
	s(":1", "COPY", "r2", "c1", "REPLACE"),
	s("two", "GET", "c1"),
	s(":1", "MOVE", "c1", otherDB),
	s(":0", "EXISTS", "c1"),
	s(":0", "MOVE", "missing", otherDB),
	// non-UTF-8 keys and values are binary safe
	s("OK", "SET", "\xff\xfe\x00", "\x80bin"),
	s(`"\x80bin"`, "GET", "\xff\xfe\x00"),
	s(":1", "DEL", "\xff\xfe\x00"),
	// KEYS SCAN RANDOMKEY DBSIZE
	{args: []any{"KEYS", "r*"}, want: "[r2 r4]", sortReply: true},
	{args: []any{"SCAN", "0", "MATCH", "r*", "COUNT", "1000"}, want: "[0 [r2 r4]]", sortReply: true},
	{args: []any{"SCAN", "0", "TYPE", "string", "MATCH", "g*", "COUNT", "1000"}, want: "[0 [gs gx]]", sortReply: true},
	s(":0", "DEL", "nosuch"),
	// errors from the command table
	s("-ERR wrong number of arguments for 'get' command", "GET"),
	s("-ERR unknown command 'nosuchcommand', with args beginning with: 'a' 'b' ", "nosuchcommand", "a", "b"),
}

// TestGoRedisOverTLS runs stringKeyScript with go-redis over TLS with a client certificate, in RESP2 and
// RESP3, each in its own database, and then a few calls of go-redis's typed API.
func TestGoRedisOverTLS(t *testing.T) {
	t.Parallel()
	n := startNode(t, nodeSpec{tls: true})
	for _, proto := range []int{2, 3} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{
				Addr: n.tlsAddr(), Protocol: proto, DB: proto, PoolSize: 1, MaxRetries: -1,
				TLSConfig: clientTLS(t, n.certs, true),
			})
			defer rdb.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			runScript(ctx, t, rdb, proto, stringKeyScript)

			// the last steps depend on what the script left: RANDOMKEY and DBSIZE on a one-key database
			keys, err := rdb.Keys(ctx, "*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if err := rdb.Del(ctx, keys...).Err(); err != nil {
				t.Fatal(err)
			}
			runScript(ctx, t, rdb, proto, []step{
				s(":0", "DBSIZE"),
				s("(nil)", "RANDOMKEY"),
				s("OK", "SET", "only", "1"),
				s("only", "RANDOMKEY"),
				s(":1", "DBSIZE"),
				s("OK", "SWAPDB", strconv.Itoa(proto), strconv.Itoa(proto+10)),
				s(":0", "DBSIZE"),
				s("OK", "SWAPDB", strconv.Itoa(proto), strconv.Itoa(proto+10)),
				s(":1", "DBSIZE"),
			})

			// go-redis's typed API decodes the same replies
			if err := rdb.Set(ctx, "typed", 41, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := rdb.Incr(ctx, "typed").Result(); err != nil || v != 42 {
				t.Errorf("Incr = %d, %v; want 42", v, err)
			}
			if ttl, err := rdb.TTL(ctx, "typed").Result(); err != nil || ttl != time.Minute {
				t.Errorf("TTL = %v, %v; want 1m", ttl, err)
			}
			if v, err := rdb.Get(ctx, "absent").Result(); !errors.Is(err, redis.Nil) {
				t.Errorf("Get(absent) = %q, %v; want redis.Nil", v, err)
			}
			if v, err := rdb.IncrByFloat(ctx, "typed", 0.5).Result(); err != nil || v != 42.5 {
				t.Errorf("IncrByFloat = %v, %v; want 42.5", v, err)
			}
			if v, err := rdb.MGet(ctx, "typed", "absent").Result(); err != nil || fmt.Sprint(v) != "[42.5 <nil>]" {
				t.Errorf("MGet = %v, %v", v, err)
			}
		})
	}
}

func runScript(ctx context.Context, t *testing.T, rdb *redis.Client, proto int, script []step) {
	t.Helper()
	for _, st := range script {
		want := st.want
		if proto == 2 && st.want2 != "" {
			want = st.want2
		}
		if proto == 3 && st.want3 != "" {
			want = st.want3
		}
		args := make([]any, len(st.args))
		for i, a := range st.args {
			if a == otherDB {
				a = strconv.Itoa(proto + 6) // each protocol's run has its own second database
			}
			args[i] = a
		}
		v, err := rdb.Do(ctx, args...).Result()
		if st.sortReply {
			v = sortReplyValue(v)
		}
		got := render(v, err)
		ok := got == want
		if strings.HasPrefix(want, "~") {
			ok = regexp.MustCompile(want[1:]).MatchString(got)
		}
		if !ok {
			t.Errorf("RESP%d %s\n got %s\nwant %s", proto, renderArgs(st.args), got, want)
		}
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
	}
}

func renderArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = renderString(fmt.Sprint(a))
	}
	return strings.Join(parts, " ")
}

// render prints a go-redis reply compactly: strings bare when they are one printable word, otherwise
// Go-quoted; integers ":n"; doubles ",f"; booleans "#t"/"#f"; nil "(nil)"; errors "-ERR ..."; arrays
// "[a b]"; maps "{k:v ...}" sorted by key.
func render(v any, err error) string {
	if errors.Is(err, redis.Nil) {
		return "(nil)"
	}
	var re redis.Error
	if errors.As(err, &re) {
		return "-" + re.Error()
	}
	if err != nil {
		return "(transport error: " + err.Error() + ")"
	}
	return renderValue(v)
}

func renderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "(nil)"
	case string:
		return renderString(x)
	case int64:
		return ":" + strconv.FormatInt(x, 10)
	case float64:
		return "," + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		if x {
			return "#t"
		}
		return "#f"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderValue(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case map[any]any:
		parts := make([]string, 0, len(x))
		for k, e := range x {
			parts = append(parts, renderValue(k)+":"+renderValue(e))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, " ") + "}"
	case error:
		return "-" + x.Error()
	}
	return fmt.Sprintf("(%T %v)", v, v)
}

func renderString(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '[' || c == ']' {
			return strconv.Quote(s)
		}
	}
	return s
}

// sortReplyValue sorts the elements of an array reply, or of the last element of a two-element
// [cursor, elements] reply (SCAN).
func sortReplyValue(v any) any {
	arr, ok := v.([]any)
	if !ok {
		return v
	}
	if len(arr) == 2 {
		if inner, ok := arr[1].([]any); ok {
			return []any{arr[0], sortReplyValue(inner)}
		}
	}
	out := append([]any(nil), arr...)
	sort.Slice(out, func(i, j int) bool { return renderValue(out[i]) < renderValue(out[j]) })
	return out
}
