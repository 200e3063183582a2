package keyspace

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"unsafe"
)

// ZSet is a sorted set: members ordered by (score, member bytes), as Valkey orders them.
//
// It has two forms, matching Valkey's two encodings (OBJECT ENCODING reports them):
//   - "listpack": a slice of entries kept in order, used while the set is small. Lookups by member scan it,
//     like Valkey's listpack, which is faster than hashing at this size and costs 24 bytes per entry.
//   - "skiplist": a skip list whose links carry spans (so rank and rank-range operations are O(log n)) plus a
//     member → node table. The table is a keyspace Dict so that ZSCAN keeps SCAN's guarantee while the
//     table resizes between calls.
//
// The command layer decides when to convert (the thresholds are configuration); ZSet only offers the
// conversions. ZSet is not safe for concurrent use.
type ZSet struct {
	lp   []ZEntry // the small form, ordered; unused once zsl is set
	zsl  *zskiplist
	dict *Dict[*zslNode]
}

// ZEntry is one member with its score.
type ZEntry struct {
	Member string
	Score  float64
}

// NewZSet returns an empty sorted set in the small form, or in the skip list form when large.
func NewZSet(large bool) *ZSet {
	z := &ZSet{}
	if large {
		z.zsl = zslNew()
		z.dict = NewDict[*zslNode]()
	}
	return z
}

// NewZSetFrom builds a sorted set from entries with distinct members, in any order (the store commands'
// results). entries is sorted in place.
func NewZSetFrom(entries []ZEntry, large bool) *ZSet {
	sort.Slice(entries, func(i, j int) bool {
		return zless(entries[i].Score, entries[i].Member, entries[j].Score, entries[j].Member)
	})
	z := NewZSet(large)
	if large {
		for _, e := range entries {
			z.dict.Put(e.Member, z.zsl.insert(e.Member, e.Score))
		}
		return z
	}
	z.lp = make([]ZEntry, len(entries))
	for i, e := range entries {
		z.lp[i] = ZEntry{Member: e.Member, Score: zSmallScore(e.Score)}
	}
	return z
}

// Len is the number of members.
func (z *ZSet) Len() int {
	if z.zsl != nil {
		return z.zsl.length
	}
	return len(z.lp)
}

// IsListpack reports whether the set is in its small form.
func (z *ZSet) IsListpack() bool { return z.zsl == nil }

// Encoding is the OBJECT ENCODING name of the current form.
func (z *ZSet) Encoding() string {
	if z.zsl != nil {
		return "skiplist"
	}
	return "listpack"
}

// MaxMemberLen is the length of the longest member (store commands use it to pick the form of a result).
func (z *ZSet) MaxMemberLen() int {
	n := 0
	z.Range(func(m string, _ float64) bool {
		n = max(n, len(m))
		return true
	})
	return n
}

// zSmallScore is how the small form stores a score. Valkey's listpack stores an integral score as an
// integer, which turns -0 into 0; the skip list keeps the sign. Clients can observe the difference
// (ZSCORE answers "0" or "-0"), so the small form does the same.
func zSmallScore(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}

func zless(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

// zBytesOf views a string as bytes without copying, for Dict methods that take []byte and do not keep or
// modify it.
func zBytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// findSmall returns the index of member in the small form, or -1.
func (z *ZSet) findSmall(member []byte) int {
	for i := range z.lp {
		if z.lp[i].Member == string(member) {
			return i
		}
	}
	return -1
}

// smallPos is where (score, member) goes in the small form.
func (z *ZSet) smallPos(score float64, member string) int {
	return sort.Search(len(z.lp), func(i int) bool {
		return !zless(z.lp[i].Score, z.lp[i].Member, score, member)
	})
}

func (z *ZSet) insertSmall(member string, score float64) {
	score = zSmallScore(score)
	i := z.smallPos(score, member)
	z.lp = append(z.lp, ZEntry{})
	copy(z.lp[i+1:], z.lp[i:])
	z.lp[i] = ZEntry{Member: member, Score: score}
}

func (z *ZSet) deleteSmall(i int) {
	copy(z.lp[i:], z.lp[i+1:])
	z.lp[len(z.lp)-1] = ZEntry{}
	z.lp = z.lp[:len(z.lp)-1]
}

// Score returns the score of member.
func (z *ZSet) Score(member []byte) (float64, bool) {
	if z.zsl != nil {
		if n := z.dict.Get(member); n != nil {
			return (*n).score, true
		}
		return 0, false
	}
	if i := z.findSmall(member); i >= 0 {
		return z.lp[i].Score, true
	}
	return 0, false
}

// Insert adds a member that is not in the set yet (the caller checked, and converted the form if the
// set outgrows the small one).
func (z *ZSet) Insert(member string, score float64) {
	if z.zsl == nil {
		z.insertSmall(member, score)
		return
	}
	n := z.zsl.insert(member, score)
	z.dict.Put(member, n)
}

// InsertLimited is Insert with the conversion ZADD makes first: a small set that would exceed the limits
// turns into the skip list form. The store commands that build their result member by member use it, so
// that the -0 scores the small form stored as 0 stay 0, as in Valkey.
func (z *ZSet) InsertLimited(member string, score float64, lim ZLimits) {
	if z.zsl == nil && (len(z.lp)+1 > lim.Entries || len(member) > lim.Value) {
		z.ToSkiplist()
	}
	z.Insert(member, score)
}

// Delete removes member and reports whether it was there.
func (z *ZSet) Delete(member []byte) bool {
	if z.zsl == nil {
		i := z.findSmall(member)
		if i < 0 {
			return false
		}
		z.deleteSmall(i)
		return true
	}
	np := z.dict.Get(member)
	if np == nil {
		return false
	}
	n := *np
	z.zsl.delete(n)
	z.dict.Delete(member)
	return true
}

// The options of Add (ZADD's NX, XX, GT, LT and INCR).
const (
	ZAddNX = 1 << iota
	ZAddXX
	ZAddGT
	ZAddLT
	ZAddIncr
)

// The outcomes of Add.
const (
	ZAdded   = 1 << iota // a new member
	ZUpdated             // an existing member got a different score
	ZNop                 // nothing done because of NX, XX, GT or LT
	ZNaN                 // the resulting score would be NaN: nothing done
)

// ZLimits are the thresholds of the small form: at most Entries members, none longer than Value bytes
// (zset-max-listpack-entries and zset-max-listpack-value).
type ZLimits struct{ Entries, Value int }

// Fits reports whether a set of n members, the longest maxLen bytes, belongs in the small form.
func (l ZLimits) Fits(n, maxLen int) bool { return n <= l.Entries && maxLen <= l.Value }

// Add is ZADD for one member, with Valkey's semantics: NaN is refused, NX skips existing members, XX skips
// new ones, INCR adds to the current score, GT/LT update only when the new score is greater/less. A new
// member that the small form cannot take converts the set first. It returns the member's score after
// the operation and what happened.
func (z *ZSet) Add(member []byte, score float64, flags int, lim ZLimits) (float64, int) {
	if math.IsNaN(score) {
		return 0, ZNaN
	}
	var node *zslNode
	idx := -1
	var cur float64
	found := false
	if z.zsl != nil {
		if np := z.dict.Get(member); np != nil {
			node, cur, found = *np, (*np).score, true
		}
	} else if idx = z.findSmall(member); idx >= 0 {
		cur, found = z.lp[idx].Score, true
	}
	if found {
		if flags&ZAddNX != 0 {
			return cur, ZNop
		}
		if flags&ZAddIncr != 0 {
			score += cur
			if math.IsNaN(score) {
				return cur, ZNaN
			}
		}
		if (flags&ZAddLT != 0 && score >= cur) || (flags&ZAddGT != 0 && score <= cur) {
			return cur, ZNop
		}
		if score == cur {
			return score, 0
		}
		if node != nil {
			z.zsl.updateScore(node, score)
		} else {
			m := z.lp[idx].Member
			z.deleteSmall(idx)
			z.insertSmall(m, score)
		}
		return score, ZUpdated
	}
	if flags&ZAddXX != 0 {
		return 0, ZNop
	}
	if z.zsl == nil && (len(z.lp)+1 > lim.Entries || len(member) > lim.Value) {
		z.ToSkiplist()
	}
	z.Insert(string(member), score)
	// the reply shows the score as computed (Valkey replies before the small form drops a zero's sign)
	return score, ZAdded
}

// ToSkiplist converts the small form to the skip list form.
func (z *ZSet) ToSkiplist() {
	if z.zsl != nil {
		return
	}
	z.zsl = zslNew()
	z.dict = NewDict[*zslNode]()
	for _, e := range z.lp {
		z.dict.Put(e.Member, z.zsl.insert(e.Member, e.Score))
	}
	z.lp = nil
}

// ToListpack converts the skip list form to the small form.
func (z *ZSet) ToListpack() {
	if z.zsl == nil {
		return
	}
	lp := make([]ZEntry, 0, z.zsl.length)
	for x := z.zsl.header.level[0].forward; x != nil; x = x.level[0].forward {
		lp = append(lp, ZEntry{Member: x.member, Score: zSmallScore(x.score)})
	}
	z.lp, z.zsl, z.dict = lp, nil, nil
}

// Rank returns the 0-based rank of member (from the highest score when reverse) and its score.
func (z *ZSet) Rank(member []byte, reverse bool) (int, float64, bool) {
	var r int
	var score float64
	if z.zsl != nil {
		np := z.dict.Get(member)
		if np == nil {
			return 0, 0, false
		}
		score = (*np).score
		r = z.zsl.rank(score, (*np).member) - 1
	} else {
		i := z.findSmall(member)
		if i < 0 {
			return 0, 0, false
		}
		r, score = i, z.lp[i].Score
	}
	if reverse {
		r = z.Len() - 1 - r
	}
	return r, score, true
}

// Range calls fn for every member in order until it returns false.
func (z *ZSet) Range(fn func(member string, score float64) bool) {
	if z.zsl != nil {
		for x := z.zsl.header.level[0].forward; x != nil; x = x.level[0].forward {
			if !fn(x.member, x.score) {
				return
			}
		}
		return
	}
	for _, e := range z.lp {
		if !fn(e.Member, e.Score) {
			return
		}
	}
}

// Scan iterates the skip list form's member table from cursor (see Dict.Scan). The small form has no
// cursor: callers return it whole.
func (z *ZSet) Scan(cursor uint64, fn func(member string, score float64)) uint64 {
	if z.zsl == nil {
		for _, e := range z.lp {
			fn(e.Member, e.Score)
		}
		return 0
	}
	return z.dict.Scan(cursor, func(k string, n **zslNode) { fn(k, (*n).score) })
}

// RandomMember returns a uniformly chosen member (the set must not be empty).
func (z *ZSet) RandomMember(rng *rand.Rand) ZEntry {
	it := z.At(rng.IntN(z.Len()))
	return it.Entry()
}

// Pop removes and returns the member with the lowest score, or the highest when max.
func (z *ZSet) Pop(max bool) ZEntry {
	if z.zsl == nil {
		i := 0
		if max {
			i = len(z.lp) - 1
		}
		e := z.lp[i]
		z.deleteSmall(i)
		return e
	}
	x := z.zsl.header.level[0].forward
	if max {
		x = z.zsl.tail
	}
	e := ZEntry{Member: x.member, Score: x.score}
	z.zsl.delete(x)
	z.dict.Delete(zBytesOf(x.member))
	return e
}

// Clone returns a deep copy (COPY). Members are immutable strings and are shared.
func (z *ZSet) Clone() any {
	n := &ZSet{}
	if z.zsl == nil {
		n.lp = append([]ZEntry(nil), z.lp...)
		return n
	}
	n.zsl = zslNew()
	n.dict = NewDict[*zslNode]()
	for x := z.zsl.header.level[0].forward; x != nil; x = x.level[0].forward {
		n.dict.Put(x.member, n.zsl.insert(x.member, x.score))
	}
	return n
}

// DeepCopy is Clone under the name the server's COPY looks for.
func (z *ZSet) DeepCopy() any { return z.Clone() }

// ZIter is a position in a sorted set, moved one member at a time in either direction. It is invalid past
// either end; it must not be used across changes to the set.
type ZIter struct {
	z *ZSet
	i int      // small form
	n *zslNode // skip list form
}

// Valid reports whether the iterator is on a member.
func (it *ZIter) Valid() bool {
	if it.z.zsl != nil {
		return it.n != nil
	}
	return it.i >= 0 && it.i < len(it.z.lp)
}

// Entry is the member under the iterator.
func (it *ZIter) Entry() ZEntry {
	if it.z.zsl != nil {
		return ZEntry{Member: it.n.member, Score: it.n.score}
	}
	return it.z.lp[it.i]
}

// Member is the member under the iterator.
func (it *ZIter) Member() string {
	if it.z.zsl != nil {
		return it.n.member
	}
	return it.z.lp[it.i].Member
}

// Score is the score under the iterator.
func (it *ZIter) Score() float64 {
	if it.z.zsl != nil {
		return it.n.score
	}
	return it.z.lp[it.i].Score
}

// Next moves towards higher ranks.
func (it *ZIter) Next() {
	if it.z.zsl != nil {
		it.n = it.n.level[0].forward
		return
	}
	it.i++
}

// Prev moves towards lower ranks.
func (it *ZIter) Prev() {
	if it.z.zsl != nil {
		it.n = it.n.backward
		return
	}
	it.i--
}

// Step moves one member forwards, or backwards when reverse.
func (it *ZIter) Step(reverse bool) {
	if reverse {
		it.Prev()
	} else {
		it.Next()
	}
}

// Rank is the 0-based rank of the iterator's member, O(log n).
func (it *ZIter) Rank() int {
	if it.z.zsl != nil {
		return it.z.zsl.rank(it.n.score, it.n.member) - 1
	}
	return it.i
}

// At returns an iterator on the member of 0-based rank r (invalid when out of range), O(log n).
func (z *ZSet) At(r int) ZIter {
	it := ZIter{z: z, i: r}
	if z.zsl != nil {
		if r >= 0 && r < z.zsl.length {
			it.n = z.zsl.byRank(r + 1)
		}
	}
	return it
}

func (z *ZSet) invalid() ZIter { return ZIter{z: z, i: -1} }

// DeleteRangeByRank removes the members of 0-based ranks start..end (inclusive, within bounds) and returns
// how many it removed.
func (z *ZSet) DeleteRangeByRank(start, end int) int {
	if start < 0 || end >= z.Len() || start > end {
		return 0
	}
	if z.zsl == nil {
		n := end - start + 1
		z.lp = append(z.lp[:start], z.lp[end+1:]...)
		clear(z.lp[len(z.lp):min(cap(z.lp), len(z.lp)+n)])
		return n
	}
	return z.zsl.deleteRangeByRank(start+1, end+1, z.dict)
}

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
	if z.zsl != nil {
		return r.GteMin(z.zsl.tail.score) && r.LteMax(z.zsl.header.level[0].forward.score)
	}
	return r.GteMin(z.lp[len(z.lp)-1].Score) && r.LteMax(z.lp[0].Score)
}

// FirstInScore returns an iterator on the lowest member in the range (invalid if none).
func (z *ZSet) FirstInScore(r *ZScoreRange) ZIter {
	if !z.inRange(r) {
		return z.invalid()
	}
	if z.zsl != nil {
		x := z.zsl.header
		for i := z.zsl.level - 1; i >= 0; i-- {
			for x.level[i].forward != nil && !r.GteMin(x.level[i].forward.score) {
				x = x.level[i].forward
			}
		}
		x = x.level[0].forward
		if x == nil || !r.LteMax(x.score) {
			return z.invalid()
		}
		return ZIter{z: z, n: x}
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
	if z.zsl != nil {
		x := z.zsl.header
		for i := z.zsl.level - 1; i >= 0; i-- {
			for x.level[i].forward != nil && r.LteMax(x.level[i].forward.score) {
				x = x.level[i].forward
			}
		}
		if x == z.zsl.header || !r.GteMin(x.score) {
			return z.invalid()
		}
		return ZIter{z: z, n: x}
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

// The lexicographic operations assume that every member has the same score, as Valkey documents; with
// mixed scores they follow Valkey's own procedures for each form (a scan of the small form, a descent of
// the skip list), so that the answers for the small form are the ones Valkey gives.

func (z *ZSet) inLexRange(r *ZLexRange) bool {
	if r.Empty() || z.Len() == 0 {
		return false
	}
	if z.zsl != nil {
		return r.GteMin(z.zsl.tail.member) && r.LteMax(z.zsl.header.level[0].forward.member)
	}
	return r.GteMin(z.lp[len(z.lp)-1].Member) && r.LteMax(z.lp[0].Member)
}

// FirstInLex returns an iterator on the first member in the range (invalid if none).
func (z *ZSet) FirstInLex(r *ZLexRange) ZIter {
	if !z.inLexRange(r) {
		return z.invalid()
	}
	if z.zsl != nil {
		x := z.zsl.header
		for i := z.zsl.level - 1; i >= 0; i-- {
			for x.level[i].forward != nil && !r.GteMin(x.level[i].forward.member) {
				x = x.level[i].forward
			}
		}
		x = x.level[0].forward
		if x == nil || !r.LteMax(x.member) {
			return z.invalid()
		}
		return ZIter{z: z, n: x}
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
	if z.zsl != nil {
		x := z.zsl.header
		for i := z.zsl.level - 1; i >= 0; i-- {
			for x.level[i].forward != nil && r.LteMax(x.level[i].forward.member) {
				x = x.level[i].forward
			}
		}
		if x == z.zsl.header || !r.GteMin(x.member) {
			return z.invalid()
		}
		return ZIter{z: z, n: x}
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
	if z.zsl == nil {
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
	if z.zsl == nil {
		first := z.FirstInLex(r)
		if !first.Valid() {
			return 0
		}
		end := first.i
		for end < len(z.lp) && r.LteMax(z.lp[end].Member) {
			end++
		}
		return z.DeleteRangeByRank(first.i, end-1)
	}
	return z.zsl.deleteRangeByLex(r, z.dict)
}

// ---- the skip list ----

const (
	zslMaxLevel = 32 // enough for 4^32 members
)

type zslLevel struct {
	forward *zslNode
	span    int // number of level-0 links this link jumps over
}

type zslNode struct {
	member   string
	score    float64
	backward *zslNode
	level    []zslLevel
}

type zskiplist struct {
	header *zslNode
	tail   *zslNode
	length int
	level  int
}

func zslNew() *zskiplist {
	return &zskiplist{header: &zslNode{level: make([]zslLevel, zslMaxLevel)}, level: 1}
}

// zslRandomLevel draws a level with P(level > k) = 4^-k, as Valkey's ZSKIPLIST_P of 1/4: each pair of zero
// bits of one random word adds a level.
func zslRandomLevel() int {
	l := 1 + bits.TrailingZeros64(rand.Uint64())/2
	return min(l, zslMaxLevel)
}

// zslNewNode allocates a node and its links together for the common low levels (three in four nodes have
// one level).
func zslNewNode(level int, member string, score float64) *zslNode {
	var n *zslNode
	switch level {
	case 1:
		x := new(struct {
			n zslNode
			l [1]zslLevel
		})
		x.n.level = x.l[:]
		n = &x.n
	case 2:
		x := new(struct {
			n zslNode
			l [2]zslLevel
		})
		x.n.level = x.l[:]
		n = &x.n
	case 3:
		x := new(struct {
			n zslNode
			l [3]zslLevel
		})
		x.n.level = x.l[:]
		n = &x.n
	default:
		n = &zslNode{level: make([]zslLevel, level)}
	}
	n.member, n.score = member, score
	return n
}

func (zsl *zskiplist) insert(member string, score float64) *zslNode {
	x := zslNewNode(zslRandomLevel(), member, score)
	zsl.insertNode(x)
	return x
}

// insertNode links x (member and score set, level slice sized, links free) at its place.
func (zsl *zskiplist) insertNode(x *zslNode) {
	var update [zslMaxLevel]*zslNode
	var rank [zslMaxLevel]int
	p := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		if i < zsl.level-1 {
			rank[i] = rank[i+1]
		}
		for f := p.level[i].forward; f != nil && zless(f.score, f.member, x.score, x.member); f = p.level[i].forward {
			rank[i] += p.level[i].span
			p = f
		}
		update[i] = p
	}
	level := len(x.level)
	if level > zsl.level {
		for i := zsl.level; i < level; i++ {
			rank[i] = 0
			update[i] = zsl.header
			update[i].level[i].span = zsl.length
		}
		zsl.level = level
	}
	for i := 0; i < level; i++ {
		x.level[i].forward = update[i].level[i].forward
		update[i].level[i].forward = x
		x.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].level[i].span++
	}
	if update[0] == zsl.header {
		x.backward = nil
	} else {
		x.backward = update[0]
	}
	if f := x.level[0].forward; f != nil {
		f.backward = x
	} else {
		zsl.tail = x
	}
	zsl.length++
}

// path fills update with, for each level, the last node before (score, member).
func (zsl *zskiplist) path(score float64, member string, update *[zslMaxLevel]*zslNode) {
	p := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := p.level[i].forward; f != nil && zless(f.score, f.member, score, member); f = p.level[i].forward {
			p = f
		}
		update[i] = p
	}
}

func (zsl *zskiplist) unlink(x *zslNode, update *[zslMaxLevel]*zslNode) {
	for i := 0; i < zsl.level; i++ {
		if update[i].level[i].forward == x {
			update[i].level[i].span += x.level[i].span - 1
			update[i].level[i].forward = x.level[i].forward
		} else {
			update[i].level[i].span--
		}
	}
	if f := x.level[0].forward; f != nil {
		f.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.level[zsl.level-1].forward == nil {
		zsl.level--
	}
	zsl.length--
}

// delete unlinks node x, which must be in the list.
func (zsl *zskiplist) delete(x *zslNode) {
	var update [zslMaxLevel]*zslNode
	zsl.path(x.score, x.member, &update)
	zsl.unlink(x, &update)
}

// updateScore moves x to its place for a new score. When the neighbours still bracket the new score the
// node stays where it is; otherwise it is unlinked and linked again (the same node, so the member table
// keeps pointing at it).
func (zsl *zskiplist) updateScore(x *zslNode, score float64) {
	if (x.backward == nil || x.backward.score < score) &&
		(x.level[0].forward == nil || x.level[0].forward.score > score) {
		x.score = score
		return
	}
	zsl.delete(x)
	x.score = score
	zsl.insertNode(x)
}

// rank is the 1-based rank of (score, member), 0 if absent.
func (zsl *zskiplist) rank(score float64, member string) int {
	r := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.level[i].forward; f != nil && (f.score < score || (f.score == score && f.member <= member)); f = x.level[i].forward {
			r += x.level[i].span
			x = f
		}
		if x != zsl.header && x.score == score && x.member == member {
			return r
		}
	}
	return 0
}

// byRank returns the node of 1-based rank r, or nil.
func (zsl *zskiplist) byRank(r int) *zslNode {
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && traversed+x.level[i].span <= r {
			traversed += x.level[i].span
			x = x.level[i].forward
		}
		if traversed == r {
			if x == zsl.header {
				return nil
			}
			return x
		}
	}
	return nil
}

// deleteRangeByRank removes 1-based ranks start..end and their table entries.
func (zsl *zskiplist) deleteRangeByRank(start, end int, dict *Dict[*zslNode]) int {
	var update [zslMaxLevel]*zslNode
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && traversed+x.level[i].span < start {
			traversed += x.level[i].span
			x = x.level[i].forward
		}
		update[i] = x
	}
	traversed++
	x = x.level[0].forward
	removed := 0
	for x != nil && traversed <= end {
		next := x.level[0].forward
		zsl.unlink(x, &update)
		dict.Delete(zBytesOf(x.member))
		removed++
		traversed++
		x = next
	}
	return removed
}

// deleteRangeByLex is Valkey's zslDeleteRangeByLex: descend to the first member not below the minimum,
// then remove while at or below the maximum.
func (zsl *zskiplist) deleteRangeByLex(r *ZLexRange, dict *Dict[*zslNode]) int {
	var update [zslMaxLevel]*zslNode
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for x.level[i].forward != nil && !r.GteMin(x.level[i].forward.member) {
			x = x.level[i].forward
		}
		update[i] = x
	}
	x = x.level[0].forward
	removed := 0
	for x != nil && r.LteMax(x.member) {
		next := x.level[0].forward
		zsl.unlink(x, &update)
		dict.Delete(zBytesOf(x.member))
		removed++
		x = next
	}
	return removed
}
