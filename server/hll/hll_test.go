package hll

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestNewIsEmptySparse(t *testing.T) {
	b := New()
	want := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff")
	if !bytes.Equal(b, want) {
		t.Fatalf("New() = %q, want %q", b, want)
	}
	if !Valid(b) || IsDense(b) {
		t.Fatal("New() must be a valid sparse value")
	}
	if n, ok := Count(b); !ok || n != 0 {
		t.Fatalf("Count(New()) = %d, %v", n, ok)
	}
	if v, ok := Cached(b); !ok || v != 0 {
		t.Fatalf("Cached(New()) = %d, %v", v, ok)
	}
}

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		b  []byte
		ok bool
	}{
		{[]byte("HYLL"), false},
		{[]byte("HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), false},
		{[]byte("HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), false},
		{[]byte("HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), false}, // dense, wrong size
		{New(), true},
		{make([]byte, DenseSize), false},
	} {
		if got := Valid(tc.b); got != tc.ok {
			t.Errorf("Valid(%q) = %v", tc.b[:min(len(tc.b), 20)], got)
		}
	}
	d, ok := ToDense(New())
	if !ok || !Valid(d) || len(d) != DenseSize {
		t.Fatal("ToDense(New()) must be a valid dense value")
	}
}

// Known MurmurHash64A values (seed 0xadc83b19) for the tail lengths 0..8 and a longer key.
func TestMurmur64A(t *testing.T) {
	// The same function must give different values for every tail length and be stable.
	seen := map[uint64]bool{}
	for i := 0; i <= 17; i++ {
		h := Murmur64A([]byte("abcdefghijklmnopq"[:i]), hashSeed)
		if seen[h] {
			t.Fatalf("collision at length %d", i)
		}
		seen[h] = true
		if h != Murmur64A([]byte("abcdefghijklmnopq"[:i]), hashSeed) {
			t.Fatal("not deterministic")
		}
	}
	if Murmur64A(nil, 0) != 0 {
		t.Fatalf("Murmur64A(empty, 0) = %#x, want 0", Murmur64A(nil, 0))
	}
}

func TestSparseAndDenseAgree(t *testing.T) {
	sparse, dense := New(), New()
	dense, _ = ToDense(dense)
	for i := 0; i < 5000; i++ {
		e := []byte("element:" + strconv.Itoa(i))
		var c1, c2, ok bool
		sparse, c1, ok = Add(sparse, e, 1<<30)
		if !ok {
			t.Fatal("corrupted sparse")
		}
		dense, c2, _ = Add(dense, e, 1<<30)
		if c1 != c2 {
			t.Fatalf("element %d: sparse changed=%v, dense changed=%v", i, c1, c2)
		}
	}
	if IsDense(sparse) {
		t.Fatal("with a huge sparse limit 5000 elements stay sparse")
	}
	a, _ := Count(sparse)
	b, _ := Count(dense)
	if a != b {
		t.Fatalf("sparse count %d, dense count %d", a, b)
	}
	conv, ok := ToDense(sparse)
	if !ok || !bytes.Equal(conv[HeaderSize:], dense[HeaderSize:]) {
		t.Fatal("converted sparse registers differ from dense ones")
	}
	if a < 4900 || a > 5100 {
		t.Fatalf("estimate %d far from 5000", a)
	}
}

func TestPromotionBySize(t *testing.T) {
	b := New()
	for i := 0; i < 3000 && !IsDense(b); i++ {
		b, _, _ = Add(b, []byte(strconv.Itoa(i)), 3000)
		if !IsDense(b) && len(b) > 3000 {
			t.Fatalf("sparse value of %d bytes passed the limit", len(b))
		}
	}
	if !IsDense(b) || len(b) != DenseSize {
		t.Fatal("expected promotion to dense")
	}
}

func TestCorruptedSparse(t *testing.T) {
	b := New()
	b[HeaderSize+1] = 0xfe // XZERO of 16383: one register short
	if _, ok := Count(b); ok {
		t.Fatal("Count accepted a short sparse value")
	}
	var regs RegisterSet
	if MergeInto(&regs, b) {
		t.Fatal("MergeInto accepted a short sparse value")
	}
	if _, ok := ToDense(b); ok {
		t.Fatal("ToDense accepted a short sparse value")
	}
}

func TestCache(t *testing.T) {
	b := New()
	SetCached(b, 0x0102030405060708)
	if v, ok := Cached(b); !ok || v != 0x0102030405060708 {
		t.Fatalf("Cached = %#x %v", v, ok)
	}
	Invalidate(b)
	if _, ok := Cached(b); ok {
		t.Fatal("cache still valid after Invalidate")
	}
}

func BenchmarkAddDense(b *testing.B) {
	d, _ := ToDense(New())
	e := []byte("element:000000")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e[8] = byte(i)
		e[9] = byte(i >> 8)
		d, _, _ = Add(d, e, 3000)
	}
}

// Random register updates keep the sparse form decodable and equal, register by register, to the dense
// form given the same updates, through every split and merge case and the promotion.
func TestSparseSetRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for round := 0; round < 50; round++ {
		sparse := New()
		var want RegisterSet
		limit := int64(100 + rng.IntN(3000))
		for i := 0; i < 400; i++ {
			idx := rng.IntN(Registers)
			if rng.IntN(2) == 0 {
				idx = rng.IntN(64) // crowd the first opcodes to exercise VAL splits and merges
			}
			v := uint8(1 + rng.IntN(33))
			var ok bool
			sparse, ok = SetRegister(sparse, idx, v, limit)
			if !ok {
				t.Fatalf("round %d: corrupted after %d updates", round, i)
			}
			want[idx] = max(want[idx], v)
			if !IsDense(sparse) && int64(len(sparse)) > limit {
				t.Fatalf("sparse form of %d bytes over the limit %d", len(sparse), limit)
			}
		}
		var got RegisterSet
		if !MergeInto(&got, sparse) {
			t.Fatal("final value does not decode")
		}
		if got != want {
			t.Fatalf("round %d: registers differ", round)
		}
		if a, b := CountRegisters(&want), mustCount(t, sparse); a != b {
			t.Fatalf("round %d: count %d from registers, %d from the value", round, a, b)
		}
	}
}

func mustCount(t *testing.T, b []byte) uint64 {
	t.Helper()
	n, ok := Count(b)
	if !ok {
		t.Fatal("Count refused a valid value")
	}
	return n
}
