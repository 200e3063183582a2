package blobs

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// ziplistOf frames entry bodies (encoding + data) into a ziplist, writing
// each prevlen in the 1-byte form when it fits, or always in the 5-byte form
// when bigPrev is set (Redis does this to avoid cascading updates).
func ziplistOf(count uint16, bigPrev bool, bodies ...[]byte) []byte {
	var body []byte
	prev, tail := 0, 10
	for _, e := range bodies {
		tail = 10 + len(body)
		var pl []byte
		if prev < 254 && !bigPrev {
			pl = []byte{byte(prev)}
		} else {
			pl = cat([]byte{0xFE}, u32(uint32(prev)))
		}
		entry := cat(pl, e)
		body = append(body, entry...)
		prev = len(entry)
	}
	return cat(u32(uint32(10+len(body)+1)), u32(uint32(tail)), u16(count), body, []byte{0xFF})
}

var zlVectors = []struct {
	name string
	body []byte
	want elem
}{
	{"6-bit string", []byte{0x03, 'f', 'o', 'o'}, str("foo")},
	{"6-bit empty", []byte{0x00}, str("")},
	// 14-bit big-endian length 300 = 0x012C.
	{"14-bit string", cat([]byte{0x41, 0x2C}, bytes.Repeat([]byte{'a'}, 300)), str(strings.Repeat("a", 300))},
	// 32-bit big-endian length 20000 = 0x4E20.
	{"32-bit string", cat([]byte{0x80, 0x00, 0x00, 0x4E, 0x20}, bytes.Repeat([]byte{'b'}, 20000)), str(strings.Repeat("b", 20000))},
	{"int8 -128", []byte{0xFE, 0x80}, num(-128)},
	{"int8 100", []byte{0xFE, 0x64}, num(100)},
	{"int16 -32768", []byte{0xC0, 0x00, 0x80}, num(math.MinInt16)},
	{"int24 -8388608", []byte{0xF0, 0x00, 0x00, 0x80}, num(-1 << 23)},
	{"int24 65536", []byte{0xF0, 0x00, 0x00, 0x01}, num(65536)},
	{"int32 max", []byte{0xD0, 0xFF, 0xFF, 0xFF, 0x7F}, num(math.MaxInt32)},
	{"int64 min", []byte{0xE0, 0, 0, 0, 0, 0, 0, 0, 0x80}, num(math.MinInt64)},
	{"immediate 0", []byte{0xF1}, num(0)},
	{"immediate 5", []byte{0xF6}, num(5)},
	{"immediate 12", []byte{0xFD}, num(12)},
}

func TestZiplistVectors(t *testing.T) {
	for _, v := range zlVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := collect(t, ZiplistIterate, ziplistOf(1, false, v.body))
			if err != nil {
				t.Fatalf("ZiplistIterate: %v", err)
			}
			if len(got) != 1 || got[0] != v.want {
				t.Fatalf("got %v, want %v", got, v.want)
			}
		})
	}
	var bodies [][]byte
	var want []elem
	for _, v := range zlVectors {
		bodies = append(bodies, v.body)
		want = append(want, v.want)
	}
	for _, bigPrev := range []bool{false, true} {
		for _, count := range []uint16{uint16(len(bodies)), 65535} {
			got, err := collect(t, ZiplistIterate, ziplistOf(count, bigPrev, bodies...))
			if err != nil || !equalElems(got, want) {
				t.Fatalf("combined (bigPrev=%v count=%d): err=%v got %d elements", bigPrev, count, err, len(got))
			}
		}
	}
}

// TestZiplistBigPrevlenByHand spells out the 0xFE prevlen form: the entry
// after a 303-byte entry must carry 0xFE and 303 as u32 LE.
func TestZiplistBigPrevlenByHand(t *testing.T) {
	first := cat([]byte{0x00, 0x41, 0x2C}, bytes.Repeat([]byte{'a'}, 300)) // prevlen 0, 14-bit string
	second := []byte{0xFE, 0x2F, 0x01, 0x00, 0x00, 0xF2}                   // prevlen 303, immediate 1
	body := cat(first, second)
	zl := cat(u32(uint32(10+len(body)+1)), u32(uint32(10+len(first))), u16(2), body, []byte{0xFF})
	got, err := collect(t, ZiplistIterate, zl)
	if err != nil || !equalElems(got, []elem{str(strings.Repeat("a", 300)), num(1)}) {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestZiplistEmpty(t *testing.T) {
	zl := []byte{11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xFF}
	if got, err := collect(t, ZiplistIterate, zl); err != nil || len(got) != 0 {
		t.Fatalf("empty ziplist: %v, %v", got, err)
	}
}

func TestZiplistRejectsCorrupt(t *testing.T) {
	good := ziplistOf(2, false, []byte{0x03, 'f', 'o', 'o'}, []byte{0xF2})
	mutate := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"short", []byte{10, 0, 0, 0, 10, 0, 0, 0, 0, 0}},
		{"total mismatch", mutate(func(b []byte) { b[0]++ })},
		{"no terminator", mutate(func(b []byte) { b[len(b)-1] = 0 })},
		{"count mismatch", mutate(func(b []byte) { b[8] = 3 })},
		{"tail wrong", mutate(func(b []byte) { b[4]-- })},
		{"first prevlen not zero", mutate(func(b []byte) { b[10] = 1 })},
		{"second prevlen wrong", mutate(func(b []byte) { b[15] = 4 })},
		{"string past end", ziplistOf(1, false, []byte{0x09, 'a'})},
		{"32-bit string huge", ziplistOf(1, false, []byte{0x80, 0xFF, 0xFF, 0xFF, 0xFF})},
		{"truncated int64", ziplistOf(1, false, []byte{0xE0, 1, 2})},
		{"truncated 14-bit length", ziplistOf(1, false, []byte{0x41})},
		{"truncated big prevlen", cat(u32(14), u32(10), u16(1), []byte{0xFE, 0, 0}, []byte{0xFF})},
		{"invalid int encoding 0xC1", ziplistOf(1, false, []byte{0xC1, 0, 0})},
		{"invalid int encoding 0xD5", ziplistOf(1, false, []byte{0xD5, 0, 0, 0, 0})},
		{"invalid int encoding 0xE8", ziplistOf(1, false, []byte{0xE8})},
		{"encoding 0xFF", ziplistOf(1, false, []byte{0xFF})},
		{"terminator mid-list", cat(u32(13), u32(10), u16(1), []byte{0xFF, 0xF1}, []byte{0xFF})},
		{"entry without encoding", cat(u32(12), u32(10), u16(1), []byte{0x00}, []byte{0xFF})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collect(t, ZiplistIterate, tc.b)
			mustCorrupt(t, err)
		})
	}
}

// A second entry whose prevlen is 1-byte although the first entry is bigger
// than 253 bytes must be caught by the prevlen check.
func TestZiplistPrevlenMustMatchLargeEntry(t *testing.T) {
	first := cat([]byte{0x00, 0x41, 0x2C}, bytes.Repeat([]byte{'a'}, 300))
	second := []byte{0x2F, 0xF2}
	body := cat(first, second)
	zl := cat(u32(uint32(10+len(body)+1)), u32(uint32(10+len(first))), u16(2), body, []byte{0xFF})
	_, err := collect(t, ZiplistIterate, zl)
	mustCorrupt(t, err)
	if binary.LittleEndian.Uint32(zl) != uint32(len(zl)) {
		t.Fatal("test vector broken")
	}
}
