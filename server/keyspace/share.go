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
