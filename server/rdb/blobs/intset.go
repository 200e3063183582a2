package blobs

import (
	"encoding/binary"
	"math"
	"slices"
)

// Intset layout: u32 LE element width in bytes (2, 4 or 8), u32 LE count,
// then count little-endian signed integers of that width in strictly
// ascending order.
const intsetHeaderSize = 8

// IntsetIterate validates the intset b and calls fn for each value in
// ascending order. It checks the encoding, that the blob is exactly as long
// as the header's count implies, and that values are strictly ascending
// (sorted, no duplicates). An empty intset is structurally valid; whether an
// empty set key is acceptable is the caller's decision.
func IntsetIterate(b []byte, fn func(n int64) error) error {
	if len(b) < intsetHeaderSize {
		return corrupt("intset", "%d bytes is shorter than the header", len(b))
	}
	width := binary.LittleEndian.Uint32(b)
	if width != 2 && width != 4 && width != 8 {
		return corrupt("intset", "invalid encoding %d", width)
	}
	count := binary.LittleEndian.Uint32(b[4:])
	if want := intsetHeaderSize + uint64(width)*uint64(count); want != uint64(len(b)) {
		return corrupt("intset", "%d elements of %d bytes need %d bytes, blob has %d", count, width, want, len(b))
	}
	var prev int64
	for i, p := 0, intsetHeaderSize; p < len(b); i, p = i+1, p+int(width) {
		var v int64
		switch width {
		case 2:
			v = int16le(b[p:])
		case 4:
			v = int32le(b[p:])
		default:
			v = int64le(b[p:])
		}
		if i > 0 && v <= prev {
			return corrupt("intset", "element %d (%d) not greater than the previous (%d)", i, v, prev)
		}
		prev = v
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// IntsetBuild encodes values as an intset using the smallest width that
// holds all of them. Values should be sorted ascending without duplicates;
// if they are not, a sorted, de-duplicated copy is encoded instead, so the
// result is always a valid intset.
func IntsetBuild(sorted []int64) []byte {
	if !isStrictlyAscending(sorted) {
		sorted = slices.Compact(slices.Sorted(slices.Values(sorted)))
	}
	width := 2
	if len(sorted) > 0 {
		lo, hi := sorted[0], sorted[len(sorted)-1]
		switch {
		case lo < math.MinInt32 || hi > math.MaxInt32:
			width = 8
		case lo < math.MinInt16 || hi > math.MaxInt16:
			width = 4
		}
	}
	b := make([]byte, 0, intsetHeaderSize+width*len(sorted))
	b = binary.LittleEndian.AppendUint32(b, uint32(width))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(sorted)))
	for _, v := range sorted {
		switch width {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

func isStrictlyAscending(v []int64) bool {
	for i := 1; i < len(v); i++ {
		if v[i] <= v[i-1] {
			return false
		}
	}
	return true
}
