package keyspace

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"testing"
)

var defaultHashLimits = HashLimits{Entries: 128, Value: 64}

// hashContents renders a hash as "f=v" pairs in Range order.
func hashContents(h *Hash) []string {
	var out []string
	h.Range(func(f, v []byte) bool {
		out = append(out, string(f)+"="+string(v))
		return true
	})
	return out
}

func TestHashListpackKeepsInsertionOrder(t *testing.T) {
	h := NewHash()
	for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}} {
		if !h.Set([]byte(kv[0]), []byte(kv[1]), defaultHashLimits) {
			t.Fatalf("%s not new", kv[0])
		}
	}
	// replacing keeps the position, whatever the new length
	if h.Set([]byte("b"), []byte("a much longer value"), defaultHashLimits) {
		t.Fatal("b reported new")
	}
	h.Set([]byte("a"), []byte(""), defaultHashLimits)
	want := []string{"a=", "b=a much longer value", "c=3"}
	if got := hashContents(h); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("contents %v, want %v", got, want)
	}
	if !h.Delete([]byte("b")) || h.Delete([]byte("b")) {
		t.Fatal("delete b")
	}
	h.Set([]byte("b"), []byte("again"), defaultHashLimits)
	want = []string{"a=", "c=3", "b=again"}
	if got := hashContents(h); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("contents %v, want %v", got, want)
	}
	if h.Encoding() != "listpack" || h.Len() != 3 {
		t.Fatalf("encoding %s len %d", h.Encoding(), h.Len())
	}
	if v, ok := h.Get([]byte("c")); !ok || string(v) != "3" {
		t.Fatalf("get c = %q %v", v, ok)
	}
	if _, ok := h.Get([]byte("3")); ok {
		t.Fatal("a value was found as a field")
	}
}

func TestHashConversions(t *testing.T) {
	lim := HashLimits{Entries: 4, Value: 8}
	cases := []struct {
		name string
		do   func(h *Hash)
		want string
	}{
		{"at the entry limit", func(h *Hash) {
			for i := 0; i < 4; i++ {
				h.Set([]byte{'f', byte('0' + i)}, []byte("v"), lim)
			}
		}, "listpack"},
		{"past the entry limit", func(h *Hash) {
			for i := 0; i < 5; i++ {
				h.Set([]byte{'f', byte('0' + i)}, []byte("v"), lim)
			}
		}, "hashtable"},
		{"value at the length limit", func(h *Hash) { h.Set([]byte("f"), []byte("12345678"), lim) }, "listpack"},
		{"value past the length limit", func(h *Hash) { h.Set([]byte("f"), []byte("123456789"), lim) }, "hashtable"},
		{"field past the length limit", func(h *Hash) { h.Set([]byte("123456789"), []byte("v"), lim) }, "hashtable"},
		{"many pairs announced", func(h *Hash) { h.Prepare(5, lim); h.Set([]byte("f"), []byte("v"), lim) }, "hashtable"},
		{"few pairs announced", func(h *Hash) { h.Prepare(4, lim); h.Set([]byte("f"), []byte("v"), lim) }, "listpack"},
		{"no way back after deletes", func(h *Hash) {
			h.Set([]byte("f"), []byte("123456789"), lim)
			h.Delete([]byte("f"))
			h.Set([]byte("f"), []byte("v"), lim)
		}, "hashtable"},
	}
	for _, tc := range cases {
		h := NewHash()
		tc.do(h)
		if h.Encoding() != tc.want {
			t.Errorf("%s: encoding %s, want %s", tc.name, h.Encoding(), tc.want)
		}
	}
}

// TestHashMatchesModel runs random operations against a map, with limits that make both encodings and
// the conversion between them happen.
func TestHashMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		lim := HashLimits{Entries: rng.IntN(40), Value: rng.IntN(300)}
		h := NewHash()
		model := map[string]string{}
		for op := 0; op < 400; op++ {
			f := fmt.Sprintf("f%d", rng.IntN(60))
			switch rng.IntN(4) {
			case 0, 1:
				v := strings.Repeat("x", rng.IntN(200))
				_, existed := model[f]
				if isNew := h.Set([]byte(f), []byte(v), lim); isNew == existed {
					t.Fatalf("round %d: set %s new=%v, model existed=%v", round, f, isNew, existed)
				}
				model[f] = v
			case 2:
				_, existed := model[f]
				if h.Delete([]byte(f)) != existed {
					t.Fatalf("round %d: delete %s", round, f)
				}
				delete(model, f)
			case 3:
				v, ok := h.Get([]byte(f))
				if mv, mok := model[f]; ok != mok || string(v) != mv {
					t.Fatalf("round %d: get %s = %q,%v want %q,%v", round, f, v, ok, mv, mok)
				}
			}
			if h.Len() != len(model) {
				t.Fatalf("round %d: len %d, model %d", round, h.Len(), len(model))
			}
		}
		got := map[string]string{}
		h.Range(func(f, v []byte) bool { got[string(f)] = string(v); return true })
		if fmt.Sprint(got) != fmt.Sprint(model) {
			t.Fatalf("round %d: contents differ", round)
		}
		c := h.Clone().(*Hash)
		cc, hc := hashContents(c), hashContents(h)
		if !h.IsListpack() { // table order depends on the table's hash seed
			sort.Strings(cc)
			sort.Strings(hc)
		}
		if c.Encoding() != h.Encoding() || fmt.Sprint(cc) != fmt.Sprint(hc) {
			t.Fatalf("round %d: clone differs", round)
		}
	}
}

func TestHashCloneIsIndependent(t *testing.T) {
	for _, lim := range []HashLimits{defaultHashLimits, {Entries: 0, Value: 0}} {
		h := NewHash()
		h.Set([]byte("f"), []byte("v1"), lim)
		c := h.Clone().(*Hash)
		h.Set([]byte("f"), []byte("v2"), lim)
		h.Set([]byte("g"), []byte("v"), lim)
		if v, _ := c.Get([]byte("f")); string(v) != "v1" || c.Len() != 1 {
			t.Fatalf("%s clone changed: %q len %d", c.Encoding(), v, c.Len())
		}
	}
}

func TestHashRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, lim := range []HashLimits{defaultHashLimits, {Entries: 0, Value: 64}} {
		h := NewHash()
		if _, _, ok := h.Random(rng); ok {
			t.Fatal("random from empty hash")
		}
		for i := 0; i < 10; i++ {
			h.Set([]byte{byte('a' + i)}, []byte{byte('0' + i)}, lim)
		}
		seen := map[string]bool{}
		for i := 0; i < 1000; i++ {
			f, v, ok := h.Random(rng)
			if !ok || v[0]-'0' != f[0]-'a' {
				t.Fatalf("%s: random pair %q=%q", h.Encoding(), f, v)
			}
			seen[string(f)] = true
		}
		if len(seen) != 10 {
			t.Fatalf("%s: only %d of 10 fields drawn", h.Encoding(), len(seen))
		}
	}
}

// HSCAN's guarantee: every field present for the whole iteration is returned, even when the hash grows
// (and its table resizes) between calls.
func TestHashScanGuaranteeUnderGrowth(t *testing.T) {
	h := NewHash()
	lim := HashLimits{Entries: 0, Value: 64}
	for i := 0; i < 500; i++ {
		h.Set([]byte(fmt.Sprintf("orig:%d", i)), []byte("v"), lim)
	}
	seen := map[string]int{}
	cursor := uint64(0)
	added := 0
	for steps := 0; ; steps++ {
		cursor = h.Scan(cursor, func(f, v []byte) { seen[string(f)]++ })
		// grow between calls: several table doublings over the iteration, then let it finish
		for j := 0; j < 40 && added < 8000; j++ {
			h.Set([]byte(fmt.Sprintf("new:%d", added)), []byte("v"), lim)
			added++
		}
		if cursor == 0 {
			break
		}
		if steps > 1e6 {
			t.Fatal("scan does not end")
		}
	}
	for i := 0; i < 500; i++ {
		if seen[fmt.Sprintf("orig:%d", i)] == 0 {
			t.Fatalf("orig:%d missed by the scan (hash grew to %d)", i, h.Len())
		}
	}
}

func TestPackedLongEntries(t *testing.T) {
	var p packed
	long := bytes.Repeat([]byte("L"), 300) // a two-byte length prefix
	p.push([]byte("a"), long, []byte("c"))
	off := p.find([]byte("c"), 1)
	if off < 0 {
		t.Fatal("c not found after a long entry")
	}
	lo := p.find(long, 1)
	_, end := p.entry(lo)
	p.replace(lo, end, []byte("short"))
	p.replace(0, 2, bytes.Repeat([]byte("M"), 20000))
	var got []string
	p.each(func(v []byte) bool { got = append(got, fmt.Sprintf("%c%d", v[0], len(v))); return true })
	if strings.Join(got, ",") != "M20000,s5,c1" {
		t.Fatalf("entries %v", got)
	}
	off = p.find([]byte("short"), 1)
	p.cut(off, p.skip(off), 1)
	if p.n != 2 || p.find([]byte("c"), 1) < 0 {
		t.Fatalf("after cut: n=%d", p.n)
	}
}

func TestParseIntLikeString2ll(t *testing.T) {
	good := map[string]int64{"0": 0, "-1": -1, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63, "10": 10}
	for s, want := range good {
		if n, ok := ParseInt([]byte(s)); !ok || n != want {
			t.Errorf("ParseInt(%q) = %d,%v", s, n, ok)
		}
	}
	for _, s := range []string{"", "-", "-0", "01", "+1", " 1", "1 ", "1.0", "9223372036854775808", "-9223372036854775809", "0x1", "1e3"} {
		if _, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) accepted", s)
		}
	}
}

// hashHeapPerField loads nHashes hashes of fields fields each, the way HSET stores them, into a DB and
// returns the heap bytes per field.
func hashHeapPerField(nHashes, fields int) float64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	db := NewDB(0)
	for i := 0; i < nHashes; i++ {
		h := NewHash()
		for j := 0; j < fields; j++ {
			h.Set([]byte(fmt.Sprintf("field:%d", j)), []byte(fmt.Sprintf("value:%d", i+j)), defaultHashLimits)
		}
		db.Add([]byte(fmt.Sprintf("hash:%d", i)), Object{Kind: KindHash, Val: h})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(db)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(nHashes*fields)
}

// BenchmarkHashMemory reports the heap cost of 1M fields in 10k small (listpack) hashes, the shape of the
// issue's memory target; server/hash_test.go compares it with redis-server's used_memory.
func BenchmarkHashMemory(b *testing.B) {
	var per float64
	for i := 0; i < b.N; i++ {
		per = hashHeapPerField(10000, 100)
	}
	b.ReportMetric(per, "bytes/field")
}

func BenchmarkHashSetListpack(b *testing.B) {
	fields := make([][]byte, 100)
	for i := range fields {
		fields[i] = []byte(fmt.Sprintf("field:%d", i))
	}
	val := []byte("value")
	b.ReportAllocs()
	h := NewHash()
	for i := 0; i < b.N; i++ {
		h.Set(fields[i%100], val, defaultHashLimits)
	}
}

func TestHashPairsOrder(t *testing.T) {
	h := NewHash()
	for _, f := range []string{"z", "y", "x"} {
		h.Set([]byte(f), []byte(f+f), defaultHashLimits)
	}
	var got []string
	for _, p := range h.Pairs(nil) {
		got = append(got, string(p[0])+string(p[1]))
	}
	if !sort.SliceIsSorted(got, func(i, j int) bool { return got[i] > got[j] }) || len(got) != 3 {
		t.Fatalf("pairs %v", got)
	}
}
