package blobs

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// Hand-built entries, one per encoding, with their backlen bytes spelled out.
var lpVectors = []struct {
	name  string
	entry []byte
	want  elem
}{
	{"7-bit 0", []byte{0x00, 0x01}, num(0)},
	{"7-bit 127", []byte{0x7F, 0x01}, num(127)},
	{"13-bit 128", []byte{0xC0, 0x80, 0x02}, num(128)},
	{"13-bit 4095", []byte{0xCF, 0xFF, 0x02}, num(4095)},
	{"13-bit -1", []byte{0xDF, 0xFF, 0x02}, num(-1)},
	{"13-bit -4096", []byte{0xD0, 0x00, 0x02}, num(-4096)},
	{"int16 -32768", []byte{0xF1, 0x00, 0x80, 0x03}, num(math.MinInt16)},
	{"int16 4096", []byte{0xF1, 0x00, 0x10, 0x03}, num(4096)},
	{"int24 -8388608", []byte{0xF2, 0x00, 0x00, 0x80, 0x04}, num(-1 << 23)},
	{"int24 8388607", []byte{0xF2, 0xFF, 0xFF, 0x7F, 0x04}, num(1<<23 - 1)},
	{"int24 -2", []byte{0xF2, 0xFE, 0xFF, 0xFF, 0x04}, num(-2)},
	{"int32 min", []byte{0xF3, 0x00, 0x00, 0x00, 0x80, 0x05}, num(math.MinInt32)},
	{"int32 16777216", []byte{0xF3, 0x00, 0x00, 0x00, 0x01, 0x05}, num(1 << 24)},
	{"int64 min", []byte{0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x09}, num(math.MinInt64)},
	{"int64 max", []byte{0xF4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x09}, num(math.MaxInt64)},
	{"6-bit empty string", []byte{0x80, 0x01}, str("")},
	{"6-bit string", []byte{0x83, 'a', 'b', 'c', 0x04}, str("abc")},
	{"6-bit string 63", cat([]byte{0xBF}, bytes.Repeat([]byte{'x'}, 63), []byte{64}), str(strings.Repeat("x", 63))},
	// 12-bit length 200: entry is 202 bytes, backlen 202 = 1<<7 | 74.
	{"12-bit string, 2-byte backlen", cat([]byte{0xE0, 0xC8}, bytes.Repeat([]byte{'y'}, 200), []byte{0x01, 0x80 | 74}), str(strings.Repeat("y", 200))},
	// A short string in the 12-bit form is not canonical but is valid.
	{"12-bit string short", []byte{0xE0, 0x02, 'h', 'i', 0x04}, str("hi")},
	// 32-bit length 5000: entry 5005 = 39<<7 | 13.
	{"32-bit string, 2-byte backlen", cat([]byte{0xF0, 0x88, 0x13, 0x00, 0x00}, bytes.Repeat([]byte{'z'}, 5000), []byte{39, 0x80 | 13}), str(strings.Repeat("z", 5000))},
	// 32-bit length 20000: entry 20005 = 1<<14 | 28<<7 | 37.
	{"32-bit string, 3-byte backlen", cat([]byte{0xF0, 0x20, 0x4E, 0x00, 0x00}, bytes.Repeat([]byte{'w'}, 20000), []byte{0x01, 0x80 | 28, 0x80 | 37}), str(strings.Repeat("w", 20000))},
	// Entry of exactly 16383 bytes: Valkey's encoder switches to three
	// backlen bytes at this size, so readers must expect three.
	{"backlen edge 16383", cat([]byte{0xF0, 0xFA, 0x3F, 0x00, 0x00}, bytes.Repeat([]byte{'e'}, 16378), []byte{0x00, 0xFF, 0xFF}), str(strings.Repeat("e", 16378))},
}

func TestListpackVectors(t *testing.T) {
	for _, v := range lpVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := collect(t, ListpackIterate, listpackOf(1, v.entry))
			if err != nil {
				t.Fatalf("ListpackIterate: %v", err)
			}
			if len(got) != 1 || got[0] != v.want {
				t.Fatalf("got %v, want %v", got, v.want)
			}
		})
	}
	// All of them in one listpack, in order.
	var entries [][]byte
	var want []elem
	for _, v := range lpVectors {
		entries = append(entries, v.entry)
		want = append(want, v.want)
	}
	lp := listpackOf(uint16(len(entries)), entries...)
	got, err := collect(t, ListpackIterate, lp)
	if err != nil || !equalElems(got, want) {
		t.Fatalf("combined listpack: err=%v, %d elements", err, len(got))
	}
	if n, err := ListpackLen(lp); err != nil || n != len(want) {
		t.Fatalf("ListpackLen = %d, %v", n, err)
	}
	// Count 65535 means "unknown": the entries are counted instead.
	unknown := listpackOf(65535, entries...)
	if _, err := collect(t, ListpackIterate, unknown); err != nil {
		t.Fatalf("unknown count rejected: %v", err)
	}
	if n, err := ListpackLen(unknown); err != nil || n != len(want) {
		t.Fatalf("ListpackLen(unknown) = %d, %v", n, err)
	}
}

func TestListpackEmpty(t *testing.T) {
	lp := []byte{7, 0, 0, 0, 0, 0, 0xFF}
	got, err := collect(t, ListpackIterate, lp)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty listpack: %v, %v", got, err)
	}
	if n, err := ListpackLen(lp); err != nil || n != 0 {
		t.Fatalf("ListpackLen = %d, %v", n, err)
	}
}

func TestListpackRejectsCorrupt(t *testing.T) {
	good := listpackOf(2, []byte{0x05, 0x01}, []byte{0x83, 'a', 'b', 'c', 0x04})
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"shorter than header", []byte{6, 0, 0, 0, 0, 0}},
		{"total too big", mutate(func(b []byte) []byte { b[0]++; return b })},
		{"total too small", mutate(func(b []byte) []byte { b[0]--; return b })},
		{"no terminator", mutate(func(b []byte) []byte { b[len(b)-1] = 0; return b })},
		{"count too high", mutate(func(b []byte) []byte { b[4] = 3; return b })},
		{"count too low", mutate(func(b []byte) []byte { b[4] = 1; return b })},
		{"invalid encoding", listpackOf(1, []byte{0xF5, 0x01})},
		{"encoding 0xFE", listpackOf(1, []byte{0xFE, 0x01})},
		{"early terminator", listpackOf(1, []byte{0xFF, 0x05, 0x01})},
		{"wrong backlen", listpackOf(1, []byte{0x05, 0x02})},
		{"backlen with flag on first byte", listpackOf(1, cat([]byte{0xE0, 0xC8}, make([]byte, 200), []byte{0x81, 0x80 | 74}))},
		{"backlen missing flag", listpackOf(1, cat([]byte{0xE0, 0xC8}, make([]byte, 200), []byte{0x01, 74}))},
		{"string past end", listpackOf(1, []byte{0x85, 'a', 'b'})},
		{"32-bit string huge length", listpackOf(1, []byte{0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0x01})},
		{"truncated 13-bit", listpackOf(1, []byte{0xC1})},
		{"truncated 12-bit length", listpackOf(1, []byte{0xE1})},
		{"truncated 32-bit length", listpackOf(1, []byte{0xF0, 0x01})},
		{"truncated int64", listpackOf(1, []byte{0xF4, 1, 2, 3, 4})},
		{"missing backlen", listpackOf(1, []byte{0x05})},
		{"trailing garbage inside", listpackOf(1, []byte{0x05, 0x01, 0x00})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collect(t, ListpackIterate, tc.b)
			mustCorrupt(t, err)
		})
	}
	for _, tc := range tests[:5] {
		if _, err := ListpackLen(tc.b); err == nil {
			t.Errorf("ListpackLen accepted %s", tc.name)
		}
	}
}

func TestListpackCallbackError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := ListpackIterate(listpackOf(2, []byte{0x05, 0x01}, []byte{0x06, 0x01}), func([]byte, int64, bool) error {
		calls++
		return stop
	})
	if err != stop || calls != 1 {
		t.Fatalf("err=%v calls=%d: callback error must stop iteration and pass through unchanged", err, calls)
	}
}

func TestListpackStringsAliasInput(t *testing.T) {
	lp := listpackOf(1, []byte{0x83, 'a', 'b', 'c', 0x04})
	var got []byte
	_ = ListpackIterate(lp, func(s []byte, _ int64, _ bool) error { got = s; return nil })
	lp[8] = 'X'
	if string(got) != "aXc" {
		t.Fatalf("s does not alias the input: %q", got)
	}
	if cap(got) != len(got) {
		t.Fatalf("s has spare capacity %d; appending to it would clobber the blob", cap(got)-len(got))
	}
}
