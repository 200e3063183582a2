package keyspace

import (
	"bytes"
	"math"
)

// List is a list value: a deque of byte strings kept in packed nodes (see listNode). Pushing and popping
// at either end is O(1) amortised; reaching element i walks the nodes from the nearer end and then one
// node, like Valkey's quicklist.
//
// A list is in one of Valkey's two encodings, which OBJECT ENCODING reports and which decide how elements
// are grouped into nodes:
//   - listpack: a single node with no size limit of its own; the command layer converts the list to a
//     quicklist (PrepareAppend) before it would outgrow list-max-listpack-size;
//   - quicklist: nodes that each stay within the limit given by fill (list-max-listpack-size when the list
//     became a quicklist); an element larger than the limit gets a node of its own (a "plain" node). A
//     quicklist that has shrunk to a single packed node below half the limit goes back to listpack
//     (TryShrink).
//
// List is not safe for concurrent use. Elements returned by its methods alias its memory: they are valid
// until the list is next modified.
type List struct {
	arr    []listNode // the nodes are arr[lo:hi]
	lo, hi int32
	fill   int32
	quick  bool
	count  int
	// spare is the buffer of the last node a quicklist dropped, reused for the next node it creates, so
	// that a queue (push at one end, pop at the other) does not allocate in the steady state.
	spare []byte
	// bufBytes is the allocated size of every node buffer and of spare, kept up to date by each change
	// so that MemUsage is O(1) (memusage.go).
	bufBytes int
}

// NewList returns an empty list in the listpack encoding.
func NewList() *List { return &List{} }

// Len is the number of elements.
func (l *List) Len() int { return l.count }

// Encoding is the encoding name OBJECT ENCODING reports: "listpack" or "quicklist".
func (l *List) Encoding() string {
	if l.quick {
		return "quicklist"
	}
	return "listpack"
}

// NodeCount is the number of nodes (1 or 0 for a listpack), for introspection and tests.
func (l *List) NodeCount() int { return l.nodes() }

// Valkey's node size limits for negative list-max-listpack-size values (-1 to -5), and the size no node
// grows beyond with a count limit.
var listSizeLevels = [...]int{4096, 8192, 16384, 32768, 65536}

const (
	listSizeSafety = 8192
	// listSizeOverhead is what Valkey adds to an element's length when it estimates whether the
	// element fits in a node.
	listSizeOverhead = 8
)

// listNodeLimits is the byte and entry limit of a node for a list-max-listpack-size value.
func listNodeLimits(fill int) (size, count int) {
	if fill >= 0 {
		return math.MaxInt, max(fill, 1)
	}
	lvl := min(-fill-1, len(listSizeLevels)-1)
	return listSizeLevels[lvl], math.MaxInt
}

// listExceeds reports whether a node of sz listpack bytes and count entries is over the limit.
func listExceeds(fill, sz, count int) bool {
	szLimit, countLimit := listNodeLimits(fill)
	if fill < 0 {
		return sz > szLimit
	}
	return sz > listSizeSafety || count > countLimit
}

// listIsLarge reports whether an element of length n gets a plain node of its own.
func listIsLarge(n, fill int) bool {
	if fill >= 0 {
		return n > listSizeSafety
	}
	szLimit, _ := listNodeLimits(fill)
	return n > szLimit
}

// PrepareAppend converts a listpack to a quicklist when adding count elements of total length bytes
// would take it over the limit of fill (list-max-listpack-size). Commands call it before they add
// elements, as Valkey does.
func (l *List) PrepareAppend(fill, bytes, count int) {
	if l.quick {
		return
	}
	sz := listLpEmpty
	if l.nodes() > 0 {
		sz = int(l.node(0).sz)
	}
	if listExceeds(fill, sz+bytes, l.count+count) {
		l.quick = true
		l.fill = int32(fill)
	}
}

// TryShrink converts a quicklist back to a listpack when it is a single packed node within half the limit
// of fill: the half keeps a list that hovers around the limit from converting back and forth.
func (l *List) TryShrink(fill int) {
	if !l.quick || l.nodes() != 1 || l.node(0).plain {
		return
	}
	szLimit, countLimit := listNodeLimits(fill)
	if int(l.node(0).sz) > szLimit/2 || l.count > countLimit/2 {
		return
	}
	l.quick = false
}

func (l *List) nodes() int { return int(l.hi - l.lo) }

func (l *List) node(i int) *listNode { return &l.arr[int(l.lo)+i] }

// insertNode makes nd node number i (0 <= i <= nodes).
func (l *List) insertNode(i int, nd listNode) {
	l.bufBytes += AllocSize(cap(nd.buf))
	nn := l.nodes()
	switch {
	case i == 0 && l.lo > 0:
		l.lo--
		l.arr[l.lo] = nd
		return
	case i == nn && int(l.hi) < len(l.arr):
		l.arr[l.hi] = nd
		l.hi++
		return
	case nn+1 > len(l.arr):
		size := 1
		if nn > 0 {
			size = max(4, 2*(nn+1))
		}
		slack := size - (nn + 1)
		front := slack / 2
		switch i {
		case 0:
			front = slack
		case nn:
			front = 0
		}
		na := make([]listNode, size)
		copy(na[front:], l.arr[l.lo:int(l.lo)+i])
		na[front+i] = nd
		copy(na[front+i+1:], l.arr[int(l.lo)+i:l.hi])
		l.arr, l.lo, l.hi = na, int32(front), int32(front+nn+1)
		return
	case int(l.hi) < len(l.arr):
		at := int(l.lo) + i
		copy(l.arr[at+1:l.hi+1], l.arr[at:l.hi])
		l.arr[at] = nd
		l.hi++
	default:
		at := int(l.lo) + i
		copy(l.arr[l.lo-1:at-1], l.arr[l.lo:at])
		l.lo--
		l.arr[at-1] = nd
	}
}

// removeNode drops node i.
func (l *List) removeNode(i int) {
	nn := l.nodes()
	at := int(l.lo) + i
	if nd := &l.arr[at]; l.quick && !nd.plain && cap(nd.buf) <= 1<<16 {
		// the node's buffer stays counted, as the spare; the spare it replaces is dropped
		l.bufBytes -= AllocSize(cap(l.spare))
		l.spare = nd.buf[:0]
	} else {
		l.bufBytes -= AllocSize(cap(nd.buf))
	}
	if i < nn/2 {
		copy(l.arr[l.lo+1:at+1], l.arr[l.lo:at])
		l.arr[l.lo] = listNode{}
		l.lo++
	} else {
		copy(l.arr[at:l.hi-1], l.arr[at+1:l.hi])
		l.hi--
		l.arr[l.hi] = listNode{}
	}
	if l.lo == l.hi {
		l.lo, l.hi = 0, 0
	}
}

// locate returns the node holding element i (0 <= i < Len) and the element's offset in that node.
func (l *List) locate(i int) (int, int) {
	if i < l.count/2 {
		for ni := 0; ; ni++ {
			n := int(l.arr[int(l.lo)+ni].n)
			if i < n {
				return ni, i
			}
			i -= n
		}
	}
	j := l.count - 1 - i
	for ni := l.nodes() - 1; ; ni-- {
		n := int(l.arr[int(l.lo)+ni].n)
		if j < n {
			return ni, n - 1 - j
		}
		j -= n
	}
}

func newListNode() listNode { return listNode{sz: listLpEmpty} }

// newNode returns an empty node, with the spare buffer if there is one.
func (l *List) newNode() listNode {
	n := newListNode()
	if l.spare != nil {
		// counted again when the node is inserted, with whatever capacity it has by then
		l.bufBytes -= AllocSize(cap(l.spare))
		n.buf, l.spare = l.spare, nil
	}
	return n
}

func plainListNode(v []byte) listNode {
	n := newListNode()
	n.pushBack(v)
	n.plain = true
	return n
}

// allowInsert reports whether node n of a quicklist can take one more element of length vlen.
func (l *List) allowInsert(n *listNode, vlen int) bool {
	fill := int(l.fill)
	return !n.plain && !listIsLarge(vlen, fill) && !listExceeds(fill, int(n.sz)+vlen+listSizeOverhead, int(n.n)+1)
}

// PushFront adds v at the head.
func (l *List) PushFront(v []byte) {
	l.count++
	if l.nodes() > 0 && (!l.quick || l.allowInsert(l.node(0), len(v))) {
		n := l.node(0)
		c0 := cap(n.buf)
		n.pushFront(v)
		l.recharge(c0, n)
		return
	}
	if l.quick && listIsLarge(len(v), int(l.fill)) {
		l.insertNode(0, plainListNode(v))
		return
	}
	n := l.newNode()
	n.pushFront(v)
	l.insertNode(0, n)
}

// PushBack adds v at the tail.
func (l *List) PushBack(v []byte) {
	l.count++
	last := l.nodes() - 1
	if last >= 0 && (!l.quick || l.allowInsert(l.node(last), len(v))) {
		n := l.node(last)
		c0 := cap(n.buf)
		n.pushBack(v)
		l.recharge(c0, n)
		return
	}
	if l.quick && listIsLarge(len(v), int(l.fill)) {
		l.insertNode(last+1, plainListNode(v))
		return
	}
	n := l.newNode()
	n.pushBack(v)
	l.insertNode(last+1, n)
}

// PopFront removes and returns the head element; the list must not be empty.
func (l *List) PopFront() []byte {
	n := l.node(0)
	v := n.popFront()
	l.count--
	if n.n == 0 {
		l.removeNode(0)
	}
	return v
}

// PopBack removes and returns the tail element; the list must not be empty.
func (l *List) PopBack() []byte {
	last := l.nodes() - 1
	n := l.node(last)
	v := n.popBack()
	l.count--
	if n.n == 0 {
		l.removeNode(last)
	}
	return v
}

// Index returns element i (0 <= i < Len).
func (l *List) Index(i int) []byte {
	ni, off := l.locate(i)
	v, _ := l.node(ni).entryAt(l.node(ni).seek(off))
	return v
}

// Range calls fn with count elements from index start on (0 <= start < Len), head to tail, until fn
// returns false.
func (l *List) Range(start, count int, fn func(v []byte) bool) {
	if count <= 0 || start >= l.count {
		return
	}
	ni, off := l.locate(start)
	for ; ni < l.nodes(); ni, off = ni+1, 0 {
		n := l.node(ni)
		pos := n.seek(off)
		for k := off; k < int(n.n); k++ {
			var v []byte
			v, pos = n.entryAt(pos)
			if !fn(v) {
				return
			}
			if count--; count == 0 {
				return
			}
		}
	}
}

// RangeReverse calls fn with count elements from index start (0 <= start < Len) towards the head, until
// fn returns false.
func (l *List) RangeReverse(start, count int, fn func(v []byte) bool) {
	if count <= 0 || start < 0 {
		return
	}
	ni, off := l.locate(start)
	for ; ni >= 0; ni-- {
		n := l.node(ni)
		if off < 0 {
			off = int(n.n) - 1
		}
		pos := n.seek(off + 1)
		for k := off; k >= 0; k-- {
			var v []byte
			v, pos = n.entryBefore(pos)
			if !fn(v) {
				return
			}
			if count--; count == 0 {
				return
			}
		}
		off = -1
	}
}

// DeleteRange removes count elements from index start on.
func (l *List) DeleteRange(start, count int) {
	if count <= 0 || start >= l.count {
		return
	}
	count = min(count, l.count-start)
	ni, off := l.locate(start)
	for count > 0 {
		n := l.node(ni)
		take := min(count, int(n.n)-off)
		if take == int(n.n) {
			l.removeNode(ni)
		} else {
			n.deleteRange(off, take)
			ni++
		}
		l.count -= take
		count -= take
		off = 0
	}
}

// Insert adds v so that it becomes element i (0 <= i <= Len).
func (l *List) Insert(i int, v []byte) {
	switch {
	case i == 0:
		l.PushFront(v)
		return
	case i >= l.count:
		l.PushBack(v)
		return
	}
	ni, off := l.locate(i)
	n := l.node(ni)
	if !l.quick || l.allowInsert(n, len(v)) {
		c0 := cap(n.buf)
		n.insertIndex(off, v)
		l.recharge(c0, n)
		l.count++
		return
	}
	l.count++
	large := listIsLarge(len(v), int(l.fill))
	if off == 0 {
		// between two nodes: the tail of the previous one, or a node of its own
		if prev := l.node(ni - 1); !large && l.allowInsert(prev, len(v)) {
			c0 := cap(prev.buf)
			prev.pushBack(v)
			l.recharge(c0, prev)
			return
		}
		l.insertNode(ni, l.nodeWith(v, large))
		l.mergeAround(ni)
		return
	}
	// in the middle of a full node: split it and put v in a node between the halves
	right := n.split(off)
	l.insertNode(ni+1, right)
	l.insertNode(ni+1, l.nodeWith(v, large))
	l.mergeAround(ni + 1)
}

// Set replaces element i (0 <= i < Len) with v.
func (l *List) Set(i int, v []byte) {
	ni, off := l.locate(i)
	n := l.node(ni)
	c0 := cap(n.buf)
	if !l.quick {
		n.replaceIndex(off, v)
		l.recharge(c0, n)
		return
	}
	fill := int(l.fill)
	large := listIsLarge(len(v), fill)
	if n.plain && large {
		n.replaceIndex(0, v)
		l.recharge(c0, n)
		return
	}
	if !n.plain && !large {
		old, _ := n.entryAt(n.seek(off))
		if !listExceeds(fill, int(n.sz)-listLpEntrySize(old)+len(v)+listSizeOverhead, int(n.n)) {
			n.replaceIndex(off, v)
			l.recharge(c0, n)
			return
		}
	}
	// v does not fit where the old element was: give it a node of its own between the two halves
	if off+1 < int(n.n) {
		right := n.split(off + 1)
		l.insertNode(ni+1, right)
	}
	l.insertNode(ni+1, l.nodeWith(v, large))
	n = l.node(ni)
	n.deleteRange(off, 1)
	at := ni + 1
	if n.n == 0 {
		l.removeNode(ni)
		at = ni
	}
	l.mergeAround(at)
}

func (l *List) nodeWith(v []byte, large bool) listNode {
	if large {
		return plainListNode(v)
	}
	n := newListNode()
	n.pushBack(v)
	return n
}

// mergeAround merges node i with its neighbours where the result stays within the node limit, after an
// insertion split a node.
func (l *List) mergeAround(i int) {
	if i+1 < l.nodes() && l.allowMerge(l.node(i), l.node(i+1)) {
		n := l.node(i)
		c0 := cap(n.buf)
		n.appendNode(l.node(i + 1))
		l.recharge(c0, n)
		l.removeNode(i + 1)
	}
	if i > 0 && i < l.nodes() && l.allowMerge(l.node(i-1), l.node(i)) {
		n := l.node(i - 1)
		c0 := cap(n.buf)
		n.appendNode(l.node(i))
		l.recharge(c0, n)
		l.removeNode(i)
	}
}

func (l *List) allowMerge(a, b *listNode) bool {
	return !a.plain && !b.plain && !listExceeds(int(l.fill), int(a.sz+b.sz)-listLpEmpty, int(a.n+b.n))
}

// Remove deletes elements equal to v: the first limit of them from the head, or from the tail when
// fromTail; all of them when limit is 0. It returns how many it removed.
func (l *List) Remove(v []byte, limit int, fromTail bool) int {
	removed := 0
	left := func() int {
		if limit == 0 {
			return math.MaxInt
		}
		return limit - removed
	}
	if !fromTail {
		for ni := 0; ni < l.nodes() && left() > 0; {
			n := l.node(ni)
			removed += n.removeMatches(v, 0, left())
			if n.n == 0 {
				l.removeNode(ni)
			} else {
				ni++
			}
		}
	} else {
		for ni := l.nodes() - 1; ni >= 0 && left() > 0; ni-- {
			n := l.node(ni)
			m := n.countMatches(v)
			if m == 0 {
				continue
			}
			take := min(m, left())
			removed += n.removeMatches(v, m-take, take)
			if n.n == 0 {
				l.removeNode(ni)
			}
		}
	}
	l.count -= removed
	return removed
}

func (n *listNode) countMatches(v []byte) int {
	m := 0
	for pos := int(n.off); pos < len(n.buf); {
		var e []byte
		e, pos = n.entryAt(pos)
		if bytes.Equal(e, v) {
			m++
		}
	}
	return m
}

// removeMatches removes up to limit entries equal to v after skipping the first skip of them, compacting
// the node in one pass, and returns how many it removed.
func (n *listNode) removeMatches(v []byte, skip, limit int) int {
	w := int(n.off)
	removed, lps := 0, 0
	for r := int(n.off); r < len(n.buf); {
		e, next := n.entryAt(r)
		if removed < limit && bytes.Equal(e, v) {
			if skip > 0 {
				skip--
			} else {
				removed++
				lps += listLpEntrySize(e)
				r = next
				continue
			}
		}
		if w != r {
			copy(n.buf[w:], n.buf[r:next])
		}
		w += next - r
		r = next
	}
	n.buf = n.buf[:w]
	n.n -= int32(removed)
	n.sz -= int32(lps)
	if n.n == 0 {
		n.off = 0
		n.buf = n.buf[:0]
	}
	return removed
}

// Clone returns a deep copy (COPY, and anything else that must not share the value).
func (l *List) Clone() any {
	c := &List{fill: l.fill, quick: l.quick, count: l.count}
	nn := l.nodes()
	if nn > 0 {
		c.arr = make([]listNode, nn)
		for i := 0; i < nn; i++ {
			c.arr[i] = l.node(i).clone()
			c.bufBytes += AllocSize(cap(c.arr[i].buf))
		}
		c.hi = int32(nn)
	}
	return c
}

// DeepCopy is Clone under the name the server's COPY uses.
func (l *List) DeepCopy() any { return l.Clone() }
