package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// check verifies the list's invariants and that it holds exactly want.
func (l *List) check(t *testing.T, want [][]byte, ctx string) {
	t.Helper()
	if l.Len() != len(want) {
		t.Fatalf("%s: Len %d, want %d", ctx, l.Len(), len(want))
	}
	total := 0
	for i := 0; i < l.nodes(); i++ {
		n := l.node(i)
		if n.n == 0 {
			t.Fatalf("%s: empty node %d", ctx, i)
		}
		cnt, sz := 0, listLpEmpty
		for pos := int(n.off); pos < len(n.buf); {
			var v []byte
			v, pos = n.entryAt(pos)
			cnt++
			sz += listLpEntrySize(v)
		}
		if cnt != int(n.n) || sz != int(n.sz) {
			t.Fatalf("%s: node %d has %d entries (%d recorded), %d listpack bytes (%d recorded)", ctx, i, cnt, n.n, sz, n.sz)
		}
		// walking backwards finds the same entries
		back := 0
		for pos := len(n.buf); pos > int(n.off); {
			_, pos = n.entryBefore(pos)
			back++
		}
		if back != cnt {
			t.Fatalf("%s: node %d walks %d entries backwards, %d forwards", ctx, i, back, cnt)
		}
		if n.plain && n.n != 1 {
			t.Fatalf("%s: plain node %d with %d entries", ctx, i, n.n)
		}
		total += cnt
	}
	if total != len(want) {
		t.Fatalf("%s: nodes hold %d elements, want %d", ctx, total, len(want))
	}
	if !l.quick && l.nodes() > 1 {
		t.Fatalf("%s: listpack with %d nodes", ctx, l.nodes())
	}
	i := 0
	l.Range(0, l.Len(), func(v []byte) bool {
		if !bytes.Equal(v, want[i]) {
			t.Fatalf("%s: element %d is %q, want %q", ctx, i, v, want[i])
		}
		i++
		return true
	})
	if i != len(want) {
		t.Fatalf("%s: Range gave %d elements", ctx, i)
	}
	i = len(want) - 1
	if len(want) > 0 {
		l.RangeReverse(len(want)-1, len(want), func(v []byte) bool {
			if !bytes.Equal(v, want[i]) {
				t.Fatalf("%s: reverse element %d is %q, want %q", ctx, i, v, want[i])
			}
			i--
			return true
		})
	}
	if i != -1 {
		t.Fatalf("%s: RangeReverse stopped at %d", ctx, i)
	}
}

func randElem(r *rand.Rand) []byte {
	switch r.IntN(10) {
	case 0:
		return []byte(strconv.Itoa(r.IntN(1 << 20)))
	case 1:
		return []byte(strconv.FormatInt(r.Int64()-1<<62, 10))
	case 2:
		return bytes.Repeat([]byte{'L'}, 4000+r.IntN(9000)) // large: plain nodes with most fills
	case 3:
		return bytes.Repeat([]byte{'m'}, 100+r.IntN(300))
	default:
		return []byte(fmt.Sprintf("e%d", r.IntN(40)))
	}
}

// TestListRandomOps runs random operations against a slice model under several list-max-listpack-size
// values, converting between the encodings as the command layer does.
func TestListRandomOps(t *testing.T) {
	for _, fill := range []int{-2, -1, -5, 1, 3, 16, 128, 0} {
		t.Run(fmt.Sprint(fill), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(fill+100), 7))
			l := NewList()
			var model [][]byte
			for step := 0; step < 4000; step++ {
				ctx := fmt.Sprintf("fill %d step %d", fill, step)
				switch op := r.IntN(12); {
				case op < 3 || len(model) == 0:
					v := randElem(r)
					l.PrepareAppend(fill, len(v), 1)
					if r.IntN(2) == 0 {
						l.PushFront(v)
						model = append([][]byte{v}, model...)
					} else {
						l.PushBack(v)
						model = append(model, v)
					}
				case op == 3:
					if !bytes.Equal(l.PopFront(), model[0]) {
						t.Fatalf("%s: PopFront", ctx)
					}
					model = model[1:]
					l.TryShrink(fill)
				case op == 4:
					if !bytes.Equal(l.PopBack(), model[len(model)-1]) {
						t.Fatalf("%s: PopBack", ctx)
					}
					model = model[:len(model)-1]
					l.TryShrink(fill)
				case op == 5:
					i := r.IntN(len(model) + 1)
					v := randElem(r)
					l.PrepareAppend(fill, len(v), 1)
					l.Insert(i, v)
					model = append(model[:i], append([][]byte{v}, model[i:]...)...)
				case op == 6:
					i := r.IntN(len(model))
					v := randElem(r)
					l.PrepareAppend(fill, len(v), 1)
					l.Set(i, v)
					model[i] = v
					l.TryShrink(fill)
				case op == 7:
					i := r.IntN(len(model))
					if !bytes.Equal(l.Index(i), model[i]) {
						t.Fatalf("%s: Index(%d)", ctx, i)
					}
				case op == 8:
					start := r.IntN(len(model))
					cnt := r.IntN(len(model)-start) + 1
					if r.IntN(4) != 0 {
						cnt = min(cnt, 3)
					}
					l.DeleteRange(start, cnt)
					model = append(model[:start], model[start+cnt:]...)
					l.TryShrink(fill)
				case op == 9:
					v := model[r.IntN(len(model))]
					limit := r.IntN(3)
					tail := r.IntN(2) == 0
					v = append([]byte(nil), v...)
					got := l.Remove(v, limit, tail)
					want := modelRemove(&model, v, limit, tail)
					if got != want {
						t.Fatalf("%s: Remove %q %d %v = %d, want %d", ctx, v, limit, tail, got, want)
					}
					l.TryShrink(fill)
				case op == 10:
					c := l.Clone().(*List)
					c.check(t, model, ctx+" clone")
				default:
					for k := 0; k < 20; k++ {
						v := []byte(strconv.Itoa(r.IntN(300)))
						l.PrepareAppend(fill, len(v), 1)
						l.PushBack(v)
						model = append(model, v)
					}
				}
				l.check(t, model, ctx)
				if len(model) > 600 {
					l.DeleteRange(0, 300)
					model = model[300:]
				}
			}
		})
	}
}

func modelRemove(model *[][]byte, v []byte, limit int, tail bool) int {
	m := *model
	removed := 0
	if !tail {
		out := m[:0:0]
		for _, e := range m {
			if bytes.Equal(e, v) && (limit == 0 || removed < limit) {
				removed++
				continue
			}
			out = append(out, e)
		}
		*model = out
		return removed
	}
	keep := make([]bool, len(m))
	for i := len(m) - 1; i >= 0; i-- {
		if bytes.Equal(m[i], v) && (limit == 0 || removed < limit) {
			removed++
			continue
		}
		keep[i] = true
	}
	out := m[:0:0]
	for i, e := range m {
		if keep[i] {
			out = append(out, e)
		}
	}
	*model = out
	return removed
}

// The conversions follow Valkey 7.2: listpack until the limit, quicklist beyond, and back to listpack only
// once a single packed node is under half the limit.
func TestListEncodingConversion(t *testing.T) {
	push := func(l *List, fill int, vals ...string) {
		n := 0
		for _, v := range vals {
			n += len(v)
		}
		l.PrepareAppend(fill, n, len(vals))
		for _, v := range vals {
			l.PushBack([]byte(v))
		}
	}
	// count limit 3
	l := NewList()
	push(l, 3, "a", "b", "c")
	if l.Encoding() != "listpack" {
		t.Fatalf("3 elements with limit 3: %s", l.Encoding())
	}
	push(l, 3, "d")
	if l.Encoding() != "quicklist" || l.NodeCount() != 2 {
		t.Fatalf("4 elements with limit 3: %s, %d nodes", l.Encoding(), l.NodeCount())
	}
	for i := 0; i < 2; i++ {
		l.PopBack()
		l.TryShrink(3)
	}
	if l.Encoding() != "quicklist" {
		t.Fatal("2 elements is more than half of 3: must stay quicklist")
	}
	l.PopBack()
	l.TryShrink(3)
	if l.Encoding() != "listpack" {
		t.Fatal("1 element: back to listpack")
	}

	// size limit -1 (4 kB)
	l = NewList()
	push(l, -1, "a", "b", "c", strings.Repeat("d", 4096))
	if l.Encoding() != "quicklist" {
		t.Fatal("4 kB element must make a quicklist")
	}
	l.PopBack()
	l.TryShrink(-1)
	if l.Encoding() != "listpack" {
		t.Fatal("after popping the large element: listpack")
	}

	// default -2: 8 kB
	l = NewList()
	for i := 0; i < 1000; i++ {
		push(l, -2, "xxxxxx")
	}
	if l.Encoding() != "listpack" {
		t.Fatalf("1000 x 6 bytes (%d listpack bytes) stays listpack", l.node(0).sz)
	}
	for l.Encoding() == "listpack" {
		push(l, -2, "xxxxxx")
	}
	if l.node(0).sz > 8192+8 {
		t.Fatalf("converted at %d bytes", l.node(0).sz)
	}
}

func TestLpEntrySize(t *testing.T) {
	cases := []struct {
		v    string
		want int
	}{
		{"0", 2}, {"127", 2}, {"128", 3}, {"-1", 3}, {"4095", 3}, {"-4096", 3}, {"4096", 4},
		{"32767", 4}, {"32768", 5}, {"8388607", 5}, {"8388608", 6}, {"2147483647", 6},
		{"2147483648", 10}, {"9223372036854775807", 10}, {"9223372036854775808", 21},
		{"-0", 4}, {"01", 4}, {"", 2}, {"abc", 5}, {strings.Repeat("a", 63), 65},
		{strings.Repeat("a", 64), 67}, {strings.Repeat("a", 125), 128}, {strings.Repeat("a", 126), 130},
		{strings.Repeat("a", 4096), 4096 + 5 + 2},
	}
	for _, c := range cases {
		if got := listLpEntrySize([]byte(c.v)); got != c.want {
			t.Errorf("listLpEntrySize(%.20q) = %d, want %d", c.v, got, c.want)
		}
	}
}

func TestListNodeFrontAndBackReuse(t *testing.T) {
	// a queue (push back, pop front) within one node must not grow without bound
	l := NewList()
	for i := 0; i < 100000; i++ {
		l.PushBack([]byte("value"))
		if l.Len() > 10 {
			l.PopFront()
		}
	}
	if c := cap(l.node(0).buf); c > 1024 {
		t.Fatalf("queue node buffer grew to %d bytes", c)
	}
	// and a stack at the front
	l = NewList()
	for i := 0; i < 100000; i++ {
		l.PushFront([]byte("value"))
		if l.Len() > 10 {
			l.PopBack()
		}
	}
	if c := cap(l.node(0).buf); c > 1024 {
		t.Fatalf("front stack node buffer grew to %d bytes", c)
	}
}

func BenchmarkListPushPop(b *testing.B) {
	l := NewList()
	v := []byte("element-value")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.PrepareAppend(-2, len(v), 1)
		l.PushFront(v)
		if l.Len() > 1000 {
			l.PopBack()
		}
	}
}
