package blobs

import "encoding/binary"

// Ziplist layout (Redis < 7, read only): u32 LE total bytes, u32 LE offset of
// the last entry, u16 LE entry count (65535 = unknown), entries, 0xFF.
// Each entry is prevlen (size of the previous entry: one byte < 254, or 0xFE
// plus a u32 LE), an encoding, and the data.
const (
	zlHeaderSize   = 10
	zlCountUnknown = 65535
	zlEnd          = 0xFF
	zlBigPrevlen   = 0xFE
)

// Ziplist integer encodings (whole first byte).
const (
	zlInt16 = 0xC0
	zlInt32 = 0xD0
	zlInt64 = 0xE0
	zlInt24 = 0xF0
	zlInt8  = 0xFE
)

// ZiplistIterate validates the ziplist b and calls fn for each element in
// order. It checks the header's total bytes, that every entry's prevlen
// equals the previous entry's size, that entries stay in bounds, that the
// tail offset points at the last entry, that 0xFF is the last byte and that a
// known entry count matches.
func ZiplistIterate(b []byte, fn func(s []byte, n int64, isInt bool) error) error {
	if len(b) < zlHeaderSize+1 {
		return corrupt("ziplist", "%d bytes is shorter than an empty ziplist", len(b))
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return corrupt("ziplist", "header says %d bytes, blob has %d", total, len(b))
	}
	if b[len(b)-1] != zlEnd {
		return corrupt("ziplist", "missing terminator")
	}
	tail := binary.LittleEndian.Uint32(b[4:])
	count := int(binary.LittleEndian.Uint16(b[8:]))

	body := b[:len(b)-1]
	seen, prevSize, last := 0, 0, -1
	for p := zlHeaderSize; p < len(body); {
		e, err := zlDecodeEntry(body[p:], prevSize)
		if err != nil {
			return wrapAt(err, seen, p)
		}
		if err := fn(e.s, e.n, e.isInt); err != nil {
			return err
		}
		prevSize, last = e.size, p
		p += e.size
		seen++
	}
	if last >= 0 && uint64(tail) != uint64(last) {
		return corrupt("ziplist", "tail offset %d, last entry is at %d", tail, last)
	}
	if count != zlCountUnknown && count != seen {
		return corrupt("ziplist", "header counts %d entries, found %d", count, seen)
	}
	return nil
}

// zlDecodeEntry decodes the entry at b[0] (b ends before the terminator) and
// checks its prevlen against prevSize. The result reuses lpEntry: the element
// model is the same, only the framing differs.
func zlDecodeEntry(b []byte, prevSize int) (lpEntry, error) {
	var prevlen uint64
	p := 0
	switch b[0] {
	case zlEnd:
		return lpEntry{}, corrupt("ziplist", "terminator before the end of the blob")
	case zlBigPrevlen:
		// Redis may keep the 5-byte form for small values to avoid
		// cascading rewrites, so any value is accepted here.
		if len(b) < 5 {
			return lpEntry{}, corrupt("ziplist", "truncated prevlen")
		}
		prevlen, p = uint64(binary.LittleEndian.Uint32(b[1:])), 5
	default:
		prevlen, p = uint64(b[0]), 1
	}
	if prevlen != uint64(prevSize) {
		return lpEntry{}, corrupt("ziplist", "prevlen %d does not match previous entry size %d", prevlen, prevSize)
	}
	if p >= len(b) {
		return lpEntry{}, corrupt("ziplist", "entry truncated after prevlen")
	}

	c := b[p]
	var hdr, dataLen uint64
	var n int64
	isInt := true
	switch {
	case c>>6 == 0: // 00pppppp: string up to 63 bytes
		isInt, hdr, dataLen = false, 1, uint64(c&0x3F)
	case c>>6 == 1: // 01pppppp qqqqqqqq: 14-bit big-endian length
		if p+2 > len(b) {
			return lpEntry{}, corrupt("ziplist", "truncated 14-bit string length")
		}
		isInt, hdr, dataLen = false, 2, uint64(c&0x3F)<<8|uint64(b[p+1])
	case c>>6 == 2: // 10______ + u32 big-endian length
		if p+5 > len(b) {
			return lpEntry{}, corrupt("ziplist", "truncated 32-bit string length")
		}
		isInt, hdr, dataLen = false, 5, uint64(binary.BigEndian.Uint32(b[p+1:]))
	case c >= 0xF1 && c <= 0xFD: // 1111xxxx: immediate 0..12
		n, hdr = int64(c&0x0F)-1, 1
	default:
		var width int
		switch c {
		case zlInt8:
			width = 1
		case zlInt16:
			width = 2
		case zlInt24:
			width = 3
		case zlInt32:
			width = 4
		case zlInt64:
			width = 8
		default:
			return lpEntry{}, corrupt("ziplist", "invalid encoding byte %#x", c)
		}
		if p+1+width > len(b) {
			return lpEntry{}, corrupt("ziplist", "truncated %d-bit int", width*8)
		}
		d := b[p+1 : p+1+width]
		switch width {
		case 1:
			n = int64(int8(d[0]))
		case 2:
			n = int16le(d)
		case 3:
			n = int24le(d)
		case 4:
			n = int32le(d)
		default:
			n = int64le(d)
		}
		hdr = uint64(1 + width)
	}

	end := uint64(p) + hdr + dataLen
	if end > uint64(len(b)) {
		return lpEntry{}, corrupt("ziplist", "entry of %d bytes runs past the end", end)
	}
	e := lpEntry{n: n, isInt: isInt, size: int(end)}
	if !isInt {
		e.s = b[uint64(p)+hdr : end : end]
	}
	return e, nil
}
