package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// setMemMember draws members of every kind a set meets: small integers (intset), short strings
// (listpack) and strings past the listpack value limit.
func setMemMember(rng *rand.Rand) []byte {
	switch rng.IntN(6) {
	case 0, 1, 2:
		return []byte(strconv.Itoa(rng.IntN(400) - 50))
	case 3:
		return bytes.Repeat([]byte{'x'}, 20+rng.IntN(40))
	}
	return []byte("m:" + strconv.Itoa(rng.IntN(300)))
}

// Every set operation keeps the O(1) figure equal to a recount of the structure, through all three
// encodings and the conversions between them.
func TestSetMemUsageIncremental(t *testing.T) {
	lim := SetLimits{IntsetEntries: 32, ListpackEntries: 24, ListpackValue: 40}
	rng := rand.New(rand.NewPCG(7, 11))
	encodings := map[string]bool{}
	for round := 0; round < 40; round++ {
		first := setMemMember(rng)
		s := NewSetFor(first, 1+rng.IntN(40), lim)
		for op := 0; op < 400; op++ {
			var what string
			switch k := rng.IntN(10); {
			case k < 5:
				what = "Add"
				s.Add(setMemMember(rng), lim)
			case k < 7:
				what = "Remove"
				s.Remove(setMemMember(rng))
			case k == 7:
				what = "Pop"
				s.Pop(rng)
			case k == 8:
				what = "MaybeConvert"
				s.MaybeConvert(rng.IntN(50), lim)
			default:
				what = "ToIntsetIfPossible"
				s.ToIntsetIfPossible(lim)
			}
			encodings[s.Encoding()] = true
			if got, want := s.MemUsage(), s.memRecount(); got != want {
				t.Fatalf("round %d op %d (%s, %s, %d members): MemUsage %d, recount %d",
					round, op, what, s.Encoding(), s.Len(), got, want)
			}
		}
		c := s.Clone().(*Set)
		if c.MemUsage() != c.memRecount() {
			t.Fatalf("clone: MemUsage %d, recount %d", c.MemUsage(), c.memRecount())
		}
	}
	if len(encodings) != 3 {
		t.Fatalf("the operations only reached %v", encodings)
	}
}

// Every sorted set operation keeps the O(1) figure equal to a recount, in both forms, across the
// conversions that ZADD (by the limits) and the store commands (explicitly) make.
func TestZSetMemUsageIncremental(t *testing.T) {
	lim := ZLimits{Entries: 20, Value: 12}
	rng := rand.New(rand.NewPCG(3, 5))
	member := func() []byte {
		if rng.IntN(8) == 0 {
			return []byte("long-member-" + strconv.Itoa(rng.IntN(50)))
		}
		return []byte("m" + strconv.Itoa(rng.IntN(60)))
	}
	forms := map[string]bool{}
	for round := 0; round < 30; round++ {
		z := NewZSet(rng.IntN(2) == 0)
		for op := 0; op < 500; op++ {
			var what string
			switch k := rng.IntN(16); {
			case k < 7:
				what = "Add"
				z.Add(member(), zsetScore(rng), []int{0, ZAddIncr, ZAddNX, ZAddXX, ZAddGT}[rng.IntN(5)], lim)
			case k == 7:
				what = "InsertLimited"
				if m := member(); !z.contains(m) {
					z.InsertLimited(string(m), zsetScore(rng), lim)
				}
			case k < 10:
				what = "Delete"
				z.Delete(member())
			case k == 10:
				what = "Pop"
				if z.Len() > 0 {
					z.Pop(rng.IntN(2) == 0)
				}
			case k == 11:
				what = "DeleteRangeByRank"
				if z.Len() > 0 {
					a := rng.IntN(z.Len())
					z.DeleteRangeByRank(a, min(z.Len()-1, a+rng.IntN(4)))
				}
			case k == 12:
				what = "DeleteRangeByScore"
				rg := randScoreRange(rng)
				z.DeleteRangeByScore(&rg)
			case k == 13:
				what = "DeleteRangeByLex"
				rg := ZLexRange{Min: randLexBound(rng), Max: randLexBound(rng)}
				z.DeleteRangeByLex(&rg)
			case k == 14:
				what = "ToSkiplist"
				z.ToSkiplist()
			default:
				what = "ToListpack"
				z.ToListpack()
			}
			forms[z.Encoding()] = true
			if got, want := z.MemUsage(), z.memRecount(); got != want {
				t.Fatalf("round %d op %d (%s, %s, %d members): MemUsage %d, recount %d",
					round, op, what, z.Encoding(), z.Len(), got, want)
			}
		}
		c := z.Clone().(*ZSet)
		if c.MemUsage() != c.memRecount() {
			t.Fatalf("clone: MemUsage %d, recount %d", c.MemUsage(), c.memRecount())
		}
	}
	if len(forms) != 2 {
		t.Fatalf("the operations only reached %v", forms)
	}
	entries := []ZEntry{{"a", 1}, {"bb", 2}, {"ccc", 3}}
	for _, large := range []bool{false, true} {
		z := NewZSetFrom(append([]ZEntry(nil), entries...), large)
		if z.MemUsage() != z.memRecount() {
			t.Fatalf("NewZSetFrom(large=%v): MemUsage %d, recount %d", large, z.MemUsage(), z.memRecount())
		}
	}
}

func (z *ZSet) contains(m []byte) bool {
	_, ok := z.Score(m)
	return ok
}

// heapGrowth is how much the live heap grows while build runs, from one full collection to another.
func heapGrowth(build func() any) (int, any) {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&b)
	return int(b.HeapAlloc) - int(a.HeapAlloc), v
}

// bucketsCharged is the accounting's figure for a table's bucket arrays and bucketsHeld what they hold
// at this instant. The two differ by design: the accounting charges a table of one bucket per element
// (memusage.go), while the table grows fourfold at a time and holds two arrays while it rehashes.
func bucketsCharged[V any](d *Dict[V]) int { return tableBytes(d.Len()) }

func bucketsHeld[V any](d *Dict[V]) int {
	return AllocSize(len(d.ht[0])*8) + AllocSize(len(d.ht[1])*8)
}

// The figures are the memory the values really take: large sets and sorted sets and many small ones,
// built from members that are already allocated, grow the live heap by MemUsage within a few percent,
// once the bucket arrays are counted as they are at that moment. (The tolerance covers the runtime's own
// allocations meanwhile; a figure that forgot the entries, the nodes or the strings would be off by a
// quarter or more.)
func TestSetZSetMemUsageMatchesHeap(t *testing.T) {
	const n = 50000
	members := make([][]byte, n)
	for i := range members {
		members[i] = fmt.Appendf(nil, "element:%012d", i)
	}
	slim := SetLimits{IntsetEntries: 512, ListpackEntries: 128, ListpackValue: 64}
	zlim := ZLimits{Entries: 128, Value: 64}
	cases := []struct {
		name  string
		build func() any
	}{
		{"set hashtable", func() any {
			s := NewSetFor(members[0], 1, slim)
			for _, m := range members {
				s.Add(m, slim)
			}
			return s
		}},
		{"set listpack", func() any {
			var sets []*Set
			for i := 0; i < 500; i++ {
				s := NewSetFor(members[0], 1, slim)
				for _, m := range members[:100] {
					s.Add(m, slim)
				}
				sets = append(sets, s)
			}
			return sets
		}},
		{"zset skiplist", func() any {
			z := NewZSet(false)
			for i, m := range members {
				z.Add(m, float64(i%1000), 0, zlim)
			}
			return z
		}},
		{"zset listpack", func() any {
			var zs []*ZSet
			for i := 0; i < 500; i++ {
				z := NewZSet(false)
				for j, m := range members[:100] {
					z.Add(m, float64(j), 0, zlim)
				}
				zs = append(zs, z)
			}
			return zs
		}},
	}
	for _, c := range cases {
		grown, v := heapGrowth(c.build)
		usage := 0
		switch v := v.(type) {
		case *Set:
			usage = v.MemUsage() - bucketsCharged(v.dict) + bucketsHeld(v.dict)
		case *ZSet:
			usage = v.MemUsage() - bucketsCharged(v.dict) + bucketsHeld(v.dict)
		case []*Set:
			for _, s := range v {
				usage += s.MemUsage()
			}
		case []*ZSet:
			for _, z := range v {
				usage += z.MemUsage()
			}
		}
		if ratio := float64(usage) / float64(grown); ratio < 0.95 || ratio > 1.05 {
			t.Errorf("%s: MemUsage %d bytes, the heap grew by %d (ratio %.2f)", c.name, usage, grown, ratio)
		} else {
			t.Logf("%s: MemUsage %d bytes, heap growth %d (ratio %.3f)", c.name, usage, grown, ratio)
		}
		runtime.KeepAlive(v)
	}
}
