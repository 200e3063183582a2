package blobs

import (
	"bytes"
	"strconv"
	"testing"
)

// asText renders an element the way a client would see it.
func asText(s []byte, n int64, isInt bool) string {
	if isInt {
		return strconv.FormatInt(n, 10)
	}
	return string(s)
}

func FuzzListpackIterate(f *testing.F) {
	var lb ListpackBuilder
	for _, v := range []string{"a", "-1", "12345", "1234567890123", "hello world"} {
		lb.AppendString([]byte(v))
	}
	f.Add(lb.Bytes())
	for _, v := range lpVectors[:len(lpVectors)-3] { // skip the multi-KiB ones
		f.Add(listpackOf(1, v.entry))
	}
	f.Add(listpackOf(65535, []byte{0x05, 0x01}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var texts []string
		err := ListpackIterate(b, func(s []byte, n int64, isInt bool) error {
			texts = append(texts, asText(s, n, isInt))
			return nil
		})
		n, lenErr := ListpackLen(b)
		if err != nil {
			return
		}
		if lenErr != nil || n != len(texts) {
			t.Fatalf("Iterate ok with %d elements but Len = %d, %v", len(texts), n, lenErr)
		}
		// Anything accepted must survive a rebuild with the same values.
		var rb ListpackBuilder
		for _, s := range texts {
			rb.AppendString([]byte(s))
		}
		i := 0
		if err := ListpackIterate(rb.Bytes(), func(s []byte, n int64, isInt bool) error {
			if got := asText(s, n, isInt); got != texts[i] {
				t.Fatalf("element %d: rebuilt %q, original %q", i, got, texts[i])
			}
			i++
			return nil
		}); err != nil || i != len(texts) {
			t.Fatalf("rebuilt listpack: %v (%d of %d)", err, i, len(texts))
		}
	})
}

func FuzzZiplistIterate(f *testing.F) {
	var bodies [][]byte
	for _, v := range zlVectors[:2] {
		bodies = append(bodies, v.body)
	}
	for _, v := range zlVectors[4:] {
		bodies = append(bodies, v.body)
	}
	f.Add(ziplistOf(uint16(len(bodies)), false, bodies...))
	f.Add(ziplistOf(2, true, []byte{0xF1}, []byte{0x01, 'x'}))
	f.Add([]byte{11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ZiplistIterate(b, func(s []byte, n int64, isInt bool) error {
			if isInt == (s != nil) {
				t.Fatalf("isInt=%v with s=%q", isInt, s)
			}
			if s != nil && !bytes.Contains(b, s) {
				t.Fatalf("string not taken from the input")
			}
			return nil
		})
	})
}

func FuzzIntsetIterate(f *testing.F) {
	f.Add(IntsetBuild([]int64{-3, 0, 9}))
	f.Add(IntsetBuild([]int64{1 << 40}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var vals []int64
		if err := IntsetIterate(b, func(n int64) error { vals = append(vals, n); return nil }); err != nil {
			return
		}
		// A valid intset rebuilt from its values is the same or narrower.
		if rb := IntsetBuild(vals); len(rb) > len(b) {
			t.Fatalf("rebuild grew %d -> %d bytes", len(b), len(rb))
		}
	})
}

func FuzzZipmapIterate(f *testing.F) {
	f.Add([]byte{0x02, 3, 'f', 'o', 'o', 3, 0, 'b', 'a', 'r', 1, 'x', 1, 1, 'y', 0, 0xFF})
	f.Add(cat([]byte{0x01, 254}, u32(3), []byte("abc"), []byte{0, 0, 0xFF}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ZipmapIterate(b, func(k, v []byte) error { return nil })
	})
}
