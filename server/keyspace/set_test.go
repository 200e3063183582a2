package keyspace

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var defaultSetLimits = SetLimits{IntsetEntries: 512, ListpackEntries: 128, ListpackValue: 64}

func setContents(s *Set) []string {
	var out []string
	s.Each(func(m []byte) bool {
		out = append(out, string(m))
		return true
	})
	return out
}

func addAll(s *Set, lim SetLimits, ms ...string) int {
	n := 0
	for _, m := range ms {
		if s.Add([]byte(m), lim) {
			n++
		}
	}
	return n
}

func TestSetIntsetIsSorted(t *testing.T) {
	s := NewSetFor([]byte("5"), 4, defaultSetLimits)
	if added := addAll(s, defaultSetLimits, "5", "-3", "100", "5", "0"); added != 4 {
		t.Fatalf("added %d", added)
	}
	if s.Encoding() != "intset" || strings.Join(setContents(s), ",") != "-3,0,5,100" {
		t.Fatalf("%s %v", s.Encoding(), setContents(s))
	}
	// members that string2ll refuses are not integers: the set becomes a listpack, keeping the sorted
	// order of the intset and appending
	addAll(s, defaultSetLimits, "007")
	if s.Encoding() != "listpack" || strings.Join(setContents(s), ",") != "-3,0,5,100,007" {
		t.Fatalf("%s %v", s.Encoding(), setContents(s))
	}
	if !s.Contains([]byte("100")) || s.Contains([]byte("7")) || !s.Contains([]byte("007")) {
		t.Fatal("membership after conversion")
	}
}

func TestSetEncodingTransitions(t *testing.T) {
	lim := SetLimits{IntsetEntries: 6, ListpackEntries: 4, ListpackValue: 5}
	ints := func(n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, strconv.Itoa(i))
		}
		return out
	}
	cases := []struct {
		name    string
		first   string
		hint    int
		members []string
		want    string
	}{
		{"integers within the intset limit", "1", 1, ints(6), "intset"},
		{"integers past the intset limit", "1", 1, ints(7), "hashtable"},
		{"hint past the intset limit", "1", 7, ints(1), "hashtable"},
		{"strings within the listpack limits", "a", 1, []string{"a", "b", "c", "d"}, "listpack"},
		{"strings past the entry limit", "a", 1, []string{"a", "b", "c", "d", "e"}, "hashtable"},
		{"a string past the value limit", "a", 1, []string{"a", "123456"}, "hashtable"},
		{"hint past the listpack limit", "a", 5, []string{"a"}, "hashtable"},
		{"intset meets a string, fits a listpack", "1", 1, append(ints(3), "x"), "listpack"},
		{"intset meets a string, too many for a listpack", "1", 1, append(ints(4), "x"), "hashtable"},
		{"intset meets a long string", "1", 1, append(ints(1), "xxxxxx"), "hashtable"},
	}
	for _, tc := range cases {
		s := NewSetFor([]byte(tc.first), tc.hint, lim)
		addAll(s, lim, tc.members...)
		if s.Encoding() != tc.want {
			t.Errorf("%s: encoding %s, want %s", tc.name, s.Encoding(), tc.want)
		}
		if s.Len() != len(tc.members) {
			t.Errorf("%s: len %d, want %d", tc.name, s.Len(), len(tc.members))
		}
	}
	// MaybeConvert: an existing compact set about to receive too many members
	s := NewSetFor([]byte("a"), 1, lim)
	s.MaybeConvert(4, lim)
	if s.Encoding() != "listpack" {
		t.Fatalf("converted for a hint within the limit")
	}
	s.MaybeConvert(5, lim)
	if s.Encoding() != "hashtable" {
		t.Fatalf("not converted for a hint past the limit")
	}
}

func TestSetIntsetWidestMemberLimitsListpack(t *testing.T) {
	lim := SetLimits{IntsetEntries: 512, ListpackEntries: 128, ListpackValue: 3}
	s := NewSetFor([]byte("1000"), 1, lim)
	addAll(s, lim, "1000", "a")
	if s.Encoding() != "hashtable" {
		t.Fatalf("intset with a 4-digit member became %s under a 3-byte value limit", s.Encoding())
	}
}

func TestSetMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 60; round++ {
		lim := SetLimits{IntsetEntries: rng.IntN(50), ListpackEntries: rng.IntN(30), ListpackValue: rng.IntN(10)}
		member := func() string {
			if rng.IntN(3) > 0 {
				return strconv.Itoa(rng.IntN(80) - 20)
			}
			return strings.Repeat("m", 1+rng.IntN(12))
		}
		s := NewSetFor([]byte(member()), 1+rng.IntN(5), lim)
		model := map[string]bool{}
		for op := 0; op < 300; op++ {
			m := member()
			switch rng.IntN(5) {
			case 0, 1:
				if s.Add([]byte(m), lim) == model[m] {
					t.Fatalf("round %d: add %s", round, m)
				}
				model[m] = true
			case 2:
				if s.Remove([]byte(m)) != model[m] {
					t.Fatalf("round %d: remove %s", round, m)
				}
				delete(model, m)
			case 3:
				if s.Contains([]byte(m)) != model[m] {
					t.Fatalf("round %d: contains %s", round, m)
				}
			case 4:
				if p := s.Pop(rng); p != nil {
					if !model[string(p)] {
						t.Fatalf("round %d: popped %s, not a member", round, p)
					}
					delete(model, string(p))
				} else if len(model) != 0 {
					t.Fatalf("round %d: pop from non-empty set gave nil", round)
				}
			}
			if s.Len() != len(model) {
				t.Fatalf("round %d: len %d model %d (%s)", round, s.Len(), len(model), s.Encoding())
			}
		}
		got := setContents(s)
		sort.Strings(got)
		var want []string
		for m := range model {
			want = append(want, m)
		}
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("round %d: contents %v want %v", round, got, want)
		}
		c := s.Clone().(*Set)
		cc, sc := setContents(c), setContents(s)
		if s.IsHashtable() { // table order depends on the table's hash seed
			sort.Strings(cc)
			sort.Strings(sc)
		}
		if c.Encoding() != s.Encoding() || fmt.Sprint(cc) != fmt.Sprint(sc) {
			t.Fatalf("round %d: clone differs", round)
		}
	}
}

func TestSetRangeAsStrings(t *testing.T) {
	for _, first := range []string{"1", "a"} {
		s := NewSetFor([]byte(first), 1, defaultSetLimits)
		addAll(s, defaultSetLimits, first, "2", "3")
		var got []string
		s.Range(func(m string) bool { got = append(got, m); return true })
		if len(got) != 3 || got[0] != first {
			t.Fatalf("%s: range %v", s.Encoding(), got)
		}
	}
}

func TestSetToIntsetIfPossible(t *testing.T) {
	s := NewListpackSet()
	addAll(s, defaultSetLimits, "3", "1", "2")
	s.ToIntsetIfPossible(defaultSetLimits)
	if s.Encoding() != "intset" || strings.Join(setContents(s), ",") != "1,2,3" {
		t.Fatalf("%s %v", s.Encoding(), setContents(s))
	}
	s = NewListpackSet()
	addAll(s, defaultSetLimits, "3", "x")
	s.ToIntsetIfPossible(defaultSetLimits)
	if s.Encoding() != "listpack" {
		t.Fatalf("a set with a string became %s", s.Encoding())
	}
}

// SSCAN's guarantee on the hashtable encoding while the set grows between calls.
func TestSetScanGuaranteeUnderGrowth(t *testing.T) {
	lim := SetLimits{IntsetEntries: 0, ListpackEntries: 0, ListpackValue: 0}
	s := NewSetFor([]byte("x"), 1, lim)
	for i := 0; i < 300; i++ {
		s.Add([]byte(fmt.Sprintf("orig:%d", i)), lim)
	}
	seen := map[string]bool{}
	cursor, added := uint64(0), 0
	for {
		cursor = s.Scan(cursor, func(m []byte) { seen[string(m)] = true })
		for j := 0; j < 30 && added < 6000; j++ {
			s.Add([]byte(fmt.Sprintf("new:%d", added)), lim)
			added++
		}
		if cursor == 0 {
			break
		}
	}
	for i := 0; i < 300; i++ {
		if !seen[fmt.Sprintf("orig:%d", i)] {
			t.Fatalf("orig:%d missed (set grew to %d)", i, s.Len())
		}
	}
}

func TestSetRandomCoversMembers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, first := range []string{"1", "a", "big"} {
		lim := defaultSetLimits
		if first == "big" {
			lim = SetLimits{}
		}
		s := NewSetFor([]byte(first), 1, lim)
		for i := 0; i < 8; i++ {
			s.Add([]byte(strconv.Itoa(i)), lim)
		}
		if first != "1" {
			s.Remove([]byte(first))
			s.Add([]byte("s"), lim)
		}
		seen := map[string]bool{}
		var buf [24]byte
		for i := 0; i < 1000; i++ {
			m := s.Random(rng, buf[:0])
			if !s.Contains(m) {
				t.Fatalf("%s: random %q is not a member", s.Encoding(), m)
			}
			seen[string(m)] = true
		}
		if len(seen) != s.Len() {
			t.Fatalf("%s: %d of %d members drawn", s.Encoding(), len(seen), s.Len())
		}
	}
}

func BenchmarkSetAddIntset(b *testing.B) {
	b.ReportAllocs()
	var buf [20]byte
	s := NewIntset()
	for i := 0; i < b.N; i++ {
		s.Add(strconv.AppendInt(buf[:0], int64(i%500), 10), defaultSetLimits)
	}
}
