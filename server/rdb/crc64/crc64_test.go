package crc64

import (
	stdcrc "hash/crc64"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
)

// reference computes the Redis CRC through Go's standard package, which
// applies ^ before and after the update; undoing both yields init 0 /
// xorout 0 as Redis uses.
var refTable = stdcrc.MakeTable(Poly)

func reference(crc uint64, p []byte) uint64 { return ^stdcrc.Update(^crc, refTable, p) }

func TestCheckValue(t *testing.T) {
	const want uint64 = 0xE9C6D914C4B8D9CA
	if got := Checksum([]byte("123456789")); got != want {
		t.Fatalf("Checksum(123456789) = %#x, want %#x", got, want)
	}
	if got := Checksum(nil); got != 0 {
		t.Fatalf("Checksum(nil) = %#x, want 0 (init 0, no xorout)", got)
	}
}

func TestMatchesReferenceAllLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	// Every length up to 300 covers all tail sizes of the 8-byte kernel;
	// the longer ones exercise many kernel iterations.
	lengths := []int{1000, 2047, 2048, 4096}
	for n := range 300 {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for _, start := range []int{0, 1, 3, 7} {
			if start+n > len(buf) {
				continue
			}
			p := buf[start : start+n]
			if got, want := Checksum(p), reference(0, p); got != want {
				t.Fatalf("len %d offset %d: got %#x want %#x", n, start, got, want)
			}
		}
	}
}

func TestUpdateIsIncremental(t *testing.T) {
	data := []byte("The quick brown fox jumps over the lazy dog, repeatedly and at length.")
	whole := Checksum(data)
	for split := 0; split <= len(data); split++ {
		if got := Update(Update(0, data[:split]), data[split:]); got != whole {
			t.Fatalf("split at %d: got %#x want %#x", split, got, whole)
		}
	}
}

func TestDigest(t *testing.T) {
	d := New()
	if _, err := io.WriteString(d, "1234"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Write([]byte("56789")); err != nil {
		t.Fatal(err)
	}
	if got := d.Sum64(); got != 0xE9C6D914C4B8D9CA {
		t.Fatalf("Sum64 = %#x", got)
	}
	sum := d.Sum([]byte{0xAA})
	want := []byte{0xAA, 0xE9, 0xC6, 0xD9, 0x14, 0xC4, 0xB8, 0xD9, 0xCA}
	if string(sum) != string(want) {
		t.Fatalf("Sum = % x, want % x", sum, want)
	}
	if d.Size() != 8 || d.BlockSize() != 1 {
		t.Fatalf("Size/BlockSize = %d/%d", d.Size(), d.BlockSize())
	}
	d.Reset()
	if d.Sum64() != 0 {
		t.Fatalf("Reset did not clear state")
	}
	var zero Digest
	_, _ = zero.Write([]byte("123456789"))
	if zero.Sum64() != 0xE9C6D914C4B8D9CA {
		t.Fatalf("zero-value Digest not usable")
	}
}

func benchmarkChecksum(b *testing.B, n int, f func([]byte) uint64) {
	buf := make([]byte, n)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.SetBytes(int64(n))
	b.ResetTimer()
	for b.Loop() {
		f(buf)
	}
}

func BenchmarkChecksum(b *testing.B) {
	for _, n := range []int{64, 1 << 10, 64 << 10} {
		b.Run(sizeName(n), func(b *testing.B) { benchmarkChecksum(b, n, Checksum) })
	}
}

// BenchmarkStdlibReference measures the hash/crc64 route the spec mentions,
// for comparison with the slicing-by-8 kernel above.
func BenchmarkStdlibReference(b *testing.B) {
	for _, n := range []int{64, 1 << 10, 64 << 10} {
		b.Run(sizeName(n), func(b *testing.B) {
			benchmarkChecksum(b, n, func(p []byte) uint64 { return reference(0, p) })
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
