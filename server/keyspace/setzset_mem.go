package keyspace

import "unsafe"

// Memory accounting of sets and sorted sets (see memusage.go for the conventions): MemUsage is O(1),
// from counters that the mutating methods keep current; memRecount walks the structure and is what the
// counters are checked against.

var (
	setHeaderBytes  = AllocSize(int(unsafe.Sizeof(Set{})))
	setEntryBytes   = AllocSize(int(unsafe.Sizeof(entry[struct{}]{})))
	zsetHeaderBytes = AllocSize(int(unsafe.Sizeof(ZSet{})))
	zsetSmallEntry  = int(unsafe.Sizeof(ZEntry{}))
	zsetEntryBytes  = AllocSize(int(unsafe.Sizeof(entry[float64]{})))
	ztreeHeader     = AllocSize(int(unsafe.Sizeof(ztree{})))
)

// setMemberBytes is what one member of a hashtable-encoded set holds: its table entry and its string.
func setMemberBytes(m int) int { return setEntryBytes + AllocSize(m) }

// zsetElemBytes is what one member of a large sorted set holds besides its slot in the index: its table
// entry and its string (which the index shares).
func zsetElemBytes(memberLen int) int { return zsetEntryBytes + AllocSize(memberLen) }

// MemUsage is the memory the set holds: the sorted integers, the packed members, or the table with its
// entries, buckets and member strings (O(1)).
func (s *Set) MemUsage() int {
	switch s.enc {
	case encIntset:
		return setHeaderBytes + AllocSize(cap(s.ints)*8)
	case encListpack:
		return setHeaderBytes + s.lp.MemUsage()
	}
	n := s.dict.Len()
	return setHeaderBytes + dictHeaderBytes + tableBytes(n) + s.elemBytes
}

func (s *Set) memRecount() int {
	if s.enc != encHashtable {
		return s.MemUsage()
	}
	n := setHeaderBytes + dictHeaderBytes + tableBytes(s.dict.Len())
	s.dict.Range(func(k string, _ *struct{}) bool {
		n += setMemberBytes(len(k))
		return true
	})
	return n
}

// MemUsage is the memory the sorted set holds: the small form's entries and member strings, or the
// index's nodes, the member table's entries and buckets, and the member strings (O(1)).
func (z *ZSet) MemUsage() int {
	if z.zt == nil {
		return zsetHeaderBytes + AllocSize(cap(z.lp)*zsetSmallEntry) + z.elemBytes
	}
	return zsetHeaderBytes + ztreeHeader + z.zt.nodeBytes() + dictHeaderBytes + tableBytes(z.zt.length) +
		z.elemBytes
}

func (z *ZSet) memRecount() int {
	n := zsetHeaderBytes
	if z.zt == nil {
		n += AllocSize(cap(z.lp) * zsetSmallEntry)
		for _, e := range z.lp {
			n += AllocSize(len(e.Member))
		}
		return n
	}
	n += ztreeHeader + dictHeaderBytes + tableBytes(z.dict.Len())
	z.dict.Range(func(k string, _ *float64) bool {
		n += zsetElemBytes(len(k))
		return true
	})
	var walk func(x *znode)
	walk = func(x *znode) {
		if x.kids == nil {
			n += zleafBytes
			return
		}
		n += zinnerBytes
		for _, c := range x.kids.node[:x.n] {
			walk(c)
		}
	}
	walk(z.zt.root)
	return n
}
