package keyspace

import "bytes"

// Sharing values with a snapshot.
//
// A point-in-time snapshot (BGSAVE, a replica's full sync, an AOF rewrite) copies the Object headers of
// every key while the executor is stopped and then encodes the values on another goroutine while commands
// keep running. The values themselves are not copied: a write command first replaces a shared value with a
// private copy (Unshare), so the snapshot's copy never changes under it. Reads never change a value, with
// one exception that Settle removes: a hash table in the middle of an incremental resize moves a bucket on
// every lookup. Settle finishes such a resize at capture time, and a table that is not resizing starts a
// new resize only on insert or delete, that is after Unshare.

// Settle finishes any incremental work inside the value so that reads of it change nothing.
func (o *Object) Settle() {
	switch v := o.Val.(type) {
	case *Hash:
		if v.dict != nil {
			v.dict.finishRehash()
		}
	case *Set:
		if v.dict != nil {
			v.dict.finishRehash()
		}
	case *ZSet:
		if v.dict != nil {
			v.dict.finishRehash()
		}
	}
}

// Unshare gives the object private storage: a deep copy of its value, so that changing it in place
// leaves the copy a snapshot holds as it was.
func (o *Object) Unshare() {
	if o.Str != nil {
		o.Str = bytes.Clone(o.Str)
	}
	if c, ok := o.Val.(interface{ Clone() any }); ok {
		o.Val = c.Clone()
	}
	o.SnapGen = 0
}

// finishRehash completes a pending resize at once.
func (d *Dict[V]) finishRehash() {
	for d.rehashing() {
		d.step(1 << 20)
	}
}

// View is a database's tables as they were when it was taken: a snapshot walks them while the database
// goes on. FLUSHDB and SWAPDB install or exchange tables rather than change them, so a View keeps walking
// the tables the snapshot started from.
type View struct {
	keys    *Dict[Object]
	expires *Dict[int64]
}

// View returns the database's current tables.
func (db *DB) View() View { return View{db.keys, db.expires} }

// Holds reports whether the database's current key table is v's.
func (db *DB) Holds(v View) bool { return db.keys == v.keys }

// Len is the number of keys of v's table now.
func (v View) Len() int { return v.keys.Len() }

// ExpiresLen is the number of keys with a time to live in v's tables now.
func (v View) ExpiresLen() int { return v.expires.Len() }

// Scan iterates v's keys from cursor like DB.Scan, with each key's expiry (-1 for none).
func (v View) Scan(cursor uint64, fn func(key string, obj *Object, expire int64)) uint64 {
	hasExpires := v.expires.Len() > 0
	return v.keys.Scan(cursor, func(key string, obj *Object) {
		exp := int64(-1)
		if hasExpires {
			if t := v.expires.GetString(key); t != nil {
				exp = *t
			}
		}
		fn(key, obj, exp)
	})
}

// SetHook installs (or, with nil, removes) the function called before every change to a key made through
// the DB's methods.
func (db *DB) SetHook(fn func(db *DB, key []byte)) { db.hook = fn }

// Reserve sizes an empty database's tables for about keys keys (expires of them with a time to live), as
// an RDB's RESIZEDB hint allows, so a load does not resize and rehash the tables as they fill.
func (db *DB) Reserve(keys, expires int) {
	if db.keys.Len() == 0 && keys > 0 {
		db.keys.resize(keys)
	}
	if db.expires.Len() == 0 && expires > 0 {
		db.expires.resize(expires)
	}
}

// AddNew stores obj under key like Add and reports whether the key was new (false: it replaced a value,
// which a loader treats as a duplicate key).
func (db *DB) AddNew(key []byte, obj Object) (*Object, bool) {
	if db.hook != nil {
		db.hook(db, key)
	}
	k := string(key)
	p, isNew := db.keys.Put(k, obj)
	if isNew && db.slots != nil {
		db.slots.add(k)
	}
	return p, isNew
}
