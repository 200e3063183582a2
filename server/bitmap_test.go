package server

import (
	"context"
	"strings"
	"testing"
)

// bitRunTable sends each command of a table (the arguments, then the reply as rawConn renders it) on one
// connection and checks the exact reply.
func bitRunTable(t *testing.T, r *rawConn, table [][]string) {
	t.Helper()
	for _, row := range table {
		checkReply(t, r, row[len(row)-1], row[:len(row)-1]...)
	}
}

func TestBitmapCommands(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	bitRunTable(t, r, [][]string{
		{"SETBIT", "k", "7", "1", ":0"},
		{"SETBIT", "k", "7", "1", ":1"},
		{"GET", "k", `"\x01"`},
		{"OBJECT", "ENCODING", "k", `"raw"`},
		{"SETBIT", "k", "0", "1", ":0"},
		{"GET", "k", `"\x81"`},
		{"SETBIT", "k", "7", "0", ":1"},
		{"GETBIT", "k", "0", ":1"},
		{"GETBIT", "k", "7", ":0"},
		{"GETBIT", "k", "100000", ":0"},
		{"GETBIT", "nokey", "0", ":0"},
		{"SETBIT", "k", "4294967295", "x", "-ERR bit is not an integer or out of range"},
		{"SETBIT", "k", "4294967296", "1", "-ERR bit offset is not an integer or out of range"},
		{"SETBIT", "k", "-1", "1", "-ERR bit offset is not an integer or out of range"},
		{"SETBIT", "k", "abc", "1", "-ERR bit offset is not an integer or out of range"},
		{"SETBIT", "k", "1", "2", "-ERR bit is not an integer or out of range"},
		{"SETBIT", "k", "1", "-1", "-ERR bit is not an integer or out of range"},
		{"GETBIT", "k", "x", "-ERR bit offset is not an integer or out of range"},
		{"SETBIT", "k", "1", "1", "2", "-ERR wrong number of arguments for 'setbit' command"},
		{"RPUSH", "l", "a", ":1"},
		{"SETBIT", "l", "1", "1", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"GETBIT", "l", "1", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		// BITCOUNT
		{"SET", "s", "foobar", "OK"},
		{"BITCOUNT", "s", ":26"},
		{"BITCOUNT", "s", "0", "0", ":4"},
		{"BITCOUNT", "s", "1", "1", ":6"},
		{"BITCOUNT", "s", "1", "1", "BYTE", ":6"},
		{"BITCOUNT", "s", "5", "30", "BIT", ":17"},
		{"BITCOUNT", "s", "-2", "-1", ":7"},
		{"BITCOUNT", "s", "-1", "-2", ":0"},
		{"BITCOUNT", "s", "0", "-100", ":4"},
		{"BITCOUNT", "s", "0", "1000", "bit", ":26"},
		{"BITCOUNT", "s", "0", "x", "-ERR value is not an integer or out of range"},
		{"BITCOUNT", "s", "0", "-ERR syntax error"},
		{"BITCOUNT", "s", "0", "1", "bits", "-ERR syntax error"},
		{"BITCOUNT", "s", "0", "1", "bit", "x", "-ERR syntax error"},
		{"BITCOUNT", "nokey", ":0"},
		{"BITCOUNT", "nokey", "0", "1", "word", "-ERR syntax error"},
		{"BITCOUNT", "l", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		// BITPOS
		{"SET", "p", "\xff\xf0\x00", "OK"},
		{"BITPOS", "p", "0", ":12"},
		{"BITPOS", "p", "1", ":0"},
		{"BITPOS", "p", "1", "2", ":-1"},
		{"BITPOS", "p", "0", "0", "0", ":-1"},
		{"BITPOS", "p", "0", "2", "-1", "bit", ":12"},
		{"BITPOS", "p", "1", "7", "15", "BIT", ":7"},
		{"BITPOS", "p", "0", "12", "-1", "BIT", ":12"},
		{"SET", "ones", "\xff\xff", "OK"},
		{"BITPOS", "ones", "0", ":16"},
		{"BITPOS", "ones", "0", "0", "-1", ":-1"},
		{"BITPOS", "nokey", "0", ":0"},
		{"BITPOS", "nokey", "1", ":-1"},
		{"BITPOS", "p", "2", "-ERR The bit argument must be 1 or 0."},
		{"BITPOS", "p", "x", "-ERR value is not an integer or out of range"},
		{"BITPOS", "nokey", "1", "a", "-ERR value is not an integer or out of range"},
		{"BITPOS", "nokey", "1", "0", "1", "bits", "-ERR syntax error"},
		{"BITPOS", "p", "1", "0", "1", "bit", "x", "-ERR syntax error"},
		{"BITPOS", "l", "1", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		// BITOP
		{"SET", "a", "\xf0\x0f", "OK"},
		{"SET", "b", "\xff", "OK"},
		{"BITOP", "AND", "d", "a", "b", ":2"},
		{"GET", "d", `"\xf0\x00"`},
		{"BITOP", "or", "d", "a", "b", "nokey", ":2"},
		{"GET", "d", `"\xff\x0f"`},
		{"BITOP", "XOR", "d", "a", "b", ":2"},
		{"GET", "d", `"\x0f\x0f"`},
		{"BITOP", "NOT", "d", "b", ":1"},
		{"GET", "d", `"\x00"`},
		{"BITOP", "NOT", "d", "a", "b", "-ERR BITOP NOT must be called with a single source key."},
		{"BITOP", "NAND", "d", "a", "-ERR syntax error"},
		{"BITOP", "AND", "d", "a", "l", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"BITOP", "AND", "d", "nokey", ":0"},
		{"EXISTS", "d", ":0"},
		{"BITOP", "AND", "d", "-ERR wrong number of arguments for 'bitop' command"},
		{"SET", "d", "x", "EX", "100", "OK"},
		{"BITOP", "OR", "d", "a", ":2"},
		{"TTL", "d", ":-1"},
	})
}

func TestBitfieldCommand(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	bitRunTable(t, r, [][]string{
		{"BITFIELD", "bf", "SET", "i8", "0", "100", "GET", "i8", "0", "[:0 :100]"},
		{"BITFIELD", "bf", "INCRBY", "i8", "0", "100", "[:-56]"},
		{"BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-100", "[:-128]"},
		{"BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1", "GET", "u8", "0", "[(nil) :128]"},
		{"BITFIELD", "bf", "SET", "u4", "#1", "15", "GET", "u8", "0", "[:0 :143]"},
		{"BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "u4", "#1", "3", "[:2]"},
		{"BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u4", "4", "-1", "GET", "u4", "4", "[:2 :15]"},
		{"BITFIELD", "bf", "SET", "i64", "8", "-9223372036854775808", "INCRBY", "i64", "8", "-1", "[:0 :9223372036854775807]"},
		{"BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "8", "1", "[:9223372036854775807]"},
		{"BITFIELD", "bf", "GET", "u63", "8", "[:4611686018427387903]"},
		{"BITFIELD", "bf", "[]"},
		{"BITFIELD", "bf", "GET", "u64", "0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."},
		{"BITFIELD", "bf", "GET", "i65", "0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."},
		{"BITFIELD", "bf", "GET", "I8", "0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."},
		{"BITFIELD", "bf", "GET", "i0", "0", "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."},
		{"BITFIELD", "bf", "GET", "i8", "-1", "-ERR bit offset is not an integer or out of range"},
		{"BITFIELD", "bf", "GET", "i8", "#-1", "-ERR bit offset is not an integer or out of range"},
		{"BITFIELD", "bf", "GET", "i8", "4294967296", "-ERR bit offset is not an integer or out of range"},
		{"BITFIELD", "bf", "SET", "i8", "0", "x", "-ERR value is not an integer or out of range"},
		{"BITFIELD", "bf", "OVERFLOW", "FOO", "-ERR Invalid OVERFLOW type specified"},
		{"BITFIELD", "bf", "GET", "i8", "-ERR syntax error"},
		{"BITFIELD", "bf", "FOO", "-ERR syntax error"},
		{"BITFIELD", "l2", "GET", "i8", "0", "[:0]"},
		{"EXISTS", "l2", ":0"},
		{"BITFIELD", "nk", "OVERFLOW", "FAIL", "SET", "u2", "0", "7", "[(nil)]"},
		{"GET", "nk", `"\x00"`},
		{"BITFIELD_RO", "bf", "GET", "u8", "0", "[:143]"},
		{"BITFIELD_RO", "bf", "SET", "u8", "0", "1", "-ERR BITFIELD_RO only supports the GET subcommand"},
		{"BITFIELD_RO", "bf", "INCRBY", "u8", "0", "1", "-ERR BITFIELD_RO only supports the GET subcommand"},
		// every subcommand is parsed before the read-only check, and that comes before the key's type
		{"BITFIELD_RO", "bf", "SET", "u8", "0", "x", "-ERR value is not an integer or out of range"},
		{"BITFIELD_RO", "bf", "INCRBY", "u8", "0", "1", "GET", "x8", "0", "-" + errBitfieldType},
		{"BITFIELD_RO", "bf", "OVERFLOW", "WRAP", "GET", "u8", "0", "[:143]"},
		{"RPUSH", "l", "a", ":1"},
		{"BITFIELD", "l", "GET", "u8", "0", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"BITFIELD", "l", "SET", "u8", "0", "1", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"BITFIELD_RO", "l", "SET", "u8", "0", "1", "-ERR BITFIELD_RO only supports the GET subcommand"},
		{"BITFIELD_RO", "l", "GET", "u8", "0", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
	})
	// growth past proto-max-bulk-len is refused
	small := startNode(t, "proto-max-bulk-len", "1048576")
	bitRunTable(t, small.raw(), [][]string{
		{"SETBIT", "k", "8388608", "1", "-ERR bit offset is not an integer or out of range"},
		{"SETBIT", "k", "8388607", "1", ":0"},
		{"BITFIELD", "k", "SET", "u8", "8388604", "1", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
	})
}

// go-redis over TLS in both protocols sees the same bitmap replies.
func TestBitmapGoRedis(t *testing.T) {
	n := startNode(t, "tls")
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := n.tlsClient(proto)
		c.Del(ctx, "g")
		if v, err := c.SetBit(ctx, "g", 3, 1).Result(); err != nil || v != 0 {
			t.Fatalf("RESP%d SETBIT: %v %v", proto, v, err)
		}
		if v, err := c.BitCount(ctx, "g", nil).Result(); err != nil || v != 1 {
			t.Fatalf("RESP%d BITCOUNT: %v %v", proto, v, err)
		}
		if v, err := c.BitPos(ctx, "g", 1).Result(); err != nil || v != 3 {
			t.Fatalf("RESP%d BITPOS: %v %v", proto, v, err)
		}
		v, err := c.BitField(ctx, "g", "GET", "u4", "0", "INCRBY", "u4", "0", "2").Result()
		if err != nil || len(v) != 2 || v[0] != 1 || v[1] != 3 {
			t.Fatalf("RESP%d BITFIELD: %v %v", proto, v, err)
		}
		c.Close()
	}
}

// bitFuzzReplyOK checks a reply of a fuzzed command: an error with a known text, or an array of integers
// and nulls.
func bitFuzzReplyOK(reply string, errs map[string]bool) bool {
	if strings.HasPrefix(reply, "-") {
		return errs[reply]
	}
	if !strings.HasPrefix(reply, "[") || !strings.HasSuffix(reply, "]") {
		return false
	}
	for _, e := range strings.Fields(reply[1 : len(reply)-1]) {
		if e != "(nil)" && !strings.HasPrefix(e, ":") {
			return false
		}
	}
	return true
}

// FuzzBitfieldArgs sends arbitrary subcommand lists to BITFIELD and BITFIELD_RO. Replies must be one of
// the documented errors or an array of integers and nulls, the string may never grow past
// proto-max-bulk-len, and the server must keep answering.
func FuzzBitfieldArgs(f *testing.F) {
	for _, seed := range []string{
		"GET u8 0", "SET i8 #1 100 GET i8 #1", "INCRBY u2 102 1 OVERFLOW SAT INCRBY u2 102 5",
		"OVERFLOW FAIL SET i64 0 -9223372036854775808", "GET u64 0", "GET i65 0", "SET u8 -1 1", "OVERFLOW",
		"GET", "INCRBY i1 0 1 INCRBY i1 0 1", "SET u63 #3 9223372036854775807", "get U8 0", "set i8 0 x",
		"OVERFLOW wrap OVERFLOW sat set u4 #100000000 1",
	} {
		f.Add([]byte(seed))
	}
	n := startNode(f, "proto-max-bulk-len", "1048576")
	conn := n.raw()
	errs := map[string]bool{
		"-" + errSyntax: true, "-" + errBitOffset: true, "-" + errNotInt: true, "-" + errBitfieldType: true,
		"-ERR Invalid OVERFLOW type specified": true, "-ERR BITFIELD_RO only supports the GET subcommand": true,
		"-ERR string exceeds maximum allowed size (proto-max-bulk-len)": true,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fields := strings.Fields(string(data))
		if len(fields) > 16 {
			return
		}
		r := &rawConn{t: t, c: conn.c, br: conn.br}
		for _, name := range []string{"BITFIELD", "BITFIELD_RO"} {
			reply := r.do(append([]string{name, "fz"}, fields...)...)
			if !bitFuzzReplyOK(reply, errs) {
				t.Fatalf("%s %q: unexpected reply %s", name, fields, reply)
			}
		}
		if l := r.do("STRLEN", "fz"); !strings.HasPrefix(l, ":") || len(l) > 8 || l > ":1048576" && len(l) == 8 {
			t.Fatalf("string grew to %s (proto-max-bulk-len is 1048576)", l)
		}
		if p := r.do("PING"); p != "PONG" {
			t.Fatalf("PING: %s", p)
		}
	})
}

func BenchmarkSetbit(b *testing.B) {
	n := startNode(b)
	c := n.client()
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.SetBit(ctx, "bench", int64(i%100000), i&1)
	}
}

// The keyspace events of the bitmap, HyperLogLog and SORT writes, in order, as Valkey names them; writes
// that change nothing send none.
func TestBitmapHLLSortEvents(t *testing.T) {
	n := startNode(t, "notify-keyspace-events", "KA")
	sub := n.raw()
	mustDo(t, sub, `["psubscribe" "__keyspace@0__:*" :1]`, "PSUBSCRIBE", "__keyspace@0__:*")
	r := n.raw()
	steps := [][]string{
		{"SETBIT", "b", "1", "1"}, {"SETBIT", "b", "1", "1"}, // the second changes nothing
		{"BITFIELD", "b", "SET", "u8", "0", "0"},
		{"BITFIELD", "b", "GET", "u8", "0"},
		{"BITOP", "NOT", "c", "b"},
		{"BITOP", "AND", "c", "nokey"},
		{"BITFIELD", "nf", "OVERFLOW", "FAIL", "SET", "u2", "0", "7"}, // creates the key, sends nothing
		{"PFADD", "h", "a"}, {"PFADD", "h", "a"},
		{"PFMERGE", "h2", "h"},
		{"RPUSH", "l", "2", "1"},
		{"SORT", "l", "STORE", "d"},
		{"SORT", "nokey", "STORE", "d"},
	}
	for _, s := range steps {
		r.do(s...)
	}
	for _, ev := range [][2]string{
		{"b", "setbit"}, {"b", "setbit"}, {"c", "set"}, {"c", "del"}, {"h", "pfadd"}, {"h2", "pfadd"},
		{"l", "rpush"}, {"d", "sortstore"}, {"d", "del"},
	} {
		expectReply(t, sub, `["pmessage" "__keyspace@0__:*" "__keyspace@0__:`+ev[0]+`" "`+ev[1]+`"]`)
	}
}
