package keyspace

import "sort"

// Score and lexicographic ranges of sorted sets (ZRANGEBYSCORE, ZCOUNT, ZRANGEBYLEX and the like).

// ---- score ranges ----

// ZScoreRange is an interval of scores; MinEx/MaxEx make a bound exclusive ("(" in the commands).
type ZScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// GteMin reports whether v is at or above the lower bound.
func (r *ZScoreRange) GteMin(v float64) bool {
	if r.MinEx {
		return v > r.Min
	}
	return v >= r.Min
}

// LteMax reports whether v is at or below the upper bound.
func (r *ZScoreRange) LteMax(v float64) bool {
	if r.MaxEx {
		return v < r.Max
	}
	return v <= r.Max
}

// Empty reports whether no score can be in the range.
func (r *ZScoreRange) Empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// inRange reports whether some member may be in the range (Valkey's zslIsInRange/zzlIsInRange).
func (z *ZSet) inRange(r *ZScoreRange) bool {
	if r.Empty() || z.Len() == 0 {
		return false
	}
	if z.zt != nil {
		lo, hi := z.zt.first(), z.zt.last()
		return r.GteMin(hi.scores[hi.n-1]) && r.LteMax(lo.scores[0])
	}
	return r.GteMin(z.lp[len(z.lp)-1].Score) && r.LteMax(z.lp[0].Score)
}

// FirstInScore returns an iterator on the lowest member in the range (invalid if none).
func (z *ZSet) FirstInScore(r *ZScoreRange) ZIter {
	if !z.inRange(r) {
		return z.invalid()
	}
	if z.zt != nil {
		x, i := z.zt.firstWhere(func(s float64, _ string) bool { return r.GteMin(s) })
		if x == nil || !r.LteMax(x.scores[i]) {
			return z.invalid()
		}
		return z.iterAt(x, i)
	}
	i := sort.Search(len(z.lp), func(i int) bool { return r.GteMin(z.lp[i].Score) })
	if i == len(z.lp) || !r.LteMax(z.lp[i].Score) {
		return z.invalid()
	}
	return ZIter{z: z, i: i}
}

// LastInScore returns an iterator on the highest member in the range (invalid if none).
func (z *ZSet) LastInScore(r *ZScoreRange) ZIter {
	if !z.inRange(r) {
		return z.invalid()
	}
	if z.zt != nil {
		x, i := z.zt.lastWhere(func(s float64, _ string) bool { return r.LteMax(s) })
		if x == nil || !r.GteMin(x.scores[i]) {
			return z.invalid()
		}
		return z.iterAt(x, i)
	}
	i := sort.Search(len(z.lp), func(i int) bool { return !r.LteMax(z.lp[i].Score) }) - 1
	if i < 0 || !r.GteMin(z.lp[i].Score) {
		return z.invalid()
	}
	return ZIter{z: z, i: i}
}

// CountScore is the number of members in the range, O(log n).
func (z *ZSet) CountScore(r *ZScoreRange) int {
	first := z.FirstInScore(r)
	if !first.Valid() {
		return 0
	}
	last := z.LastInScore(r)
	return last.Rank() - first.Rank() + 1
}

// DeleteRangeByScore removes the members in the range and returns how many.
func (z *ZSet) DeleteRangeByScore(r *ZScoreRange) int {
	first := z.FirstInScore(r)
	if !first.Valid() {
		return 0
	}
	last := z.LastInScore(r)
	return z.DeleteRangeByRank(first.Rank(), last.Rank())
}

// ---- lexicographic ranges ----

// ZLexBound is one end of a lexicographic range: a value (inclusive unless Ex), or the infinities "-"
// (Inf < 0) and "+" (Inf > 0).
type ZLexBound struct {
	Inf int8
	Ex  bool
	Val string
}

// ZLexRange is [Min, Max] in byte order.
type ZLexRange struct{ Min, Max ZLexBound }

// cmpLex orders a value (inf 0) or an infinity against another, as Valkey's sdscmplex: the two
// infinities equal themselves.
func cmpLex(aInf int8, a string, bInf int8, b string) int {
	switch {
	case aInf == bInf && aInf != 0:
		return 0
	case aInf < 0 || bInf > 0:
		return -1
	case aInf > 0 || bInf < 0:
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// GteMin reports whether member is at or above the lower bound.
func (r *ZLexRange) GteMin(member string) bool {
	c := cmpLex(0, member, r.Min.Inf, r.Min.Val)
	if r.Min.Ex {
		return c > 0
	}
	return c >= 0
}

// LteMax reports whether member is at or below the upper bound.
func (r *ZLexRange) LteMax(member string) bool {
	c := cmpLex(0, member, r.Max.Inf, r.Max.Val)
	if r.Max.Ex {
		return c < 0
	}
	return c <= 0
}

// Empty reports whether no member can be in the range.
func (r *ZLexRange) Empty() bool {
	c := cmpLex(r.Min.Inf, r.Min.Val, r.Max.Inf, r.Max.Val)
	return c > 0 || (c == 0 && (r.Min.Ex || r.Max.Ex))
}

// The lexicographic operations assume that every member has the same score, as Valkey documents. With
// mixed scores the small form follows Valkey's own procedure (a scan), so that its answers are the ones
// Valkey gives; the large form answers as its search finds, as Valkey's skip list does (whose answers then
// depend on its random levels).

func (z *ZSet) inLexRange(r *ZLexRange) bool {
	if r.Empty() || z.Len() == 0 {
		return false
	}
	if z.zt != nil {
		lo, hi := z.zt.first(), z.zt.last()
		return r.GteMin(hi.members[hi.n-1]) && r.LteMax(lo.members[0])
	}
	return r.GteMin(z.lp[len(z.lp)-1].Member) && r.LteMax(z.lp[0].Member)
}

// FirstInLex returns an iterator on the first member in the range (invalid if none).
func (z *ZSet) FirstInLex(r *ZLexRange) ZIter {
	if !z.inLexRange(r) {
		return z.invalid()
	}
	if z.zt != nil {
		x, i := z.zt.firstWhere(func(_ float64, m string) bool { return r.GteMin(m) })
		if x == nil || !r.LteMax(x.members[i]) {
			return z.invalid()
		}
		return z.iterAt(x, i)
	}
	for i := range z.lp {
		if r.GteMin(z.lp[i].Member) {
			if r.LteMax(z.lp[i].Member) {
				return ZIter{z: z, i: i}
			}
			break
		}
	}
	return z.invalid()
}

// LastInLex returns an iterator on the last member in the range (invalid if none).
func (z *ZSet) LastInLex(r *ZLexRange) ZIter {
	if !z.inLexRange(r) {
		return z.invalid()
	}
	if z.zt != nil {
		x, i := z.zt.lastWhere(func(_ float64, m string) bool { return r.LteMax(m) })
		if x == nil || !r.GteMin(x.members[i]) {
			return z.invalid()
		}
		return z.iterAt(x, i)
	}
	for i := len(z.lp) - 1; i >= 0; i-- {
		if r.LteMax(z.lp[i].Member) {
			if r.GteMin(z.lp[i].Member) {
				return ZIter{z: z, i: i}
			}
			break
		}
	}
	return z.invalid()
}

// CountLex is the number of members in the range.
func (z *ZSet) CountLex(r *ZLexRange) int {
	first := z.FirstInLex(r)
	if !first.Valid() {
		return 0
	}
	if z.zt == nil {
		n := 0
		for it := first; it.Valid() && r.LteMax(it.Member()); it.Next() {
			n++
		}
		return n
	}
	count := z.Len() - first.Rank()
	if last := z.LastInLex(r); last.Valid() {
		count -= z.Len() - 1 - last.Rank()
	}
	return count
}

// DeleteRangeByLex removes the members in the range and returns how many.
func (z *ZSet) DeleteRangeByLex(r *ZLexRange) int {
	first := z.FirstInLex(r)
	if !first.Valid() {
		return 0
	}
	// from the first member at or above the minimum, while at or below the maximum
	n := 0
	for it := first; it.Valid() && r.LteMax(it.Member()); it.Next() {
		n++
	}
	start := first.Rank()
	return z.DeleteRangeByRank(start, start+n-1)
}
