// Package keyspace holds the databases: a hash table of keys to values and a second table of expiry times,
// with the primitives the command layer builds on (lookup, insert, delete, scan, random sampling).
package keyspace

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
)

// Dict is a chained hash table with incremental rehashing, shaped like Valkey's dict so that SCAN can give
// the same guarantee: every element present for the whole iteration is returned at least once, even when
// the table grows or shrinks between calls. Go's built-in map cannot give that guarantee, which is why the
// keyspace does not use it.
//
// Dict is not safe for concurrent use; the server serialises command execution.
type Dict[V any] struct {
	ht        [2][]*entry[V]
	used      [2]int
	rehashIdx int // -1 when not rehashing
	seed      maphash.Seed
}

type entry[V any] struct {
	key  string
	next *entry[V]
	val  V
}

const minBuckets = 4

// NewDict returns an empty table.
func NewDict[V any]() *Dict[V] {
	return &Dict[V]{rehashIdx: -1, seed: maphash.MakeSeed()}
}

// Len is the number of elements.
func (d *Dict[V]) Len() int { return d.used[0] + d.used[1] }

func (d *Dict[V]) hash(key string) uint64 { return maphash.String(d.seed, key) }

func (d *Dict[V]) hashBytes(key []byte) uint64 { return maphash.Bytes(d.seed, key) }

func (d *Dict[V]) rehashing() bool { return d.rehashIdx >= 0 }

// step moves n buckets from the old table to the new one.
func (d *Dict[V]) step(n int) {
	if !d.rehashing() {
		return
	}
	visits := n * 10 // empty buckets cost less; bound the work anyway
	for n > 0 && d.used[0] > 0 && visits > 0 {
		for d.ht[0][d.rehashIdx] == nil {
			d.rehashIdx++
			visits--
			if visits == 0 {
				return
			}
		}
		e := d.ht[0][d.rehashIdx]
		mask := uint64(len(d.ht[1]) - 1)
		for e != nil {
			next := e.next
			i := d.hash(e.key) & mask
			e.next = d.ht[1][i]
			d.ht[1][i] = e
			d.used[0]--
			d.used[1]++
			e = next
		}
		d.ht[0][d.rehashIdx] = nil
		d.rehashIdx++
		n--
	}
	if d.used[0] == 0 {
		d.ht[0], d.ht[1] = d.ht[1], nil
		d.used[0], d.used[1] = d.used[1], 0
		d.rehashIdx = -1
	}
}

// RehashStep does a little of a pending rehash; the server calls it from its periodic cycle so that an idle
// table still finishes resizing.
func (d *Dict[V]) RehashStep() { d.step(100) }

func (d *Dict[V]) resize(size int) {
	if d.rehashing() {
		return
	}
	n := minBuckets
	for n < size {
		n <<= 1
	}
	if n == len(d.ht[0]) {
		return
	}
	if d.used[0] == 0 {
		d.ht[0] = make([]*entry[V], n)
		return
	}
	d.ht[1] = make([]*entry[V], n)
	d.rehashIdx = 0
}

func (d *Dict[V]) find(h uint64, key string) *entry[V] {
	for t := 0; t < 2; t++ {
		tab := d.ht[t]
		if len(tab) == 0 {
			continue
		}
		for e := tab[h&uint64(len(tab)-1)]; e != nil; e = e.next {
			if e.key == key {
				return e
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

func (d *Dict[V]) findBytes(h uint64, key []byte) *entry[V] {
	for t := 0; t < 2; t++ {
		tab := d.ht[t]
		if len(tab) == 0 {
			continue
		}
		for e := tab[h&uint64(len(tab)-1)]; e != nil; e = e.next {
			if e.key == string(key) {
				return e
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// Get returns a pointer to the value stored for key, or nil. The pointer stays valid until the key is
// deleted.
func (d *Dict[V]) Get(key []byte) *V {
	if d.Len() == 0 {
		return nil
	}
	d.step(1)
	if e := d.findBytes(d.hashBytes(key), key); e != nil {
		return &e.val
	}
	return nil
}

// GetString is Get for a string key.
func (d *Dict[V]) GetString(key string) *V {
	if d.Len() == 0 {
		return nil
	}
	d.step(1)
	if e := d.find(d.hash(key), key); e != nil {
		return &e.val
	}
	return nil
}

// Entry returns the stored key string and value for key (the stored string can be shared by other tables
// without another copy).
func (d *Dict[V]) Entry(key []byte) (string, *V) {
	if d.Len() == 0 {
		return "", nil
	}
	d.step(1)
	if e := d.findBytes(d.hashBytes(key), key); e != nil {
		return e.key, &e.val
	}
	return "", nil
}

// Put stores val under key, replacing any old value; it returns a pointer to the stored value and whether
// the key was new.
func (d *Dict[V]) Put(key string, val V) (*V, bool) {
	d.step(1)
	h := d.hash(key)
	if e := d.find(h, key); e != nil {
		e.val = val
		return &e.val, false
	}
	if !d.rehashing() && d.used[0] >= len(d.ht[0]) {
		d.resize(2 * (d.used[0] + 1))
	}
	t := 0
	if d.rehashing() {
		t = 1
	}
	tab := d.ht[t]
	i := h & uint64(len(tab)-1)
	e := &entry[V]{key: key, val: val, next: tab[i]}
	tab[i] = e
	d.used[t]++
	return &e.val, true
}

// Delete removes key and reports whether it was there.
func (d *Dict[V]) Delete(key []byte) bool {
	if d.Len() == 0 {
		return false
	}
	d.step(1)
	h := d.hashBytes(key)
	for t := 0; t < 2; t++ {
		tab := d.ht[t]
		if len(tab) == 0 {
			continue
		}
		i := h & uint64(len(tab)-1)
		var prev *entry[V]
		for e := tab[i]; e != nil; prev, e = e, e.next {
			if e.key == string(key) {
				if prev == nil {
					tab[i] = e.next
				} else {
					prev.next = e.next
				}
				d.used[t]--
				d.maybeShrink()
				return true
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return false
}

func (d *Dict[V]) maybeShrink() {
	if d.rehashing() {
		return
	}
	if n := len(d.ht[0]); n > minBuckets && d.used[0]*8 < n {
		d.resize(d.used[0] * 2)
	}
}

// Clear removes every element.
func (d *Dict[V]) Clear() {
	d.ht = [2][]*entry[V]{}
	d.used = [2]int{}
	d.rehashIdx = -1
}

// Range calls fn for every element until it returns false. The table must not be modified during Range.
func (d *Dict[V]) Range(fn func(key string, val *V) bool) {
	for t := 0; t < 2; t++ {
		for _, e := range d.ht[t] {
			for ; e != nil; e = e.next {
				if !fn(e.key, &e.val) {
					return
				}
			}
		}
	}
}

// Scan calls fn for the elements of one or a few buckets starting at cursor and returns the next cursor,
// 0 when the iteration is complete. It uses Valkey's reverse-binary cursor so that resizing between calls
// neither skips elements nor restarts the iteration.
func (d *Dict[V]) Scan(cursor uint64, fn func(key string, val *V)) uint64 {
	if d.Len() == 0 {
		return 0
	}
	emit := func(e *entry[V]) {
		for ; e != nil; e = e.next {
			fn(e.key, &e.val)
		}
	}
	v := cursor
	if !d.rehashing() {
		m0 := uint64(len(d.ht[0]) - 1)
		emit(d.ht[0][v&m0])
		v |= ^m0
		v = bits.Reverse64(bits.Reverse64(v) + 1)
		return v
	}
	t0, t1 := d.ht[0], d.ht[1]
	if len(t0) > len(t1) {
		t0, t1 = t1, t0
	}
	m0, m1 := uint64(len(t0)-1), uint64(len(t1)-1)
	emit(t0[v&m0])
	for {
		emit(t1[v&m1])
		v |= ^m1
		v = bits.Reverse64(bits.Reverse64(v) + 1)
		if v&(m0^m1) == 0 {
			break
		}
	}
	return v
}

// Random returns a random element, or ok=false when the table is empty. Buckets are picked uniformly and
// then an element of the chain, which is what Valkey does too (close to uniform while chains are short).
func (d *Dict[V]) Random(rng *rand.Rand) (key string, val *V, ok bool) {
	if d.Len() == 0 {
		return "", nil, false
	}
	d.step(1)
	var e *entry[V]
	for e == nil {
		if d.rehashing() {
			// pick among buckets not yet moved and the new table
			n0, n1 := len(d.ht[0])-d.rehashIdx, len(d.ht[1])
			i := rng.IntN(n0 + n1)
			if i < n0 {
				e = d.ht[0][d.rehashIdx+i]
			} else {
				e = d.ht[1][i-n0]
			}
		} else {
			e = d.ht[0][rng.IntN(len(d.ht[0]))]
		}
	}
	n := 0
	for x := e; x != nil; x = x.next {
		n++
	}
	k := rng.IntN(n)
	for ; k > 0; k-- {
		e = e.next
	}
	return e.key, &e.val, true
}
