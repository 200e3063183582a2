package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// AllocSize must agree with what the runtime really allocates: append rounds a new slice's capacity up
// to the allocator's size class (or to whole pages for large slices).
func TestAllocSizeMatchesRuntime(t *testing.T) {
	for n := 1; n <= 100000; n++ {
		if n > 40000 && n%97 != 0 {
			continue
		}
		got := cap(append([]byte(nil), make([]byte, n)...))
		if want := AllocSize(n); got != want {
			t.Fatalf("AllocSize(%d) = %d, the runtime allocates %d", n, want, got)
		}
	}
	if AllocSize(0) != 0 || AllocSize(-3) != 0 {
		t.Fatal("nothing allocated must cost nothing")
	}
}

func memValue(rng *rand.Rand) []byte {
	switch rng.IntN(10) {
	case 0:
		return bytes.Repeat([]byte{'L'}, 5000+rng.IntN(10000)) // a plain node in a quicklist
	case 1, 2:
		return []byte(strconv.Itoa(rng.IntN(100000)))
	case 3:
		return nil
	}
	return bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, 1+rng.IntN(200))
}

// Every list operation keeps the O(1) figure equal to a recount of the nodes, in both encodings and
// with the node limits that make nodes split, merge and become plain.
func TestListMemUsageIncremental(t *testing.T) {
	for _, fill := range []int{-2, -1, 1, 4, 128} {
		t.Run(fmt.Sprintf("fill%d", fill), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(fill+10), 7))
			l := NewList()
			check := func(op string) {
				t.Helper()
				if got, want := l.MemUsage(), l.memRecount(); got != want {
					t.Fatalf("after %s (len %d, %d nodes): MemUsage %d, recount %d", op, l.Len(), l.NodeCount(), got, want)
				}
			}
			check("new")
			for i := 0; i < 4000; i++ {
				v := memValue(rng)
				switch op := rng.IntN(11); {
				case op <= 1:
					l.PrepareAppend(fill, len(v), 1)
					l.PushFront(v)
					check("PushFront")
				case op <= 3:
					l.PrepareAppend(fill, len(v), 1)
					l.PushBack(v)
					check("PushBack")
				case op == 4 && l.Len() > 0:
					l.PopFront()
					l.TryShrink(fill)
					check("PopFront")
				case op == 5 && l.Len() > 0:
					l.PopBack()
					check("PopBack")
				case op == 6:
					l.PrepareAppend(fill, len(v), 1)
					l.Insert(rng.IntN(l.Len()+1), v)
					check("Insert")
				case op == 7 && l.Len() > 0:
					l.PrepareAppend(fill, len(v), 1)
					l.Set(rng.IntN(l.Len()), v)
					check("Set")
				case op == 8 && l.Len() > 0:
					l.DeleteRange(rng.IntN(l.Len()), 1+rng.IntN(5))
					check("DeleteRange")
				case op == 9 && l.Len() > 0:
					l.Remove(l.Index(rng.IntN(l.Len())), rng.IntN(3), rng.IntN(2) == 0)
					check("Remove")
				case op == 10 && l.Len() > 0:
					c := l.Clone().(*List)
					if c.MemUsage() != c.memRecount() {
						t.Fatalf("clone: MemUsage %d, recount %d", c.MemUsage(), c.memRecount())
					}
				}
			}
		})
	}
}

func TestListMemUsageFollowsData(t *testing.T) {
	l := NewList()
	empty := l.MemUsage()
	for i := 0; i < 1000; i++ {
		l.PrepareAppend(-2, 100, 1)
		l.PushBack(bytes.Repeat([]byte{'x'}, 100))
	}
	full := l.MemUsage()
	if full < empty+100*1000 {
		t.Fatalf("1000 elements of 100 bytes: %d bytes accounted (empty %d)", full, empty)
	}
	for l.Len() > 0 {
		l.PopFront()
	}
	if l.MemUsage() >= full/4 {
		t.Fatalf("emptied list still accounts %d of %d bytes", l.MemUsage(), full)
	}
}

// Hash fields set, overwritten (with shorter and longer values) and deleted, in both encodings and across
// the conversion, keep the O(1) figure equal to a walk of the fields.
func TestHashMemUsageIncremental(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lim := HashLimits{Entries: 32, Value: 64}
	for round := 0; round < 20; round++ {
		h := NewHash()
		for i := 0; i < 600; i++ {
			f := []byte("f" + strconv.Itoa(rng.IntN(80)))
			switch rng.IntN(4) {
			case 0, 1, 2:
				v := memValue(rng)
				if len(v) > 1000 {
					v = v[:rng.IntN(300)]
				}
				h.Set(f, v, lim)
			case 3:
				h.Delete(f)
			}
			if got, want := h.MemUsage(), h.memRecount(); got != want {
				t.Fatalf("round %d op %d (%s, %d fields): MemUsage %d, recount %d", round, i, h.Encoding(), h.Len(), got, want)
			}
		}
		c := h.Clone().(*Hash)
		if c.MemUsage() != c.memRecount() {
			t.Fatalf("clone: MemUsage %d, recount %d", c.MemUsage(), c.memRecount())
		}
	}
}

func TestHashMemUsageFollowsData(t *testing.T) {
	lim := HashLimits{Entries: 128, Value: 64}
	h := NewHash()
	small := h.MemUsage()
	for i := 0; i < 100; i++ {
		h.Set([]byte("field:"+strconv.Itoa(i)), []byte("value"), lim)
	}
	packedSize := h.MemUsage()
	if packedSize < small+100*len("field:00value") {
		t.Fatalf("listpack of 100 fields: %d bytes", packedSize)
	}
	for i := 100; i < 1000; i++ {
		h.Set([]byte("field:"+strconv.Itoa(i)), []byte("value"), lim)
	}
	if h.IsListpack() || h.MemUsage() < 1000*(fieldEntryBytes+16) {
		t.Fatalf("hashtable of 1000 fields: %d bytes", h.MemUsage())
	}
	before := h.MemUsage()
	h.Delete([]byte("field:7"))
	if h.MemUsage() >= before {
		t.Fatal("deleting a field did not lower the accounting")
	}
}

func TestObjectAndKeyMemUsage(t *testing.T) {
	db := NewDB(0)
	s := Object{Kind: KindString, Str: make([]byte, 100)}
	if s.MemUsage() != AllocSize(100) {
		t.Fatalf("string of 100 bytes: %d", s.MemUsage())
	}
	db.Add([]byte("str"), s)
	l := NewList()
	l.PushBack([]byte("a"))
	db.Add([]byte("list"), Object{Kind: KindList, Val: l})
	if got, want := db.KeyMemUsage([]byte("str")), KeyOverhead(3, false)+AllocSize(100); got != want {
		t.Fatalf("KeyMemUsage(str) = %d, want %d", got, want)
	}
	before := db.KeyMemUsage([]byte("str"))
	db.SetExpire([]byte("str"), 1<<40)
	if got := db.KeyMemUsage([]byte("str")); got != before+expireEntryBytes {
		t.Fatalf("a time to live costs an expires entry: %d -> %d", before, got)
	}
	if db.KeyMemUsage([]byte("missing")) != 0 {
		t.Fatal("a missing key costs nothing")
	}
	sum := db.KeyMemUsage([]byte("str")) + db.KeyMemUsage([]byte("list"))
	if db.MemRecount(false) != sum || db.MemRecount(true) != sum {
		t.Fatalf("recount %d/%d, sum of keys %d", db.MemRecount(false), db.MemRecount(true), sum)
	}
	if db.TableOverhead() <= 0 {
		t.Fatal("two keys need buckets")
	}
	d := db.FlushDetached()
	if d.Keys() != 2 || db.Len() != 0 || db.MemRecount(true) != 0 {
		t.Fatalf("detached %d keys, %d left", d.Keys(), db.Len())
	}
}

func TestDictTake(t *testing.T) {
	d := NewDict[[]byte]()
	for i := 0; i < 200; i++ {
		d.Put("k"+strconv.Itoa(i), []byte(strconv.Itoa(i)))
	}
	for i := 0; i < 200; i += 2 {
		v, ok := d.take([]byte("k" + strconv.Itoa(i)))
		if !ok || string(v) != strconv.Itoa(i) {
			t.Fatalf("take k%d = %q, %v", i, v, ok)
		}
	}
	if _, ok := d.take([]byte("k0")); ok || d.Len() != 100 {
		t.Fatalf("after taking half: len %d", d.Len())
	}
}

func TestLazyFreeEffort(t *testing.T) {
	h := NewHash()
	lim := HashLimits{Entries: 8, Value: 64}
	for i := 0; i < 100; i++ {
		h.Set([]byte(strconv.Itoa(i)), []byte("v"), lim)
	}
	small := NewHash()
	small.Set([]byte("f"), []byte("v"), lim)
	for _, c := range []struct {
		o    Object
		want int
	}{
		{Object{Kind: KindString, Str: make([]byte, 1<<20)}, 1},
		{Object{Kind: KindHash, Val: small}, 1},
		{Object{Kind: KindHash, Val: h}, 100},
	} {
		if got := c.o.LazyFreeEffort(); got != c.want {
			t.Errorf("%s: effort %d, want %d", c.o.Kind, got, c.want)
		}
	}
}

// memHeapGrowth is how much the live heap grows while build's result is alive.
func memHeapGrowth(build func() any) (int, any) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return int(after.HeapAlloc) - int(before.HeapAlloc), v
}

// The figures are what the heap really holds for lists and hashes, within a few percent (the hashtable's
// buckets are charged at their settled size, not the arrays of an incremental resize).
func TestListHashMemUsageMatchesHeap(t *testing.T) {
	lim := HashLimits{Entries: 128, Value: 64}
	elem := func(i int) []byte { return []byte("element:" + strconv.Itoa(i)) }
	cases := []struct {
		name  string
		build func() any
	}{
		{"quicklist", func() any {
			l := NewList()
			for i := 0; i < 200000; i++ {
				l.PrepareAppend(-2, 16, 1)
				l.PushBack(elem(i))
			}
			return []*List{l}
		}},
		{"listpack lists", func() any {
			var ls []*List
			for i := 0; i < 2000; i++ {
				l := NewList()
				for j := 0; j < 50; j++ {
					l.PushBack(elem(j))
				}
				ls = append(ls, l)
			}
			return ls
		}},
		{"hashtable", func() any {
			h := NewHash()
			for i := 0; i < 100000; i++ {
				h.Set(elem(i), []byte("some value"), lim)
			}
			h.dict.finishRehash()
			return []*Hash{h}
		}},
		{"listpack hashes", func() any {
			var hs []*Hash
			for i := 0; i < 2000; i++ {
				h := NewHash()
				for j := 0; j < 50; j++ {
					h.Set(elem(j), []byte("value"), lim)
				}
				hs = append(hs, h)
			}
			return hs
		}},
	}
	for _, c := range cases {
		grown, v := memHeapGrowth(c.build)
		usage := 0
		switch v := v.(type) {
		case []*List:
			for _, l := range v {
				usage += l.MemUsage()
			}
			usage += AllocSize(cap(v) * 8)
		case []*Hash:
			for _, h := range v {
				usage += h.MemUsage()
			}
			usage += AllocSize(cap(v) * 8)
		}
		ratio := float64(usage) / float64(grown)
		t.Logf("%s: MemUsage %d bytes, heap growth %d (ratio %.3f)", c.name, usage, grown, ratio)
		if ratio < 0.9 || ratio > 1.1 {
			t.Errorf("%s: MemUsage %d bytes, the heap grew by %d (ratio %.2f)", c.name, usage, grown, ratio)
		}
	}
}

// A key's overhead (its entries and name) plus its value, and the tables' buckets, are what the heap
// holds for a database of string keys, half of them with a time to live.
func TestKeyMemUsageMatchesHeap(t *testing.T) {
	grown, v := memHeapGrowth(func() any {
		db := NewDB(0)
		for i := 0; i < 100000; i++ {
			k := []byte("key:" + strconv.Itoa(i))
			db.Add(k, Object{Kind: KindString, Str: append([]byte(nil), "a value of some length"...)})
			if i%2 == 0 {
				db.SetExpire(k, 1<<40)
			}
		}
		db.keys.finishRehash()
		db.expires.finishRehash()
		return db
	})
	db := v.(*DB)
	usage := db.MemRecount(false) + db.TableOverhead() + BaseMemUsage()
	ratio := float64(usage) / float64(grown)
	t.Logf("100000 keys: accounted %d bytes, heap growth %d (ratio %.3f)", usage, grown, ratio)
	if ratio < 0.9 || ratio > 1.1 {
		t.Errorf("accounted %d bytes, the heap grew by %d (ratio %.2f)", usage, grown, ratio)
	}
}
