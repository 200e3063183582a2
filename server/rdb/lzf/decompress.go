package lzf

import "fmt"

// Decompress decompresses src, which must expand to exactly ulen bytes,
// appending to dst[:0] (dst's storage is reused when it has room for ulen
// bytes). Malformed input — a truncated instruction, a back-reference before
// the start of the output, output longer or shorter than ulen — yields an
// error wrapping ErrCorrupt; it never panics.
func Decompress(dst, src []byte, ulen int) ([]byte, error) {
	if ulen < 0 {
		return nil, fmt.Errorf("lzf: negative uncompressed length %d: %w", ulen, ErrCorrupt)
	}
	if ulen/maxExpansion > len(src) {
		return nil, fmt.Errorf("lzf: %d compressed bytes cannot expand to %d: %w", len(src), ulen, ErrCorrupt)
	}
	out := dst[:0]
	if cap(out) < ulen {
		out = make([]byte, 0, ulen)
	}
	out = out[:ulen]

	ip, op := 0, 0
	for ip < len(src) {
		ctrl := int(src[ip])
		ip++
		if ctrl < maxLiteral {
			n := ctrl + 1
			if n > len(src)-ip {
				return nil, fmt.Errorf("lzf: literal run of %d at input offset %d is truncated: %w", n, ip-1, ErrCorrupt)
			}
			if n > ulen-op {
				return nil, fmt.Errorf("lzf: literal run at input offset %d overruns %d output bytes: %w", ip-1, ulen, ErrCorrupt)
			}
			copy(out[op:], src[ip:ip+n])
			ip += n
			op += n
			continue
		}

		start := ip - 1
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(src) {
				return nil, fmt.Errorf("lzf: back-reference at input offset %d is truncated: %w", start, ErrCorrupt)
			}
			n += int(src[ip])
			ip++
		}
		if ip >= len(src) {
			return nil, fmt.Errorf("lzf: back-reference at input offset %d is truncated: %w", start, ErrCorrupt)
		}
		off := (ctrl&0x1f)<<8 | int(src[ip]) + 1
		ip++
		n += 2
		if off > op {
			return nil, fmt.Errorf("lzf: back-reference at input offset %d points %d bytes before output start: %w", start, off-op, ErrCorrupt)
		}
		if n > ulen-op {
			return nil, fmt.Errorf("lzf: back-reference at input offset %d overruns %d output bytes: %w", start, ulen, ErrCorrupt)
		}
		// The reference may overlap the bytes it produces (off < n); that
		// repeats the last off bytes, so plain copy() is only right when the
		// ranges are disjoint.
		ref := op - off
		switch {
		case off >= n:
			copy(out[op:op+n], out[ref:ref+n])
		case n <= 16:
			// Short overlapping run: a byte loop reads what it just wrote,
			// which is exactly the repetition the format asks for.
			for i := range n {
				out[op+i] = out[ref+i]
			}
		default:
			// Long overlapping run: everything from ref to the write position
			// is periodic with period off, so each copy can take the whole
			// written span and the chunk doubles every step.
			for done := 0; done < n; {
				done += copy(out[op+done:op+n], out[ref:op+done])
			}
		}
		op += n
	}
	if op != ulen {
		return nil, fmt.Errorf("lzf: input expands to %d bytes, expected %d: %w", op, ulen, ErrCorrupt)
	}
	return out, nil
}
