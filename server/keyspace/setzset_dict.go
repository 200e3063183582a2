package keyspace

// Table operations for SADD and ZADD, which look a member up and insert it when it is missing: Get then
// Put hashes the member twice and walks its chain twice. lookupBytes returns the hash along with the
// answer, and insertNew links a new key under that hash directly. On a large set the lookup is mostly
// cache misses and the second walk is cheap, but the hashing and the call overhead are a fair part of
// what is left of SADD once the member is found missing.

// lookupBytes returns key's hash and its entry, or nil when it is absent. Like Get it does a step of a
// pending rehash.
func (d *Dict[V]) lookupBytes(key []byte) (uint64, *entry[V]) {
	h := d.hashBytes(key)
	if d.Len() == 0 {
		return h, nil
	}
	d.step(1)
	return h, d.findBytes(h, key)
}

// insertNew stores val under key, whose hash is h and which the caller found absent (with nothing
// inserted since): Put without the second hash and lookup. It does its step of a pending rehash as Put
// does: a rehash that advanced only with the lookups would last twice as long, and while it lasts every
// lookup of a missing member probes both tables.
func (d *Dict[V]) insertNew(h uint64, key string, val V) *V {
	d.step(1)
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
	return &e.val
}
