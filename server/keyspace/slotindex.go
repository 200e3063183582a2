package keyspace

// slotCount is the number of cluster hash slots.
const slotCount = 16384

// slotIndex keeps the keys of each cluster hash slot, so COUNTKEYSINSLOT and GETKEYSINSLOT — which
// `redis-cli --cluster reshard` calls for every slot it moves — cost the size of the slot rather than a
// walk of the whole keyspace. It holds the same key strings as the main table (no copies) and exists
// only in cluster mode.
type slotIndex struct {
	slotOf func(key string) int
	slots  [slotCount]map[string]struct{}
}

func newSlotIndex(slotOf func(string) int) *slotIndex { return &slotIndex{slotOf: slotOf} }

func (x *slotIndex) add(key string) {
	s := x.slotOf(key)
	m := x.slots[s]
	if m == nil {
		m = map[string]struct{}{}
		x.slots[s] = m
	}
	m[key] = struct{}{}
}

func (x *slotIndex) remove(key []byte) {
	s := x.slotOf(string(key))
	if m := x.slots[s]; m != nil {
		delete(m, string(key))
		if len(m) == 0 {
			x.slots[s] = nil // an emptied slot gives its table back
		}
	}
}

// EnableSlotIndex starts keeping the keys of each hash slot (cluster mode); slotOf maps a key to its slot.
// The keys already present are indexed now.
func (db *DB) EnableSlotIndex(slotOf func(key string) int) {
	db.slots = newSlotIndex(slotOf)
	db.keys.Range(func(k string, _ *Object) bool {
		db.slots.add(k)
		return true
	})
}

// CountKeysInSlot is the number of keys in slot (EnableSlotIndex must have been called).
func (db *DB) CountKeysInSlot(slot int) int {
	if db.slots == nil || slot < 0 || slot >= slotCount {
		return 0
	}
	return len(db.slots.slots[slot])
}

// KeysInSlot returns up to max keys of slot, in no particular order.
func (db *DB) KeysInSlot(slot, max int) []string {
	if db.slots == nil || slot < 0 || slot >= slotCount || max <= 0 {
		return nil
	}
	var out []string
	for k := range db.slots.slots[slot] {
		out = append(out, k)
		if len(out) == max {
			break
		}
	}
	return out
}

// HasSlotIndex reports whether EnableSlotIndex was called.
func (db *DB) HasSlotIndex() bool { return db.slots != nil }

// resetSlots empties the index after the tables were replaced (FLUSHDB).
func (db *DB) resetSlots() {
	if db.slots != nil {
		db.slots = newSlotIndex(db.slots.slotOf)
	}
}
