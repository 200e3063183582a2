package keyspace

import (
	"math/rand/v2"
)

// Kind is the type of a value, as TYPE reports it.
type Kind uint8

// The value kinds.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

var kindNames = [...]string{"string", "list", "set", "zset", "hash", "stream"}

func (k Kind) String() string { return kindNames[k] }

// Object is one value. Strings keep their bytes in Str (mutable in place by APPEND and SETRANGE); the other
// kinds keep their structure in Val.
type Object struct {
	Str  []byte
	Val  any
	Kind Kind
	// Raw marks a string that was modified in place (APPEND, SETRANGE): Valkey reports it as "raw"
	// whatever its length.
	Raw bool
	// NoIntEnc marks a string stored without trying the integer encoding (INCRBYFLOAT results): Valkey
	// reports it as "embstr" or "raw" by length even when it reads as an integer.
	NoIntEnc bool
	// SnapGen is the generation of the snapshot that holds a copy of this object's header, so a write
	// must Unshare it first (share.go); 0 when no snapshot shares it.
	SnapGen uint8
	// LRU is the last access time in seconds of the server clock (OBJECT IDLETIME); with an LFU policy it
	// holds the access counter instead.
	LRU uint32
}

// DB is one numbered database: the keys and, for keys with a time to live, their expiry in Unix ms.
type DB struct {
	ID      int
	keys    *Dict[Object]
	expires *Dict[int64]
	// hook, while set, is called before any change to a key through these methods (share.go)
	hook func(db *DB, key []byte)
	// slots, in cluster mode, indexes the keys by hash slot (slotindex.go)
	slots *slotIndex
}

// NewDB returns an empty database.
func NewDB(id int) *DB {
	return &DB{ID: id, keys: NewDict[Object](), expires: NewDict[int64]()}
}

// Len is the number of keys, including ones that expired but were not reclaimed yet.
func (db *DB) Len() int { return db.keys.Len() }

// ExpiresLen is the number of keys with a time to live.
func (db *DB) ExpiresLen() int { return db.expires.Len() }

// Get returns the value of key without looking at its expiry, or nil.
func (db *DB) Get(key []byte) *Object { return db.keys.Get(key) }

// Expire returns the expiry of key in Unix ms, or -1 when it has none.
func (db *DB) Expire(key []byte) int64 {
	if db.expires.Len() == 0 {
		return -1
	}
	if t := db.expires.Get(key); t != nil {
		return *t
	}
	return -1
}

// ExpireOf is Expire for a key held as a string (iteration callbacks), without a conversion.
func (db *DB) ExpireOf(key string) int64 {
	if db.expires.Len() == 0 {
		return -1
	}
	if t := db.expires.GetString(key); t != nil {
		return *t
	}
	return -1
}

// Set stores obj under key and clears any expiry unless keepTTL; it returns the stored object.
func (db *DB) Set(key []byte, obj Object, keepTTL bool) *Object {
	if db.hook != nil {
		db.hook(db, key)
	}
	if !keepTTL && db.expires.Len() > 0 {
		db.expires.Delete(key)
	}
	if _, old := db.keys.Entry(key); old != nil {
		*old = obj
		return old
	}
	k := string(key)
	p, _ := db.keys.Put(k, obj)
	if db.slots != nil {
		db.slots.add(k)
	}
	return p
}

// Add stores obj under a key that must not exist, and returns the stored object.
func (db *DB) Add(key []byte, obj Object) *Object {
	if db.hook != nil {
		db.hook(db, key)
	}
	k := string(key)
	p, isNew := db.keys.Put(k, obj)
	if isNew && db.slots != nil {
		db.slots.add(k)
	}
	return p
}

// SetExpire sets the expiry of an existing key (Unix ms). It reports false if the key does not exist.
func (db *DB) SetExpire(key []byte, when int64) bool {
	if db.hook != nil {
		db.hook(db, key)
	}
	k, v := db.keys.Entry(key)
	if v == nil {
		return false
	}
	// the expires table shares the key string with the main table
	db.expires.Put(k, when)
	return true
}

// Persist removes the expiry of key and reports whether it had one.
func (db *DB) Persist(key []byte) bool {
	if db.expires.Len() == 0 {
		return false
	}
	if db.hook != nil {
		db.hook(db, key)
	}
	return db.expires.Delete(key)
}

// Delete removes key and reports whether it existed.
func (db *DB) Delete(key []byte) bool {
	if db.hook != nil {
		db.hook(db, key)
	}
	if !db.keys.Delete(key) {
		return false
	}
	if db.slots != nil {
		db.slots.remove(key)
	}
	if db.expires.Len() > 0 {
		db.expires.Delete(key)
	}
	return true
}

// Flush removes every key and returns how many there were.
func (db *DB) Flush() int {
	n := db.keys.Len()
	// new tables rather than clearing the old ones: a snapshot or a lazy free may still walk those
	db.keys = NewDict[Object]()
	db.expires = NewDict[int64]()
	db.resetSlots()
	return n
}

// Swap exchanges the contents of two databases (SWAPDB).
func (db *DB) Swap(other *DB) {
	db.keys, other.keys = other.keys, db.keys
	db.expires, other.expires = other.expires, db.expires
	// each index describes its table; a side without one gets one built for the table it receives
	switch {
	case db.slots != nil && other.slots != nil:
		db.slots, other.slots = other.slots, db.slots
	case db.slots != nil:
		db.EnableSlotIndex(db.slots.slotOf)
	case other.slots != nil:
		other.EnableSlotIndex(other.slots.slotOf)
	}
}

// Scan iterates the keys from cursor, see Dict.Scan.
func (db *DB) Scan(cursor uint64, fn func(key string, obj *Object)) uint64 {
	return db.keys.Scan(cursor, fn)
}

// Range calls fn for every key until it returns false; the database must not change meanwhile.
func (db *DB) Range(fn func(key string, obj *Object) bool) { db.keys.Range(fn) }

// RandomKey returns a random key (possibly one that has expired but is not reclaimed yet).
func (db *DB) RandomKey(rng *rand.Rand) (string, bool) {
	k, _, ok := db.keys.Random(rng)
	return k, ok
}

// RandomExpiring samples one key that has a time to live, for the active expiry cycle.
func (db *DB) RandomExpiring(rng *rand.Rand) (key string, when int64, ok bool) {
	k, v, ok := db.expires.Random(rng)
	if !ok {
		return "", 0, false
	}
	return k, *v, true
}

// ScanExpires iterates the keys with a time to live from cursor.
func (db *DB) ScanExpires(cursor uint64, fn func(key string, when int64)) uint64 {
	return db.expires.Scan(cursor, func(k string, v *int64) { fn(k, *v) })
}

// Rehash advances any pending resize of the tables a little.
func (db *DB) Rehash() {
	db.keys.RehashStep()
	db.expires.RehashStep()
}
