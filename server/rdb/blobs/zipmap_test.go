package blobs

import (
	"bytes"
	"strings"
	"testing"
)

type pair struct{ k, v string }

func collectPairs(b []byte) ([]pair, error) {
	var out []pair
	err := ZipmapIterate(b, func(k, v []byte) error {
		out = append(out, pair{string(k), string(v)})
		return nil
	})
	return out, err
}

func TestZipmapVectors(t *testing.T) {
	big := strings.Repeat("k", 300)
	tests := []struct {
		name string
		b    []byte
		want []pair
	}{
		{"empty", []byte{0x00, 0xFF}, nil},
		// "foo" => "bar" (no free), "hello" => "world" with 2 free bytes.
		{"two pairs", cat([]byte{0x02, 3}, []byte("foo"), []byte{3, 0}, []byte("bar"),
			[]byte{5}, []byte("hello"), []byte{5, 2}, []byte("world"), []byte{0xAA, 0xBB}, []byte{0xFF}),
			[]pair{{"foo", "bar"}, {"hello", "world"}}},
		// 300-byte key: 254 then u32 LE 300.
		{"big key length", cat([]byte{0x01, 254}, u32(300), []byte(big), []byte{1, 0, 'v', 0xFF}),
			[]pair{{big, "v"}}},
		// 300-byte value with a big length and a free byte.
		{"big value length", cat([]byte{0x01, 1, 'k', 254}, u32(300), []byte{1}, []byte(big), []byte{0}, []byte{0xFF}),
			[]pair{{"k", big}}},
		{"empty key and value", []byte{0x01, 0, 0, 0, 0xFF}, []pair{{"", ""}}},
		// zmlen 254 means "count unknown".
		{"unknown count", cat([]byte{254, 1, 'a', 1, 0, 'b'}, []byte{0xFF}), []pair{{"a", "b"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectPairs(tc.b)
			if err != nil {
				t.Fatalf("ZipmapIterate: %v", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d pairs, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("pair %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestZipmapRejectsCorrupt(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"one byte", []byte{0x00}},
		{"no terminator", []byte{0x01, 1, 'a', 1, 0, 'b'}},
		{"count mismatch", []byte{0x02, 1, 'a', 1, 0, 'b', 0xFF}},
		{"key past end", []byte{0x01, 9, 'a', 0xFF}},
		{"value past end", []byte{0x01, 1, 'a', 9, 0, 'b', 0xFF}},
		{"free past end", []byte{0x01, 1, 'a', 1, 9, 'b', 0xFF}},
		{"missing value", []byte{0x01, 1, 'a', 0xFF}},
		{"missing free byte", []byte{0x01, 1, 'a', 0, 0xFF}},
		{"truncated big length", []byte{0x01, 254, 1, 0, 0xFF}},
		{"huge big length", cat([]byte{0x01, 254}, u32(0xFFFFFFFF), []byte{'a', 0xFF})},
		{"terminator as value length", []byte{0x01, 1, 'a', 0xFF, 0, 0xFF}},
		{"terminator mid-map", []byte{0x01, 1, 'a', 1, 0, 'b', 0xFF, 0xFF}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collectPairs(tc.b)
			mustCorrupt(t, err)
		})
	}
}

func TestZipmapAliasesInput(t *testing.T) {
	b := []byte{0x01, 1, 'a', 1, 0, 'b', 0xFF}
	var k, v []byte
	_ = ZipmapIterate(b, func(key, val []byte) error { k, v = key, val; return nil })
	b[2], b[5] = 'x', 'y'
	if !bytes.Equal(k, []byte("x")) || !bytes.Equal(v, []byte("y")) {
		t.Fatalf("key/val do not alias the input: %q %q", k, v)
	}
}
