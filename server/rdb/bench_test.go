package rdb

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// benchKeys is a mix of 100k keys: mostly small strings and integers, some small hashes, lists, sets
// and sorted sets, a tenth with an expiry.
func benchKeys(n int) []testKey {
	lim := DefaultLimits()
	keys := make([]testKey, n)
	for i := range keys {
		k := testKey{key: "key:" + strconv.Itoa(i), expire: -1}
		switch i % 10 {
		case 0:
			k.obj = hashObj(lim.Hash, "name", "user"+strconv.Itoa(i), "visits", strconv.Itoa(i%1000), "city", "somewhere")
		case 1:
			k.obj = listObj(lim.ListFill, "a", "b", strconv.Itoa(i), "d")
		case 2:
			k.obj = setObj(lim.Set, "1", "2", strconv.Itoa(i))
		case 3:
			k.obj = zsetObj(lim.ZSet, keyspace.ZEntry{Member: "m", Score: float64(i)}, keyspace.ZEntry{Member: "n", Score: 1.5})
		case 4, 5:
			k.obj = strObj(strconv.Itoa(i * 31))
		default:
			k.obj = strObj("value:" + strconv.Itoa(i) + ":some-payload")
		}
		if i%10 == 7 {
			k.expire = 1_900_000_000_000 + int64(i)
		}
		keys[i] = k
	}
	return keys
}

func encodeKeys(b *testing.B, keys []testKey, w io.Writer) {
	e := NewEncoder(w, Options{Compress: true, Checksum: true})
	if err := e.Header(); err != nil {
		b.Fatal(err)
	}
	e.SelectDB(0, uint64(len(keys)), 0)
	for _, k := range keys {
		if err := e.Key(k.key, k.obj, k.expire); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.Finish(); err != nil {
		b.Fatal(err)
	}
}

func decodeKeys(b *testing.B, data []byte) int {
	d := NewDecoder(bytes.NewReader(data), DefaultLimits())
	var rec Record
	n := 0
	for {
		err := d.Next(&rec)
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		if rec.Kind == RecKey {
			n++
		}
	}
}

// BenchmarkEncodeDecode100k writes and reads back a file of 100k mixed keys.
func BenchmarkEncodeDecode100k(b *testing.B) {
	keys := benchKeys(100_000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		encodeKeys(b, keys, &buf)
		if n := decodeKeys(b, buf.Bytes()); n != len(keys) {
			b.Fatalf("%d keys", n)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkEncode100k(b *testing.B) {
	keys := benchKeys(100_000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		encodeKeys(b, keys, &buf)
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkDecode100k(b *testing.B) {
	var buf bytes.Buffer
	encodeKeys(b, benchKeys(100_000), &buf)
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		decodeKeys(b, buf.Bytes())
	}
}

// BenchmarkDecode1MStrings is startup load of a million small string keys.
func BenchmarkDecode1MStrings(b *testing.B) {
	keys := make([]testKey, 1_000_000)
	for i := range keys {
		keys[i] = testKey{key: "key:" + strconv.Itoa(i), obj: strObj("value:" + strconv.Itoa(i)), expire: -1}
	}
	var buf bytes.Buffer
	encodeKeys(b, keys, &buf)
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		decodeKeys(b, buf.Bytes())
	}
}
