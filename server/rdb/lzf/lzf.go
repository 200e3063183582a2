// Package lzf implements the LZF block format that Redis and Valkey use for
// compressed strings in RDB files and DUMP payloads.
//
// A block is a sequence of instructions, each introduced by a control byte c:
//
//   - c < 32: a literal run; the next c+1 bytes are copied to the output.
//   - otherwise a back-reference: L = c>>5 (when L == 7 the next byte is
//     added to it), the offset is ((c&31)<<8 | next byte) + 1, and L+2 bytes
//     are copied from that far back in the output. Source and destination may
//     overlap, which is how runs of a repeated byte are encoded.
//
// The format has no header or length field; the RDB string record stores the
// compressed and uncompressed lengths next to the block.
package lzf

import "errors"

// Format limits that follow from the control-byte layout above.
const (
	maxLiteral = 32          // c in 0..31 encodes runs of 1..32 bytes
	minMatch   = 3           // L >= 1 (L == 0 would be a literal control byte)
	maxMatch   = 7 + 255 + 2 // L = 7 plus an extension byte of 255
	maxOffset  = 1 << 13     // 13 offset bits, biased by one
)

// maxExpansion bounds how many output bytes one input byte can produce: a
// three-byte back-reference of maximal length yields maxMatch bytes. Decompress
// uses it to reject absurd lengths before allocating, so a corrupt length
// field cannot make the loader allocate gigabytes.
const maxExpansion = (maxMatch + 2) / 3

// ErrCorrupt is wrapped by every error Decompress returns for malformed input.
var ErrCorrupt = errors.New("lzf: corrupt input")
