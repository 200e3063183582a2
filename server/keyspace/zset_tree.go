package keyspace

import "unsafe"

// The ordered index of a large sorted set: a B+tree of (score, member) keys whose inner nodes count the
// members below each child, so that rank, select-by-rank and rank ranges are O(log n) as with Valkey's
// skip list (OBJECT ENCODING still says "skiplist", the name clients know).
//
// Why not a skip list: ZADD on a large set is a chain of dependent cache misses, one per node a search
// visits, and a skip list of 100 000 members visits about 35 nodes per search, twice per score update.
// Here a search touches the root and one inner node, which stay cached, and then a few cache lines of
// one leaf, whose scores are contiguous: a score update costs half what it did with a skip list laid out
// for the cache (and a third of the first one), ranges are read from contiguous arrays, and a member
// costs 24 bytes of leaf (about 37 at the fill random inserts leave) instead of a node of 64 or more.
// (Dragonfly, another Redis-compatible store, made the same change for the same reasons.)
//
// Leaves hold up to ztreeFanout keys in order and are linked both ways for iteration. An inner node holds
// up to ztreeFanout children with, for each, the smallest key below it and the number of members below
// it. Every node but the root keeps at least ztreeMinFill entries, so that a set that shrank does not
// keep mostly empty leaves.

const (
	// ztreeFanout makes a node 1520 bytes, which the allocator rounds to its 1536-byte size class
	ztreeFanout  = 62
	ztreeMinFill = ztreeFanout / 3
	// ztreeMaxDepth bounds the depth: every node but the root has at least ztreeMinFill children
	ztreeMaxDepth = 16
)

type znode struct {
	n          int
	prev, next *znode // leaves: the neighbours in order
	kids       *zkids // inner nodes: the children; nil for a leaf
	// a leaf's keys, or for an inner node the smallest key under each child
	scores  [ztreeFanout]float64
	members [ztreeFanout]string
}

type zkids struct {
	node  [ztreeFanout]*znode
	count [ztreeFanout]int // members under each child
}

type ztree struct {
	root   *znode
	length int
	// leaves and inners count the nodes, for the memory accounting
	leaves, inners int
}

var (
	zleafBytes  = AllocSize(int(unsafe.Sizeof(znode{})))
	zinnerBytes = zleafBytes + AllocSize(int(unsafe.Sizeof(zkids{})))
)

// nodeBytes is the memory of the tree's nodes.
func (t *ztree) nodeBytes() int { return t.leaves*zleafBytes + t.inners*zinnerBytes }

func (t *ztree) newLeaf() *znode {
	t.leaves++
	return &znode{}
}

func (t *ztree) newInner() *znode {
	t.inners++
	return &znode{kids: new(zkids)}
}

func (t *ztree) free(x *znode) {
	if x.kids != nil {
		t.inners--
	} else {
		t.leaves--
	}
}

func newZtree() *ztree {
	t := &ztree{}
	t.root = t.newLeaf()
	return t
}

// childFor is the child of inner node x under which (s, m) belongs: the last whose smallest key is not
// above it, or the first.
func (x *znode) childFor(s float64, m string) int {
	lo, hi := 1, x.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if zless(s, m, x.scores[mid], x.members[mid]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo - 1
}

// lowerBound is the first index of leaf x whose key is not below (s, m).
func (x *znode) lowerBound(s float64, m string) int {
	lo, hi := 0, x.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if zless(x.scores[mid], x.members[mid], s, m) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// total is the number of members under x.
func (x *znode) total() int {
	if x.kids == nil {
		return x.n
	}
	c := 0
	for _, v := range x.kids.count[:x.n] {
		c += v
	}
	return c
}

// insertAt opens slot i of x (which has room) and fills it; kid and count are for inner nodes.
func (x *znode) insertAt(i int, s float64, m string, kid *znode, count int) {
	copy(x.scores[i+1:x.n+1], x.scores[i:x.n])
	copy(x.members[i+1:x.n+1], x.members[i:x.n])
	x.scores[i], x.members[i] = s, m
	if x.kids != nil {
		copy(x.kids.node[i+1:x.n+1], x.kids.node[i:x.n])
		copy(x.kids.count[i+1:x.n+1], x.kids.count[i:x.n])
		x.kids.node[i], x.kids.count[i] = kid, count
	}
	x.n++
}

// removeAt closes slot i of x.
func (x *znode) removeAt(i int) {
	copy(x.scores[i:x.n-1], x.scores[i+1:x.n])
	copy(x.members[i:x.n-1], x.members[i+1:x.n])
	x.members[x.n-1] = ""
	if x.kids != nil {
		copy(x.kids.node[i:x.n-1], x.kids.node[i+1:x.n])
		copy(x.kids.count[i:x.n-1], x.kids.count[i+1:x.n])
		x.kids.node[x.n-1], x.kids.count[x.n-1] = nil, 0
	}
	x.n--
}

// moveTail moves the entries of x from index from on to the end of y (which has room) and returns the
// number of members they hold.
func moveTail(x *znode, from int, y *znode) int {
	k := x.n - from
	copy(y.scores[y.n:], x.scores[from:x.n])
	copy(y.members[y.n:], x.members[from:x.n])
	clear(x.members[from:x.n])
	moved := k
	if x.kids != nil {
		copy(y.kids.node[y.n:], x.kids.node[from:x.n])
		copy(y.kids.count[y.n:], x.kids.count[from:x.n])
		moved = 0
		for _, c := range x.kids.count[from:x.n] {
			moved += c
		}
		clear(x.kids.node[from:x.n])
		clear(x.kids.count[from:x.n])
	}
	x.n, y.n = from, y.n+k
	return moved
}

// moveTailToFront moves the entries of x from index from on to the front of y (which has room) and
// returns the number of members they hold.
func moveTailToFront(x *znode, from int, y *znode) int {
	k := x.n - from
	copy(y.scores[k:y.n+k], y.scores[:y.n])
	copy(y.members[k:y.n+k], y.members[:y.n])
	copy(y.scores[:k], x.scores[from:x.n])
	copy(y.members[:k], x.members[from:x.n])
	clear(x.members[from:x.n])
	moved := k
	if x.kids != nil {
		copy(y.kids.node[k:y.n+k], y.kids.node[:y.n])
		copy(y.kids.count[k:y.n+k], y.kids.count[:y.n])
		copy(y.kids.node[:k], x.kids.node[from:x.n])
		copy(y.kids.count[:k], x.kids.count[from:x.n])
		moved = 0
		for _, c := range x.kids.count[from:x.n] {
			moved += c
		}
		clear(x.kids.node[from:x.n])
		clear(x.kids.count[from:x.n])
	}
	x.n, y.n = from, y.n+k
	return moved
}

// moveHead moves the first k entries of y to the end of x (which has room) and returns the number of
// members they hold.
func moveHead(y *znode, k int, x *znode) int {
	copy(x.scores[x.n:], y.scores[:k])
	copy(x.members[x.n:], y.members[:k])
	copy(y.scores[:y.n-k], y.scores[k:y.n])
	copy(y.members[:y.n-k], y.members[k:y.n])
	clear(y.members[y.n-k : y.n])
	moved := k
	if y.kids != nil {
		copy(x.kids.node[x.n:], y.kids.node[:k])
		copy(x.kids.count[x.n:], y.kids.count[:k])
		moved = 0
		for _, c := range y.kids.count[:k] {
			moved += c
		}
		copy(y.kids.node[:y.n-k], y.kids.node[k:y.n])
		copy(y.kids.count[:y.n-k], y.kids.count[k:y.n])
		clear(y.kids.node[y.n-k : y.n])
		clear(y.kids.count[y.n-k : y.n])
	}
	x.n, y.n = x.n+k, y.n-k
	return moved
}

// splitChild splits the full child i of x (which has room) in two halves.
func (t *ztree) splitChild(x *znode, i int) {
	c := x.kids.node[i]
	var r *znode
	if c.kids != nil {
		r = t.newInner()
	} else {
		r = t.newLeaf()
		r.prev, r.next = c, c.next
		if c.next != nil {
			c.next.prev = r
		}
		c.next = r
	}
	moved := moveTail(c, c.n/2, r)
	x.kids.count[i] -= moved
	x.insertAt(i+1, r.scores[0], r.members[0], r, moved)
}

// insert adds (s, m), which must not be in the tree. Full nodes on the way down are split first, so
// that a split always has room in the parent.
func (t *ztree) insert(s float64, m string) {
	if t.root.n == ztreeFanout {
		old := t.root
		r := t.newInner()
		r.insertAt(0, old.scores[0], old.members[0], old, t.length)
		t.root = r
		t.splitChild(r, 0)
	}
	x := t.root
	for x.kids != nil {
		i := x.childFor(s, m)
		if x.kids.node[i].n == ztreeFanout {
			t.splitChild(x, i)
			if !zless(s, m, x.scores[i+1], x.members[i+1]) {
				i++
			}
		}
		if i == 0 && zless(s, m, x.scores[0], x.members[0]) {
			x.scores[0], x.members[0] = s, m // the new smallest key under x
		}
		x.kids.count[i]++
		x = x.kids.node[i]
	}
	x.insertAt(x.lowerBound(s, m), s, m, nil, 0)
	t.length++
}

// zpath is the way down to a leaf: the inner nodes and the child taken in each.
type zpath struct {
	depth int
	node  [ztreeMaxDepth]*znode
	idx   [ztreeMaxDepth]int
}

func (p *zpath) push(x *znode, i int) {
	p.node[p.depth], p.idx[p.depth] = x, i
	p.depth++
}

// find descends to the leaf where (s, m) is or would be; it returns the leaf and the key's index there,
// or -1 when the key is absent.
func (t *ztree) find(s float64, m string, p *zpath) (*znode, int) {
	x := t.root
	for x.kids != nil {
		i := x.childFor(s, m)
		if p != nil {
			p.push(x, i)
		}
		x = x.kids.node[i]
	}
	i := x.lowerBound(s, m)
	if i == x.n || x.scores[i] != s || x.members[i] != m {
		return x, -1
	}
	return x, i
}

// delete removes (s, m) and reports whether it was there.
func (t *ztree) delete(s float64, m string) bool {
	var p zpath
	leaf, i := t.find(s, m, &p)
	if i < 0 {
		return false
	}
	t.removeRun(&p, leaf, i, 1)
	return true
}

// update moves (s, m) to score ns. When its neighbours in the leaf still bracket the new key it stays in
// place; otherwise it is removed and inserted again.
func (t *ztree) update(s float64, m string, ns float64) {
	var p zpath
	leaf, i := t.find(s, m, &p)
	if i > 0 && i < leaf.n-1 && zless(leaf.scores[i-1], leaf.members[i-1], ns, m) &&
		zless(ns, m, leaf.scores[i+1], leaf.members[i+1]) {
		leaf.scores[i] = ns
		return
	}
	t.removeRun(&p, leaf, i, 1)
	t.insert(ns, m)
}

// selectRank descends to the member of 0-based rank r (within bounds), recording the path when p is set.
func (t *ztree) selectRank(r int, p *zpath) (*znode, int) {
	x := t.root
	for x.kids != nil {
		i := 0
		for r >= x.kids.count[i] {
			r -= x.kids.count[i]
			i++
		}
		if p != nil {
			p.push(x, i)
		}
		x = x.kids.node[i]
	}
	return x, r
}

// rank is the 0-based rank of (s, m), which must be in the tree.
func (t *ztree) rank(s float64, m string) int {
	r := 0
	x := t.root
	for x.kids != nil {
		i := x.childFor(s, m)
		for _, c := range x.kids.count[:i] {
			r += c
		}
		x = x.kids.node[i]
	}
	return r + x.lowerBound(s, m)
}

// rankOf is the 0-based rank of the key at index i of leaf.
func (t *ztree) rankOf(leaf *znode, i int) int {
	return t.rank(leaf.scores[i], leaf.members[i])
}

// removeRun removes the k keys from index i of leaf, reached by path p: the counts on the way down lose
// k, the keys above are refreshed from the nodes below them, and nodes that fell below the minimum fill
// are merged with or refilled from a neighbour.
func (t *ztree) removeRun(p *zpath, leaf *znode, i, k int) {
	copy(leaf.scores[i:leaf.n-k], leaf.scores[i+k:leaf.n])
	copy(leaf.members[i:leaf.n-k], leaf.members[i+k:leaf.n])
	clear(leaf.members[leaf.n-k : leaf.n])
	leaf.n -= k
	t.length -= k
	x := leaf
	for d := p.depth - 1; d >= 0; d-- {
		parent, j := p.node[d], p.idx[d]
		parent.kids.count[j] -= k
		if x.n > 0 {
			parent.scores[j], parent.members[j] = x.scores[0], x.members[0]
		}
		if x.n < ztreeMinFill {
			t.rebalance(parent, j)
		}
		x = parent
	}
	for t.root.kids != nil && t.root.n == 1 {
		old := t.root
		t.root = old.kids.node[0]
		t.free(old)
	}
}

// rebalance gives child j of x, which fell below the minimum fill (or emptied), entries from a neighbour:
// all of them when the two fit in one node, else enough to even them out.
func (t *ztree) rebalance(x *znode, j int) {
	l := j
	if j+1 >= x.n {
		if j == 0 {
			return // an only child: the root collapses onto it
		}
		l = j - 1
	}
	left, right := x.kids.node[l], x.kids.node[l+1]
	if left.n+right.n <= ztreeFanout {
		x.kids.count[l] += moveTail(right, 0, left)
		if left.kids == nil {
			left.next = right.next
			if right.next != nil {
				right.next.prev = left
			}
		}
		x.removeAt(l + 1)
		t.free(right)
		if left.n > 0 {
			x.scores[l], x.members[l] = left.scores[0], left.members[0]
		}
		return
	}
	half := (left.n + right.n) / 2
	var moved int
	if left.n < half {
		moved = moveHead(right, half-left.n, left)
	} else {
		moved = -moveTailToFront(left, half, right)
	}
	x.kids.count[l] += moved
	x.kids.count[l+1] -= moved
	x.scores[l+1], x.members[l+1] = right.scores[0], right.members[0]
}

// ztreeBuildFill is how full build makes the nodes: room for some inserts before the first splits.
const ztreeBuildFill = ztreeFanout - ztreeFanout/8

// buildZtree makes a tree of n keys that next returns in order (NewZSetFrom, the conversion from the
// small form, COPY): the leaves filled evenly, then each level above from the one below. O(n).
func buildZtree(n int, next func() (float64, string)) *ztree {
	t := &ztree{length: n}
	if n == 0 {
		t.root = t.newLeaf()
		return t
	}
	var level []*znode
	var prev *znode
	for i, nl := 0, (n+ztreeBuildFill-1)/ztreeBuildFill; i < nl; i++ {
		x := t.newLeaf()
		x.n = n / nl
		if i < n%nl {
			x.n++
		}
		for j := 0; j < x.n; j++ {
			x.scores[j], x.members[j] = next()
		}
		x.prev = prev
		if prev != nil {
			prev.next = x
		}
		prev = x
		level = append(level, x)
	}
	for len(level) > 1 {
		var up []*znode
		k := 0
		for i, np := 0, (len(level)+ztreeBuildFill-1)/ztreeBuildFill; i < np; i++ {
			x := t.newInner()
			size := len(level) / np
			if i < len(level)%np {
				size++
			}
			for j := 0; j < size; j++ {
				c := level[k]
				k++
				x.insertAt(j, c.scores[0], c.members[0], c, c.total())
			}
			up = append(up, x)
		}
		level = up
	}
	t.root = level[0]
	return t
}

// first is the leaf of the smallest key (empty when the tree is).
func (t *ztree) first() *znode {
	x := t.root
	for x.kids != nil {
		x = x.kids.node[0]
	}
	return x
}

// last is the leaf of the largest key.
func (t *ztree) last() *znode {
	x := t.root
	for x.kids != nil {
		x = x.kids.node[x.n-1]
	}
	return x
}

// firstWhere returns the first key for which ok holds, when ok is false up to some key and true from
// there on, or a nil leaf when there is none. (For a predicate without that shape, as a lexicographic
// bound over mixed scores, it returns some key where ok holds that follows one where it does not, the
// kind of answer Valkey's own descent gives; the callers check the other bound.)
func (t *ztree) firstWhere(ok func(s float64, m string) bool) (*znode, int) {
	x := t.root
	for x.kids != nil {
		// the children whose smallest key fails come first; the answer is under the last of them, or
		// is the smallest key of the next
		lo, hi := 0, x.n
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if ok(x.scores[mid], x.members[mid]) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		x = x.kids.node[max(lo-1, 0)]
	}
	lo, hi := 0, x.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if ok(x.scores[mid], x.members[mid]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo == x.n {
		if x = x.next; x == nil {
			return nil, 0
		}
		lo = 0
	}
	return x, lo
}

// lastWhere returns the last key for which ok holds, when ok is true up to some key and false from there
// on, or a nil leaf when there is none.
func (t *ztree) lastWhere(ok func(s float64, m string) bool) (*znode, int) {
	x, i := t.firstWhere(func(s float64, m string) bool { return !ok(s, m) })
	if x == nil {
		l := t.last()
		if l.n == 0 {
			return nil, 0
		}
		return l, l.n - 1
	}
	return zstepBack(x, i)
}

// zstepBack is the key before index i of leaf x, or a nil leaf.
func zstepBack(x *znode, i int) (*znode, int) {
	if i > 0 {
		return x, i - 1
	}
	if x = x.prev; x == nil {
		return nil, 0
	}
	return x, x.n - 1
}

// zstep is the key after index i of leaf x, or a nil leaf.
func zstep(x *znode, i int) (*znode, int) {
	if i+1 < x.n {
		return x, i + 1
	}
	return x.next, 0
}
