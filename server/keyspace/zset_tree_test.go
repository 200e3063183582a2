package keyspace

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
)

// The index through growth to several levels, churn, and shrinking back to nothing: after every few
// hundred operations its invariants hold (counts, keys, fill, links) and every answer agrees with a
// sorted model: ranks, selection by rank, neighbours, ranges, pops.
func TestZSetLargeIndexAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	lim := ZLimits{Entries: 128, Value: 64}
	z := NewZSet(true)
	m := zmodel{}
	member := func() string { return "member:" + strconv.Itoa(rng.IntN(40000)) }
	score := func() float64 { return float64(rng.IntN(2000)) } // ties: the member order matters
	verify := func(ctx string) {
		z.check(t, m, ctx)
		sorted := m.sorted()
		for k := 0; k < 20 && len(sorted) > 0; k++ {
			r := rng.IntN(len(sorted))
			it := z.At(r)
			if !it.Valid() || it.Entry() != sorted[r] || it.Rank() != r {
				t.Fatalf("%s: At(%d) = %v", ctx, r, it.Entry())
			}
			if got, _, _ := z.Rank([]byte(sorted[r].Member), false); got != r {
				t.Fatalf("%s: Rank(%s) = %d, want %d", ctx, sorted[r].Member, got, r)
			}
			it.Next()
			if r+1 < len(sorted) && (!it.Valid() || it.Entry() != sorted[r+1]) || r+1 == len(sorted) && it.Valid() {
				t.Fatalf("%s: Next after rank %d", ctx, r)
			}
			it = z.At(r)
			it.Prev()
			if r > 0 && (!it.Valid() || it.Entry() != sorted[r-1]) || r == 0 && it.Valid() {
				t.Fatalf("%s: Prev before rank %d", ctx, r)
			}
			rg := ZScoreRange{Min: score(), Max: score(), MinEx: rng.IntN(2) == 0}
			lo := sort.Search(len(sorted), func(i int) bool { return rg.GteMin(sorted[i].Score) })
			hi := sort.Search(len(sorted), func(i int) bool { return !rg.LteMax(sorted[i].Score) })
			if n := z.CountScore(&rg); n != max(hi-lo, 0) {
				t.Fatalf("%s: CountScore(%+v) = %d, want %d", ctx, rg, n, max(hi-lo, 0))
			}
			if f := z.FirstInScore(&rg); hi > lo && (!f.Valid() || f.Entry() != sorted[lo]) {
				t.Fatalf("%s: FirstInScore(%+v)", ctx, rg)
			}
			if l := z.LastInScore(&rg); hi > lo && (!l.Valid() || l.Entry() != sorted[hi-1]) {
				t.Fatalf("%s: LastInScore(%+v)", ctx, rg)
			}
		}
	}
	phase := func(name string, ops int, grow int, bigRanges bool) {
		for op := 0; op < ops; op++ {
			switch k := rng.IntN(20); {
			case k < grow:
				mb, s := member(), score()
				if _, out := z.Add([]byte(mb), s, 0, lim); out&ZNaN != 0 {
					t.Fatal("NaN")
				}
				m[mb] = s
			case k < 17:
				mb := member()
				_, had := m[mb]
				if z.Delete([]byte(mb)) != had {
					t.Fatalf("%s op %d: Delete(%s) disagrees", name, op, mb)
				}
				delete(m, mb)
			case k == 17 && len(m) > 0:
				e := z.Pop(rng.IntN(2) == 0)
				if m[e.Member] != e.Score {
					t.Fatalf("%s op %d: Pop gave %v", name, op, e)
				}
				delete(m, e.Member)
			case k == 18 && len(m) > 0 && rng.IntN(20) == 0:
				sorted := m.sorted()
				a := rng.IntN(len(sorted))
				span := 40
				if bigRanges && rng.IntN(4) == 0 {
					span = 3000 // whole leaves at once
				}
				b := min(len(sorted)-1, a+rng.IntN(span))
				if n := z.DeleteRangeByRank(a, b); n != b-a+1 {
					t.Fatalf("%s op %d: DeleteRangeByRank = %d", name, op, n)
				}
				for _, e := range sorted[a : b+1] {
					delete(m, e.Member)
				}
				if span > 40 {
					z.check(t, m, fmt.Sprintf("%s op %d: after removing ranks %d..%d", name, op, a, b))
				}
			}
			if op%1000 == 999 {
				verify(fmt.Sprintf("%s op %d (%d members, %d leaves)", name, op, len(m), z.zt.leaves))
			}
		}
		t.Logf("after %s: %d members, %d leaves, %d inner nodes", name, len(m), z.zt.leaves, z.zt.inners)
	}
	phase("grow", 40000, 16, false)
	if z.zt.root.kids == nil || z.zt.root.kids.node[0].kids == nil {
		t.Fatalf("%d members make a tree of fewer than three levels", z.Len())
	}
	phase("churn", 20000, 10, false)
	phase("shrink", 40000, 2, true)
	for i := 0; len(m) > 0; i++ {
		e := z.Pop(i%3 == 0)
		delete(m, e.Member)
		if i%500 == 0 {
			verify(fmt.Sprintf("draining, %d left", len(m)))
		}
	}
	verify("emptied")
}

// A built index (the conversion, COPY, the store commands) has the same invariants as a grown one, at
// every size around the node boundaries, and takes inserts and deletes afterwards.
func TestZSetBuildSizes(t *testing.T) {
	for _, n := range []int{0, 1, 2, ztreeMinFill, ztreeBuildFill - 1, ztreeBuildFill, ztreeBuildFill + 1,
		ztreeFanout + 1, 2*ztreeBuildFill + 1, ztreeBuildFill * ztreeBuildFill, ztreeBuildFill*ztreeBuildFill + 7} {
		entries := make([]ZEntry, n)
		m := zmodel{}
		for i := range entries {
			entries[i] = ZEntry{Member: fmt.Sprintf("m%06d", i), Score: float64(i % 7)}
			m[entries[i].Member] = entries[i].Score
		}
		z := NewZSetFrom(entries, true)
		z.check(t, m, fmt.Sprintf("built %d", n))
		c := z.Clone().(*ZSet)
		c.check(t, m, fmt.Sprintf("clone of %d", n))
		for i := 0; i < n; i += 3 {
			mb := fmt.Sprintf("m%06d", i)
			z.Delete([]byte(mb))
			delete(m, mb)
		}
		z.Add([]byte("new"), 3.5, 0, ZLimits{128, 64})
		m["new"] = 3.5
		z.check(t, m, fmt.Sprintf("built %d, then changed", n))
	}
}

// Lexicographic ranges over a large set of equal scores agree with a sorted model, across leaves.
func TestZSetLargeLexRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	lim := ZLimits{Entries: 128, Value: 64}
	z := NewZSet(false)
	m := zmodel{}
	for i := 0; i < 6000; i++ {
		mb := strconv.Itoa(rng.IntN(100000))
		z.Add([]byte(mb), 0, 0, lim)
		m[mb] = 0
	}
	bound := func() ZLexBound {
		switch rng.IntN(10) {
		case 0:
			return ZLexBound{Inf: -1}
		case 1:
			return ZLexBound{Inf: 1}
		}
		return ZLexBound{Val: strconv.Itoa(rng.IntN(100000)), Ex: rng.IntN(2) == 0}
	}
	for k := 0; k < 300; k++ {
		rg := ZLexRange{Min: bound(), Max: bound()}
		var in []string
		for _, e := range m.sorted() {
			if rg.GteMin(e.Member) && rg.LteMax(e.Member) {
				in = append(in, e.Member)
			}
		}
		if n := z.CountLex(&rg); n != len(in) {
			t.Fatalf("CountLex(%+v) = %d, want %d", rg, n, len(in))
		}
		f, l := z.FirstInLex(&rg), z.LastInLex(&rg)
		if f.Valid() != (len(in) > 0) || l.Valid() != (len(in) > 0) ||
			len(in) > 0 && (f.Member() != in[0] || l.Member() != in[len(in)-1]) {
			t.Fatalf("first/last of %+v", rg)
		}
		if k%10 == 0 {
			if n := z.DeleteRangeByLex(&rg); n != len(in) {
				t.Fatalf("DeleteRangeByLex(%+v) = %d, want %d", rg, n, len(in))
			}
			for _, mb := range in {
				delete(m, mb)
			}
			z.check(t, m, fmt.Sprintf("after DeleteRangeByLex %d", k))
		}
	}
}
