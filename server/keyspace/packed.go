package keyspace

import "unsafe"

// packed is the compact form shared by small hashes and small sets (Valkey's "listpack" encoding): a run
// of byte strings in one slice, each stored as its length in uvarint form followed by its bytes. A short
// entry costs one byte of overhead and the whole value one allocation, which is what keeps a hash of a
// hundred fields near Valkey's memory footprint; lookups scan it, which at the sizes the thresholds allow
// (128 entries of 64 bytes by default) is as fast as hashing.
//
// Offsets passed around are byte positions of an entry's length prefix in b.
type packed struct {
	b []byte
	n int // number of entries
}

// packedGrowth is the headroom, as a fraction of the needed size, added when the slice must grow: small
// enough that an idle small hash wastes little, large enough that filling one is not quadratic.
const packedGrowth = 8

// uvarintLen is the size of the length prefix of an entry of n bytes.
func uvarintLen(n int) int {
	l := 1
	for n >= 0x80 {
		n >>= 7
		l++
	}
	return l
}

// entry decodes the entry at off and returns its bytes (aliasing b) and the offset of the next entry.
func (p *packed) entry(off int) ([]byte, int) {
	b := p.b
	c := b[off]
	off++
	l := int(c)
	if c >= 0x80 {
		l = int(c & 0x7f)
		for shift := 7; ; shift += 7 {
			c = b[off]
			off++
			l |= int(c&0x7f) << shift
			if c < 0x80 {
				break
			}
		}
	}
	return b[off : off+l], off + l
}

// skip returns the offset of the entry after the one at off.
func (p *packed) skip(off int) int {
	_, next := p.entry(off)
	return next
}

// find returns the offset of the first entry equal to v among the entries at indexes 0, step, 2*step, …
// (step 2 searches the fields of a hash and skips the values), or -1.
//
// It is the hot loop of small hashes and sets, so the common one-byte length prefix is decoded inline,
// and the last byte is compared before the whole entry: fields often share a prefix ("field:1",
// "field:2") and differ at the end.
func (p *packed) find(v []byte, step int) int {
	b, n := p.b, len(v)
	for off := 0; off < len(b); {
		var e []byte
		next := 0
		if l := int(b[off]); l < 0x80 {
			next = off + 1 + l
			e = b[off+1 : next]
		} else {
			e, next = p.entry(off)
		}
		if len(e) == n && (n == 0 || e[n-1] == v[n-1]) && string(e) == string(v) {
			return off
		}
		off = next
		for i := 1; i < step; i++ {
			if l := int(b[off]); l < 0x80 {
				off += 1 + l
			} else {
				off = p.skip(off)
			}
		}
	}
	return -1
}

// reserve makes room for extra more bytes. The new capacity is the needed size plus 1/packedGrowth,
// rounded up to the allocator's size class (append from an empty slice reports the rounded capacity).
func (p *packed) reserve(extra int) {
	need := len(p.b) + extra
	if need <= cap(p.b) {
		return
	}
	nc := need + need/packedGrowth
	if nc < 16 {
		nc = 16
	}
	nb := append([]byte(nil), make([]byte, nc)...)[:len(p.b)]
	copy(nb, p.b)
	p.b = nb
}

// putEntry appends the encoding of v to b, which has room for it.
func putEntry(b []byte, v []byte) []byte {
	l := len(v)
	for l >= 0x80 {
		b = append(b, byte(l)|0x80)
		l >>= 7
	}
	b = append(b, byte(l))
	return append(b, v...)
}

// push appends the entries vs.
func (p *packed) push(vs ...[]byte) {
	size := 0
	for _, v := range vs {
		size += uvarintLen(len(v)) + len(v)
	}
	p.reserve(size)
	for _, v := range vs {
		p.b = putEntry(p.b, v)
	}
	p.n += len(vs)
}

// replace overwrites the single entry at off (ending at end) with v, moving what follows as needed.
func (p *packed) replace(off, end int, v []byte) {
	size := uvarintLen(len(v)) + len(v)
	delta := size - (end - off)
	switch {
	case delta > 0:
		p.reserve(delta)
		p.b = p.b[:len(p.b)+delta]
		copy(p.b[end+delta:], p.b[end:len(p.b)-delta])
	case delta < 0:
		copy(p.b[end+delta:], p.b[end:])
		p.b = p.b[:len(p.b)+delta]
	}
	putEntry(p.b[off:off], v)
}

// cut removes the bytes [off, end), which hold count whole entries, and gives memory back when the
// slice became mostly empty.
func (p *packed) cut(off, end, count int) {
	copy(p.b[off:], p.b[end:])
	p.b = p.b[:len(p.b)-(end-off)]
	p.n -= count
	if p.n == 0 {
		p.b = nil
		return
	}
	if cap(p.b) > 2*len(p.b)+64 {
		p.b = append([]byte(nil), p.b...)
	}
}

// each calls fn for every entry in order until it returns false.
func (p *packed) each(fn func(v []byte) bool) {
	for off := 0; off < len(p.b); {
		e, next := p.entry(off)
		if !fn(e) {
			return
		}
		off = next
	}
}

// at returns the offset of the entry with index i.
func (p *packed) at(i int) int {
	off := 0
	for ; i > 0; i-- {
		off = p.skip(off)
	}
	return off
}

// clone returns a copy with its own memory, sized exactly.
func (p *packed) clone() packed {
	if p.n == 0 {
		return packed{}
	}
	return packed{b: append([]byte(nil), p.b...), n: p.n}
}

// bytesOf views a string as bytes without copying. The result must not be modified: it is for handing
// stored keys (immutable strings) to callbacks that take []byte.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// MemUsage is the memory the packed entries hold: the allocation behind b, free room included. It reads
// the capacity, which every change keeps current, so it is O(1).
func (p *packed) MemUsage() int { return AllocSize(cap(p.b)) }
