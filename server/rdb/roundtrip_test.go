package rdb

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// roundTripKeys are values of every kind in every encoding, with the encoding each must have.
func roundTripKeys() []struct {
	name string
	obj  *keyspace.Object
	enc  string
} {
	lim := DefaultLimits()
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	}
	big := strings.Repeat("abcdefghij", 10_000) // 100 kB, compressible
	type kc = struct {
		name string
		obj  *keyspace.Object
		enc  string
	}
	keys := []kc{
		{"empty", strObj(""), "embstr"},
		{"zero", strObj("0"), "int"},
		{"int8", strObj("-128"), "int"},
		{"int16", strObj("32767"), "int"},
		{"int32", strObj("-2147483648"), "int"},
		{"int32+1", strObj("2147483648"), "int"},
		{"int64", strObj("9223372036854775807"), "int"},
		{"leading zero", strObj("007"), "embstr"},
		{"minus zero", strObj("-0"), "embstr"},
		{"plus", strObj("+1"), "embstr"},
		{"binary", strObj("\x00\xff\r\n\x01"), "embstr"},
		{"20 bytes", strObj(strings.Repeat("a", 20)), "embstr"},
		{"21 bytes", strObj(strings.Repeat("a", 21)), "embstr"},
		{"45 bytes", strObj(strings.Repeat("ab", 22) + "c"), "raw"},
		{"big compressible", strObj(big), "raw"},
		{"big random", strObj(random(200_000)), "raw"},
		{"list listpack", listObj(lim.ListFill, "a", "1", "-5", "", "9223372036854775807", "hello world"), "listpack"},
		{"list quicklist", listObj(lim.ListFill, seq("element-", 2000)...), "quicklist"},
		{"list big element", listObj(lim.ListFill, "a", strings.Repeat("x", 10_000), "b", big, "c"), "quicklist"},
		{"list 129", listObj(lim.ListFill, seq("", 129)...), "listpack"},
		{"set intset", setObj(lim.Set, "1", "-7", "300", "70000", "-9223372036854775808", "9223372036854775807"), "intset"},
		{"set intset small", setObj(lim.Set, "3", "1", "2"), "intset"},
		{"set listpack", setObj(lim.Set, "a", "b", "1", "c"), "listpack"},
		{"set hashtable", setObj(lim.Set, seq("m", 200)...), "hashtable"},
		{"set big intset", setObj(lim.Set, seq("", 600)...), "hashtable"},
		{"set long member", setObj(lim.Set, "a", strings.Repeat("m", 65)), "hashtable"},
		{"hash listpack", hashObj(lim.Hash, "f", "v", "n", "12", "empty", "", "neg", "-3"), "listpack"},
		{"hash listpack 200", hashObj(lim.Hash, pairsOf(200, 3)...), "listpack"},
		{"hash hashtable", hashObj(lim.Hash, pairsOf(600, 3)...), "hashtable"},
		{"hash long value", hashObj(lim.Hash, "f", strings.Repeat("v", 65)), "hashtable"},
		{"zset listpack", zsetObj(lim.ZSet,
			keyspace.ZEntry{Member: "a", Score: 1}, keyspace.ZEntry{Member: "b", Score: 2.5},
			keyspace.ZEntry{Member: "c", Score: math.Inf(1)}, keyspace.ZEntry{Member: "d", Score: math.Inf(-1)},
			keyspace.ZEntry{Member: "e", Score: -1e300}, keyspace.ZEntry{Member: "f", Score: 0.1},
			keyspace.ZEntry{Member: "g", Score: 1 << 62}, keyspace.ZEntry{Member: "h", Score: 1 << 63},
			keyspace.ZEntry{Member: "i", Score: 5e-324}, keyspace.ZEntry{Member: "12", Score: -7}), "listpack"},
		{"zset skiplist", zsetObj(lim.ZSet, zentries(300, func(i int) string {
			return "member:" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('0'+i%10)) + strings.Repeat("y", i/100)
		},
			func(i int) float64 { return float64(i%50) / 3 })...), "skiplist"},
		{"zset long member", zsetObj(lim.ZSet, keyspace.ZEntry{Member: strings.Repeat("m", 65), Score: 1},
			keyspace.ZEntry{Member: "z", Score: math.Copysign(0, -1)}), "skiplist"},
	}
	return keys
}

func TestRoundTripEveryEncoding(t *testing.T) {
	for _, o := range []Options{{Compress: true, Checksum: true}, {Compress: false, Checksum: false}} {
		var in []testKey
		want := map[string]string{}
		for i, k := range roundTripKeys() {
			if got := encodingOf(k.obj); got != k.enc {
				t.Fatalf("%s: built with encoding %s, test expects %s", k.name, got, k.enc)
			}
			exp := int64(-1)
			if i%3 == 0 {
				exp = 1_900_000_000_000 + int64(i)
			}
			in = append(in, testKey{db: i % 3, key: k.name, obj: k.obj, expire: exp})
			want[k.name] = describe(k.obj)
		}
		data := encodeFile(t, o, in)
		out, aux := decodeFile(t, data, DefaultLimits())
		if aux["redis-ver"] != "7.0.15" || aux["redis-bits"] != "64" {
			t.Errorf("aux fields = %v", aux)
		}
		if len(out) != len(in) {
			t.Fatalf("decoded %d keys, wrote %d", len(out), len(in))
		}
		for i, k := range out {
			if k.key != in[i].key || k.db != in[i].db || k.expire != in[i].expire {
				t.Errorf("key %d: got %q db %d expire %d, want %q db %d expire %d", i, k.key, k.db, k.expire,
					in[i].key, in[i].db, in[i].expire)
			}
			if got := describe(k.obj); got != want[k.key] {
				t.Errorf("%s (%+v): decoded\n%.300s\nwant\n%.300s", k.key, o, got, want[k.key])
			}
			if k.obj.Raw || k.obj.NoIntEnc {
				t.Errorf("%s: loaded string has Raw/NoIntEnc set", k.key)
			}
		}
	}
}

// TestCompressionShrinksFile checks that rdbcompression is applied: the same compressible data is much
// smaller with it.
func TestCompressionShrinksFile(t *testing.T) {
	keys := []testKey{{key: "k", obj: strObj(strings.Repeat("compress me ", 10_000)), expire: -1}}
	on := encodeFile(t, Options{Compress: true}, keys)
	off := encodeFile(t, Options{}, keys)
	if len(on)*10 > len(off) {
		t.Fatalf("compressed file %d bytes, uncompressed %d", len(on), len(off))
	}
	if !bytes.Contains(on, []byte{0xC3}) {
		t.Fatal("no LZF string marker in the compressed file")
	}
}

// TestLoadedStringsAreCopies checks that decoded values do not share memory with each other or the input.
func TestLoadedStringsAreCopies(t *testing.T) {
	data := encodeFile(t, Options{}, []testKey{
		{key: "a", obj: strObj("value-a"), expire: -1},
		{key: "b", obj: strObj("value-b"), expire: -1},
	})
	keys, _ := decodeFile(t, data, DefaultLimits())
	for i := range data {
		data[i] = 'X'
	}
	if string(keys[0].obj.Str) != "value-a" || string(keys[1].obj.Str) != "value-b" || keys[0].key != "a" {
		t.Fatalf("decoded values changed with the input: %q %q", keys[0].obj.Str, keys[1].obj.Str)
	}
}
