package keyspace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
)

// zmodel is the brute-force reference: a map plus a sort on demand.
type zmodel map[string]float64

func (m zmodel) sorted() []ZEntry {
	out := make([]ZEntry, 0, len(m))
	for k, v := range m {
		out = append(out, ZEntry{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return zless(out[i].Score, out[i].Member, out[j].Score, out[j].Member) })
	return out
}

// check verifies the structure's invariants (order, member table, memory figure, and for the large form
// the index's counts, keys, fill and leaf links) and that its contents equal the model.
func (z *ZSet) check(t *testing.T, m zmodel, ctx string) {
	t.Helper()
	want := m.sorted()
	var got []ZEntry
	z.Range(func(mb string, s float64) bool {
		got = append(got, ZEntry{mb, s})
		return true
	})
	if len(got) != len(want) || z.Len() != len(want) {
		t.Fatalf("%s: %d members (Len %d), want %d", ctx, len(got), z.Len(), len(want))
	}
	for i := range got {
		if got[i].Member != want[i].Member || got[i].Score != want[i].Score {
			t.Fatalf("%s: rank %d is %v, want %v", ctx, i, got[i], want[i])
		}
	}
	if got, want := z.MemUsage(), z.memRecount(); got != want {
		t.Fatalf("%s: MemUsage %d, recount %d", ctx, got, want)
	}
	if z.zt == nil {
		return
	}
	if z.dict.Len() != z.zt.length {
		t.Fatalf("%s: table has %d members, index %d", ctx, z.dict.Len(), z.zt.length)
	}
	for _, e := range got {
		if v := z.dict.GetString(e.Member); v == nil || *v != e.Score {
			t.Fatalf("%s: table entry of %q is %v, want %v", ctx, e.Member, v, e.Score)
		}
	}
	z.zt.check(t, ctx)
}

// check verifies the index: every inner node's keys are its children's smallest keys and its counts
// their sizes, all leaves are at one depth and linked in order, every node but the root is at least
// ztreeMinFill full and holds nothing past its entries, and the node counters are right.
func (tr *ztree) check(t *testing.T, ctx string) {
	t.Helper()
	var leaves []*znode
	inners, leafDepth := 0, -1
	var walk func(x *znode, depth int) int
	walk = func(x *znode, depth int) int {
		if x != tr.root && x.n < ztreeMinFill {
			t.Fatalf("%s: node at depth %d has %d entries", ctx, depth, x.n)
		}
		for i := x.n; i < ztreeFanout; i++ {
			if x.members[i] != "" || (x.kids != nil && (x.kids.node[i] != nil || x.kids.count[i] != 0)) {
				t.Fatalf("%s: node at depth %d holds a stale entry at %d", ctx, depth, i)
			}
		}
		if x.kids == nil {
			if leafDepth >= 0 && leafDepth != depth {
				t.Fatalf("%s: leaves at depths %d and %d", ctx, leafDepth, depth)
			}
			leafDepth = depth
			leaves = append(leaves, x)
			return x.n
		}
		inners++
		if x == tr.root && x.n < 2 {
			t.Fatalf("%s: inner root with %d children", ctx, x.n)
		}
		total := 0
		for i, c := range x.kids.node[:x.n] {
			n := walk(c, depth+1)
			if n != x.kids.count[i] {
				t.Fatalf("%s: count %d of child %d at depth %d, it holds %d", ctx, x.kids.count[i], i, depth, n)
			}
			lo := c
			for lo.kids != nil {
				lo = lo.kids.node[0]
			}
			if x.scores[i] != lo.scores[0] || x.members[i] != lo.members[0] {
				t.Fatalf("%s: key %d at depth %d is (%v, %q), the child's smallest is (%v, %q)", ctx, i, depth,
					x.scores[i], x.members[i], lo.scores[0], lo.members[0])
			}
			total += n
		}
		return total
	}
	if n := walk(tr.root, 0); n != tr.length {
		t.Fatalf("%s: index holds %d members, length %d", ctx, n, tr.length)
	}
	if len(leaves) != tr.leaves || inners != tr.inners {
		t.Fatalf("%s: %d leaves and %d inner nodes, counted %d and %d", ctx, len(leaves), inners, tr.leaves, tr.inners)
	}
	for i, x := range leaves {
		var prev, next *znode
		if i > 0 {
			prev = leaves[i-1]
		}
		if i+1 < len(leaves) {
			next = leaves[i+1]
		}
		if x.prev != prev || x.next != next {
			t.Fatalf("%s: leaf %d is linked wrongly", ctx, i)
		}
	}
}

func zsetMember(rng *rand.Rand) string { return "m" + strconv.Itoa(rng.IntN(300)) }

func zsetScore(rng *rand.Rand) float64 {
	switch rng.IntN(10) {
	case 0:
		return math.Inf(1 - 2*rng.IntN(2))
	case 1:
		return rng.Float64()*10 - 5
	default:
		return float64(rng.IntN(20) - 10) // many ties: member order matters
	}
}

func randScoreRange(rng *rand.Rand) ZScoreRange {
	a, b := zsetScore(rng), zsetScore(rng)
	if rng.IntN(4) != 0 && a > b {
		a, b = b, a
	}
	return ZScoreRange{Min: a, Max: b, MinEx: rng.IntN(3) == 0, MaxEx: rng.IntN(3) == 0}
}

func randLexBound(rng *rand.Rand) ZLexBound {
	switch rng.IntN(8) {
	case 0:
		return ZLexBound{Inf: -1}
	case 1:
		return ZLexBound{Inf: 1}
	}
	return ZLexBound{Val: zsetMember(rng), Ex: rng.IntN(2) == 0}
}

// TestZSetRandomized runs thousands of random operations on both forms and compares every answer with
// the brute-force model.
func TestZSetRandomized(t *testing.T) {
	for _, large := range []bool{false, true} {
		t.Run(fmt.Sprintf("large=%v", large), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(42, uint64(len(fmt.Sprint(large)))))
			lim := ZLimits{Entries: 1 << 30, Value: 1 << 30}
			z := NewZSet(large)
			m := zmodel{}
			for op := 0; op < 6000; op++ {
				ctx := fmt.Sprintf("op %d", op)
				switch k := rng.IntN(14); k {
				case 0, 1, 2, 3:
					mb, sc := zsetMember(rng), zsetScore(rng)
					flags := 0
					if rng.IntN(4) == 0 {
						flags |= ZAddIncr
					}
					if rng.IntN(5) == 0 {
						flags |= []int{ZAddNX, ZAddXX, ZAddGT, ZAddLT}[rng.IntN(4)]
					}
					cur, had := m[mb]
					got, out := z.Add([]byte(mb), sc, flags, lim)
					want := sc
					if flags&ZAddIncr != 0 && had {
						want = cur + sc
					}
					switch {
					case math.IsNaN(want):
						if out != ZNaN {
							t.Fatalf("%s: NaN not refused", ctx)
						}
					case had && flags&ZAddNX != 0, !had && flags&ZAddXX != 0,
						had && flags&ZAddGT != 0 && want <= cur, had && flags&ZAddLT != 0 && want >= cur:
						if out != ZNop {
							t.Fatalf("%s: want no-op, got %d", ctx, out)
						}
					default:
						if got != want {
							t.Fatalf("%s: score %v, want %v", ctx, got, want)
						}
						if !large {
							want = zSmallScore(want)
						}
						m[mb] = want
					}
				case 4:
					mb := zsetMember(rng)
					_, had := m[mb]
					if z.Delete([]byte(mb)) != had {
						t.Fatalf("%s: Delete(%s) disagrees", ctx, mb)
					}
					delete(m, mb)
				case 5:
					mb := zsetMember(rng)
					sorted := m.sorted()
					r, s, ok := z.Rank([]byte(mb), rng.IntN(2) == 0)
					_, had := m[mb]
					if ok != had {
						t.Fatalf("%s: Rank found=%v", ctx, ok)
					}
					if ok {
						fwd, _, _ := z.Rank([]byte(mb), false)
						if sorted[fwd].Member != mb || s != m[mb] || (r != fwd && r != len(sorted)-1-fwd) {
							t.Fatalf("%s: Rank(%s)=%d,%v", ctx, mb, r, s)
						}
					}
				case 6:
					rg := randScoreRange(rng)
					sorted := m.sorted()
					var in []ZEntry
					for _, e := range sorted {
						if rg.GteMin(e.Score) && rg.LteMax(e.Score) {
							in = append(in, e)
						}
					}
					if n := z.CountScore(&rg); n != len(in) {
						t.Fatalf("%s: CountScore(%+v)=%d, want %d", ctx, rg, n, len(in))
					}
					first, last := z.FirstInScore(&rg), z.LastInScore(&rg)
					if first.Valid() != (len(in) > 0) || last.Valid() != (len(in) > 0) {
						t.Fatalf("%s: first/last validity for %+v", ctx, rg)
					}
					if len(in) > 0 && (first.Member() != in[0].Member || last.Member() != in[len(in)-1].Member) {
						t.Fatalf("%s: first/last in %+v", ctx, rg)
					}
				case 7:
					// lex ranges only mean something with equal scores: compare on a fresh equal-score set
					z2 := NewZSet(large)
					m2 := zmodel{}
					for i := 0; i < rng.IntN(40); i++ {
						mb := zsetMember(rng)
						z2.Add([]byte(mb), 0, 0, lim)
						m2[mb] = 0
					}
					rg := ZLexRange{Min: randLexBound(rng), Max: randLexBound(rng)}
					var in []string
					for _, e := range m2.sorted() {
						if rg.GteMin(e.Member) && rg.LteMax(e.Member) {
							in = append(in, e.Member)
						}
					}
					if n := z2.CountLex(&rg); n != len(in) {
						t.Fatalf("%s: CountLex=%d want %d", ctx, n, len(in))
					}
					f, l := z2.FirstInLex(&rg), z2.LastInLex(&rg)
					if len(in) > 0 && (!f.Valid() || !l.Valid() || f.Member() != in[0] || l.Member() != in[len(in)-1]) {
						t.Fatalf("%s: first/last lex", ctx)
					}
					if n := z2.DeleteRangeByLex(&rg); n != len(in) {
						t.Fatalf("%s: DeleteRangeByLex=%d want %d", ctx, n, len(in))
					}
					for _, mb := range in {
						delete(m2, mb)
					}
					z2.check(t, m2, ctx+" lex delete")
				case 8:
					if rng.IntN(8) != 0 {
						continue
					}
					rg := randScoreRange(rng)
					want := 0
					for k, v := range m {
						if rg.GteMin(v) && rg.LteMax(v) {
							delete(m, k)
							want++
						}
					}
					if n := z.DeleteRangeByScore(&rg); n != want {
						t.Fatalf("%s: DeleteRangeByScore=%d want %d", ctx, n, want)
					}
				case 9:
					if rng.IntN(8) != 0 || len(m) == 0 {
						continue
					}
					sorted := m.sorted()
					a := rng.IntN(len(sorted))
					b := a + rng.IntN(5)
					b = min(b, len(sorted)-1)
					for _, e := range sorted[a : b+1] {
						delete(m, e.Member)
					}
					if n := z.DeleteRangeByRank(a, b); n != b-a+1 {
						t.Fatalf("%s: DeleteRangeByRank=%d", ctx, n)
					}
				case 10:
					if len(m) == 0 {
						continue
					}
					sorted := m.sorted()
					mx := rng.IntN(2) == 0
					want := sorted[0]
					if mx {
						want = sorted[len(sorted)-1]
					}
					if e := z.Pop(mx); e != want {
						t.Fatalf("%s: Pop=%v want %v", ctx, e, want)
					}
					delete(m, want.Member)
				case 11:
					sorted := m.sorted()
					for i := 0; i < 5 && len(sorted) > 0; i++ {
						r := rng.IntN(len(sorted))
						it := z.At(r)
						if !it.Valid() || it.Entry() != sorted[r] || it.Rank() != r {
							t.Fatalf("%s: At(%d)", ctx, r)
						}
					}
					if it := z.At(len(sorted)); it.Valid() {
						t.Fatalf("%s: At(len) valid", ctx)
					}
				case 12:
					mb := zsetMember(rng)
					s, ok := z.Score([]byte(mb))
					if ws, had := m[mb]; ok != had || s != ws {
						t.Fatalf("%s: Score(%s)=%v,%v", ctx, mb, s, ok)
					}
				case 13:
					c := z.Clone().(*ZSet)
					c.check(t, m, ctx+" clone")
					if c.Len() > 0 {
						c.Pop(false) // the copy is independent
					}
				}
				if op%97 == 0 {
					z.check(t, m, ctx)
				}
			}
			z.check(t, m, "end")
		})
	}
}

func TestZSetConversionsAndSmallForm(t *testing.T) {
	lim := ZLimits{Entries: 4, Value: 8}
	z := NewZSet(false)
	m := zmodel{}
	for i, mb := range []string{"d", "b", "c", "a"} {
		if _, out := z.Add([]byte(mb), float64(i%2), 0, lim); out != ZAdded {
			t.Fatal("add")
		}
		m[mb] = float64(i % 2)
	}
	if z.Encoding() != "listpack" {
		t.Fatalf("4 members: %s", z.Encoding())
	}
	z.check(t, m, "small")
	// the fifth member exceeds the entries limit
	z.Add([]byte("e"), 9, 0, lim)
	m["e"] = 9
	if z.Encoding() != "skiplist" {
		t.Fatalf("5 members: %s", z.Encoding())
	}
	z.check(t, m, "converted")
	z.ToListpack()
	z.check(t, m, "back")
	// a long member converts too
	z.Add([]byte("123456789"), 1, 0, lim)
	if z.Encoding() != "skiplist" {
		t.Fatal("long member did not convert")
	}
	// -0: the small form stores 0, the skip list keeps the sign; the returned score is as computed
	small, large := NewZSet(false), NewZSet(true)
	for _, zs := range []*ZSet{small, large} {
		if s, _ := zs.Add([]byte("z"), math.Copysign(0, -1), 0, ZLimits{128, 64}); !math.Signbit(s) {
			t.Fatal("returned score lost its sign")
		}
	}
	if s, _ := small.Score([]byte("z")); math.Signbit(s) {
		t.Fatal("small form kept -0")
	}
	if s, _ := large.Score([]byte("z")); !math.Signbit(s) {
		t.Fatal("skip list lost -0")
	}
	// an update to an equal score (0 vs -0) is not a change
	if _, out := large.Add([]byte("z"), 0, 0, ZLimits{128, 64}); out != 0 {
		t.Fatalf("-0 → 0 reported %d", out)
	}
}

func TestZSetScanLarge(t *testing.T) {
	z := NewZSet(true)
	lim := ZLimits{}
	for i := 0; i < 1000; i++ {
		z.Add([]byte(strconv.Itoa(i)), float64(i), 0, lim)
	}
	seen := map[string]bool{}
	var cursor uint64
	steps := 0
	for {
		cursor = z.Scan(cursor, func(m string, s float64) {
			if strconv.Itoa(int(s)) != m {
				t.Fatalf("member %s score %v", m, s)
			}
			seen[m] = true
		})
		steps++
		// changes between calls: members present throughout must still all be returned
		if steps == 5 {
			for i := 1000; i < 3000; i++ {
				z.Add([]byte(strconv.Itoa(i)), float64(i), 0, lim)
			}
		}
		if cursor == 0 {
			break
		}
	}
	for i := 0; i < 1000; i++ {
		if !seen[strconv.Itoa(i)] {
			t.Fatalf("member %d missed by the scan", i)
		}
	}
}

func BenchmarkZSetAdd(b *testing.B) {
	z := NewZSet(true)
	lim := ZLimits{128, 64}
	keys := make([][]byte, 1<<16)
	for i := range keys {
		keys[i] = []byte("member:" + strconv.Itoa(i))
	}
	rng := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		z.Add(keys[i&(len(keys)-1)], float64(rng.IntN(1000)), 0, lim)
	}
}

func TestNewZSetFrom(t *testing.T) {
	for _, large := range []bool{false, true} {
		in := []ZEntry{{"c", 2}, {"a", 2}, {"z", math.Copysign(0, -1)}, {"b", -1}}
		z := NewZSetFrom(in, large)
		want := zmodel{"a": 2, "b": -1, "c": 2, "z": 0}
		z.check(t, want, fmt.Sprintf("large=%v", large))
		s, _ := z.Score([]byte("z"))
		if math.Signbit(s) != large {
			t.Fatalf("large=%v: -0 stored as %v", large, s)
		}
		if z.IsListpack() == large {
			t.Fatalf("large=%v: form %s", large, z.Encoding())
		}
	}
}
