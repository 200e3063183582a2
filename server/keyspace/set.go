package keyspace

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
)

// Set is the value of a set key, in one of Valkey's three encodings (OBJECT ENCODING reports them):
//   - "intset": the members are all integers (as Valkey's string2ll reads them) and few: a sorted []int64,
//     so SMEMBERS answers in ascending order as Valkey does;
//   - "listpack": few short members of any kind, packed into one byte slice in insertion order;
//   - "hashtable": a Dict of members, so that SSCAN keeps SCAN's guarantee while the table resizes.
//
// Conversions follow Valkey's rules: an intset that gets a non-integer becomes a listpack when it fits the
// listpack limits, else a hashtable; an intset past set-max-intset-entries and a listpack past its limits
// become hashtables; nothing converts back on its own (ToIntsetIfPossible is for results built afresh).
// Set is not safe for concurrent use.
type Set struct {
	ints []int64
	lp   packed
	dict *Dict[struct{}]
	// elemBytes is what the hashtable's entries and member strings hold (setMemberBytes), kept current
	// by every change of membership and the conversions so that MemUsage is O(1) (setzset_mem.go).
	elemBytes int
	enc       uint8
}

const (
	encIntset = iota
	encListpack
	encHashtable
)

// SetLimits are set-max-intset-entries, set-max-listpack-entries and set-max-listpack-value.
type SetLimits struct{ IntsetEntries, ListpackEntries, ListpackValue int }

// intsetMax caps the intset size as Valkey does (its intset cannot hold more than 2^30 entries).
func (l SetLimits) intsetMax() int { return min(l.IntsetEntries, 1<<30) }

// NewSetFor returns an empty set in the encoding Valkey picks for a set about to receive sizeHint members
// of which first is the first: an intset when first is an integer and the hint fits one, else a listpack
// when the hint fits one, else a hashtable.
func NewSetFor(first []byte, sizeHint int, lim SetLimits) *Set {
	if _, ok := ParseInt(first); ok && sizeHint <= lim.IntsetEntries {
		return &Set{enc: encIntset}
	}
	if sizeHint <= lim.ListpackEntries {
		return &Set{enc: encListpack}
	}
	s := &Set{enc: encHashtable, dict: NewDict[struct{}]()}
	s.dict.resize(sizeHint)
	return s
}

// NewIntset returns an empty set in the intset encoding: the start of the sets that the set algebra
// builds, which then convert as members arrive.
func NewIntset() *Set { return &Set{enc: encIntset} }

// NewListpackSet returns an empty set in the listpack encoding.
func NewListpackSet() *Set { return &Set{enc: encListpack} }

// Len is the number of members.
func (s *Set) Len() int {
	switch s.enc {
	case encIntset:
		return len(s.ints)
	case encListpack:
		return s.lp.n
	}
	return s.dict.Len()
}

// Encoding is the OBJECT ENCODING name.
func (s *Set) Encoding() string {
	switch s.enc {
	case encIntset:
		return "intset"
	case encListpack:
		return "listpack"
	}
	return "hashtable"
}

// IsIntset reports whether the set is in the intset encoding.
func (s *Set) IsIntset() bool { return s.enc == encIntset }

// IsHashtable reports whether the set is in the hashtable encoding.
func (s *Set) IsHashtable() bool { return s.enc == encHashtable }

// MaybeConvert is what Valkey does before adding sizeHint members to an existing set: a compact set that
// could not hold that many becomes a hashtable up front.
func (s *Set) MaybeConvert(sizeHint int, lim SetLimits) {
	if (s.enc == encListpack && sizeHint > lim.ListpackEntries) ||
		(s.enc == encIntset && sizeHint > lim.IntsetEntries) {
		s.toHashtable(sizeHint)
	}
}

func (s *Set) intsetFind(n int64) (int, bool) {
	i := sort.Search(len(s.ints), func(i int) bool { return s.ints[i] >= n })
	return i, i < len(s.ints) && s.ints[i] == n
}

// intsetFitsListpack is Valkey's test for turning an intset into a listpack when a non-integer member of
// length extra arrives: the intset must be below the listpack entry limit and its widest member, like the
// new one, within the value limit.
func (s *Set) intsetFitsListpack(extra int, lim SetLimits) bool {
	if len(s.ints) >= lim.ListpackEntries || extra > lim.ListpackValue {
		return false
	}
	if len(s.ints) > 0 {
		w := max(intLen(s.ints[0]), intLen(s.ints[len(s.ints)-1]))
		if w > lim.ListpackValue {
			return false
		}
	}
	return true
}

func intLen(n int64) int {
	var buf [20]byte
	return len(strconv.AppendInt(buf[:0], n, 10))
}

// Add inserts m (copied) and reports whether it was new, converting the encoding as Valkey does.
func (s *Set) Add(m []byte, lim SetLimits) bool {
	switch s.enc {
	case encIntset:
		if n, ok := ParseInt(m); ok {
			i, found := s.intsetFind(n)
			if found {
				return false
			}
			s.ints = append(s.ints, 0)
			copy(s.ints[i+1:], s.ints[i:])
			s.ints[i] = n
			if len(s.ints) > lim.intsetMax() {
				s.toHashtable(len(s.ints))
			}
			return true
		}
		if s.intsetFitsListpack(len(m), lim) {
			s.toListpack()
			s.lp.push(m)
			return true
		}
		s.toHashtable(len(s.ints) + 1)
		s.dictAdd(m)
		return true
	case encListpack:
		if s.lp.find(m, 1) >= 0 {
			return false
		}
		if s.lp.n < lim.ListpackEntries && len(m) <= lim.ListpackValue {
			s.lp.push(m)
			return true
		}
		s.toHashtable(s.lp.n + 1)
	}
	return s.dictAdd(m)
}

// dictAdd adds m to the hashtable unless it is there, hashing it once.
func (s *Set) dictAdd(m []byte) bool {
	h, e := s.dict.lookupBytes(m)
	if e != nil {
		return false
	}
	s.dict.insertNew(h, string(m), struct{}{})
	s.elemBytes += setMemberBytes(len(m))
	return true
}

// Remove deletes m and reports whether it was a member. An emptied set keeps its encoding; the command
// layer deletes the key.
func (s *Set) Remove(m []byte) bool {
	switch s.enc {
	case encIntset:
		n, ok := ParseInt(m)
		if !ok {
			return false
		}
		i, found := s.intsetFind(n)
		if !found {
			return false
		}
		s.ints = append(s.ints[:i], s.ints[i+1:]...)
		if cap(s.ints) > 2*len(s.ints)+8 {
			s.ints = append([]int64(nil), s.ints...)
		}
		return true
	case encListpack:
		off := s.lp.find(m, 1)
		if off < 0 {
			return false
		}
		s.lp.cut(off, s.lp.skip(off), 1)
		return true
	}
	if !s.dict.Delete(m) {
		return false
	}
	s.elemBytes -= setMemberBytes(len(m))
	return true
}

// Contains reports whether m is a member.
func (s *Set) Contains(m []byte) bool {
	switch s.enc {
	case encIntset:
		n, ok := ParseInt(m)
		if !ok {
			return false
		}
		_, found := s.intsetFind(n)
		return found
	case encListpack:
		return s.lp.find(m, 1) >= 0
	}
	return s.dict.Get(m) != nil
}

// Each calls fn for every member until it returns false: ascending for an intset, insertion order for a
// listpack, table order for a hashtable. The slice passed to fn is only valid during the call, and the set
// must not change meanwhile.
func (s *Set) Each(fn func(m []byte) bool) {
	switch s.enc {
	case encIntset:
		var buf [20]byte
		for _, n := range s.ints {
			if !fn(strconv.AppendInt(buf[:0], n, 10)) {
				return
			}
		}
	case encListpack:
		s.lp.each(fn)
	default:
		s.dict.Range(func(k string, _ *struct{}) bool { return fn(bytesOf(k)) })
	}
}

// Range is Each with members as strings (the sorted set algebra reads plain sets through it).
func (s *Set) Range(fn func(m string) bool) {
	if s.enc == encHashtable {
		s.dict.Range(func(k string, _ *struct{}) bool { return fn(k) })
		return
	}
	s.Each(func(m []byte) bool { return fn(string(m)) })
}

// Members appends every member to dst in Each order. Members of a listpack or hashtable alias the set;
// intset members are formatted into new memory.
func (s *Set) Members(dst [][]byte) [][]byte {
	if s.enc == encIntset {
		for _, n := range s.ints {
			dst = append(dst, strconv.AppendInt(nil, n, 10))
		}
		return dst
	}
	s.Each(func(m []byte) bool {
		dst = append(dst, m)
		return true
	})
	return dst
}

// Random returns a random member, or nil when the set is empty. An intset member is formatted into buf's
// memory; others alias the set.
func (s *Set) Random(rng *rand.Rand, buf []byte) []byte {
	switch s.enc {
	case encIntset:
		if len(s.ints) == 0 {
			return nil
		}
		return strconv.AppendInt(buf[:0], s.ints[rng.IntN(len(s.ints))], 10)
	case encListpack:
		if s.lp.n == 0 {
			return nil
		}
		m, _ := s.lp.entry(s.lp.at(rng.IntN(s.lp.n)))
		return m
	}
	k, _, ok := s.dict.Random(rng)
	if !ok {
		return nil
	}
	return bytesOf(k)
}

// Pop removes a random member and returns it (its own copy), or nil when the set is empty.
func (s *Set) Pop(rng *rand.Rand) []byte {
	switch s.enc {
	case encIntset:
		if len(s.ints) == 0 {
			return nil
		}
		i := rng.IntN(len(s.ints))
		m := strconv.AppendInt(nil, s.ints[i], 10)
		s.ints = append(s.ints[:i], s.ints[i+1:]...)
		return m
	case encListpack:
		if s.lp.n == 0 {
			return nil
		}
		off := s.lp.at(rng.IntN(s.lp.n))
		v, end := s.lp.entry(off)
		m := append([]byte(nil), v...)
		s.lp.cut(off, end, 1)
		return m
	}
	k, _, ok := s.dict.Random(rng)
	if !ok {
		return nil
	}
	s.dict.Delete(bytesOf(k))
	s.elemBytes -= setMemberBytes(len(k))
	return []byte(k)
}

// Scan is one SSCAN step from cursor: an intset or listpack is returned whole with cursor 0, as Valkey
// does; a hashtable is walked with Dict.Scan's reverse-binary cursor.
func (s *Set) Scan(cursor uint64, fn func(m []byte)) uint64 {
	if s.enc == encHashtable {
		return s.dict.Scan(cursor, func(k string, _ *struct{}) { fn(bytesOf(k)) })
	}
	s.Each(func(m []byte) bool { fn(m); return true })
	return 0
}

func (s *Set) toListpack() {
	var lp packed
	size := 0
	for _, n := range s.ints {
		size += 1 + intLen(n)
	}
	lp.reserve(size + 8)
	var buf [20]byte
	for _, n := range s.ints {
		lp.b = putEntry(lp.b, strconv.AppendInt(buf[:0], n, 10))
	}
	lp.n = len(s.ints)
	s.ints = nil
	s.lp = lp
	s.enc = encListpack
}

func (s *Set) toHashtable(sizeHint int) {
	if s.enc == encHashtable {
		return
	}
	d := NewDict[struct{}]()
	d.resize(max(sizeHint, s.Len()))
	elems := 0
	s.Each(func(m []byte) bool {
		d.Put(string(m), struct{}{})
		elems += setMemberBytes(len(m))
		return true
	})
	s.ints, s.lp, s.dict, s.elemBytes, s.enc = nil, packed{}, d, elems, encHashtable
}

// ToIntsetIfPossible converts a set whose members are all integers to an intset when it is small enough
// for one (Valkey does this for the result of SINTERSTORE). The caller knows the members are integers;
// the conversion is skipped if one is not.
func (s *Set) ToIntsetIfPossible(lim SetLimits) {
	if s.enc == encIntset || s.Len() > lim.intsetMax() {
		return
	}
	ints := make([]int64, 0, s.Len())
	ok := true
	s.Each(func(m []byte) bool {
		n, isInt := ParseInt(m)
		ints = append(ints, n)
		ok = isInt
		return isInt
	})
	if !ok {
		return
	}
	sort.Slice(ints, func(i, j int) bool { return ints[i] < ints[j] })
	s.ints, s.lp, s.dict, s.elemBytes, s.enc = ints, packed{}, nil, 0, encIntset
}

// Clone returns a deep copy (COPY).
func (s *Set) Clone() any {
	n := &Set{enc: s.enc}
	switch s.enc {
	case encIntset:
		n.ints = append([]int64(nil), s.ints...)
	case encListpack:
		n.lp = s.lp.clone()
	default:
		n.dict = NewDict[struct{}]()
		n.dict.resize(s.dict.Len())
		s.dict.Range(func(k string, _ *struct{}) bool {
			n.dict.Put(k, struct{}{})
			return true
		})
		n.elemBytes = s.elemBytes
	}
	return n
}

// DeepCopy is Clone under the name the server's COPY looks for.
func (s *Set) DeepCopy() any { return s.Clone() }

// ParseInt reads a decimal integer the way Valkey's string2ll does (no sign but '-', no leading zeros or
// spaces, within int64): the test for a member that an intset can hold.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var n uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}
