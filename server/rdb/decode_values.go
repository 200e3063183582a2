package rdb

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/rdb/blobs"
)

// readObject reads the value of type t stored under key. empty reports a collection with no elements,
// which Valkey skips at load.
//
// The encoding of the result follows what Valkey does when it loads each type: plain collections are
// built element by element and convert at the same thresholds as the commands; compact blobs (listpack,
// ziplist, intset) keep their compact encoding unless they hold more entries than the limit allows,
// whatever the length of their elements.
func (d *Decoder) readObject(t byte, key []byte) (obj keyspace.Object, empty bool, err error) {
	switch t {
	case typeString:
		s, err := d.readString(nil)
		if err != nil {
			return obj, false, err
		}
		if s == nil {
			s = []byte{}
		}
		return keyspace.Object{Kind: keyspace.KindString, Str: s}, false, nil
	case typeList, typeListZiplist, typeListQuicklist, typeListQuicklist2:
		l, err := d.readList(t)
		if err != nil || l.Len() == 0 {
			return obj, err == nil, err
		}
		return keyspace.Object{Kind: keyspace.KindList, Val: l}, false, nil
	case typeSet, typeSetIntset, typeSetListpack:
		s, err := d.readSet(t)
		if err != nil || s.Len() == 0 {
			return obj, err == nil, err
		}
		return keyspace.Object{Kind: keyspace.KindSet, Val: s}, false, nil
	case typeHash, typeHashZipmap, typeHashZiplist, typeHashListpack:
		h, err := d.readHash(t)
		if err != nil || h.Len() == 0 {
			return obj, err == nil, err
		}
		return keyspace.Object{Kind: keyspace.KindHash, Val: h}, false, nil
	case typeZSet, typeZSet2, typeZSetZiplist, typeZSetListpack:
		z, err := d.readZSet(t)
		if err != nil || z.Len() == 0 {
			return obj, err == nil, err
		}
		return keyspace.Object{Kind: keyspace.KindZSet, Val: z}, false, nil
	case typeStreamListpacks, typeStreamListpack2, typeStreamListpack3:
		if err := d.skipStream(t); err != nil {
			return obj, false, err
		}
		d.inSync = true
		if key == nil {
			return obj, false, d.errorf("stream values are not supported yet")
		}
		return obj, false, d.errorf("stream value for key %s is not supported yet", describeKey(key))
	case typeModulePreGA, typeModule2:
		if key == nil {
			return obj, false, d.errorf("module values are not supported")
		}
		return obj, false, d.errorf("module value for key %s is not supported (no module support)", describeKey(key))
	}
	return obj, false, d.errorf("unknown value type %d", t)
}

// elem renders a blob element as bytes: integers in decimal in a scratch buffer, strings as they are
// (aliasing the blob). Either is only valid until the next element.
func (d *Decoder) elem(s []byte, n int64, isInt bool) []byte {
	if isInt {
		return strconv.AppendInt(d.num[:0], n, 10)
	}
	if s == nil {
		return []byte{}
	}
	return s
}

// readBlob reads a string holding a compact container into the decoder's blob buffer.
func (d *Decoder) readBlob() ([]byte, error) {
	b, err := d.readString(d.blob[:0])
	if err != nil {
		return nil, err
	}
	d.blob = b
	return b, nil
}

// blobErr reports a malformed compact container.
func (d *Decoder) blobErr(what string, err error) error {
	if _, ok := err.(*FormatError); ok {
		return err
	}
	return d.errorf("invalid %s: %v", what, err)
}

// readList reads the list types: LIST (strings), LIST_ZIPLIST (one ziplist), LIST_QUICKLIST (ziplist
// nodes) and LIST_QUICKLIST_2 (listpack or plain nodes).
func (d *Decoder) readList(t byte) (*keyspace.List, error) {
	lb := newListBuilder(d.lim.ListFill)
	push := func(s []byte, n int64, isInt bool) error {
		lb.push(d.elem(s, n, isInt))
		return nil
	}
	switch t {
	case typeList:
		n, err := d.readCount()
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			v, err := d.readString(d.sa[:0])
			if err != nil {
				return nil, err
			}
			d.sa = v
			lb.push(v)
		}
	case typeListZiplist:
		b, err := d.readBlob()
		if err != nil {
			return nil, err
		}
		if err := blobs.ZiplistIterate(b, push); err != nil {
			return nil, d.blobErr("ziplist", err)
		}
	case typeListQuicklist, typeListQuicklist2:
		nodes, err := d.readCount()
		if err != nil {
			return nil, err
		}
		for i := 0; i < nodes; i++ {
			container := uint64(containerPacked)
			if t == typeListQuicklist2 {
				if container, err = d.readLen(); err != nil {
					return nil, err
				}
				if container != containerPacked && container != containerPlain {
					return nil, d.errorf("quicklist node container %d unknown", container)
				}
			}
			b, err := d.readBlob()
			if err != nil {
				return nil, err
			}
			switch {
			case container == containerPlain:
				lb.node(true)
				lb.push(b)
			default:
				if err := d.iterNode(lb, b, t == typeListQuicklist); err != nil {
					return nil, err
				}
			}
		}
	}
	return lb.l, nil
}

// iterNode appends the elements of one packed quicklist node; empty nodes are skipped, as Valkey does.
func (d *Decoder) iterNode(lb *listBuilder, b []byte, isZiplist bool) error {
	first := true
	err := iterBlob(b, isZiplist, func(s []byte, n int64, isInt bool) error {
		if first {
			lb.node(false)
			first = false
		}
		lb.push(d.elem(s, n, isInt))
		return nil
	})
	if err != nil {
		return d.blobErr(blobName(isZiplist), err)
	}
	return nil
}

// iterBlob walks a ziplist or a listpack. It calls the iterator statically, so that fn (a closure over
// the caller's state) need not be allocated on the heap.
func iterBlob(b []byte, isZiplist bool, fn func(s []byte, n int64, isInt bool) error) error {
	if isZiplist {
		return blobs.ZiplistIterate(b, fn)
	}
	return blobs.ListpackIterate(b, fn)
}

func blobName(isZiplist bool) string {
	if isZiplist {
		return "ziplist"
	}
	return "listpack"
}

// hintAbove is a size hint that makes a compact collection convert (it exceeds limit) without sizing a
// table by a count read from the input: the table grows as members actually arrive.
func hintAbove(n, limit int) int {
	if n <= limit {
		return n
	}
	return limit + 1
}

// readSet reads SET (strings), SET_INTSET and SET_LISTPACK.
func (d *Decoder) readSet(t byte) (*keyspace.Set, error) {
	lim := d.lim.Set
	switch t {
	case typeSet:
		n, err := d.readCount()
		if err != nil {
			return nil, err
		}
		// Valkey starts an intset unless there are too many members for one, then converts as a
		// non-integer or a long member arrives: what Set.Add does
		s := keyspace.NewIntset()
		s.MaybeConvert(hintAbove(n, lim.IntsetEntries), lim)
		for i := 0; i < n; i++ {
			m, err := d.readString(d.sa[:0])
			if err != nil {
				return nil, err
			}
			d.sa = m
			if !s.Add(m, lim) {
				return nil, d.errorf("duplicate set members detected")
			}
		}
		return s, nil
	case typeSetIntset:
		b, err := d.readBlob()
		if err != nil {
			return nil, err
		}
		ints := d.ints[:0]
		if err := blobs.IntsetIterate(b, func(n int64) error {
			ints = append(ints, n)
			return nil
		}); err != nil {
			return nil, d.blobErr("intset", err)
		}
		d.ints = ints
		s := keyspace.NewIntset()
		s.MaybeConvert(hintAbove(len(ints), min(lim.IntsetEntries, 1<<30)), lim)
		for _, n := range ints {
			if !s.Add(strconv.AppendInt(d.num[:0], n, 10), lim) {
				return nil, d.errorf("duplicate intset members detected")
			}
		}
		return s, nil
	default:
		b, err := d.readBlob()
		if err != nil {
			return nil, err
		}
		n, err := blobs.ListpackLen(b)
		if err != nil {
			return nil, d.blobErr("set listpack", err)
		}
		// a listpack stays one (whatever its members) unless it has too many of them
		s := keyspace.NewListpackSet()
		s.MaybeConvert(hintAbove(n, lim.ListpackEntries), lim)
		keep := keyspace.SetLimits{IntsetEntries: lim.IntsetEntries, ListpackEntries: math.MaxInt, ListpackValue: math.MaxInt}
		err = blobs.ListpackIterate(b, func(v []byte, x int64, isInt bool) error {
			if !s.Add(d.elem(v, x, isInt), keep) {
				return d.errorf("duplicate set members detected")
			}
			return nil
		})
		if err != nil {
			return nil, d.blobErr("set listpack", err)
		}
		return s, nil
	}
}

// readHash reads HASH (strings), HASH_ZIPMAP, HASH_ZIPLIST and HASH_LISTPACK.
func (d *Decoder) readHash(t byte) (*keyspace.Hash, error) {
	lim := d.lim.Hash
	h := keyspace.NewHash()
	dup := func() error { return d.errorf("duplicate hash fields detected") }
	switch t {
	case typeHash:
		n, err := d.readCount()
		if err != nil {
			return nil, err
		}
		h.Prepare(n, lim)
		for i := 0; i < n; i++ {
			f, err := d.readString(d.sa[:0])
			if err != nil {
				return nil, err
			}
			d.sa = f
			v, err := d.readString(d.sb[:0])
			if err != nil {
				return nil, err
			}
			d.sb = v
			if !h.Set(f, v, lim) {
				return nil, dup()
			}
		}
		return h, nil
	case typeHashZipmap:
		b, err := d.readBlob()
		if err != nil {
			return nil, err
		}
		// Valkey checks both the count and the longest field or value for a zipmap
		err = blobs.ZipmapIterate(b, func(f, v []byte) error {
			if !h.Set(f, v, lim) {
				return dup()
			}
			return nil
		})
		if err != nil {
			return nil, d.blobErr("zipmap", err)
		}
		return h, nil
	}
	b, err := d.readBlob()
	if err != nil {
		return nil, err
	}
	zl := t == typeHashZiplist
	what := "hash " + blobName(zl)
	n := 0
	if err := iterBlob(b, zl, func([]byte, int64, bool) error { n++; return nil }); err != nil {
		return nil, d.blobErr(what, err)
	}
	if n%2 != 0 {
		return nil, d.errorf("invalid %s: odd number of elements %d", what, n)
	}
	// the compact form is kept unless there are too many fields, however long they are
	h.Prepare(n/2, lim)
	keep := keyspace.HashLimits{Entries: lim.Entries, Value: math.MaxInt}
	var field []byte
	odd := false
	err = iterBlob(b, zl, func(s []byte, x int64, isInt bool) error {
		e := d.elem(s, x, isInt)
		if !odd {
			field = append(d.sa[:0], e...)
			d.sa = field
			odd = true
			return nil
		}
		odd = false
		if !h.Set(field, e, keep) {
			return d.errorf("duplicate hash fields detected")
		}
		return nil
	})
	if err != nil {
		return nil, d.blobErr(what, err)
	}
	return h, nil
}

// readZSet reads ZSET (text scores), ZSET_2 (binary scores), ZSET_ZIPLIST and ZSET_LISTPACK.
func (d *Decoder) readZSet(t byte) (*keyspace.ZSet, error) {
	lim := d.lim.ZSet
	if t == typeZSet || t == typeZSet2 {
		n, err := d.readCount()
		if err != nil {
			return nil, err
		}
		if n > lim.Entries {
			// too many for the compact form whatever the members: build the skip list as they come
			z := keyspace.NewZSet(true)
			for i := 0; i < n; i++ {
				m, score, err := d.readZEntry(t)
				if err != nil {
					return nil, err
				}
				if _, ok := z.Score(m); ok {
					return nil, d.errorf("duplicate zset members detected")
				}
				z.Insert(string(m), score)
			}
			return z, nil
		}
		entries := make([]keyspace.ZEntry, 0, n)
		maxLen := 0
		for i := 0; i < n; i++ {
			m, score, err := d.readZEntry(t)
			if err != nil {
				return nil, err
			}
			maxLen = max(maxLen, len(m))
			entries = append(entries, keyspace.ZEntry{Member: string(m), Score: score})
		}
		if hasDupMembers(entries) {
			return nil, d.errorf("duplicate zset members detected")
		}
		return keyspace.NewZSetFrom(entries, !lim.Fits(len(entries), maxLen)), nil
	}
	b, err := d.readBlob()
	if err != nil {
		return nil, err
	}
	zl := t == typeZSetZiplist
	what := "zset " + blobName(zl)
	var entries []keyspace.ZEntry
	var member string
	odd := false
	err = iterBlob(b, zl, func(s []byte, x int64, isInt bool) error {
		if !odd {
			member = string(d.elem(s, x, isInt))
			odd = true
			return nil
		}
		odd = false
		score := float64(x)
		if !isInt {
			f, ok := parseScore(s)
			if !ok || math.IsNaN(f) {
				return d.errorf("invalid %s: score %q of member %q is not a number", what, s, member)
			}
			score = f
		}
		entries = append(entries, keyspace.ZEntry{Member: member, Score: score})
		return nil
	})
	if err != nil {
		return nil, d.blobErr(what, err)
	}
	if odd {
		return nil, d.errorf("invalid %s: odd number of elements", what)
	}
	if hasDupMembers(entries) {
		return nil, d.errorf("duplicate zset members detected")
	}
	// the compact form is kept unless there are too many members, however long they are
	return keyspace.NewZSetFrom(entries, len(entries) > lim.Entries), nil
}

// readZEntry reads a member (in the scratch buffer) and its score: binary for ZSET_2, text for ZSET.
func (d *Decoder) readZEntry(t byte) ([]byte, float64, error) {
	m, err := d.readString(d.sa[:0])
	if err != nil {
		return nil, 0, err
	}
	d.sa = m
	var score float64
	if t == typeZSet2 {
		b, err := d.rd.next(8)
		if err != nil {
			return nil, 0, err
		}
		score = math.Float64frombits(binary.LittleEndian.Uint64(b))
	} else {
		if score, err = d.readTextDouble(); err != nil {
			return nil, 0, err
		}
	}
	if math.IsNaN(score) {
		return nil, 0, d.errorf("zset with NAN score detected")
	}
	return m, score, nil
}

// readTextDouble reads the old text form of a double: a length byte (253 NaN, 254 +inf, 255 -inf) and
// that many ASCII characters.
func (d *Decoder) readTextDouble() (float64, error) {
	c, err := d.rd.readByte()
	if err != nil {
		return 0, err
	}
	switch c {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := d.rd.next(int(c))
	if err != nil {
		return 0, err
	}
	f, ok := parseScore(b)
	if !ok {
		return 0, d.errorf("invalid double value %q", b)
	}
	return f, nil
}

// parseScore reads a score stored as text (strtod's syntax, which Go's ParseFloat covers, including
// "inf" and "nan").
func parseScore(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		// ParseFloat reports out-of-range values as ±Inf with an error, as strtod does with ERANGE
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// hasDupMembers reports whether two entries have the same member.
func hasDupMembers(entries []keyspace.ZEntry) bool {
	if len(entries) <= 16 {
		for i := range entries {
			for j := i + 1; j < len(entries); j++ {
				if entries[i].Member == entries[j].Member {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(entries))
	for _, e := range entries {
		if _, ok := seen[e.Member]; ok {
			return true
		}
		seen[e.Member] = struct{}{}
	}
	return false
}
