package blobs

// Interop with the real redis-server: DUMP payloads produced by Redis are
// decoded with this package (plus lzf and crc64), and payloads built here are
// fed back through RESTORE with sanitize-dump-payload enabled, so Redis's own
// deep validation judges our listpacks, intsets, LZF blocks and checksums.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server/rdb/crc64"
	"github.com/valkey-node/valkey-node/server/rdb/lzf"
)

// RDB type bytes used below (see the spec's RDB section).
const (
	rdbTypeString        = 0
	rdbTypeSetIntset     = 11
	rdbTypeHashListpack  = 16
	rdbTypeZsetListpack  = 17
	rdbTypeListQuicklist = 18
	dumpRDBVersion       = 10 // Redis 7.0; every newer server accepts it
)

type redisConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// startRedis runs redis-server listening only on a unix socket in a private
// directory (no TCP port at all) and returns a connection to it.
func startRedis(t *testing.T) *redisConn {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("VALKEY_NODE_REQUIRE_INTEROP") == "1" {
			t.Fatalf("redis-server not found (Debian package redis-server): %v", err)
		}
		t.Skip("redis-server not installed (Debian package redis-server)")
	}
	// A short path: unix socket paths are limited to ~108 bytes.
	dir, err := os.MkdirTemp("", "vkn-blobs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(bin,
		"--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
		"--dir", dir, "--save", "", "--appendonly", "no",
		"--sanitize-dump-payload", "yes", "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	var conn net.Conn
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err = net.Dial("unix", sock)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server did not open %s: %v\n%s", sock, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() { conn.Close() })
	return &redisConn{t: t, c: conn, br: bufio.NewReader(conn)}
}

// do sends one command and returns its reply: string for simple/bulk
// strings, int64, []any, nil, or error for an error reply.
func (r *redisConn) do(args ...any) any {
	r.t.Helper()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "*%d\r\n", len(args))
	for _, a := range args {
		var b []byte
		switch v := a.(type) {
		case string:
			b = []byte(v)
		case []byte:
			b = v
		case int:
			b = []byte(strconv.Itoa(v))
		default:
			r.t.Fatalf("unsupported argument %T", a)
		}
		fmt.Fprintf(&buf, "$%d\r\n", len(b))
		buf.Write(b)
		buf.WriteString("\r\n")
	}
	if _, err := r.c.Write(buf.Bytes()); err != nil {
		r.t.Fatalf("write: %v", err)
	}
	v, err := r.read()
	if err != nil {
		r.t.Fatalf("read reply: %v", err)
	}
	return v
}

func (r *redisConn) read() (any, error) {
	line, err := r.br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return errors.New(line[1:]), nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r.br, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = r.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

func (r *redisConn) mustOK(args ...any) {
	r.t.Helper()
	if v := r.do(args...); v != "OK" {
		r.t.Fatalf("%v: %v", args[0], v)
	}
}

func (r *redisConn) strings(args ...any) []string {
	r.t.Helper()
	v, ok := r.do(args...).([]any)
	if !ok {
		r.t.Fatalf("%v: not an array", args)
	}
	out := make([]string, len(v))
	for i, e := range v {
		out[i], _ = e.(string)
	}
	return out
}

// --- minimal RDB value framing for the tests ---

func rdbLen(n int) []byte {
	switch {
	case n < 1<<6:
		return []byte{byte(n)}
	case n < 1<<14:
		return []byte{0x40 | byte(n>>8), byte(n)}
	default:
		return binary.BigEndian.AppendUint32([]byte{0x80}, uint32(n))
	}
}

// rdbString frames b as an RDB string, LZF-compressed when that pays off.
// It reports whether compression was used.
func rdbString(b []byte) ([]byte, bool) {
	if len(b) > 20 {
		if c := lzf.Compress(nil, b); c != nil {
			return cat([]byte{0xC3}, rdbLen(len(c)), rdbLen(len(b)), c), true
		}
	}
	return cat(rdbLen(len(b)), b), false
}

// readLen decodes an RDB length; special reports the 11xxxxxx string forms.
func readLen(p []byte) (n int, special bool, rest []byte, err error) {
	if len(p) == 0 {
		return 0, false, nil, errors.New("truncated length")
	}
	switch c := p[0]; {
	case c>>6 == 0:
		return int(c & 0x3F), false, p[1:], nil
	case c>>6 == 1:
		return int(c&0x3F)<<8 | int(p[1]), false, p[2:], nil
	case c == 0x80:
		return int(binary.BigEndian.Uint32(p[1:])), false, p[5:], nil
	case c>>6 == 3:
		return int(c & 0x3F), true, p[1:], nil
	}
	return 0, false, nil, fmt.Errorf("unsupported length byte %#x", p[0])
}

// readString decodes an RDB string (raw or LZF); it reports LZF use.
func readString(p []byte) (s []byte, compressed bool, rest []byte, err error) {
	n, special, p, err := readLen(p)
	if err != nil {
		return nil, false, nil, err
	}
	if !special {
		return p[:n], false, p[n:], nil
	}
	if n != 3 {
		return nil, false, nil, fmt.Errorf("unexpected integer-encoded string %d", n)
	}
	clen, _, p, err := readLen(p)
	if err != nil {
		return nil, false, nil, err
	}
	ulen, _, p, err := readLen(p)
	if err != nil {
		return nil, false, nil, err
	}
	out, err := lzf.Decompress(nil, p[:clen], ulen)
	return out, true, p[clen:], err
}

// openDump checks a DUMP payload's version and CRC64 trailer and returns the
// type byte and the value bytes.
func openDump(t *testing.T, payload string) (byte, []byte) {
	t.Helper()
	p := []byte(payload)
	if len(p) < 11 {
		t.Fatalf("DUMP payload too short: %d bytes", len(p))
	}
	body, trailer := p[:len(p)-8], p[len(p)-8:]
	if got, want := crc64.Checksum(body), binary.LittleEndian.Uint64(trailer); got != want {
		t.Fatalf("CRC64 of Redis DUMP payload: computed %#x, trailer %#x", got, want)
	}
	return p[0], p[1 : len(p)-10]
}

func makeDump(typ byte, value []byte) []byte {
	p := cat([]byte{typ}, value, u16(dumpRDBVersion))
	return binary.LittleEndian.AppendUint64(p, crc64.Checksum(p))
}

func pairs(flat []string) map[string]string {
	m := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		m[flat[i]] = flat[i+1]
	}
	return m
}

func listpackTexts(t *testing.T, lp []byte) []string {
	t.Helper()
	var out []string
	if err := ListpackIterate(lp, func(s []byte, n int64, isInt bool) error {
		out = append(out, asText(s, n, isInt))
		return nil
	}); err != nil {
		t.Fatalf("ListpackIterate on Redis listpack: %v", err)
	}
	return out
}

func TestInteropDecodeRedisDump(t *testing.T) {
	r := startRedis(t)
	rep := strings.Repeat("abc", 20) // under hash-max-listpack-value, compressible
	r.do("HSET", "h", "f", "v", "num", "12345", "neg", "-7", "big", "9999999999", "rep", rep, "mid", "300", "w24", "-8000000")
	r.do("SADD", "s32", "1", "2", "70000", "-5")
	r.do("SADD", "s64", "1", "5000000000")
	r.do("ZADD", "z", "1.5", "a", "2", "b", "-3", "c")
	r.do("RPUSH", "l", "x", "1", "-100000", rep)
	long := strings.Repeat("0123456789", 100)
	r.mustOK("SET", "str", long)

	t.Run("hash listpack (LZF)", func(t *testing.T) {
		typ, v := openDump(t, r.do("DUMP", "h").(string))
		if typ != rdbTypeHashListpack {
			t.Fatalf("type %d, want %d", typ, rdbTypeHashListpack)
		}
		lp, compressed, _, err := readString(v)
		if err != nil {
			t.Fatal(err)
		}
		if !compressed {
			t.Fatalf("expected Redis to LZF-compress this listpack")
		}
		got := listpackTexts(t, lp)
		want := r.strings("HGETALL", "h")
		if !slices.Equal(got, want) {
			t.Fatalf("listpack %q\nHGETALL  %q", got, want)
		}
	})
	t.Run("zset listpack", func(t *testing.T) {
		typ, v := openDump(t, r.do("DUMP", "z").(string))
		if typ != rdbTypeZsetListpack {
			t.Fatalf("type %d", typ)
		}
		lp, _, _, err := readString(v)
		if err != nil {
			t.Fatal(err)
		}
		want := r.strings("ZRANGE", "z", "0", "-1", "WITHSCORES")
		if got := listpackTexts(t, lp); !slices.Equal(got, want) {
			t.Fatalf("listpack %q, ZRANGE %q", got, want)
		}
	})
	t.Run("list quicklist node", func(t *testing.T) {
		typ, v := openDump(t, r.do("DUMP", "l").(string))
		if typ != rdbTypeListQuicklist {
			t.Fatalf("type %d", typ)
		}
		nodes, _, v, _ := readLen(v)
		container, _, v, _ := readLen(v)
		if nodes != 1 || container != 2 {
			t.Fatalf("nodes=%d container=%d, want one packed node", nodes, container)
		}
		lp, _, _, err := readString(v)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := listpackTexts(t, lp), r.strings("LRANGE", "l", "0", "-1"); !slices.Equal(got, want) {
			t.Fatalf("listpack %q, LRANGE %q", got, want)
		}
	})
	for _, tc := range []struct {
		key   string
		width byte
	}{{"s32", 4}, {"s64", 8}} {
		t.Run("intset "+tc.key, func(t *testing.T) {
			typ, v := openDump(t, r.do("DUMP", tc.key).(string))
			if typ != rdbTypeSetIntset {
				t.Fatalf("type %d", typ)
			}
			is, _, _, err := readString(v)
			if err != nil {
				t.Fatal(err)
			}
			if is[0] != tc.width {
				t.Fatalf("width %d, want %d", is[0], tc.width)
			}
			var got []string
			if err := IntsetIterate(is, func(n int64) error {
				got = append(got, strconv.FormatInt(n, 10))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			want := r.strings("SMEMBERS", tc.key)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("intset %v, SMEMBERS %v", got, want)
			}
		})
	}
	t.Run("LZF string", func(t *testing.T) {
		typ, v := openDump(t, r.do("DUMP", "str").(string))
		if typ != rdbTypeString {
			t.Fatalf("type %d", typ)
		}
		s, compressed, _, err := readString(v)
		if err != nil {
			t.Fatal(err)
		}
		if !compressed || string(s) != long {
			t.Fatalf("compressed=%v, equal=%v", compressed, string(s) == long)
		}
	})
}

func TestInteropRestoreOurEncodings(t *testing.T) {
	r := startRedis(t)
	rnd := rand.New(rand.NewPCG(42, 43))

	t.Run("hash listpacks", func(t *testing.T) {
		ints := []int64{0, 127, 128, -1, 4095, -4096, 4096, -32768, 32767, 1 << 23, -1 << 23, 1 << 31, -1 << 31, 1 << 40, -1 << 62}
		for i, compressible := range []bool{true, false} {
			var lb ListpackBuilder
			var fields []string
			add := func(k, v string) {
				lb.AppendString([]byte(k))
				lb.AppendString([]byte(v))
				fields = append(fields, k, v)
			}
			for j, n := range ints {
				add("int"+strconv.Itoa(j), strconv.FormatInt(n, 10))
			}
			for _, l := range []int{0, 1, 63, 64, 300, 4095, 4096, 17000} {
				var v string
				if compressible {
					v = strings.Repeat("z", l)
				} else {
					b := make([]byte, l)
					for k := range b {
						b[k] = byte('!' + rnd.IntN(90))
					}
					v = string(b)
				}
				add("len"+strconv.Itoa(l), v)
			}
			add("-0", "007")
			value, usedLZF := rdbString(lb.Bytes())
			if usedLZF != compressible {
				t.Fatalf("compressible=%v but LZF used=%v", compressible, usedLZF)
			}
			key := "h" + strconv.Itoa(i)
			r.mustOK("RESTORE", key, "0", makeDump(rdbTypeHashListpack, value))
			// Compare as maps: a server may convert a large listpack to a
			// hash table on load, which changes HGETALL's order.
			if got, want := pairs(r.strings("HGETALL", key)), pairs(fields); !maps.Equal(got, want) {
				t.Fatalf("HGETALL after RESTORE differs (%d vs %d fields)", len(got), len(want))
			}
		}
	})

	t.Run("intsets", func(t *testing.T) {
		for i, vals := range [][]int64{{-5, 1, 32767}, {-70000, 3}, {-1, 1 << 40}} {
			key := "s" + strconv.Itoa(i)
			value, _ := rdbString(IntsetBuild(vals))
			r.mustOK("RESTORE", key, "0", makeDump(rdbTypeSetIntset, value))
			got := r.strings("SMEMBERS", key)
			var want []string
			for _, v := range vals {
				want = append(want, strconv.FormatInt(v, 10))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("SMEMBERS %v, want %v", got, want)
			}
		}
	})

	// 65535 elements: the header must say "unknown" (65535) and Redis must
	// count them. (More would not work: quicklist nodes keep a 16-bit count.)
	t.Run("list listpack with unknown count", func(t *testing.T) {
		var lb ListpackBuilder
		for i := range 65535 {
			lb.AppendInt(int64(i % 1000))
		}
		lp := lb.Bytes()
		if lp[4] != 0xFF || lp[5] != 0xFF {
			t.Fatalf("count field % x", lp[4:6])
		}
		value, _ := rdbString(lp)
		payload := cat([]byte{rdbTypeListQuicklist}, rdbLen(1), rdbLen(2), value)
		r.mustOK("RESTORE", "biglist", "0", makeDump(payload[0], payload[1:]))
		if n := r.do("LLEN", "biglist"); n != int64(65535) {
			t.Fatalf("LLEN = %v", n)
		}
		if v := r.do("LINDEX", "biglist", "65534"); v != "534" {
			t.Fatalf("LINDEX = %v", v)
		}
	})

	t.Run("LZF strings", func(t *testing.T) {
		random := make([]byte, 9000)
		for i := range random {
			random[i] = byte(rnd.Uint32())
		}
		cases := map[string][]byte{
			"run":         bytes.Repeat([]byte{'q'}, 100000),
			"window edge": cat(random[:8192], random[:2000], random[:8192]),
			"text":        []byte(strings.Repeat("the quick brown fox ", 500)),
			"periodic":    bytes.Repeat([]byte("0123456"), 3000),
		}
		for name, data := range cases {
			value, usedLZF := rdbString(data)
			if !usedLZF {
				t.Fatalf("%s: not compressed", name)
			}
			r.mustOK("RESTORE", "str:"+name, "0", makeDump(rdbTypeString, value))
			if got := r.do("GET", "str:"+name); got != string(data) {
				t.Fatalf("%s: GET after RESTORE differs", name)
			}
		}
	})

	t.Run("bad checksum rejected", func(t *testing.T) {
		p := makeDump(rdbTypeString, cat(rdbLen(3), []byte("abc")))
		p[len(p)-1] ^= 1
		if err, ok := r.do("RESTORE", "bad", "0", p).(error); !ok || !strings.Contains(err.Error(), "checksum") {
			t.Fatalf("corrupted CRC accepted: %v", err)
		}
	})
}
