package server

import (
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// lcsMatch is one common run found by LCS IDX: byte ranges (inclusive) in the first and second string.
type lcsMatch struct{ a0, a1, b0, b1 int }

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
//
// The classic dynamic-programming table of LCS lengths of every prefix pair, then a walk back from the
// end that rebuilds the subsequence and, for IDX, the runs of consecutive matches, reported from the end
// of the strings towards the start as Valkey does.
func lcsCommand(c *Client, args [][]byte) {
	s := c.srv
	oa, ob := s.lookupRead(c, args[1]), s.lookupRead(c, args[2])
	if (oa != nil && oa.Kind != keyspace.KindString) || (ob != nil && ob.Kind != keyspace.KindString) {
		c.Err("ERR The specified keys must contain string values")
		return
	}
	var a, b []byte
	if oa != nil {
		a = oa.Str
	}
	if ob != nil {
		b = ob.Str
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for i := 3; i < len(args); i++ {
		switch {
		case eqFold(args[i], "idx"):
			getIdx = true
		case eqFold(args[i], "len"):
			getLen = true
		case eqFold(args[i], "withmatchlen"):
			withLen = true
		case eqFold(args[i], "minmatchlen") && i+1 < len(args):
			n, ok := parseInt64(args[i+1])
			if !ok {
				c.Err(errNotInt)
				return
			}
			minLen = max(n, 0)
			i++
		default:
			c.Err(errSyntax)
			return
		}
	}
	if getIdx && getLen {
		c.Err("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	cols := len(b) + 1
	cells := int64(len(a)+1) * int64(cols)
	if cells*4 > s.cfg.ProtoMaxBulkLen {
		c.Err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	t := make([]uint32, cells)
	for i := 1; i <= len(a); i++ {
		row, prev := t[i*cols:], t[(i-1)*cols:]
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				row[j] = prev[j-1] + 1
			case prev[j] > row[j-1]:
				row[j] = prev[j]
			default:
				row[j] = row[j-1]
			}
		}
	}
	total := int(t[len(a)*cols+len(b)])
	if getLen {
		c.W().Int(int64(total))
		return
	}

	seq := make([]byte, total)
	var matches []lcsMatch
	var cur lcsMatch
	open := false
	flush := func() {
		if open && (minLen == 0 || int64(cur.a1-cur.a0+1) >= minLen) {
			matches = append(matches, cur)
		}
		open = false
	}
	k := total
	for i, j := len(a), len(b); i > 0 && j > 0; {
		if a[i-1] == b[j-1] {
			k--
			seq[k] = a[i-1]
			if open {
				// walking back, consecutive matches extend the run towards the start
				cur.a0, cur.b0 = i-1, j-1
			} else {
				cur, open = lcsMatch{i - 1, i - 1, j - 1, j - 1}, true
			}
			i, j = i-1, j-1
			if i == 0 || j == 0 {
				flush()
			}
			continue
		}
		// follow the longer of the two sub-problems; on a tie Valkey moves in the second string
		if t[(i-1)*cols+j] > t[i*cols+j-1] {
			i--
		} else {
			j--
		}
		flush()
	}

	if !getIdx {
		c.W().Bulk(seq)
		return
	}
	w := c.W()
	w.Map(2)
	w.BulkString("matches")
	w.Array(len(matches))
	for _, m := range matches {
		if withLen {
			w.Array(3)
		} else {
			w.Array(2)
		}
		w.Array(2)
		w.Int(int64(m.a0))
		w.Int(int64(m.a1))
		w.Array(2)
		w.Int(int64(m.b0))
		w.Int(int64(m.b1))
		if withLen {
			w.Int(int64(m.a1 - m.a0 + 1))
		}
	}
	w.BulkString("len")
	w.Int(int64(total))
}

func init() {
	register(spec{name: "lcs", arity: -3, flags: "readonly", first: 1, last: 2, step: 1, group: "string", summary: "Finds the longest common substring.", since: "7.0.0", complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively", handler: lcsCommand})
}
