package keyspace

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// testSlot spreads keys over a few slots so slots fill and empty during the test.
func testSlot(k string) int {
	h := 0
	for i := 0; i < len(k); i++ {
		h = h*31 + int(k[i])
	}
	return (h & 0x7fffffff) % 7
}

// recount is what the index must agree with: a walk of the table.
func recount(db *DB) map[int][]string {
	out := map[int][]string{}
	db.Range(func(k string, _ *Object) bool {
		out[testSlot(k)] = append(out[testSlot(k)], k)
		return true
	})
	return out
}

func checkIndex(t *testing.T, db *DB, step int) {
	t.Helper()
	want := recount(db)
	for slot := 0; slot < 8; slot++ {
		if got := db.CountKeysInSlot(slot); got != len(want[slot]) {
			t.Fatalf("step %d: CountKeysInSlot(%d) = %d, table holds %d", step, slot, got, len(want[slot]))
		}
		got := db.KeysInSlot(slot, 1<<30)
		sort.Strings(got)
		w := append([]string(nil), want[slot]...)
		sort.Strings(w)
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("step %d: KeysInSlot(%d) = %v, want %v", step, slot, got, w)
		}
	}
}

// TestSlotIndexFollowsEveryMutation drives every DB method that adds or removes keys in random order and
// checks the index against a walk of the table after each step.
func TestSlotIndexFollowsEveryMutation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	db := NewDB(0)
	db.Set([]byte("before"), Object{Str: []byte("x")}, false) // indexed by EnableSlotIndex
	db.EnableSlotIndex(testSlot)
	other := NewDB(1)
	for step := 0; step < 5000; step++ {
		key := []byte(fmt.Sprintf("k%d", rng.IntN(200)))
		switch op := rng.IntN(100); {
		case op < 40:
			db.Set(key, Object{Str: key}, rng.IntN(2) == 0)
		case op < 55:
			if db.Get(key) == nil {
				db.Add(key, Object{Str: key})
			}
		case op < 65:
			db.AddNew(key, Object{Str: key})
		case op < 90:
			db.Delete(key)
		case op < 93:
			db.Flush()
		case op < 96:
			db.FlushDetached()
		default:
			other.Set([]byte(fmt.Sprintf("o%d", step)), Object{}, false)
			db.Swap(other) // the index must now describe the other table
		}
		checkIndex(t, db, step)
	}
	if db.CountKeysInSlot(-1) != 0 || db.CountKeysInSlot(slotCount) != 0 || db.KeysInSlot(3, 0) != nil {
		t.Fatal("out-of-range slots and a zero count must give nothing")
	}
}

// TestKeysInSlotHonoursMax: GETKEYSINSLOT's count bounds the reply.
func TestKeysInSlotHonoursMax(t *testing.T) {
	db := NewDB(0)
	db.EnableSlotIndex(func(string) int { return 5 })
	for i := 0; i < 50; i++ {
		db.Set([]byte(fmt.Sprint(i)), Object{}, false)
	}
	if n := len(db.KeysInSlot(5, 10)); n != 10 {
		t.Fatalf("KeysInSlot(5, 10) returned %d keys", n)
	}
	if db.CountKeysInSlot(5) != 50 {
		t.Fatalf("CountKeysInSlot = %d", db.CountKeysInSlot(5))
	}
}
