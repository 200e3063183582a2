package keyspace

// listNode is one chunk of a List: its elements packed back to back in one byte slice, so that a list of
// small elements costs a few bytes per element and almost no pointers for the garbage collector.
//
// An entry is the element's length as a uvarint, the element's bytes, then the same uvarint written
// backwards, so the node can be walked from either end. Entries occupy buf[off:]; the room before off
// lets elements be added at the front without moving the others.
type listNode struct {
	buf []byte
	off int32
	n   int32 // number of entries
	// sz is the size in bytes the same elements would take in a Valkey listpack. Valkey's thresholds
	// (list-max-listpack-size) are defined on that size, so it is tracked to convert between the
	// listpack and quicklist encodings exactly where Valkey does.
	sz int32
	// plain marks a node holding one element too large to share a node (Valkey's PLAIN container).
	plain bool
}

// listLpEmpty is the size of an empty listpack: a 6-byte header and the end marker.
const listLpEmpty = 7

func listUvarintLen(x int) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// listEntrySize is the bytes an element of length l takes in a node.
func listEntrySize(l int) int { return 2*listUvarintLen(l) + l }

// listPutEntry writes v as an entry at b[0:listEntrySize(len(v))].
func listPutEntry(b []byte, v []byte) {
	l := len(v)
	k := 0
	for x := l; ; k++ {
		if x < 0x80 {
			b[k] = byte(x)
			break
		}
		b[k] = byte(x) | 0x80
		x >>= 7
	}
	k++
	copy(b[k:], v)
	// the trailer is the header reversed: its last byte is the header's first
	for i := 0; i < k; i++ {
		b[k+l+k-1-i] = b[i]
	}
}

// entryAt decodes the entry starting at pos: the element and the position of the next entry.
func (n *listNode) entryAt(pos int) ([]byte, int) {
	b := n.buf
	if c := b[pos]; c < 0x80 {
		// an element shorter than 128 bytes: one length byte on each side
		end := pos + 1 + int(c)
		return b[pos+1 : end : end], end + 1
	}
	l, shift, i := 0, 0, pos
	for {
		c := b[i]
		i++
		l |= int(c&0x7f) << shift
		if c < 0x80 {
			break
		}
		shift += 7
	}
	k := i - pos
	return b[i : i+l : i+l], i + l + k
}

// entryBefore decodes the entry ending at end: the element and the position where the entry starts.
func (n *listNode) entryBefore(end int) ([]byte, int) {
	b := n.buf
	if c := b[end-1]; c < 0x80 {
		start := end - 2 - int(c)
		return b[start+1 : end-1 : end-1], start
	}
	l, shift, i := 0, 0, end-1
	for {
		c := b[i]
		l |= int(c&0x7f) << shift
		if c < 0x80 {
			break
		}
		shift += 7
		i--
	}
	k := end - i
	start := end - k - l - k
	return b[start+k : start+k+l : start+k+l], start
}

// seek returns the position of entry i (0 <= i <= n; i == n is the end), walking from the nearer end.
func (n *listNode) seek(i int) int {
	if i <= int(n.n)/2 {
		pos := int(n.off)
		for ; i > 0; i-- {
			_, pos = n.entryAt(pos)
		}
		return pos
	}
	pos := len(n.buf)
	for j := int(n.n); j > i; j-- {
		_, pos = n.entryBefore(pos)
	}
	return pos
}

// reserveFront makes room for need bytes before off.
func (n *listNode) reserveFront(need int) {
	if int(n.off) >= need {
		return
	}
	live := len(n.buf) - int(n.off)
	if free := cap(n.buf) - live; free >= need && free >= live/2 {
		// reuse the room left by elements popped at the back: move the entries to the end of the buffer
		end := cap(n.buf)
		copy(n.buf[end-live:end], n.buf[n.off:])
		n.buf, n.off = n.buf[:end], int32(end-live)
		return
	}
	front := max(need, live, 16)
	nb := make([]byte, front+live)
	copy(nb[front:], n.buf[n.off:])
	n.buf, n.off = nb, int32(front)
}

// reserveBack makes room for need bytes after the last entry, reclaiming the space of entries popped at
// the front rather than copying it along.
func (n *listNode) reserveBack(need int) {
	if cap(n.buf)-len(n.buf) >= need {
		return
	}
	live := len(n.buf) - int(n.off)
	if n.off > 0 && live+need <= cap(n.buf) && int(n.off) >= live {
		copy(n.buf, n.buf[n.off:])
		n.buf, n.off = n.buf[:live], 0
		return
	}
	nb := make([]byte, live, max(2*(live+need), 16))
	copy(nb, n.buf[n.off:])
	n.buf, n.off = nb, 0
}

func (n *listNode) pushFront(v []byte) {
	es := listEntrySize(len(v))
	n.reserveFront(es)
	n.off -= int32(es)
	listPutEntry(n.buf[n.off:], v)
	n.n++
	n.sz += int32(listLpEntrySize(v))
}

func (n *listNode) pushBack(v []byte) {
	es := listEntrySize(len(v))
	n.reserveBack(es)
	end := len(n.buf)
	n.buf = n.buf[:end+es]
	listPutEntry(n.buf[end:], v)
	n.n++
	n.sz += int32(listLpEntrySize(v))
}

// popFront removes the first entry. The element stays readable until the node is next modified.
func (n *listNode) popFront() []byte {
	v, next := n.entryAt(int(n.off))
	n.off = int32(next)
	n.n--
	n.sz -= int32(listLpEntrySize(v))
	if n.n == 0 {
		n.off = 0
		n.buf = n.buf[:0]
	}
	return v
}

// popBack removes the last entry. The element stays readable until the node is next modified.
func (n *listNode) popBack() []byte {
	v, start := n.entryBefore(len(n.buf))
	n.buf = n.buf[:start]
	n.n--
	n.sz -= int32(listLpEntrySize(v))
	return v
}

// insertAt inserts v as a new entry at byte position pos, moving whichever side is cheaper to move. The
// caller has reserved listEntrySize(len(v)) bytes at the back.
func (n *listNode) insertAt(pos int, v []byte) {
	es := listEntrySize(len(v))
	if pos-int(n.off) <= len(n.buf)-pos && int(n.off) >= es {
		// shift the entries before pos towards the front
		start := int(n.off)
		copy(n.buf[start-es:], n.buf[start:pos])
		n.off -= int32(es)
		pos -= es
	} else {
		end := len(n.buf)
		n.buf = n.buf[:end+es]
		copy(n.buf[pos+es:], n.buf[pos:end])
	}
	listPutEntry(n.buf[pos:], v)
	n.n++
	n.sz += int32(listLpEntrySize(v))
}

// insertIndex inserts v so that it becomes entry i (0 <= i <= n).
func (n *listNode) insertIndex(i int, v []byte) {
	switch {
	case i == 0:
		n.pushFront(v)
	case i == int(n.n):
		n.pushBack(v)
	default:
		n.reserveBack(listEntrySize(len(v))) // may move the entries: seek afterwards
		n.insertAt(n.seek(i), v)
	}
}

// deleteSpan removes the entries between byte positions from and to, which hold cnt entries of lpSize
// listpack bytes.
func (n *listNode) deleteSpan(from, to, cnt, lpSize int) {
	if from == int(n.off) {
		n.off = int32(to)
	} else {
		copy(n.buf[from:], n.buf[to:])
		n.buf = n.buf[:len(n.buf)-(to-from)]
	}
	n.n -= int32(cnt)
	n.sz -= int32(lpSize)
	if n.n == 0 {
		n.off = 0
		n.buf = n.buf[:0]
	}
}

// deleteRange removes cnt entries starting at entry i.
func (n *listNode) deleteRange(i, cnt int) {
	from := n.seek(i)
	to, lps := from, 0
	for j := 0; j < cnt; j++ {
		var v []byte
		v, to = n.entryAt(to)
		lps += listLpEntrySize(v)
	}
	n.deleteSpan(from, to, cnt, lps)
}

// replaceIndex replaces entry i with v.
func (n *listNode) replaceIndex(i int, v []byte) {
	pos := n.seek(i)
	old, next := n.entryAt(pos)
	if listEntrySize(len(old)) == listEntrySize(len(v)) {
		n.sz += int32(listLpEntrySize(v) - listLpEntrySize(old))
		listPutEntry(n.buf[pos:], v)
		return
	}
	n.deleteSpan(pos, next, 1, listLpEntrySize(old))
	n.insertIndex(i, v)
}

// split moves the entries from i on into a new node and returns it.
func (n *listNode) split(i int) listNode {
	pos := n.seek(i)
	right := listNode{n: n.n - int32(i)}
	right.buf = append([]byte(nil), n.buf[pos:]...)
	right.sz = listLpEmpty
	for p := 0; p < len(right.buf); {
		var v []byte
		v, p = right.entryAt(p)
		right.sz += int32(listLpEntrySize(v))
	}
	n.buf = n.buf[:pos]
	n.n = int32(i)
	n.sz -= right.sz - listLpEmpty
	if n.n == 0 {
		n.off = 0
		n.buf = n.buf[:0]
	}
	return right
}

// appendNode appends the entries of o.
func (n *listNode) appendNode(o *listNode) {
	live := o.buf[o.off:]
	n.reserveBack(len(live))
	n.buf = append(n.buf, live...)
	n.n += o.n
	n.sz += o.sz - listLpEmpty
}

func (n *listNode) clone() listNode {
	c := *n
	c.buf = append([]byte(nil), n.buf[n.off:]...)
	c.off = 0
	return c
}

// ListpackEntrySize is the size of v as a Valkey listpack entry (the RDB code sizes quicklist nodes with
// the same rule the lists use).
func ListpackEntrySize(v []byte) int { return listLpEntrySize(v) }

// listLpEntrySize is the size of v as a Valkey listpack entry: strings that read as 64-bit integers are stored
// as integers (1 to 9 bytes), other strings with a 1, 2 or 5 byte length header; then the back-length.
func listLpEntrySize(v []byte) int {
	var l int
	if x, ok := listLpInt(v); ok {
		switch {
		case x >= 0 && x <= 127:
			l = 1
		case x >= -4096 && x <= 4095:
			l = 2
		case x >= -32768 && x <= 32767:
			l = 3
		case x >= -8388608 && x <= 8388607:
			l = 4
		case x >= -2147483648 && x <= 2147483647:
			l = 5
		default:
			l = 9
		}
	} else {
		switch n := len(v); {
		case n < 64:
			l = 1 + n
		case n < 4096:
			l = 2 + n
		default:
			l = 5 + n
		}
	}
	switch {
	case l <= 127:
		return l + 1
	case l < 16383:
		return l + 2
	case l < 2097151:
		return l + 3
	case l < 268435455:
		return l + 4
	}
	return l + 5
}

// listLpInt parses v as a listpack stores integers: a canonical decimal int64 (no sign but '-', no leading
// zeros, at most 20 characters).
func listLpInt(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 20 {
		return 0, false
	}
	if len(v) == 1 && v[0] == '0' {
		return 0, true
	}
	neg := v[0] == '-'
	d := v
	if neg {
		d = v[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		dig := uint64(c - '0')
		if u > (1<<64-1-dig)/10 {
			return 0, false
		}
		u = u*10 + dig
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// MemUsage is the memory of the node's buffer, free room at either end included (O(1)).
func (n *listNode) MemUsage() int { return AllocSize(cap(n.buf)) }
