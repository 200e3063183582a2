package clusterbus

import (
	"math/rand/v2"
	"testing"
)

// crc16Bitwise is the textbook bit-at-a-time CRC-16/XMODEM, the reference for the table-driven one.
func crc16Bitwise(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func TestSlotCRC16(t *testing.T) {
	if got := crc16([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("crc16(123456789) = %#x, want 0x31c3", got)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		b := make([]byte, r.IntN(64))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if got, want := crc16(b), crc16Bitwise(b); got != want {
			t.Fatalf("case %d: crc16(%x) = %#x, bitwise %#x", i, b, got, want)
		}
	}
}

func TestSlotKeySlot(t *testing.T) {
	whole := func(k string) int { return int(crc16Bitwise([]byte(k)) & 0x3FFF) }
	cases := []struct {
		key  string
		want int
	}{
		{"123456789", 0x31C3},
		{"foo", 12182}, // CLUSTER KEYSLOT values from Valkey's documentation
		{"bar", 5061},
		{"hello", 866},
		{"", 0},
		{"{user1000}.following", whole("user1000")},
		{"{user1000}.followers", whole("user1000")},
		{"foo{}{bar}", whole("foo{}{bar}")}, // empty tag: whole key
		{"foo{{bar}}zap", whole("{bar")},    // tag runs from the first '{' to the next '}'
		{"foo{bar}{zap}", whole("bar")},     // only the first tag counts
		{"foo{bar", whole("foo{bar")},       // no closing brace: whole key
		{"foo}bar{", whole("foo}bar{")},     // '}' before '{' does not close anything
		{"{a}", whole("a")},                 // one-byte tag
		{"x{}y}", whole("x{}y}")},           // first '}' after '{' decides, even if empty
		{"\xff\x00{\x80}", whole("\x80")},   // binary keys
		{"{123456789}abc", 0x31C3},          // tag decides the slot
		{"abc{123456789}", KeySlot([]byte("{123456789}abc"))},
	}
	for _, c := range cases {
		if got := KeySlot([]byte(c.key)); got != c.want {
			t.Errorf("KeySlot(%q) = %d, want %d", c.key, got, c.want)
		}
		if got := KeySlotString(c.key); got != c.want {
			t.Errorf("KeySlotString(%q) = %d, want %d", c.key, got, c.want)
		}
	}
	if KeySlot([]byte("{user1000}.following")) != KeySlot([]byte("{user1000}.followers")) {
		t.Fatal("hash-tagged keys must share a slot")
	}
}

func TestSlotKeySlotNoAlloc(t *testing.T) {
	key := []byte("{user1000}.following")
	s := "some:longer:key:without:tag"
	if n := testing.AllocsPerRun(100, func() { _ = KeySlot(key); _ = KeySlotString(s) }); n != 0 {
		t.Fatalf("KeySlot allocates %.1f times per call", n)
	}
}

func BenchmarkSlotKeySlot(b *testing.B) {
	for _, bc := range []struct{ name, key string }{
		{"short", "foo"},
		{"tag", "{user1000}.following"},
		{"long", "object:1234567890:attributes:profile:settings:notifications"},
	} {
		key := []byte(bc.key)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(key)))
			for b.Loop() {
				_ = KeySlot(key)
			}
		})
	}
}

func TestSlotBitmap(t *testing.T) {
	var b SlotBitmap
	if b.Set(9) {
		t.Fatal("Set on an empty bitmap reported the slot present")
	}
	// Bus layout: byte slot/8, bit slot&7.
	if b[1] != 1<<1 {
		t.Fatalf("slot 9 stored as %08b in byte 1", b[1])
	}
	for _, s := range []int{0, 1, 2, 5, 7, 8, 16383} {
		b.Set(s)
	}
	if !b.Set(5) || !b.Has(16383) || b.Has(6) {
		t.Fatal("Has/Set disagree")
	}
	if got := b.Count(); got != 8 {
		t.Fatalf("Count = %d, want 8", got)
	}
	want := []SlotRange{{0, 2}, {5, 5}, {7, 9}, {16383, 16383}}
	if got := b.Ranges(); !equalRanges(got, want) {
		t.Fatalf("Ranges = %v, want %v", got, want)
	}
	if !b.Clear(8) || b.Clear(8) {
		t.Fatal("Clear results wrong")
	}
	if got := b.Ranges(); !equalRanges(got, []SlotRange{{0, 2}, {5, 5}, {7, 7}, {9, 9}, {16383, 16383}}) {
		t.Fatalf("Ranges after Clear = %v", got)
	}
	var full SlotBitmap
	for s := range NumSlots {
		full.Set(s)
	}
	if got := full.Ranges(); !equalRanges(got, []SlotRange{{0, 16383}}) || full.Count() != NumSlots {
		t.Fatalf("full bitmap: %v, %d", got, full.Count())
	}
}

func equalRanges(a, b []SlotRange) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Ranges skips whole bytes: it must agree with a slot-by-slot walk on bitmaps made of runs that start
// and end anywhere, byte boundaries included.
func TestSlotBitmapRangesMatchesWalk(t *testing.T) {
	walk := func(b *SlotBitmap) []SlotRange {
		var out []SlotRange
		for s := 0; s < NumSlots; s++ {
			if !b.Has(s) {
				continue
			}
			if n := len(out); n > 0 && out[n-1].End == s-1 {
				out[n-1].End = s
			} else {
				out = append(out, SlotRange{s, s})
			}
		}
		return out
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		var b SlotBitmap
		for s := 0; s < NumSlots; {
			run := 1 + rnd.IntN([]int{3, 17, 700}[i%3])
			if rnd.IntN(2) == 0 {
				for j := s; j < min(s+run, NumSlots); j++ {
					b.Set(j)
				}
			}
			s += run
		}
		if got, want := b.Ranges(), walk(&b); !equalRanges(got, want) {
			t.Fatalf("Ranges = %v, want %v", got, want)
		}
	}
}
