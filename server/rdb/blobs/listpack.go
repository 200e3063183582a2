package blobs

import (
	"encoding/binary"
)

// Listpack layout: u32 LE total bytes, u16 LE element count (lpCountUnknown
// when it did not fit), the entries, then lpEnd. Each entry is its encoding
// byte(s) and data, followed by a "backlen" holding the size of encoding+data
// so the list can also be walked backwards.
const (
	lpHeaderSize   = 6
	lpCountUnknown = 65535
	lpEnd          = 0xFF
)

// Listpack encoding bytes (first byte of an entry).
const (
	lpEncStr32 = 0xF0
	lpEncInt16 = 0xF1
	lpEncInt24 = 0xF2
	lpEncInt32 = 0xF3
	lpEncInt64 = 0xF4
)

// lpEntry is one decoded listpack (or ziplist) element.
type lpEntry struct {
	s     []byte // string payload (aliases the blob) when !isInt
	n     int64
	isInt bool
	size  int // bytes the entry occupies, framing included
}

// lpBacklenSize returns how many bytes the backlen of an entry of l bytes
// (encoding+data) occupies. The thresholds mirror the encoder used by Valkey;
// forward iteration depends on them because a backlen is not
// self-delimiting when read left to right.
func lpBacklenSize(l uint64) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	default:
		return 5
	}
}

// lpDecodeEntry parses the entry starting at b[0]; b ends just before the
// listpack terminator, so an entry that would reach it is out of bounds.
func lpDecodeEntry(b []byte) (lpEntry, error) {
	c := b[0]
	var e lpEntry
	var hdr, dataLen uint64
	switch {
	case c&0x80 == 0: // 0xxxxxxx: 7-bit unsigned int
		e.isInt, e.n, hdr = true, int64(c), 1
	case c&0xC0 == 0x80: // 10xxxxxx: string up to 63 bytes
		hdr, dataLen = 1, uint64(c&0x3F)
	case c&0xE0 == 0xC0: // 110xxxxx yyyyyyyy: 13-bit signed int
		if len(b) < 2 {
			return e, corrupt("listpack", "truncated 13-bit int")
		}
		v := int64(c&0x1F)<<8 | int64(b[1])
		if v >= 1<<12 {
			v -= 1 << 13
		}
		e.isInt, e.n, hdr = true, v, 2
	case c&0xF0 == 0xE0: // 1110xxxx yyyyyyyy: string up to 4095 bytes
		if len(b) < 2 {
			return e, corrupt("listpack", "truncated 12-bit string length")
		}
		hdr, dataLen = 2, uint64(c&0x0F)<<8|uint64(b[1])
	case c == lpEncStr32:
		if len(b) < 5 {
			return e, corrupt("listpack", "truncated 32-bit string length")
		}
		hdr, dataLen = 5, uint64(binary.LittleEndian.Uint32(b[1:5]))
	case c >= lpEncInt16 && c <= lpEncInt64:
		width := [...]int{2, 3, 4, 8}[c-lpEncInt16]
		if len(b) < 1+width {
			return e, corrupt("listpack", "truncated %d-bit int", width*8)
		}
		p := b[1 : 1+width]
		switch width {
		case 2:
			e.n = int16le(p)
		case 3:
			e.n = int24le(p)
		case 4:
			e.n = int32le(p)
		default:
			e.n = int64le(p)
		}
		e.isInt, hdr = true, uint64(1+width)
	case c == lpEnd:
		return e, corrupt("listpack", "terminator before the end of the blob")
	default:
		return e, corrupt("listpack", "invalid encoding byte %#x", c)
	}

	l := hdr + dataLen
	bl := lpBacklenSize(l)
	if l+uint64(bl) > uint64(len(b)) {
		return e, corrupt("listpack", "entry of %d bytes runs past the end", l+uint64(bl))
	}
	if !e.isInt {
		e.s = b[hdr:l:l]
	}
	if got, ok := lpDecodeBacklen(b[l : l+uint64(bl)]); !ok || got != l {
		return e, corrupt("listpack", "backlen does not match entry size %d", l)
	}
	e.size = int(l) + bl
	return e, nil
}

// lpDecodeBacklen reads a backlen left to right: 7 bits per byte, most
// significant group first; every byte but the first carries the 0x80 flag
// (which is what lets a backward walk find the first byte).
func lpDecodeBacklen(p []byte) (uint64, bool) {
	var v uint64
	for i, c := range p {
		if (c&0x80 != 0) != (i > 0) {
			return 0, false
		}
		v = v<<7 | uint64(c&0x7F)
	}
	return v, true
}

// lpHeader validates the header against the blob and returns the element
// count field.
func lpHeader(b []byte) (int, error) {
	if len(b) < lpHeaderSize+1 {
		return 0, corrupt("listpack", "%d bytes is shorter than an empty listpack", len(b))
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return 0, corrupt("listpack", "header says %d bytes, blob has %d", total, len(b))
	}
	if b[len(b)-1] != lpEnd {
		return 0, corrupt("listpack", "missing terminator")
	}
	return int(binary.LittleEndian.Uint16(b[4:])), nil
}

// ListpackIterate validates the listpack b and calls fn for each element in
// order. The header's total bytes must equal len(b), every entry and its
// backlen must be well formed and in bounds, the terminator must be the last
// byte, and a known element count (not 65535) must match the entries found.
func ListpackIterate(b []byte, fn func(s []byte, n int64, isInt bool) error) error {
	count, err := lpHeader(b)
	if err != nil {
		return err
	}
	body := b[:len(b)-1]
	seen := 0
	for p := lpHeaderSize; p < len(body); {
		e, err := lpDecodeEntry(body[p:])
		if err != nil {
			return wrapAt(err, seen, p)
		}
		if err := fn(e.s, e.n, e.isInt); err != nil {
			return err
		}
		p += e.size
		seen++
	}
	if count != lpCountUnknown && count != seen {
		return corrupt("listpack", "header counts %d elements, found %d", count, seen)
	}
	return nil
}

// ListpackLen returns the number of elements in b. It checks the header and
// terminator; when the header's count is known it is returned without
// walking the entries, otherwise (65535) the entries are walked and validated.
func ListpackLen(b []byte) (int, error) {
	count, err := lpHeader(b)
	if err != nil {
		return 0, err
	}
	if count != lpCountUnknown {
		return count, nil
	}
	n := 0
	err = ListpackIterate(b, func([]byte, int64, bool) error { n++; return nil })
	return n, err
}
