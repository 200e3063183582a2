package blobs

import (
	"encoding/binary"
	"math"
)

// ListpackBuilder assembles a listpack element by element. The zero value is
// an empty builder ready for use; Reset makes it reusable without
// reallocating. Elements are encoded the way Valkey encodes them, so a
// listpack built here is byte-identical to one Valkey would produce for the
// same elements.
//
// The format's total-bytes field is 32 bits: callers must keep listpacks
// well below 4 GiB (Valkey itself caps them at 1 GiB).
type ListpackBuilder struct {
	buf   []byte // header placeholder followed by the encoded entries
	count int
}

// Reset empties the builder, keeping its buffer.
func (lb *ListpackBuilder) Reset() {
	lb.buf = lb.buf[:0]
	lb.count = 0
}

// Len returns the number of elements appended since the last Reset.
func (lb *ListpackBuilder) Len() int { return lb.count }

func (lb *ListpackBuilder) begin() int {
	if len(lb.buf) == 0 {
		lb.buf = append(lb.buf, make([]byte, lpHeaderSize)...)
	}
	return len(lb.buf)
}

// finish appends the backlen for the entry that starts at start.
func (lb *ListpackBuilder) finish(start int) {
	lb.buf = appendBacklen(lb.buf, uint64(len(lb.buf)-start))
	lb.count++
}

// AppendString appends s. Like Valkey, a string that is the canonical decimal
// form of an int64 (no sign other than a leading '-', no leading zeros, no
// "-0", in range) is stored with an integer encoding instead; readers get it
// back as an integer and format it to the identical string.
func (lb *ListpackBuilder) AppendString(s []byte) {
	if n, ok := ParseCanonicalInt(s); ok {
		lb.AppendInt(n)
		return
	}
	start := lb.begin()
	switch l := len(s); {
	case l < 64:
		lb.buf = append(lb.buf, 0x80|byte(l))
	case l < 4096:
		lb.buf = append(lb.buf, 0xE0|byte(l>>8), byte(l))
	default:
		lb.buf = append(lb.buf, lpEncStr32)
		lb.buf = binary.LittleEndian.AppendUint32(lb.buf, uint32(l))
	}
	lb.buf = append(lb.buf, s...)
	lb.finish(start)
}

// AppendInt appends n using the smallest integer encoding that holds it.
func (lb *ListpackBuilder) AppendInt(n int64) {
	start := lb.begin()
	switch {
	case n >= 0 && n <= 127:
		lb.buf = append(lb.buf, byte(n))
	case n >= -4096 && n <= 4095:
		u := uint16(n) & 0x1FFF // 13-bit two's complement
		lb.buf = append(lb.buf, 0xC0|byte(u>>8), byte(u))
	case n >= math.MinInt16 && n <= math.MaxInt16:
		lb.buf = append(lb.buf, lpEncInt16)
		lb.buf = binary.LittleEndian.AppendUint16(lb.buf, uint16(n))
	case n >= -1<<23 && n < 1<<23:
		lb.buf = append(lb.buf, lpEncInt24, byte(n), byte(n>>8), byte(n>>16))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		lb.buf = append(lb.buf, lpEncInt32)
		lb.buf = binary.LittleEndian.AppendUint32(lb.buf, uint32(n))
	default:
		lb.buf = append(lb.buf, lpEncInt64)
		lb.buf = binary.LittleEndian.AppendUint64(lb.buf, uint64(n))
	}
	lb.finish(start)
}

// Bytes returns the complete listpack (header, entries, terminator) in a new
// slice that the caller owns; the builder can keep appending or be Reset
// without affecting it. Use AppendTo to avoid the allocation.
func (lb *ListpackBuilder) Bytes() []byte {
	return lb.AppendTo(make([]byte, 0, lb.size()))
}

// AppendTo appends the complete listpack to dst and returns the result.
func (lb *ListpackBuilder) AppendTo(dst []byte) []byte {
	size := lb.size()
	count := min(lb.count, lpCountUnknown)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(size))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(count))
	if len(lb.buf) > lpHeaderSize {
		dst = append(dst, lb.buf[lpHeaderSize:]...)
	}
	return append(dst, lpEnd)
}

// size is the encoded size of the finished listpack.
func (lb *ListpackBuilder) size() int {
	return lpHeaderSize + max(len(lb.buf)-lpHeaderSize, 0) + 1
}

// appendBacklen encodes l as 1-5 bytes, most significant 7-bit group first,
// with 0x80 set on every byte but the first.
func appendBacklen(b []byte, l uint64) []byte {
	k := lpBacklenSize(l)
	for i := k - 1; i >= 0; i-- {
		c := byte(l>>(7*uint(i))) & 0x7F
		if i != k-1 {
			c |= 0x80
		}
		b = append(b, c)
	}
	return b
}
