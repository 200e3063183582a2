package lzf

import (
	"math/bits"
	"sync"
)

// Hash table sizing. Positions are found by hashing the next three bytes;
// the table is sized to the input (capped) so small strings, the common case
// in RDB files, don't pay for clearing a large table.
const (
	maxHashLog = 14
	minHashLog = 8
)

// tablePool recycles hash tables between calls; RDB saves compress many
// values in a row.
var tablePool = sync.Pool{New: func() any { return new([1 << maxHashLog]int32) }}

// Compress returns the LZF-compressed form of src appended to dst[:0], or nil
// when compression would not save at least 4 bytes (callers then store src
// raw, as Redis does). The output is deterministic for a given src.
func Compress(dst, src []byte) []byte {
	n := len(src)
	limit := n - 4 // largest acceptable output
	if limit <= 0 {
		return nil
	}
	out := dst[:0]
	if cap(out) < limit {
		out = make([]byte, 0, limit)
	}

	hashLog := min(max(bits.Len(uint(n)), minHashLog), maxHashLog)
	tab := tablePool.Get().(*[1 << maxHashLog]int32)
	defer tablePool.Put(tab)
	// Entries hold position+1 so that zero means "empty".
	table := tab[:1<<hashLog]
	clear(table)
	shift := 32 - hashLog

	lit := 0 // start of the pending literal run
	ip := 0
	for ip+minMatch <= n {
		h := hash3(src[ip:], shift)
		ref := int(table[h]) - 1
		table[h] = int32(ip + 1)
		if ref < 0 || ip-ref > maxOffset ||
			src[ref] != src[ip] || src[ref+1] != src[ip+1] || src[ref+2] != src[ip+2] {
			ip++
			// Give up early on incompressible input: the pending literals
			// alone (plus one control byte per 32) already exceed the budget.
			if pending := ip - lit; len(out)+pending+(pending+maxLiteral-1)/maxLiteral > limit {
				return nil
			}
			continue
		}

		end := min(n-ip, maxMatch)
		m := minMatch
		for m < end && src[ref+m] == src[ip+m] {
			m++
		}

		out = appendLiterals(out, src[lit:ip])
		off := ip - ref - 1
		l := m - 2
		if l < 7 {
			out = append(out, byte(l<<5|off>>8), byte(off))
		} else {
			out = append(out, byte(7<<5|off>>8), byte(l-7), byte(off))
		}
		if len(out) > limit {
			return nil
		}

		// Index the positions inside the match too; it costs a hash per
		// byte but finds the next repetition much more often.
		stop := min(ip+m, n-minMatch+1)
		for p := ip + 1; p < stop; p++ {
			table[hash3(src[p:], shift)] = int32(p + 1)
		}
		ip += m
		lit = ip
	}
	out = appendLiterals(out, src[lit:])
	if len(out) > limit {
		return nil
	}
	return out
}

// hash3 mixes the next three bytes of p into a table index of 32-shift bits.
func hash3(p []byte, shift int) uint32 {
	v := uint32(p[0])<<16 | uint32(p[1])<<8 | uint32(p[2])
	return (v * 2654435761) >> shift
}

// appendLiterals emits lit as literal runs of at most maxLiteral bytes.
func appendLiterals(out, lit []byte) []byte {
	for len(lit) > 0 {
		k := min(len(lit), maxLiteral)
		out = append(out, byte(k-1))
		out = append(out, lit[:k]...)
		lit = lit[k:]
	}
	return out
}
