package replication

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// checkBacklog compares the backlog with a model: all the bytes ever fed since activation.
func checkBacklog(t *testing.T, b *backlog, all []byte, base int64) {
	t.Helper()
	if want := base + int64(len(all)); b.offset != want {
		t.Fatalf("offset %d, want %d", b.offset, want)
	}
	keep := min(int64(len(all)), b.size)
	if b.histlen != keep {
		t.Fatalf("histlen %d, want %d", b.histlen, keep)
	}
	if first := b.firstOffset(); first != b.offset-keep+1 {
		t.Fatalf("first offset %d, want %d", first, b.offset-keep+1)
	}
	// Every valid starting point returns the right suffix.
	for off := b.firstOffset(); off <= b.offset+1; off++ {
		got, err := b.appendFrom(nil, off)
		if err != nil {
			t.Fatalf("appendFrom(%d): %v", off, err)
		}
		want := all[off-base-1:]
		if !bytes.Equal(got, want) {
			t.Fatalf("appendFrom(%d) = %q, want %q", off, got, want)
		}
	}
	if b.contains(b.firstOffset()-1) || b.contains(b.offset+2) {
		t.Fatalf("contains accepts offsets outside [%d, %d]", b.firstOffset(), b.offset+1)
	}
	if _, err := b.appendFrom(nil, b.offset+2); err == nil {
		t.Fatal("appendFrom beyond the end succeeded")
	}
}

func TestBacklogEmptyOffsets(t *testing.T) {
	b := newBacklog(16)
	b.feed([]byte("abc")) // inactive: the offset counts, nothing kept
	if b.offset != 3 || b.histlen != 0 || b.contains(4) {
		t.Fatalf("inactive backlog: offset %d histlen %d contains(4) %v", b.offset, b.histlen, b.contains(4))
	}
	b.activate()
	// As Valkey: an empty backlog starts right after the current offset.
	if b.firstOffset() != 4 || !b.contains(4) || b.contains(3) {
		t.Fatalf("empty backlog: first %d, contains(4) %v, contains(3) %v", b.firstOffset(), b.contains(4), b.contains(3))
	}
	if got, err := b.appendFrom(nil, 4); err != nil || len(got) != 0 {
		t.Fatalf("appendFrom(offset+1) = %q, %v", got, err)
	}
	b.feed([]byte("defg"))
	checkBacklog(t, b, []byte("defg"), 3)

	b.free()
	b.feed([]byte("hi"))
	if b.active || b.offset != 9 || b.contains(9) {
		t.Fatalf("freed backlog: active %v offset %d", b.active, b.offset)
	}
	b.reset(100)
	b.activate()
	if b.offset != 100 || b.firstOffset() != 101 || b.histlen != 0 {
		t.Fatalf("after reset: offset %d first %d histlen %d", b.offset, b.firstOffset(), b.histlen)
	}
}

func TestBacklogWraparound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int64{1, 7, 16, 100} {
		b := newBacklog(size)
		b.activate()
		var all []byte
		for i := 0; i < 200; i++ {
			n := rng.IntN(int(size)*2 + 3) // smaller than, equal to and larger than the buffer
			p := make([]byte, n)
			for j := range p {
				p[j] = byte('a' + rng.IntN(26))
			}
			b.feed(p)
			all = append(all, p...)
			checkBacklog(t, b, all, 0)
		}
		if int64(len(b.buf)) != size || int64(cap(b.buf)) > max(size, 4096) {
			t.Fatalf("size %d: buffer len %d cap %d", size, len(b.buf), cap(b.buf))
		}
	}
}

func TestBacklogGrowsLazily(t *testing.T) {
	b := newBacklog(10 << 20)
	b.activate()
	b.feed([]byte("*1\r\n$4\r\nPING\r\n"))
	if cap(b.buf) > 4096 {
		t.Fatalf("a 14-byte stream allocated %d bytes", cap(b.buf))
	}
	checkBacklog(t, b, []byte("*1\r\n$4\r\nPING\r\n"), 0)
}

func TestBacklogResize(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	b := newBacklog(20)
	b.activate()
	var all []byte
	sizes := []int64{5, 50, 13, 13, 1, 64, 20}
	for _, size := range sizes {
		for i := 0; i < 10; i++ {
			p := make([]byte, rng.IntN(30))
			for j := range p {
				p[j] = byte('A' + rng.IntN(26))
			}
			b.feed(p)
			all = append(all, p...)
		}
		before := b.histlen
		b.resize(size)
		if b.size != size {
			t.Fatalf("size %d after resize to %d", b.size, size)
		}
		// The newest bytes that fit are kept; growing keeps everything held.
		if want := min(before, size); b.histlen != want {
			t.Fatalf("resize to %d: histlen %d, want %d", size, b.histlen, want)
		}
		model := all[len(all)-int(b.histlen):]
		checkBacklog(t, b, model, b.offset-int64(len(model)))
		// And it keeps working as a ring afterwards.
		p := []byte("0123456789abcdefghijklmnopqrstuvwxyz")[:rng.IntN(36)]
		b.feed(p)
		all = append(all, p...)
		model = all[len(all)-int(min(b.histlen, int64(len(all)))):]
		checkBacklog(t, b, model, b.offset-int64(len(model)))
	}
}
