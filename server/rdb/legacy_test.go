package rdb

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/server/rdb/blobs"
	"github.com/valkey-node/valkey-node/server/rdb/crc64"
)

// Hand-built values of the types only older servers write, and the encodings they load into.

// rawStr is an RDB string without special encoding.
func rawStr(s string) []byte { return append(appendLen(nil, uint64(len(s))), s...) }

// ziplist builds a ziplist of strings and int64s.
func ziplist(elems ...any) []byte {
	var body []byte
	prev, tail := 0, 10
	for _, e := range elems {
		var ent []byte
		if prev < 254 {
			ent = append(ent, byte(prev))
		} else {
			ent = binary.LittleEndian.AppendUint32(append(ent, 0xFE), uint32(prev))
		}
		switch v := e.(type) {
		case string:
			switch l := len(v); {
			case l < 64:
				ent = append(ent, byte(l))
			case l < 16384:
				ent = append(ent, 0x40|byte(l>>8), byte(l))
			default:
				ent = binary.BigEndian.AppendUint32(append(ent, 0x80), uint32(l))
			}
			ent = append(ent, v...)
		case int:
			n := int64(v)
			switch {
			case n >= 0 && n <= 12:
				ent = append(ent, 0xF1+byte(n))
			case n >= math.MinInt8 && n <= math.MaxInt8:
				ent = append(ent, 0xFE, byte(n))
			case n >= math.MinInt16 && n <= math.MaxInt16:
				ent = binary.LittleEndian.AppendUint16(append(ent, 0xC0), uint16(n))
			case n >= -1<<23 && n < 1<<23:
				ent = append(ent, 0xF0, byte(n), byte(n>>8), byte(n>>16))
			case n >= math.MinInt32 && n <= math.MaxInt32:
				ent = binary.LittleEndian.AppendUint32(append(ent, 0xD0), uint32(n))
			default:
				ent = binary.LittleEndian.AppendUint64(append(ent, 0xE0), uint64(n))
			}
		}
		tail = 10 + len(body)
		body = append(body, ent...)
		prev = len(ent)
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(10+len(body)+1))
	b = binary.LittleEndian.AppendUint32(b, uint32(tail))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(elems)))
	return append(append(b, body...), 0xFF)
}

// zipmap builds a zipmap of short fields and values.
func zipmap(pairs ...string) []byte {
	b := []byte{byte(len(pairs) / 2)}
	for i := 0; i < len(pairs); i += 2 {
		b = append(b, byte(len(pairs[i])))
		b = append(b, pairs[i]...)
		b = append(b, byte(len(pairs[i+1])), 0)
		b = append(b, pairs[i+1]...)
	}
	return append(b, 0xFF)
}

func listpack(elems ...string) []byte {
	var lb blobs.ListpackBuilder
	for _, e := range elems {
		lb.AppendString([]byte(e))
	}
	return lb.Bytes()
}

// oneKey wraps a value of type t as key "k" in a version-9 file and decodes it with lim.
func oneKey(t *testing.T, typ byte, value []byte, lim Limits) string {
	t.Helper()
	b := append([]byte("REDIS0009"), typ)
	b = append(b, rawStr("k")...)
	b = append(b, value...)
	b = append(b, opEOF)
	b = binary.LittleEndian.AppendUint64(b, crc64.Checksum(b))
	keys, _ := decodeFile(t, b, lim)
	if len(keys) != 1 {
		t.Fatalf("%d keys", len(keys))
	}
	return describe(keys[0].obj)
}

func strs(ss ...string) []byte {
	var b []byte
	for _, s := range ss {
		b = append(b, rawStr(s)...)
	}
	return b
}

func TestLegacyAndCompactTypes(t *testing.T) {
	def := DefaultLimits()
	long := strings.Repeat("L", 100)
	small := func(mod func(*Limits)) Limits {
		l := DefaultLimits()
		mod(&l)
		return l
	}
	cases := []struct {
		name  string
		typ   byte
		value []byte
		lim   Limits
		want  string
	}{
		{"list", typeList, append([]byte{3}, strs("a", "12", "c")...), def, `list/listpack: "a" "12" "c"`},
		{"list over count fill", typeList, append([]byte{3}, strs("a", "b", "c")...), small(func(l *Limits) { l.ListFill = 2 }),
			`list/quicklist: "a" "b" "c"`},
		{"list over size fill", typeList, append([]byte{2}, strs(strings.Repeat("x", 5000), "y")...), small(func(l *Limits) { l.ListFill = -1 }),
			`list/quicklist: "` + strings.Repeat("x", 5000) + `" "y"`},
		{"list ziplist", typeListZiplist, rawStr(string(ziplist("a", 1, -200, 70000, 1<<40, long))), def,
			`list/listpack: "a" "1" "-200" "70000" "1099511627776" "` + long + `"`},
		{"quicklist one node", typeListQuicklist, append([]byte{1}, rawStr(string(ziplist("a", "b")))...), def, `list/listpack: "a" "b"`},
		{"quicklist two nodes", typeListQuicklist, append([]byte{2}, strs(string(ziplist("a")), string(ziplist("b")))...), def,
			`list/quicklist: "a" "b"`},
		{"quicklist empty node skipped", typeListQuicklist, append([]byte{2}, strs(string(ziplist("a")), string(ziplist()))...), def,
			`list/listpack: "a"`},
		{"quicklist2 packed", typeListQuicklist2, append([]byte{1, 2}, rawStr(string(listpack("x", "7")))...), def,
			`list/listpack: "x" "7"`},
		{"quicklist2 plain", typeListQuicklist2, append([]byte{1, 1}, rawStr("plain")...), def, `list/quicklist: "plain"`},
		{"quicklist2 mixed", typeListQuicklist2, append(append([]byte{2, 2}, rawStr(string(listpack("x")))...), append([]byte{1}, rawStr("p")...)...), def,
			`list/quicklist: "x" "p"`},
		{"set ints", typeSet, append([]byte{3}, strs("3", "-1", "2")...), def, `set/intset: "-1" "2" "3"`},
		{"set mixed", typeSet, append([]byte{3}, strs("3", "a", "2")...), def, `set/listpack: "2" "3" "a"`},
		{"set long member", typeSet, append([]byte{2}, strs("1", long)...), def, `set/hashtable: "1" "` + long + `"`},
		{"set over intset limit", typeSet, append([]byte{3}, strs("1", "2", "3")...), small(func(l *Limits) { l.Set.IntsetEntries = 2 }),
			`set/hashtable: "1" "2" "3"`},
		{"intset", typeSetIntset, rawStr(string(blobs.IntsetBuild([]int64{-5, 0, 1 << 40}))), def, `set/intset: "-5" "0" "1099511627776"`},
		{"intset over limit", typeSetIntset, rawStr(string(blobs.IntsetBuild([]int64{1, 2, 3}))), small(func(l *Limits) { l.Set.IntsetEntries = 2 }),
			`set/hashtable: "1" "2" "3"`},
		{"set listpack keeps long members", typeSetListpack, rawStr(string(listpack("a", long, "5"))), def, `set/listpack: "5" "` + long + `" "a"`},
		{"set listpack of ints stays listpack", typeSetListpack, rawStr(string(listpack("1", "2"))), def, `set/listpack: "1" "2"`},
		{"set listpack over limit", typeSetListpack, rawStr(string(listpack("a", "b", "c"))), small(func(l *Limits) { l.Set.ListpackEntries = 2 }),
			`set/hashtable: "a" "b" "c"`},
		{"hash", typeHash, append([]byte{2}, strs("f", "v", "g", "1")...), def, `hash/listpack: "f"="v" "g"="1"`},
		{"hash long value", typeHash, append([]byte{1}, strs("f", long)...), def, `hash/hashtable: "f"="` + long + `"`},
		{"hash over limit", typeHash, append([]byte{2}, strs("f", "v", "g", "1")...), small(func(l *Limits) { l.Hash.Entries = 1 }),
			`hash/hashtable: "f"="v" "g"="1"`},
		{"zipmap", typeHashZipmap, rawStr(string(zipmap("f", "v", "num", "12"))), def, `hash/listpack: "f"="v" "num"="12"`},
		{"zipmap checks value length", typeHashZipmap, rawStr(string(zipmap("f", strings.Repeat("v", 70)))), def,
			`hash/hashtable: "f"="` + strings.Repeat("v", 70) + `"`},
		{"hash ziplist", typeHashZiplist, rawStr(string(ziplist("f", "v", "n", 5))), def, `hash/listpack: "f"="v" "n"="5"`},
		{"hash ziplist keeps long values", typeHashZiplist, rawStr(string(ziplist("f", long))), def, `hash/listpack: "f"="` + long + `"`},
		{"hash listpack keeps long values", typeHashListpack, rawStr(string(listpack("f", long))), def, `hash/listpack: "f"="` + long + `"`},
		{"hash listpack over limit", typeHashListpack, rawStr(string(listpack("f", "v", "g", "w"))), small(func(l *Limits) { l.Hash.Entries = 1 }),
			`hash/hashtable: "f"="v" "g"="w"`},
		{"zset ziplist", typeZSetZiplist, rawStr(string(ziplist("b", "2.5", "a", 1, "c", "inf"))), def, `zset/listpack: "a"@1 "b"@2.5 "c"@+Inf`},
		{"zset listpack keeps long members", typeZSetListpack, rawStr(string(listpack(long, "1", "x", "-1.5"))), def,
			`zset/listpack: "x"@-1.5 "` + long + `"@1`},
		{"zset listpack over limit", typeZSetListpack, rawStr(string(listpack("a", "1", "b", "2"))), small(func(l *Limits) { l.ZSet.Entries = 1 }),
			`zset/skiplist: "a"@1 "b"@2`},
		{"zset2 small", typeZSet2, zset2("b", 2, "a", 1), def, `zset/listpack: "a"@1 "b"@2`},
		{"zset2 long member", typeZSet2, zset2(long, 1), def, `zset/skiplist: "` + long + `"@1`},
		{"zset2 over limit", typeZSet2, zset2("a", 1, "b", 2), small(func(l *Limits) { l.ZSet.Entries = 1 }), `zset/skiplist: "a"@1 "b"@2`},
		{"zset2 negative zero listpack", typeZSet2, zset2("a", math.Copysign(0, -1)), def, `zset/listpack: "a"@0`},
		{"zset2 negative zero skiplist", typeZSet2, zset2("a", math.Copysign(0, -1), long, 1), def, `zset/skiplist: "a"@-0 "` + long + `"@1`},
	}
	for _, c := range cases {
		if got := oneKey(t, c.typ, c.value, c.lim); got != c.want {
			t.Errorf("%s:\n got %.400s\nwant %.400s", c.name, got, c.want)
		}
	}
}

func zset2(pairs ...any) []byte {
	b := []byte{byte(len(pairs) / 2)}
	for i := 0; i < len(pairs); i += 2 {
		b = append(b, rawStr(pairs[i].(string))...)
		var score float64
		switch s := pairs[i+1].(type) {
		case int:
			score = float64(s)
		case float64:
			score = s
		}
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(score))
	}
	return b
}

// TestLargeListQuicklist checks a long LIST (type 1) arrives whole, as a quicklist, in order.
func TestLargeListQuicklist(t *testing.T) {
	n := 5000
	v := appendLen(nil, uint64(n))
	for i := 0; i < n; i++ {
		v = append(v, rawStr("item-"+strconv.Itoa(i))...)
	}
	got := oneKey(t, typeList, v, DefaultLimits())
	if !strings.HasPrefix(got, `list/quicklist: "item-0" "item-1"`) || !strings.HasSuffix(got, `"item-4999"`) ||
		strings.Count(got, `"item-`) != n {
		t.Fatalf("got %.200s", got)
	}
}

// stream builds a stream value of type t (15, 19 or 21) with one node, one group with a pending entry
// and one consumer.
func stream(t byte) []byte {
	b := []byte{1}
	b = append(b, rawStr(string(make([]byte, 16)))...)
	b = append(b, rawStr(string(listpack("1", "0", "f", "v")))...)
	b = append(b, 1, 5, 0) // length, last id
	if t >= typeStreamListpack2 {
		b = append(b, 5, 0, 0, 0, 1) // first id, max deleted id, entries added
	}
	b = append(b, 1) // one group
	b = append(b, rawStr("grp")...)
	b = append(b, 5, 0) // last delivered id
	if t >= typeStreamListpack2 {
		b = append(b, 1) // entries read
	}
	b = append(b, 1)                     // one pending entry
	b = append(b, make([]byte, 16+8)...) // id, delivery time
	b = append(b, 1)                     // delivery count
	b = append(b, 1)                     // one consumer
	b = append(b, rawStr("alice")...)    // name
	b = append(b, make([]byte, 8)...)    // seen time
	if t >= typeStreamListpack3 {
		b = append(b, make([]byte, 8)...) // active time
	}
	b = append(b, 1)
	return append(b, make([]byte, 16)...)
}

// TestStreamsSkippedInSync checks that a stream key fails with an error naming it, and that the keys
// after it still load.
func TestStreamsSkippedInSync(t *testing.T) {
	for _, typ := range []byte{typeStreamListpacks, typeStreamListpack2, typeStreamListpack3} {
		b := append([]byte("REDIS0011"), typ)
		b = append(b, rawStr("events")...)
		b = append(b, stream(typ)...)
		b = append(b, typeString)
		b = append(b, strs("after", "ok")...)
		b = append(b, opEOF)
		b = binary.LittleEndian.AppendUint64(b, crc64.Checksum(b))
		d := NewDecoder(bytes.NewReader(b), DefaultLimits())
		var rec Record
		err := d.Next(&rec)
		fe := asFormatError(t, err)
		if !strings.Contains(fe.Msg, "stream value for key 'events' is not supported yet") {
			t.Fatalf("type %d: %v", typ, err)
		}
		must(t, d.Next(&rec))
		if string(rec.Key) != "after" || string(rec.Obj.Str) != "ok" {
			t.Fatalf("type %d: after the stream: %+v", typ, rec)
		}
		if err := d.Next(&rec); err != io.EOF {
			t.Fatalf("type %d: %v", typ, err)
		}
	}
}

// TestBadBlobs checks that malformed compact values are format errors naming what was wrong.
func TestBadBlobs(t *testing.T) {
	for name, c := range map[string]struct {
		typ   byte
		value []byte
	}{
		"listpack":          {typeHashListpack, rawStr("\x07\x00\x00\x00\x01\x00\xff")},
		"odd hash listpack": {typeHashListpack, rawStr(string(listpack("a", "b", "c")))},
		"ziplist":           {typeListZiplist, rawStr("garbage")},
		"intset":            {typeSetIntset, rawStr("\x02\x00\x00\x00\x05\x00\x00\x00")},
		"zipmap":            {typeHashZipmap, rawStr("\x01\x05ab")},
		"zset bad score":    {typeZSetListpack, rawStr(string(listpack("a", "x1")))},
		"quicklist node":    {typeListQuicklist2, []byte{1, 3, 0}},
	} {
		b := append([]byte("REDIS0010"), c.typ)
		b = append(b, rawStr("k")...)
		b = append(b, c.value...)
		d := NewDecoder(bytes.NewReader(b), DefaultLimits())
		var rec Record
		err := d.Next(&rec)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		asFormatError(t, err)
	}
}
