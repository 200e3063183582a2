package keyspace

import (
	"math"
	"math/rand/v2"
	"sort"
	"unsafe"
)

// ZSet is a sorted set: members ordered by (score, member bytes), as Valkey orders them.
//
// It has two forms, matching Valkey's two encodings (OBJECT ENCODING reports them):
//   - "listpack": a slice of entries kept in order, used while the set is small. Lookups by member scan it,
//     like Valkey's listpack, which is faster than hashing at this size and costs 24 bytes per entry.
//   - "skiplist": an ordered index with member counts (zset_tree.go: a B+tree, where Valkey has a skip
//     list, for the same O(log n) rank operations) plus a member → score table. The table is a keyspace
//     Dict so that ZSCAN keeps SCAN's guarantee while the table resizes between calls.
//
// The command layer decides when to convert (the thresholds are configuration); ZSet only offers the
// conversions. ZSet is not safe for concurrent use.
type ZSet struct {
	lp   []ZEntry // the small form, ordered; unused once zt is set
	zt   *ztree
	dict *Dict[float64]
	// elemBytes is what the members hold besides the small form's slice and the index's nodes: their
	// strings, and in the large form their table entries. Every change of membership and both
	// conversions keep it current, so that MemUsage is O(1) (setzset_mem.go).
	elemBytes int
}

// ZEntry is one member with its score.
type ZEntry struct {
	Member string
	Score  float64
}

// NewZSet returns an empty sorted set in the small form, or in the large form when large.
func NewZSet(large bool) *ZSet {
	z := &ZSet{}
	if large {
		z.zt = newZtree()
		z.dict = NewDict[float64]()
	}
	return z
}

// NewZSetFrom builds a sorted set from entries with distinct members, in any order (the store commands'
// results). entries is sorted in place.
func NewZSetFrom(entries []ZEntry, large bool) *ZSet {
	sort.Slice(entries, func(i, j int) bool {
		return zless(entries[i].Score, entries[i].Member, entries[j].Score, entries[j].Member)
	})
	if large {
		return zsetLargeFrom(entries)
	}
	z := &ZSet{lp: make([]ZEntry, len(entries))}
	for i, e := range entries {
		z.lp[i] = ZEntry{Member: e.Member, Score: zSmallScore(e.Score)}
		z.elemBytes += AllocSize(len(e.Member))
	}
	return z
}

// zsetLargeFrom builds the large form from entries in order, in O(n).
func zsetLargeFrom(entries []ZEntry) *ZSet {
	z := &ZSet{dict: NewDict[float64]()}
	z.dict.resize(len(entries))
	for _, e := range entries {
		z.dict.Put(e.Member, e.Score)
		z.elemBytes += zsetElemBytes(len(e.Member))
	}
	k := 0
	z.zt = buildZtree(len(entries), func() (float64, string) {
		k++
		return entries[k-1].Score, entries[k-1].Member
	})
	return z
}

// Len is the number of members.
func (z *ZSet) Len() int {
	if z.zt != nil {
		return z.zt.length
	}
	return len(z.lp)
}

// IsListpack reports whether the set is in its small form.
func (z *ZSet) IsListpack() bool { return z.zt == nil }

// Encoding is the OBJECT ENCODING name of the current form.
func (z *ZSet) Encoding() string {
	if z.zt != nil {
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
// integer, which turns -0 into 0; its skip list, like our large form, keeps the sign. Clients can observe
// the difference (ZSCORE answers "0" or "-0"), so the small form does the same.
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
	if z.zt != nil {
		if v := z.dict.Get(member); v != nil {
			return *v, true
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
	if z.zt == nil {
		z.insertSmall(member, score)
		z.elemBytes += AllocSize(len(member))
		return
	}
	z.zt.insert(score, member)
	z.dict.Put(member, score)
	z.elemBytes += zsetElemBytes(len(member))
}

// InsertLimited is Insert with the conversion ZADD makes first: a small set that would exceed the limits
// turns into the large form. The store commands that build their result member by member use it, so
// that the -0 scores the small form stored as 0 stay 0, as in Valkey.
func (z *ZSet) InsertLimited(member string, score float64, lim ZLimits) {
	if z.zt == nil && (len(z.lp)+1 > lim.Entries || len(member) > lim.Value) {
		z.ToSkiplist()
	}
	z.Insert(member, score)
}

// Delete removes member and reports whether it was there.
func (z *ZSet) Delete(member []byte) bool {
	if z.zt == nil {
		i := z.findSmall(member)
		if i < 0 {
			return false
		}
		z.elemBytes -= AllocSize(len(z.lp[i].Member))
		z.deleteSmall(i)
		return true
	}
	_, e := z.dict.lookupBytes(member)
	if e == nil {
		return false
	}
	z.zt.delete(e.val, e.key)
	z.elemBytes -= zsetElemBytes(len(member))
	z.dict.Delete(member)
	return true
}

// deleteLarge removes a member of the large form from its table, once the index no longer has it.
func (z *ZSet) deleteLarge(member string) {
	z.dict.Delete(zBytesOf(member))
	z.elemBytes -= zsetElemBytes(len(member))
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
	var e *entry[float64] // the member's table entry (large form)
	var hash uint64       // of member in the table, for the insertion of a new member
	idx := -1             // the member's index (small form)
	var cur float64
	found := false
	if z.zt != nil {
		if hash, e = z.dict.lookupBytes(member); e != nil {
			cur, found = e.val, true
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
		if e != nil {
			z.zt.update(cur, e.key, score)
			e.val = score
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
	if z.zt == nil {
		if len(z.lp)+1 <= lim.Entries && len(member) <= lim.Value {
			z.Insert(string(member), score)
			// the reply shows the score as computed (Valkey replies before the small form drops a
			// zero's sign)
			return score, ZAdded
		}
		z.ToSkiplist()
		hash = z.dict.hashBytes(member)
	}
	// the lookup above hashed the member already
	m := string(member)
	z.zt.insert(score, m)
	z.dict.insertNew(hash, m, score)
	z.elemBytes += zsetElemBytes(len(m))
	return score, ZAdded
}

// ToSkiplist converts the small form to the large form.
func (z *ZSet) ToSkiplist() {
	if z.zt != nil {
		return
	}
	large := zsetLargeFrom(z.lp)
	z.lp, z.zt, z.dict, z.elemBytes = nil, large.zt, large.dict, large.elemBytes
}

// ToListpack converts the large form to the small form.
func (z *ZSet) ToListpack() {
	if z.zt == nil {
		return
	}
	lp := make([]ZEntry, 0, z.zt.length)
	strs := 0
	z.Range(func(m string, s float64) bool {
		lp = append(lp, ZEntry{Member: m, Score: zSmallScore(s)})
		strs += AllocSize(len(m))
		return true
	})
	z.lp, z.zt, z.dict, z.elemBytes = lp, nil, nil, strs
}

// Rank returns the 0-based rank of member (from the highest score when reverse) and its score.
func (z *ZSet) Rank(member []byte, reverse bool) (int, float64, bool) {
	var r int
	var score float64
	if z.zt != nil {
		_, e := z.dict.lookupBytes(member)
		if e == nil {
			return 0, 0, false
		}
		score = e.val
		r = z.zt.rank(score, e.key)
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
	if z.zt != nil {
		for x := z.zt.first(); x != nil; x = x.next {
			for i := 0; i < x.n; i++ {
				if !fn(x.members[i], x.scores[i]) {
					return
				}
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

// Scan iterates the large form's member table from cursor (see Dict.Scan). The small form has no
// cursor: callers return it whole.
func (z *ZSet) Scan(cursor uint64, fn func(member string, score float64)) uint64 {
	if z.zt == nil {
		for _, e := range z.lp {
			fn(e.Member, e.Score)
		}
		return 0
	}
	return z.dict.Scan(cursor, func(k string, v *float64) { fn(k, *v) })
}

// RandomMember returns a uniformly chosen member (the set must not be empty).
func (z *ZSet) RandomMember(rng *rand.Rand) ZEntry {
	it := z.At(rng.IntN(z.Len()))
	return it.Entry()
}

// Pop removes and returns the member with the lowest score, or the highest when max.
func (z *ZSet) Pop(max bool) ZEntry {
	if z.zt == nil {
		i := 0
		if max {
			i = len(z.lp) - 1
		}
		e := z.lp[i]
		z.deleteSmall(i)
		z.elemBytes -= AllocSize(len(e.Member))
		return e
	}
	r := 0
	if max {
		r = z.zt.length - 1
	}
	return z.deleteRank(r)
}

// deleteRank removes the member of 0-based rank r (within bounds) from the large form and returns it.
func (z *ZSet) deleteRank(r int) ZEntry {
	var p zpath
	x, i := z.zt.selectRank(r, &p)
	e := ZEntry{Member: x.members[i], Score: x.scores[i]}
	z.zt.removeRun(&p, x, i, 1)
	z.deleteLarge(e.Member)
	return e
}

// Clone returns a deep copy (COPY). Members are immutable strings and are shared.
func (z *ZSet) Clone() any {
	if z.zt == nil {
		return &ZSet{lp: append([]ZEntry(nil), z.lp...), elemBytes: z.elemBytes}
	}
	entries := make([]ZEntry, 0, z.zt.length)
	z.Range(func(m string, s float64) bool {
		entries = append(entries, ZEntry{Member: m, Score: s})
		return true
	})
	return zsetLargeFrom(entries)
}

// DeepCopy is Clone under the name the server's COPY looks for.
func (z *ZSet) DeepCopy() any { return z.Clone() }

// ZIter is a position in a sorted set, moved one member at a time in either direction. It is invalid past
// either end; it must not be used across changes to the set.
type ZIter struct {
	z    *ZSet
	i    int    // the index in the small form, or in leaf
	leaf *znode // large form
}

// Valid reports whether the iterator is on a member.
func (it *ZIter) Valid() bool {
	if it.z.zt != nil {
		return it.leaf != nil
	}
	return it.i >= 0 && it.i < len(it.z.lp)
}

// Entry is the member under the iterator.
func (it *ZIter) Entry() ZEntry {
	if it.z.zt != nil {
		return ZEntry{Member: it.leaf.members[it.i], Score: it.leaf.scores[it.i]}
	}
	return it.z.lp[it.i]
}

// Member is the member under the iterator.
func (it *ZIter) Member() string {
	if it.z.zt != nil {
		return it.leaf.members[it.i]
	}
	return it.z.lp[it.i].Member
}

// Score is the score under the iterator.
func (it *ZIter) Score() float64 {
	if it.z.zt != nil {
		return it.leaf.scores[it.i]
	}
	return it.z.lp[it.i].Score
}

// Next moves towards higher ranks.
func (it *ZIter) Next() {
	if it.z.zt != nil {
		it.leaf, it.i = zstep(it.leaf, it.i)
		return
	}
	it.i++
}

// Prev moves towards lower ranks.
func (it *ZIter) Prev() {
	if it.z.zt != nil {
		it.leaf, it.i = zstepBack(it.leaf, it.i)
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
	if it.z.zt != nil {
		return it.z.zt.rankOf(it.leaf, it.i)
	}
	return it.i
}

// At returns an iterator on the member of 0-based rank r (invalid when out of range), O(log n).
func (z *ZSet) At(r int) ZIter {
	it := ZIter{z: z, i: r}
	if z.zt != nil {
		it.i = 0
		if r >= 0 && r < z.zt.length {
			it.leaf, it.i = z.zt.selectRank(r, nil)
		}
	}
	return it
}

func (z *ZSet) invalid() ZIter { return ZIter{z: z, i: -1} }

// iterAt is an iterator on index i of leaf x of the large form (invalid when x is nil).
func (z *ZSet) iterAt(x *znode, i int) ZIter { return ZIter{z: z, leaf: x, i: i} }

// DeleteRangeByRank removes the members of 0-based ranks start..end (inclusive, within bounds) and returns
// how many it removed.
func (z *ZSet) DeleteRangeByRank(start, end int) int {
	if start < 0 || end >= z.Len() || start > end {
		return 0
	}
	n := end - start + 1
	if z.zt == nil {
		for _, e := range z.lp[start : end+1] {
			z.elemBytes -= AllocSize(len(e.Member))
		}
		z.lp = append(z.lp[:start], z.lp[end+1:]...)
		clear(z.lp[len(z.lp):min(cap(z.lp), len(z.lp)+n)])
		return n
	}
	// leaf by leaf: the run of ranks in one leaf goes at once
	for left := n; left > 0; {
		var p zpath
		x, i := z.zt.selectRank(start, &p)
		k := min(left, x.n-i)
		for _, m := range x.members[i : i+k] {
			z.deleteLarge(m)
		}
		z.zt.removeRun(&p, x, i, k)
		left -= k
	}
	return n
}
