package blobs

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The builder must produce exactly the canonical bytes for each encoding.
func TestListpackBuilderEncodings(t *testing.T) {
	tests := []struct {
		name  string
		add   func(lb *ListpackBuilder)
		entry []byte
	}{
		{"7-bit", func(lb *ListpackBuilder) { lb.AppendInt(127) }, []byte{0x7F, 0x01}},
		{"13-bit positive", func(lb *ListpackBuilder) { lb.AppendInt(128) }, []byte{0xC0, 0x80, 0x02}},
		{"13-bit negative", func(lb *ListpackBuilder) { lb.AppendInt(-1) }, []byte{0xDF, 0xFF, 0x02}},
		{"13-bit min", func(lb *ListpackBuilder) { lb.AppendInt(-4096) }, []byte{0xD0, 0x00, 0x02}},
		{"int16", func(lb *ListpackBuilder) { lb.AppendInt(4096) }, []byte{0xF1, 0x00, 0x10, 0x03}},
		{"int16 from -4097", func(lb *ListpackBuilder) { lb.AppendInt(-4097) }, []byte{0xF1, 0xFF, 0xEF, 0x03}},
		{"int24", func(lb *ListpackBuilder) { lb.AppendInt(-1 << 23) }, []byte{0xF2, 0x00, 0x00, 0x80, 0x04}},
		{"int32", func(lb *ListpackBuilder) { lb.AppendInt(1 << 24) }, []byte{0xF3, 0x00, 0x00, 0x00, 0x01, 0x05}},
		{"int64", func(lb *ListpackBuilder) { lb.AppendInt(math.MinInt64) }, []byte{0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x09}},
		{"string canonical int", func(lb *ListpackBuilder) { lb.AppendString([]byte("-4096")) }, []byte{0xD0, 0x00, 0x02}},
		{"string 6-bit", func(lb *ListpackBuilder) { lb.AppendString([]byte("abc")) }, []byte{0x83, 'a', 'b', 'c', 0x04}},
		{"string non-canonical int", func(lb *ListpackBuilder) { lb.AppendString([]byte("01")) }, []byte{0x82, '0', '1', 0x03}},
		{"string 63 is 6-bit", func(lb *ListpackBuilder) { lb.AppendString(bytes.Repeat([]byte{'s'}, 63)) },
			cat([]byte{0xBF}, bytes.Repeat([]byte{'s'}, 63), []byte{64})},
		{"string 64 is 12-bit", func(lb *ListpackBuilder) { lb.AppendString(bytes.Repeat([]byte{'s'}, 64)) },
			cat([]byte{0xE0, 0x40}, bytes.Repeat([]byte{'s'}, 64), []byte{66})},
		{"string 4095 is 12-bit", func(lb *ListpackBuilder) { lb.AppendString(bytes.Repeat([]byte{'s'}, 4095)) },
			cat([]byte{0xEF, 0xFF}, bytes.Repeat([]byte{'s'}, 4095), []byte{4097 >> 7, 0x80 | 4097&127})},
		{"string 4096 is 32-bit", func(lb *ListpackBuilder) { lb.AppendString(bytes.Repeat([]byte{'s'}, 4096)) },
			cat([]byte{0xF0, 0x00, 0x10, 0x00, 0x00}, bytes.Repeat([]byte{'s'}, 4096), []byte{4101 >> 7, 0x80 | 4101&127})},
		{"string 12-bit", func(lb *ListpackBuilder) { lb.AppendString(bytes.Repeat([]byte{'y'}, 200)) },
			cat([]byte{0xE0, 0xC8}, bytes.Repeat([]byte{'y'}, 200), []byte{0x01, 0x80 | 74})},
		{"string 32-bit", func(lb *ListpackBuilder) { lb.AppendString(bytes.Repeat([]byte{'z'}, 5000)) },
			cat([]byte{0xF0, 0x88, 0x13, 0x00, 0x00}, bytes.Repeat([]byte{'z'}, 5000), []byte{39, 0x80 | 13})},
		{"string 3-byte backlen edge", func(lb *ListpackBuilder) { lb.AppendString(bytes.Repeat([]byte{'e'}, 16378)) },
			cat([]byte{0xF0, 0xFA, 0x3F, 0x00, 0x00}, bytes.Repeat([]byte{'e'}, 16378), []byte{0x00, 0xFF, 0xFF})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lb ListpackBuilder
			tc.add(&lb)
			if got, want := lb.Bytes(), listpackOf(1, tc.entry); !bytes.Equal(got, want) {
				t.Fatalf("got  % x\nwant % x", head(got), head(want))
			}
		})
	}
}

func head(b []byte) []byte { return b[:min(len(b), 24)] }

func TestListpackBuilderEmpty(t *testing.T) {
	var lb ListpackBuilder
	if got := lb.Bytes(); !bytes.Equal(got, []byte{7, 0, 0, 0, 0, 0, 0xFF}) {
		t.Fatalf("empty builder: % x", got)
	}
	if lb.Len() != 0 {
		t.Fatalf("Len = %d", lb.Len())
	}
}

func TestParseCanonicalInt(t *testing.T) {
	tests := []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true},
		{"7", 7, true},
		{"-7", -7, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"-0", 0, false},
		{"00", 0, false},
		{"007", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1a", 0, false},
		{"1.0", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"--1", 0, false},
		{"123456789012345678901", 0, false},
	}
	for _, tc := range tests {
		n, ok := ParseCanonicalInt([]byte(tc.in))
		if ok != tc.ok || n != tc.n {
			t.Errorf("ParseCanonicalInt(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.ok)
		}
		if ok && strconv.FormatInt(n, 10) != tc.in {
			t.Errorf("%q accepted but is not canonical", tc.in)
		}
	}
}

func TestListpackBuilderRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 20))
	var lb ListpackBuilder
	for round := range 50 {
		lb.Reset()
		var want []elem
		n := r.IntN(300)
		for range n {
			switch r.IntN(6) {
			case 0:
				v := int64(r.Uint64())
				lb.AppendInt(v)
				want = append(want, num(v))
			case 1:
				v := r.Int64N(20000) - 10000
				lb.AppendInt(v)
				want = append(want, num(v))
			case 2: // canonical decimal strings come back as integers
				v := int64(r.Uint64()) >> r.IntN(64)
				lb.AppendString([]byte(strconv.FormatInt(v, 10)))
				want = append(want, num(v))
			default:
				s := strings.Repeat(string(rune('a'+r.IntN(26))), r.IntN([]int{10, 100, 5000}[r.IntN(3)]))
				if _, isNum := ParseCanonicalInt([]byte(s)); isNum {
					continue
				}
				lb.AppendString([]byte(s))
				want = append(want, str(s))
			}
		}
		if lb.Len() != len(want) {
			t.Fatalf("round %d: Len = %d, want %d", round, lb.Len(), len(want))
		}
		got, err := collect(t, ListpackIterate, lb.Bytes())
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if !equalElems(got, want) {
			t.Fatalf("round %d: elements differ", round)
		}
	}
}

func TestListpackBuilderLargeCount(t *testing.T) {
	var lb ListpackBuilder
	for i := range 70000 {
		lb.AppendInt(int64(i % 100))
	}
	b := lb.Bytes()
	if b[4] != 0xFF || b[5] != 0xFF {
		t.Fatalf("count field % x, want ff ff (unknown) for 70000 elements", b[4:6])
	}
	if n, err := ListpackLen(b); err != nil || n != 70000 {
		t.Fatalf("ListpackLen = %d, %v", n, err)
	}
}

func TestListpackBuilderBytesIsACopy(t *testing.T) {
	var lb ListpackBuilder
	lb.AppendString([]byte("first"))
	first := lb.Bytes()
	snapshot := append([]byte(nil), first...)
	lb.AppendString([]byte("second"))
	lb.Reset()
	lb.AppendString([]byte("other"))
	if !bytes.Equal(first, snapshot) {
		t.Fatalf("Bytes result changed after later builder calls")
	}
	got, err := collect(t, ListpackIterate, lb.Bytes())
	if err != nil || !equalElems(got, []elem{str("other")}) {
		t.Fatalf("after Reset: %v, %v", got, err)
	}
	prefix := []byte("hdr")
	out := lb.AppendTo(prefix)
	if !bytes.Equal(out[:3], prefix) || !bytes.Equal(out[3:], lb.Bytes()) {
		t.Fatalf("AppendTo did not append the listpack")
	}
}

func BenchmarkListpackBuild(b *testing.B) {
	vals := [][]byte{[]byte("field"), []byte("12345"), []byte("value-with-some-length"), []byte("-7")}
	var lb ListpackBuilder
	var dst []byte
	for b.Loop() {
		lb.Reset()
		for i := range 128 {
			lb.AppendString(vals[i%len(vals)])
		}
		dst = lb.AppendTo(dst[:0])
	}
	b.SetBytes(int64(len(dst)))
}

func BenchmarkListpackIterate(b *testing.B) {
	var lb ListpackBuilder
	for i := range 128 {
		lb.AppendString([]byte("value-" + strconv.Itoa(i)))
		lb.AppendInt(int64(i * 1000))
	}
	lp := lb.Bytes()
	b.SetBytes(int64(len(lp)))
	for b.Loop() {
		if err := ListpackIterate(lp, func([]byte, int64, bool) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
