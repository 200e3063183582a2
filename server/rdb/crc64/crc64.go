// Package crc64 implements the CRC-64 variant Redis and Valkey append to RDB
// files and DUMP payloads: the "Jones" polynomial, bit-reflected, with an
// initial value of 0 and no final xor. Go's hash/crc64 uses the same
// reflected algorithm but pre- and post-inverts the register, so its tables
// cannot be used through crc64.Checksum directly; this package provides the
// Redis flavour with a slicing-by-8 kernel (RDB files are checksummed while
// they stream, so throughput matters).
package crc64

import (
	"encoding/binary"
	"hash"
)

// Poly is the bit-reversed form of the Jones polynomial 0xAD93D23594C935A9.
const Poly = 0x95AC9329AC4BC9B5

// Size is the size of a CRC-64 checksum in bytes.
const Size = 8

// tables[0] is the classic byte-at-a-time table; tables[k][b] is the CRC of
// byte b followed by k zero bytes, which lets the kernel fold 8 input bytes
// per step with independent lookups.
var tables = makeTables()

func makeTables() *[8][256]uint64 {
	t := new([8][256]uint64)
	for i := range 256 {
		c := uint64(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ Poly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := range 256 {
		c := t[0][i]
		for k := 1; k < 8; k++ {
			c = t[0][c&0xff] ^ c>>8
			t[k][i] = c
		}
	}
	return t
}

// Update returns the CRC of the bytes already summarised by crc followed by p.
// Start with crc = 0; Update(Update(0, a), b) == Checksum(a ++ b).
func Update(crc uint64, p []byte) uint64 {
	t := tables
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^
			t[6][crc>>8&0xff] ^
			t[5][crc>>16&0xff] ^
			t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^
			t[2][crc>>40&0xff] ^
			t[1][crc>>48&0xff] ^
			t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}

// Checksum returns the Redis CRC-64 of p.
func Checksum(p []byte) uint64 { return Update(0, p) }

// Digest is a streaming Redis CRC-64. The zero value is ready to use.
type Digest struct {
	crc uint64
}

// Compile-time checks: the RDB writer wraps its output in a Digest via
// io.MultiWriter, and callers may treat it as a generic 64-bit hash.
var _ hash.Hash64 = (*Digest)(nil)

// New returns a Digest with an empty state.
func New() *Digest { return &Digest{} }

// Write adds p to the running checksum. It never returns an error.
func (d *Digest) Write(p []byte) (int, error) {
	d.crc = Update(d.crc, p)
	return len(p), nil
}

// Sum64 returns the checksum of everything written so far.
func (d *Digest) Sum64() uint64 { return d.crc }

// Sum appends the checksum to b in big-endian order, following the
// hash.Hash convention used by Go's own CRC packages. Note that RDB files
// store the value little-endian; use Sum64 with binary.LittleEndian there.
func (d *Digest) Sum(b []byte) []byte { return binary.BigEndian.AppendUint64(b, d.crc) }

// Reset clears the running checksum.
func (d *Digest) Reset() { d.crc = 0 }

// Size returns the number of bytes Sum appends (8).
func (d *Digest) Size() int { return Size }

// BlockSize returns 1: the kernel accepts writes of any length without
// buffering.
func (d *Digest) BlockSize() int { return 1 }
