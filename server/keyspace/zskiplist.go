package keyspace

import (
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// The skip list of a large sorted set: Valkey's, with the links of each level carrying spans so that
// rank and rank-range operations are O(log n).
//
// A node and its links are one allocation: a fixed 40-byte header followed by its height's links, which
// lv reaches by address arithmetic. A node of height one, three in four of them, is then 64 bytes, one
// cache line of its own. A search is a chain of dependent loads, one node per step, so the number of cache
// lines a step touches is what bounds ZADD on a large set: with the links behind a slice header the
// header, the slice and the score of the next node were often on different lines, and an update of a
// member of a 100 000-member set cost half as much again.

const zslMaxLevel = 32 // enough for 4^32 members

type zslLevel struct {
	forward *zslNode
	span    int // number of level-0 links this link jumps over
}

type zslNode struct {
	score    float64
	member   string
	backward *zslNode
	height   int // number of links after the header
}

const (
	zslNodeSize  = unsafe.Sizeof(zslNode{})
	zslLevelSize = unsafe.Sizeof(zslLevel{})
)

// zslNodeOf is the allocation of a node with the links L ([height]zslLevel) right after its header.
type zslNodeOf[L any] struct {
	node  zslNode
	links L
}

func newNodeOf[L any]() *zslNode { return &new(zslNodeOf[L]).node }

// zslAlloc allocates a node of each height with its links (index: height).
var zslAlloc = [zslMaxLevel + 1]func() *zslNode{
	1: newNodeOf[[1]zslLevel], 2: newNodeOf[[2]zslLevel], 3: newNodeOf[[3]zslLevel],
	4: newNodeOf[[4]zslLevel], 5: newNodeOf[[5]zslLevel], 6: newNodeOf[[6]zslLevel],
	7: newNodeOf[[7]zslLevel], 8: newNodeOf[[8]zslLevel], 9: newNodeOf[[9]zslLevel],
	10: newNodeOf[[10]zslLevel], 11: newNodeOf[[11]zslLevel], 12: newNodeOf[[12]zslLevel],
	13: newNodeOf[[13]zslLevel], 14: newNodeOf[[14]zslLevel], 15: newNodeOf[[15]zslLevel],
	16: newNodeOf[[16]zslLevel], 17: newNodeOf[[17]zslLevel], 18: newNodeOf[[18]zslLevel],
	19: newNodeOf[[19]zslLevel], 20: newNodeOf[[20]zslLevel], 21: newNodeOf[[21]zslLevel],
	22: newNodeOf[[22]zslLevel], 23: newNodeOf[[23]zslLevel], 24: newNodeOf[[24]zslLevel],
	25: newNodeOf[[25]zslLevel], 26: newNodeOf[[26]zslLevel], 27: newNodeOf[[27]zslLevel],
	28: newNodeOf[[28]zslLevel], 29: newNodeOf[[29]zslLevel], 30: newNodeOf[[30]zslLevel],
	31: newNodeOf[[31]zslLevel], 32: newNodeOf[[32]zslLevel],
}

func init() {
	// lv relies on the links starting right after the header
	if unsafe.Offsetof(zslNodeOf[[1]zslLevel]{}.links) != zslNodeSize {
		panic("keyspace: skip list links do not follow the node header")
	}
}

// zslNodeBytes is the allocation of a node of height h.
func zslNodeBytes(h int) int { return AllocSize(int(zslNodeSize + uintptr(h)*zslLevelSize)) }

// lv is the node's link of level i. The check keeps a broken invariant from reading past the node.
func (x *zslNode) lv(i int) *zslLevel {
	if uint(i) >= uint(x.height) {
		panic("keyspace: skip list level out of range")
	}
	return (*zslLevel)(unsafe.Add(unsafe.Pointer(x), zslNodeSize+uintptr(i)*zslLevelSize))
}

// next is the node after x (level 0), or nil.
func (x *zslNode) next() *zslNode { return x.lv(0).forward }

type zskiplist struct {
	header *zslNode
	tail   *zslNode
	length int
	level  int
}

func zslNew() *zskiplist {
	return &zskiplist{header: zslNewNode(zslMaxLevel, "", 0), level: 1}
}

// first is the lowest node, or nil.
func (zsl *zskiplist) first() *zslNode { return zsl.header.next() }

// zslRandomLevel draws a level with P(level > k) = 4^-k, as Valkey's ZSKIPLIST_P of 1/4: each pair of zero
// bits of one random word adds a level.
func zslRandomLevel() int {
	l := 1 + bits.TrailingZeros64(rand.Uint64())/2
	return min(l, zslMaxLevel)
}

func zslNewNode(level int, member string, score float64) *zslNode {
	n := zslAlloc[level]()
	n.height, n.member, n.score = level, member, score
	return n
}

func (zsl *zskiplist) insert(member string, score float64) *zslNode {
	x := zslNewNode(zslRandomLevel(), member, score)
	zsl.insertNode(x)
	return x
}

// insertNode links x (member, score and height set, links free) at its place.
func (zsl *zskiplist) insertNode(x *zslNode) {
	var update [zslMaxLevel]*zslNode
	var rank [zslMaxLevel]int
	p := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		if i < zsl.level-1 {
			rank[i] = rank[i+1]
		}
		for {
			l := p.lv(i)
			f := l.forward
			if f == nil || !zless(f.score, f.member, x.score, x.member) {
				break
			}
			rank[i] += l.span
			p = f
		}
		update[i] = p
	}
	level := x.height
	if level > zsl.level {
		for i := zsl.level; i < level; i++ {
			rank[i] = 0
			update[i] = zsl.header
			update[i].lv(i).span = zsl.length
		}
		zsl.level = level
	}
	for i := 0; i < level; i++ {
		u, xl := update[i].lv(i), x.lv(i)
		xl.forward = u.forward
		u.forward = x
		xl.span = u.span - (rank[0] - rank[i])
		u.span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].lv(i).span++
	}
	if update[0] == zsl.header {
		x.backward = nil
	} else {
		x.backward = update[0]
	}
	if f := x.next(); f != nil {
		f.backward = x
	} else {
		zsl.tail = x
	}
	zsl.length++
}

func (zsl *zskiplist) unlink(x *zslNode, update *[zslMaxLevel]*zslNode) {
	for i := 0; i < zsl.level; i++ {
		u := update[i].lv(i)
		if u.forward == x {
			xl := x.lv(i)
			u.span += xl.span - 1
			u.forward = xl.forward
		} else {
			u.span--
		}
	}
	if f := x.next(); f != nil {
		f.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.lv(zsl.level-1).forward == nil {
		zsl.level--
	}
	zsl.length--
}

// delete unlinks node x, which must be in the list. The descent stops on x itself where it can, rather
// than comparing x's member with itself.
func (zsl *zskiplist) delete(x *zslNode) {
	var update [zslMaxLevel]*zslNode
	p := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for {
			f := p.lv(i).forward
			if f == nil || f == x || !zless(f.score, f.member, x.score, x.member) {
				break
			}
			p = f
		}
		update[i] = p
	}
	zsl.unlink(x, &update)
}

// updateScore moves x to its place for a new score. When the neighbours still bracket the new score the
// node stays where it is; otherwise it is unlinked and linked again (the same node, so the member table
// keeps pointing at it).
func (zsl *zskiplist) updateScore(x *zslNode, score float64) {
	if (x.backward == nil || x.backward.score < score) &&
		(x.next() == nil || x.next().score > score) {
		x.score = score
		return
	}
	zsl.delete(x)
	x.score = score
	zsl.insertNode(x)
}

// rank is the 1-based rank of (score, member), 0 if absent.
func (zsl *zskiplist) rank(score float64, member string) int {
	r := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for {
			l := x.lv(i)
			f := l.forward
			if f == nil || !(f.score < score || (f.score == score && f.member <= member)) {
				break
			}
			r += l.span
			x = f
		}
		if x != zsl.header && x.score == score && x.member == member {
			return r
		}
	}
	return 0
}

// byRank returns the node of 1-based rank r, or nil.
func (zsl *zskiplist) byRank(r int) *zslNode {
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for l := x.lv(i); l.forward != nil && traversed+l.span <= r; l = x.lv(i) {
			traversed += l.span
			x = l.forward
		}
		if traversed == r {
			if x == zsl.header {
				return nil
			}
			return x
		}
	}
	return nil
}

// deleteRangeByRank removes 1-based ranks start..end and their table entries; it returns how many it
// removed and the memory they held (zsetElemBytes).
func (zsl *zskiplist) deleteRangeByRank(start, end int, dict *Dict[*zslNode]) (removed, freed int) {
	var update [zslMaxLevel]*zslNode
	traversed := 0
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for l := x.lv(i); l.forward != nil && traversed+l.span < start; l = x.lv(i) {
			traversed += l.span
			x = l.forward
		}
		update[i] = x
	}
	traversed++
	x = x.next()
	for x != nil && traversed <= end {
		next := x.next()
		zsl.unlink(x, &update)
		dict.Delete(zBytesOf(x.member))
		removed++
		freed += zsetElemBytes(x)
		traversed++
		x = next
	}
	return removed, freed
}

// deleteRangeByLex is Valkey's zslDeleteRangeByLex: descend to the first member not below the minimum,
// then remove while at or below the maximum. It returns how many it removed and the memory they held.
func (zsl *zskiplist) deleteRangeByLex(r *ZLexRange, dict *Dict[*zslNode]) (removed, freed int) {
	var update [zslMaxLevel]*zslNode
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.lv(i).forward; f != nil && !r.GteMin(f.member); f = x.lv(i).forward {
			x = f
		}
		update[i] = x
	}
	x = x.next()
	for x != nil && r.LteMax(x.member) {
		next := x.next()
		zsl.unlink(x, &update)
		dict.Delete(zBytesOf(x.member))
		removed++
		freed += zsetElemBytes(x)
		x = next
	}
	return removed, freed
}
