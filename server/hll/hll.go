// Package hll implements HyperLogLog values in the exact byte representation Valkey uses, so that the
// strings GET returns (and DUMP/RESTORE-style copies) are interchangeable with a Valkey server's.
//
// Layout: a 16-byte header ("HYLL", the encoding byte, 3 unused bytes, 8 bytes of cached cardinality,
// little endian, whose most significant bit marks the cache invalid), then either the dense registers
// (16384 six-bit registers, least significant bits first, 12288 bytes) or the sparse opcodes:
//
//	ZERO  00xxxxxx           run of 1..64 zero registers
//	XZERO 01xxxxxx yyyyyyyy  run of 1..16384 zero registers
//	VAL   1vvvvvxx           run of 1..4 registers of value 1..32
//
// Sparse values are edited in place the way Valkey does (split the opcode, then merge equal neighbouring
// VAL opcodes over a short window), because the resulting bytes depend on that history.
package hll

import (
	"math"
)

// The representation constants.
const (
	Registers  = 1 << precision
	HeaderSize = 16
	DenseSize  = HeaderSize + (Registers*regBits+7)/8

	precision  = 14
	regBits    = 6
	regMax     = 1<<regBits - 1
	q          = 64 - precision // bits of the hash used for the run of zeros
	encDense   = 0
	encSparse  = 1
	valMaxVal  = 32
	valMaxLen  = 4
	zeroMaxLen = 64
	xzeroMax   = 16384
	alphaInf   = 0.721347520444481703680 // 0.5/ln(2)
	hashSeed   = 0xadc83b19
)

// Murmur64A is MurmurHash64A by Austin Appleby, the hash Valkey uses for HyperLogLog elements.
func Murmur64A(key []byte, seed uint32) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := uint64(seed) ^ (uint64(len(key)) * m)
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := uint64(key[i]) | uint64(key[i+1])<<8 | uint64(key[i+2])<<16 | uint64(key[i+3])<<24 |
			uint64(key[i+4])<<32 | uint64(key[i+5])<<40 | uint64(key[i+6])<<48 | uint64(key[i+7])<<56
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	if len(tail) > 0 {
		for i := len(tail) - 1; i >= 0; i-- {
			h ^= uint64(tail[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// patLen returns the register of an element and the length of its run of zeros plus one.
func patLen(ele []byte) (index int, count uint8) {
	h := Murmur64A(ele, hashSeed)
	index = int(h & (Registers - 1))
	h >>= precision
	h |= 1 << q // the run ends at q+1 at most
	count = 1
	for bit := uint64(1); h&bit == 0; bit <<= 1 {
		count++
	}
	return index, count
}

// New returns an empty HyperLogLog: sparse, one XZERO covering every register, cached cardinality 0.
func New() []byte {
	b := make([]byte, HeaderSize+2)
	copy(b, "HYLL")
	b[4] = encSparse
	setXZero(b[HeaderSize:], Registers)
	return b
}

// Valid checks the header as Valkey does before using a string as a HyperLogLog.
func Valid(b []byte) bool {
	if len(b) < HeaderSize || string(b[:4]) != "HYLL" || b[4] > encSparse {
		return false
	}
	return b[4] != encDense || len(b) == DenseSize
}

// IsDense tells whether a valid HyperLogLog uses the dense representation.
func IsDense(b []byte) bool { return b[4] == encDense }

// Invalidate marks the cached cardinality stale.
func Invalidate(b []byte) { b[15] |= 0x80 }

// Cached returns the cached cardinality when it is valid.
func Cached(b []byte) (uint64, bool) {
	if b[15]&0x80 != 0 {
		return 0, false
	}
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[8+i])
	}
	return v, true
}

// SetCached stores the cached cardinality.
func SetCached(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[8+i] = byte(v >> (8 * i))
	}
}

func denseGet(regs []byte, i int) uint8 {
	byt, fb := i*regBits/8, uint(i*regBits&7)
	v := regs[byt] >> fb
	if fb > 8-regBits {
		v |= regs[byt+1] << (8 - fb)
	}
	return v & regMax
}

func denseSet(regs []byte, i int, v uint8) {
	byt, fb := i*regBits/8, uint(i*regBits&7)
	regs[byt] &^= regMax << fb
	regs[byt] |= v << fb
	if fb > 8-regBits {
		regs[byt+1] &^= regMax >> (8 - fb)
		regs[byt+1] |= v >> (8 - fb)
	}
}

// sparse opcode helpers
func isZero(b byte) bool  { return b&0xc0 == 0 }
func isXZero(b byte) bool { return b&0xc0 == 0x40 }
func isVal(b byte) bool   { return b&0x80 != 0 }
func zeroLen(b byte) int  { return int(b&0x3f) + 1 }
func xzeroLen(p []byte) int {
	return (int(p[0]&0x3f)<<8 | int(p[1])) + 1
}
func valValue(b byte) uint8 { return (b>>2)&0x1f + 1 }
func valLen(b byte) int     { return int(b&3) + 1 }
func valOp(v uint8, n int) byte {
	return byte(int(v-1)<<2|(n-1)) | 0x80
}
func setXZero(p []byte, n int) {
	n--
	p[0] = byte(n>>8) | 0x40
	p[1] = byte(n)
}

// zeroRun appends the opcode of a run of n zero registers.
func zeroRun(seq []byte, n int) []byte {
	if n > zeroMaxLen {
		return append(seq, byte((n-1)>>8)|0x40, byte(n-1))
	}
	return append(seq, byte(n-1))
}

// Add adds an element. It returns the updated string (it may move or change representation), whether a
// register changed, and ok=false for a corrupted sparse value.
func Add(b []byte, ele []byte, sparseMax int64) (out []byte, changed bool, ok bool) {
	index, count := patLen(ele)
	if IsDense(b) {
		return b, denseAdd(b[HeaderSize:], index, count), true
	}
	return sparseSet(b, index, count, sparseMax)
}

func denseAdd(regs []byte, index int, count uint8) bool {
	if denseGet(regs, index) < count {
		denseSet(regs, index, count)
		return true
	}
	return false
}

// ToDense converts to the dense representation (no-op when dense); ok=false for a corrupted value.
func ToDense(b []byte) ([]byte, bool) {
	if IsDense(b) {
		return b, true
	}
	d := make([]byte, DenseSize)
	copy(d, b[:HeaderSize]) // magic, unused bytes and cached cardinality travel along
	d[4] = encDense
	regs := d[HeaderSize:]
	idx := 0
	for p := b[HeaderSize:]; len(p) > 0; {
		switch {
		case isZero(p[0]):
			idx += zeroLen(p[0])
			p = p[1:]
		case isXZero(p[0]):
			if len(p) < 2 {
				return nil, false
			}
			idx += xzeroLen(p)
			p = p[2:]
		default:
			n, v := valLen(p[0]), valValue(p[0])
			if idx+n > Registers {
				return nil, false
			}
			for ; n > 0; n-- {
				denseSet(regs, idx, v)
				idx++
			}
			p = p[1:]
		}
	}
	if idx != Registers {
		return nil, false
	}
	return d, true
}

// sparseSet raises register index to count in a sparse value, editing the opcodes in place as Valkey
// does, and promotes to dense when the value is too large for VAL or the string would pass sparseMax.
func sparseSet(b []byte, index int, count uint8, sparseMax int64) ([]byte, bool, bool) {
	if count > valMaxVal {
		return promote(b, index, count)
	}
	// step 1: find the opcode covering the register
	pos, end := HeaderSize, len(b)
	first, span, prev := 0, 0, -1
	for pos < end {
		oplen := 1
		switch {
		case isZero(b[pos]):
			span = zeroLen(b[pos])
		case isVal(b[pos]):
			span = valLen(b[pos])
		default:
			if pos+1 >= end {
				return b, false, false
			}
			span = xzeroLen(b[pos:])
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = pos
		pos += oplen
		first += span
	}
	if span == 0 || pos >= end {
		return b, false, false
	}
	op := b[pos]
	zero, xzero := isZero(op), isXZero(op)
	runlen := 0
	switch {
	case zero:
		runlen = zeroLen(op)
	case xzero:
		runlen = xzeroLen(b[pos:])
	default:
		runlen = valLen(op)
	}
	// step 2: the trivial cases
	switch {
	case !zero && !xzero && valValue(op) >= count:
		return b, false, true
	case !zero && !xzero && runlen == 1, zero && runlen == 1:
		b[pos] = valOp(count, 1)
	default:
		// step 3: split the opcode around the register
		var seqBuf [5]byte
		seq := seqBuf[:0]
		last := first + span - 1
		if zero || xzero {
			if index != first {
				seq = zeroRun(seq, index-first)
			}
			seq = append(seq, valOp(count, 1))
			if index != last {
				seq = zeroRun(seq, last-index)
			}
		} else {
			cur := valValue(op)
			if index != first {
				seq = append(seq, valOp(cur, index-first))
			}
			seq = append(seq, valOp(count, 1))
			if index != last {
				seq = append(seq, valOp(cur, last-index))
			}
		}
		oldlen := 1
		if xzero {
			oldlen = 2
		}
		delta := len(seq) - oldlen
		if delta > 0 && int64(len(b)+delta) > sparseMax {
			return promote(b, index, count)
		}
		// replace in place; growing uses append's spare capacity, so repeated adds rarely allocate
		oldEnd := len(b)
		if delta > 0 {
			b = append(b, seqBuf[:delta]...)
		}
		copy(b[pos+len(seq):], b[pos+oldlen:oldEnd])
		b = b[:oldEnd+delta]
		copy(b[pos:], seq)
		end = len(b)
	}
	// step 4: merge equal neighbouring VAL opcodes, scanning up to 5 opcodes from the previous one
	p := HeaderSize
	if prev >= 0 {
		p = prev
	}
	for scan := 5; p < end && scan > 0; scan-- {
		if isXZero(b[p]) {
			p += 2
			continue
		}
		if isZero(b[p]) {
			p++
			continue
		}
		if p+1 < end && isVal(b[p+1]) && valValue(b[p]) == valValue(b[p+1]) {
			if n := valLen(b[p]) + valLen(b[p+1]); n <= valMaxLen {
				b[p+1] = valOp(valValue(b[p]), n)
				b = append(b[:p], b[p+1:]...)
				end--
				continue // do not advance: a further merge may be possible
			}
		}
		p++
	}
	Invalidate(b)
	return b, true, true
}

func promote(b []byte, index int, count uint8) ([]byte, bool, bool) {
	d, ok := ToDense(b)
	if !ok {
		return b, false, false
	}
	denseAdd(d[HeaderSize:], index, count)
	return d, true, true
}

// histogram counts the registers by value; ok=false for a corrupted sparse value.
func histogram(b []byte, h *[64]int) bool {
	if IsDense(b) {
		regs := b[HeaderSize:]
		for i := 0; i < Registers; i++ {
			h[denseGet(regs, i)]++
		}
		return true
	}
	idx := 0
	for p := b[HeaderSize:]; len(p) > 0; {
		switch {
		case isZero(p[0]):
			n := zeroLen(p[0])
			idx += n
			h[0] += n
			p = p[1:]
		case isXZero(p[0]):
			if len(p) < 2 {
				return false
			}
			n := xzeroLen(p)
			idx += n
			h[0] += n
			p = p[2:]
		default:
			n := valLen(p[0])
			idx += n
			h[valValue(p[0])] += n
			p = p[1:]
		}
	}
	return idx == Registers
}

// Count estimates the cardinality (without using or updating the cache); ok=false when corrupted.
func Count(b []byte) (uint64, bool) {
	var h [64]int
	if !histogram(b, &h) {
		return 0, false
	}
	return estimate(&h), true
}

// estimate is the estimator of Otmar Ertl ("New cardinality estimation algorithms for HyperLogLog
// sketches", arXiv:1702.01284), computed in the same order as Valkey so the results are equal.
func estimate(h *[64]int) uint64 {
	m := float64(Registers)
	z := m * tau((m-float64(h[q+1]))/m)
	for j := q; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += m * sigma(float64(h[0])/m)
	return uint64(math.Round(alphaInf * m * m / z))
}

func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zp := z
		z += x * y
		y += y
		if zp == z {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		d := 1 - x
		z -= d * d * y
		if zp == z {
			return z / 3
		}
	}
}

// Registers are the raw register values used to merge several HyperLogLogs.
type RegisterSet [Registers]uint8

// MergeInto raises regs to the registers of b; ok=false for a corrupted value.
func MergeInto(regs *RegisterSet, b []byte) bool {
	if IsDense(b) {
		d := b[HeaderSize:]
		for i := 0; i < Registers; i++ {
			if v := denseGet(d, i); v > regs[i] {
				regs[i] = v
			}
		}
		return true
	}
	idx := 0
	for p := b[HeaderSize:]; len(p) > 0; {
		switch {
		case isZero(p[0]):
			idx += zeroLen(p[0])
			p = p[1:]
		case isXZero(p[0]):
			if len(p) < 2 {
				return false
			}
			idx += xzeroLen(p)
			p = p[2:]
		default:
			n, v := valLen(p[0]), valValue(p[0])
			if idx+n > Registers {
				return false
			}
			for ; n > 0; n-- {
				if v > regs[idx] {
					regs[idx] = v
				}
				idx++
			}
			p = p[1:]
		}
	}
	return idx == Registers
}

// CountRegisters estimates the cardinality of merged registers.
func CountRegisters(regs *RegisterSet) uint64 {
	var h [64]int
	for _, v := range regs {
		h[v]++
	}
	return estimate(&h)
}

// SetRegister raises one register of b to v (as PFMERGE writes its result). It returns the possibly
// moved string, or ok=false for a corrupted value.
func SetRegister(b []byte, index int, v uint8, sparseMax int64) ([]byte, bool) {
	if IsDense(b) {
		denseAdd(b[HeaderSize:], index, v)
		return b, true
	}
	out, _, ok := sparseSet(b, index, v, sparseMax)
	return out, ok
}
