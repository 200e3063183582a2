// Package blobs decodes (and, for the formats valkey-node writes, encodes) the
// compact binary containers that RDB files embed inside string records:
// listpack, intset, and the legacy ziplist and zipmap.
//
// Every reader treats its input as untrusted — RDB files and RESTORE payloads
// come from the network — so it checks header totals, each entry's bounds and
// the terminator, and reports problems as errors wrapping ErrCorrupt rather
// than panicking. Readers walk the blob once, calling fn per element as they
// go; when an error is returned fn may already have seen earlier elements, so
// callers discard what they built.
//
// For integer elements fn receives isInt = true, the value in n and a nil s.
// For string elements s aliases the input blob (copy it to keep it).
package blobs

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt is wrapped by every validation error in this package. Errors
// returned by a caller's fn are passed through unchanged.
var ErrCorrupt = errors.New("corrupt encoded blob")

// corrupt builds an error wrapping ErrCorrupt, prefixed with the format name.
func corrupt(format, msg string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", format, fmt.Sprintf(msg, args...), ErrCorrupt)
}

// Little-endian signed reads for the integer widths the formats use.
func int16le(b []byte) int64 { return int64(int16(binary.LittleEndian.Uint16(b))) }
func int32le(b []byte) int64 { return int64(int32(binary.LittleEndian.Uint32(b))) }
func int64le(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }

// int24le sign-extends a 3-byte little-endian two's-complement value.
func int24le(b []byte) int64 {
	v := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
	return int64(int32(v<<8) >> 8)
}

// wrapAt adds the element index and byte offset to a decoding error, keeping
// ErrCorrupt reachable through errors.Is.
func wrapAt(err error, index, offset int) error {
	return fmt.Errorf("element %d at offset %d: %w", index, offset, err)
}
