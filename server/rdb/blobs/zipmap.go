package blobs

import "encoding/binary"

// Zipmap layout (Redis 2.x small hashes, read only): one byte zmlen (the
// pair count when below 254, otherwise unknown), then pairs of
// <len>key <len><free>value<free unused bytes>, then 0xFF. A <len> is one
// byte 0..253, or 254 followed by a u32 (little-endian as written on the
// platforms Redis ran on).
const (
	zmBigLen = 254
	zmEnd    = 0xFF
)

// ZipmapIterate validates the zipmap b and calls fn for each key/value pair
// in order. key and val alias b. It checks every length and the free-space
// byte against the blob's bounds, that 0xFF is the last byte, and that a
// known pair count (zmlen < 254) matches.
func ZipmapIterate(b []byte, fn func(key, val []byte) error) error {
	if len(b) < 2 {
		return corrupt("zipmap", "%d bytes is shorter than an empty zipmap", len(b))
	}
	if b[len(b)-1] != zmEnd {
		return corrupt("zipmap", "missing terminator")
	}
	zmlen := int(b[0])
	body := b[:len(b)-1] // entries must end before the terminator
	seen := 0
	for p := 1; p < len(body); {
		if body[p] == zmEnd {
			return corrupt("zipmap", "terminator at offset %d before the end of the blob", p)
		}
		key, next, err := zmString(body, p, false)
		if err != nil {
			return wrapAt(err, seen, p)
		}
		val, end, err := zmString(body, next, true)
		if err != nil {
			return wrapAt(err, seen, p)
		}
		if err := fn(key, val); err != nil {
			return err
		}
		p = end
		seen++
	}
	if zmlen < zmBigLen && zmlen != seen {
		return corrupt("zipmap", "header counts %d pairs, found %d", zmlen, seen)
	}
	return nil
}

// zmString reads a length-prefixed string at b[p]; for values (withFree) a
// free-space byte follows the length and that many unused bytes follow the
// data. It returns the string and the offset after it.
func zmString(b []byte, p int, withFree bool) ([]byte, int, error) {
	if p >= len(b) {
		return nil, 0, corrupt("zipmap", "truncated before a length")
	}
	var l uint64
	switch c := b[p]; c {
	case zmBigLen:
		if p+5 > len(b) {
			return nil, 0, corrupt("zipmap", "truncated 32-bit length")
		}
		l, p = uint64(binary.LittleEndian.Uint32(b[p+1:])), p+5
	case zmEnd:
		return nil, 0, corrupt("zipmap", "terminator where a value length was expected")
	default:
		l, p = uint64(c), p+1
	}
	var free uint64
	if withFree {
		if p >= len(b) {
			return nil, 0, corrupt("zipmap", "truncated before the free byte")
		}
		free, p = uint64(b[p]), p+1
	}
	end := uint64(p) + l
	if end+free > uint64(len(b)) {
		return nil, 0, corrupt("zipmap", "string of %d bytes (+%d free) runs past the end", l, free)
	}
	return b[p:end:end], int(end + free), nil
}
