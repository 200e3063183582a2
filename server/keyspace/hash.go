package keyspace

import "math/rand/v2"

// Hash is the value of a hash key, in one of Valkey's two encodings (OBJECT ENCODING reports them):
//   - "listpack": field, value, field, value, … packed into one byte slice (see packed). Insertion order is
//     kept, as Valkey's listpack keeps it, so HGETALL on a small hash answers in the same order.
//   - "hashtable": a Dict from field to value, so that HSCAN keeps SCAN's guarantee while the table resizes
//     between calls.
//
// The conversion is one way, as in Valkey: once a hashtable, always a hashtable. The thresholds are
// configuration, passed in as HashLimits. Hash is not safe for concurrent use.
type Hash struct {
	lp   packed
	dict *Dict[[]byte]
	// dictBytes is what the hashtable's entries hold (entry, field, value), kept up to date by Set,
	// Delete and the conversion so that MemUsage is O(1) (memusage.go).
	dictBytes int
}

// HashLimits are hash-max-listpack-entries and hash-max-listpack-value.
type HashLimits struct{ Entries, Value int }

// NewHash returns an empty hash in the listpack encoding.
func NewHash() *Hash { return &Hash{} }

// Len is the number of fields.
func (h *Hash) Len() int {
	if h.dict != nil {
		return h.dict.Len()
	}
	return h.lp.n / 2
}

// IsListpack reports whether the hash is in its compact encoding.
func (h *Hash) IsListpack() bool { return h.dict == nil }

// Encoding is the OBJECT ENCODING name.
func (h *Hash) Encoding() string {
	if h.dict != nil {
		return "hashtable"
	}
	return "listpack"
}

// Get returns the value of field. The slice belongs to the hash: it must not be modified, and is valid
// only until the hash changes.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.dict != nil {
		v := h.dict.Get(field)
		if v == nil {
			return nil, false
		}
		return *v, true
	}
	off := h.lp.find(field, 2)
	if off < 0 {
		return nil, false
	}
	v, _ := h.lp.entry(h.lp.skip(off))
	return v, true
}

// Has reports whether field exists.
func (h *Hash) Has(field []byte) bool {
	_, ok := h.Get(field)
	return ok
}

// Prepare is what Valkey does before a write of pairs field/value pairs: when the command brings more
// pairs than a listpack may hold (even if some repeat) the hash becomes a hashtable up front.
func (h *Hash) Prepare(pairs int, lim HashLimits) {
	if h.dict == nil && pairs > lim.Entries {
		h.ToHashtable()
	}
}

// Set stores value under field (both copied) and reports whether the field is new. A field or value
// longer than lim.Value, or more than lim.Entries fields, turns the hash into a hashtable.
func (h *Hash) Set(field, value []byte, lim HashLimits) bool {
	if h.dict == nil && (len(field) > lim.Value || len(value) > lim.Value) {
		h.ToHashtable()
	}
	if h.dict != nil {
		hv, e := h.dict.lookupBytes(field)
		if e != nil {
			v := &e.val
			old := cap(*v)
			// reuse the old value's memory unless that would keep much of it unused
			if c := cap(*v); c >= len(value) && c <= 2*len(value)+16 {
				*v = append((*v)[:0], value...)
			} else {
				*v = append([]byte(nil), value...)
			}
			h.dictBytes += AllocSize(cap(*v)) - AllocSize(old)
			return false
		}
		nv := append([]byte(nil), value...)
		h.dict.insertNew(hv, string(field), nv)
		h.dictBytes += hashFieldBytes(len(field), cap(nv))
		return true
	}
	if off := h.lp.find(field, 2); off >= 0 {
		voff := h.lp.skip(off)
		old, end := h.lp.entry(voff)
		if len(old) == len(value) {
			copy(old, value)
		} else {
			h.lp.replace(voff, end, value)
		}
		return false
	}
	h.lp.push(field, value)
	if h.lp.n/2 > lim.Entries {
		h.ToHashtable()
	}
	return true
}

// Delete removes field and reports whether it existed. An emptied hash stays in its encoding; the
// command layer deletes the key.
func (h *Hash) Delete(field []byte) bool {
	if h.dict != nil {
		v, ok := h.dict.take(field)
		if ok {
			h.dictBytes -= hashFieldBytes(len(field), cap(v))
		}
		return ok
	}
	off := h.lp.find(field, 2)
	if off < 0 {
		return false
	}
	end := h.lp.skip(h.lp.skip(off))
	h.lp.cut(off, end, 2)
	return true
}

// ToHashtable converts to the hashtable encoding.
func (h *Hash) ToHashtable() {
	if h.dict != nil {
		return
	}
	d := NewDict[[]byte]()
	if n := h.lp.n / 2; n > 0 {
		d.resize(n)
	}
	h.dictBytes = 0
	h.rangePacked(func(f, v []byte) bool {
		nv := append([]byte(nil), v...)
		d.Put(string(f), nv)
		h.dictBytes += hashFieldBytes(len(f), cap(nv))
		return true
	})
	h.dict = d
	h.lp = packed{}
}

func (h *Hash) rangePacked(fn func(field, value []byte) bool) {
	for off := 0; off < len(h.lp.b); {
		f, voff := h.lp.entry(off)
		v, next := h.lp.entry(voff)
		if !fn(f, v) {
			return
		}
		off = next
	}
}

// Range calls fn for every field and value until it returns false: in insertion order for a listpack, in
// table order for a hashtable. The hash must not change meanwhile, and the slices must not be kept.
func (h *Hash) Range(fn func(field, value []byte) bool) {
	if h.dict != nil {
		h.dict.Range(func(k string, v *[]byte) bool { return fn(bytesOf(k), *v) })
		return
	}
	h.rangePacked(fn)
}

// Scan is one HSCAN step from cursor: a listpack is returned whole with cursor 0, as Valkey does; a
// hashtable is walked with Dict.Scan's reverse-binary cursor.
func (h *Hash) Scan(cursor uint64, fn func(field, value []byte)) uint64 {
	if h.dict != nil {
		return h.dict.Scan(cursor, func(k string, v *[]byte) { fn(bytesOf(k), *v) })
	}
	h.rangePacked(func(f, v []byte) bool { fn(f, v); return true })
	return 0
}

// Random returns a random field and its value (aliasing the hash), or ok=false when empty.
func (h *Hash) Random(rng *rand.Rand) (field, value []byte, ok bool) {
	if h.dict != nil {
		k, v, ok := h.dict.Random(rng)
		if !ok {
			return nil, nil, false
		}
		return bytesOf(k), *v, true
	}
	n := h.lp.n / 2
	if n == 0 {
		return nil, nil, false
	}
	off := h.lp.at(2 * rng.IntN(n))
	f, voff := h.lp.entry(off)
	v, _ := h.lp.entry(voff)
	return f, v, true
}

// Pairs appends every field and value to dst (aliasing the hash), in Range order.
func (h *Hash) Pairs(dst [][2][]byte) [][2][]byte {
	h.Range(func(f, v []byte) bool {
		dst = append(dst, [2][]byte{f, v})
		return true
	})
	return dst
}

// Clone returns a deep copy (COPY).
func (h *Hash) Clone() any {
	n := &Hash{}
	if h.dict == nil {
		n.lp = h.lp.clone()
		return n
	}
	n.dict = NewDict[[]byte]()
	n.dict.resize(h.dict.Len())
	h.dict.Range(func(k string, v *[]byte) bool {
		nv := append([]byte(nil), *v...)
		n.dict.Put(k, nv)
		n.dictBytes += hashFieldBytes(len(k), cap(nv))
		return true
	})
	return n
}

// DeepCopy is Clone under the name the server's COPY looks for.
func (h *Hash) DeepCopy() any { return h.Clone() }
