package keyspace

import (
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// Memory accounting.
//
// Every value type reports what it holds with an O(1) MemUsage, which its mutating methods keep current
// (a counter updated as buffers grow and entries come and go, or a capacity read where one slice holds it
// all). The server adds the cost of the key itself (KeyOverhead) and keeps a running total of the data
// set from the changes commands make, which is what used_memory and maxmemory eviction work from.
//
// The figures are what the Go allocator hands out for the structures the keyspace owns: slice and string
// capacities rounded up to the allocator's size classes, and the fixed size of entries and headers taken
// from the types themselves. They leave out what the runtime does not attribute to one object (free heap
// space, GC metadata), as Valkey's used_memory leaves out jemalloc's fragmentation.
//
// Hash-table bucket arrays are charged from the number of elements (the table size the resizing policy
// settles on), not from the arrays present at this instant: an incremental rehash finishes during reads,
// and a read must not change the accounting.

// sizeClasses are the Go allocator's size classes up to 32 KiB (runtime/sizeclasses.go); a larger
// allocation takes whole 8 KiB pages. A test checks them against what append actually allocates.
var sizeClasses = [...]int{
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384,
	416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072,
	3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568,
	14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768,
}

const (
	maxSmallClass = 32768
	allocPage     = 8192
)

// smallClass maps (n+7)/8 to the size class of n bytes for n <= 1024, so the common sizes need no search.
var smallClass = func() [1024/8 + 1]uint16 {
	var t [1024/8 + 1]uint16
	c := 0
	for i := range t {
		for sizeClasses[c] < i*8 {
			c++
		}
		t[i] = uint16(sizeClasses[c])
	}
	return t
}()

// AllocSize is the memory the allocator sets aside for an object of n bytes.
func AllocSize(n int) int {
	switch {
	case n <= 0:
		return 0
	case n <= 1024:
		return int(smallClass[(n+7)>>3])
	case n <= maxSmallClass:
		lo, hi := 0, len(sizeClasses)-1
		for lo < hi {
			mid := (lo + hi) / 2
			if sizeClasses[mid] >= n {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		return sizeClasses[lo]
	}
	return (n + allocPage - 1) / allocPage * allocPage
}

// The fixed sizes the accounting charges, from the types themselves so that they follow layout changes.
var (
	keyEntryBytes    = AllocSize(int(unsafe.Sizeof(entry[Object]{})))
	expireEntryBytes = AllocSize(int(unsafe.Sizeof(entry[int64]{})))
	fieldEntryBytes  = AllocSize(int(unsafe.Sizeof(entry[[]byte]{})))
	dictHeaderBytes  = AllocSize(int(unsafe.Sizeof(Dict[[]byte]{})))
	listHeaderBytes  = AllocSize(int(unsafe.Sizeof(List{})))
	listNodeBytes    = int(unsafe.Sizeof(listNode{}))
	hashHeaderBytes  = AllocSize(int(unsafe.Sizeof(Hash{})))
	dbBaseBytes      = AllocSize(int(unsafe.Sizeof(DB{}))) + AllocSize(int(unsafe.Sizeof(Dict[Object]{}))) +
		AllocSize(int(unsafe.Sizeof(Dict[int64]{})))
)

// tableBytes is the bucket array of a Dict of n elements, as the resizing policy sizes it while the table
// grows: a full table of L buckets is replaced by one of 4L, so the size is the smallest power of four
// (at least minBuckets) that holds n. A table that shrank after deletions may be up to half that; the
// estimate depends on n alone so that it does not change with reads.
func tableBytes(n int) int {
	if n <= 0 {
		return 0
	}
	size := minBuckets
	if n > minBuckets {
		k := bits.Len(uint(n - 1)) // 2^k >= n
		size = 1 << (k + k&1)      // round the exponent up to an even one: a power of four
	}
	return AllocSize(size * int(unsafe.Sizeof(uintptr(0))))
}

// hashFieldBytes is what one field of a hashtable-encoded hash holds: its entry, the field string and the
// value's buffer.
func hashFieldBytes(fieldLen, valueCap int) int {
	return fieldEntryBytes + AllocSize(fieldLen) + AllocSize(valueCap)
}

// memUser is a value that accounts for its own memory: every value type of this package.
type memUser interface{ MemUsage() int }

// memRecounter is a value that can recount its memory from scratch (tests and the consistency check).
type memRecounter interface{ memRecount() int }

var (
	_ memRecounter = (*List)(nil)
	_ memRecounter = (*Hash)(nil)
	_ memRecounter = (*Set)(nil)
	_ memRecounter = (*ZSet)(nil)
	_ memUser      = (*Set)(nil)
	_ memUser      = (*ZSet)(nil)
)

// MemUsage is the memory the value holds: a string's buffer, or the structure of the other kinds as their
// types account it. It is O(1) for every kind.
func (o *Object) MemUsage() int {
	n := AllocSize(cap(o.Str))
	switch v := o.Val.(type) {
	case nil:
	case *List:
		n += v.MemUsage()
	case *Hash:
		n += v.MemUsage()
	case *Set:
		n += v.MemUsage()
	case *ZSet:
		n += v.MemUsage()
	case memUser:
		n += v.MemUsage()
	}
	return n
}

// KeyOverhead is what a key costs besides its value: its entry in the keys table (which holds the Object
// header), the key string, and its entry in the expires table when it has a time to live.
func KeyOverhead(keyLen int, volatile bool) int {
	n := keyEntryBytes + AllocSize(keyLen)
	if volatile {
		n += expireEntryBytes
	}
	return n
}

// KeyMemUsage is the memory accounted to key, KeyOverhead and value together, or 0 when it does not exist
// (whether expired or not: the caller decides about expiry).
func (db *DB) KeyMemUsage(key []byte) int {
	o := db.keys.Get(key)
	if o == nil {
		return 0
	}
	volatile := db.expires.Len() > 0 && db.expires.Get(key) != nil
	return KeyOverhead(len(key), volatile) + o.MemUsage()
}

// BaseMemUsage is what an empty database costs: its header and its two empty tables.
func BaseMemUsage() int { return dbBaseBytes }

// TableOverhead is the memory of the database's two bucket arrays, from their element counts.
func (db *DB) TableOverhead() int { return tableBytes(db.keys.Len()) + tableBytes(db.expires.Len()) }

// EntryOverhead is the part of the keys' accounting that is table entries rather than data: one entry
// per key and one per time to live (what Valkey counts as overhead.hashtable.main and .expires).
func (db *DB) EntryOverhead() (main, expires int) {
	return db.keys.Len() * keyEntryBytes, db.expires.Len() * expireEntryBytes
}

// MemRecount adds up the accounting of every key from scratch: KeyOverhead plus each value's MemUsage,
// or with deep, each value recounted element by element where its type can (a consistency check for
// the incremental figures; O(size of the data set)). It changes nothing, not even a pending rehash.
func (db *DB) MemRecount(deep bool) int {
	total := 0
	hasExpires := db.expires.Len() > 0
	db.keys.Range(func(k string, o *Object) bool {
		volatile := hasExpires && db.expires.find(db.expires.hash(k), k) != nil
		total += KeyOverhead(len(k), volatile)
		if deep {
			total += o.memRecount()
		} else {
			total += o.MemUsage()
		}
		return true
	})
	return total
}

func (o *Object) memRecount() int {
	if r, ok := o.Val.(memRecounter); ok {
		return AllocSize(cap(o.Str)) + r.memRecount()
	}
	return o.MemUsage()
}

// ObjectOf returns the value of a key held as a string (an eviction candidate), or nil.
func (db *DB) ObjectOf(key string) *Object { return db.keys.GetString(key) }

// RandomObject samples one key and its value, or ok=false when the database is empty.
func (db *DB) RandomObject(rng *rand.Rand) (key string, obj *Object, ok bool) {
	return db.keys.Random(rng)
}

// Detached holds the tables FlushDetached took out of a database, so that a lazy free can drop them off
// the executor.
type Detached struct {
	keys    *Dict[Object]
	expires *Dict[int64]
}

// Keys is the number of keys the detached tables hold.
func (d *Detached) Keys() int { return d.keys.Len() }

// FlushDetached empties the database by giving it new tables and returns the old ones with their key
// count. Nothing else references the old tables once the caller lets go of them.
func (db *DB) FlushDetached() *Detached {
	d := &Detached{keys: db.keys, expires: db.expires}
	db.keys, db.expires = NewDict[Object](), NewDict[int64]()
	db.resetSlots()
	return d
}

// LazyFreeEffort estimates how many allocations freeing the value releases, the measure by which Valkey
// decides whether a lazy free is worth handing to its background thread (more than 64): the node count
// of a list, the element count of a hashtable or skiplist, 1 for a compact encoding or a string.
func (o *Object) LazyFreeEffort() int {
	switch v := o.Val.(type) {
	case *List:
		return v.NodeCount()
	case *Hash:
		if v.dict != nil {
			return v.Len()
		}
	case *Set:
		if v.IsHashtable() {
			return v.Len()
		}
	case *ZSet:
		if !v.IsListpack() {
			return v.Len()
		}
	}
	return 1
}

// take removes key and returns its value (one lookup where Get and Delete would take two).
func (d *Dict[V]) take(key []byte) (V, bool) {
	var zero V
	if d.Len() == 0 {
		return zero, false
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
				return e.val, true
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return zero, false
}

// ---- lists ---------------------------------------------------------------------------------------------

// recharge records that a node's buffer went from capacity before to its current one.
func (l *List) recharge(before int, n *listNode) {
	l.bufBytes += AllocSize(cap(n.buf)) - AllocSize(before)
}

// MemUsage is the memory the list holds: its header, the node array and every node's buffer (O(1)).
func (l *List) MemUsage() int {
	return listHeaderBytes + AllocSize(cap(l.arr)*listNodeBytes) + l.bufBytes
}

func (l *List) memRecount() int {
	n := listHeaderBytes + AllocSize(cap(l.arr)*listNodeBytes) + AllocSize(cap(l.spare))
	for i := 0; i < l.nodes(); i++ {
		n += l.node(i).MemUsage()
	}
	return n
}

// ---- hashes --------------------------------------------------------------------------------------------

// MemUsage is the memory the hash holds: the packed entries, or the hashtable's entries and buckets (O(1)).
func (h *Hash) MemUsage() int {
	if h.dict == nil {
		return hashHeaderBytes + h.lp.MemUsage()
	}
	return hashHeaderBytes + dictHeaderBytes + tableBytes(h.dict.Len()) + h.dictBytes
}

func (h *Hash) memRecount() int {
	if h.dict == nil {
		return hashHeaderBytes + h.lp.MemUsage()
	}
	n := hashHeaderBytes + dictHeaderBytes + tableBytes(h.dict.Len())
	h.dict.Range(func(k string, v *[]byte) bool {
		n += hashFieldBytes(len(k), cap(*v))
		return true
	})
	return n
}
