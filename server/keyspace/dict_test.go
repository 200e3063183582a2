package keyspace

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestDictBasic(t *testing.T) {
	d := NewDict[int]()
	for i := 0; i < 1000; i++ {
		if _, isNew := d.Put(fmt.Sprint(i), i); !isNew {
			t.Fatalf("key %d not new", i)
		}
	}
	if d.Len() != 1000 {
		t.Fatalf("len %d", d.Len())
	}
	for i := 0; i < 1000; i++ {
		v := d.Get([]byte(fmt.Sprint(i)))
		if v == nil || *v != i {
			t.Fatalf("get %d = %v", i, v)
		}
	}
	for i := 0; i < 1000; i += 2 {
		if !d.Delete([]byte(fmt.Sprint(i))) {
			t.Fatalf("delete %d", i)
		}
	}
	if d.Delete([]byte("0")) {
		t.Fatal("deleted twice")
	}
	if d.Len() != 500 || d.Get([]byte("0")) != nil || d.Get([]byte("1")) == nil {
		t.Fatal("wrong state after deletes")
	}
}

// SCAN's guarantee: an element present during the whole iteration is returned at least once, even when the
// table grows and shrinks between calls.
func TestDictScanGuaranteeAcrossResize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		d := NewDict[int]()
		stable := map[string]bool{}
		for i := 0; i < 200; i++ {
			k := fmt.Sprintf("stable:%d", i)
			d.Put(k, i)
			stable[k] = true
		}
		seen := map[string]bool{}
		var cursor uint64
		extra, live := 0, 0
		for {
			cursor = d.Scan(cursor, func(k string, _ *int) { seen[k] = true })
			// churn: grow a lot, then shrink, while scanning
			switch rng.IntN(3) {
			case 0:
				if live > 3000 {
					break
				}
				for j := 0; j < 300; j++ {
					d.Put(fmt.Sprintf("extra:%d", extra), 0)
					extra++
					live++
				}
			case 1:
				for j := extra - live; j < extra; j++ {
					d.Delete([]byte(fmt.Sprintf("extra:%d", j)))
				}
				live = 0
			}
			if cursor == 0 {
				break
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("round %d: %s never returned by scan", round, k)
			}
		}
	}
}

func TestDictRandom(t *testing.T) {
	d := NewDict[int]()
	rng := rand.New(rand.NewPCG(3, 4))
	if _, _, ok := d.Random(rng); ok {
		t.Fatal("random on empty")
	}
	for i := 0; i < 10; i++ {
		d.Put(fmt.Sprint(i), i)
	}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		k, v, ok := d.Random(rng)
		if !ok || fmt.Sprint(*v) != k {
			t.Fatal("bad random element")
		}
		seen[k] = true
	}
	if len(seen) != 10 {
		t.Fatalf("random reached only %d of 10 keys", len(seen))
	}
}
