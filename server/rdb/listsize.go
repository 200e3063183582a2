package rdb

import (
	"math"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Listpack sizes decide two things here: whether a loaded list fits list-max-listpack-size (so it loads
// in the listpack encoding, as Valkey decides on the node's byte size) and where the writer cuts a
// quicklist into nodes.

// lpEmptySize is an empty listpack: 6 header bytes and the end marker.
const lpEmptySize = 7

// lpEntrySize is the size of v as a listpack entry, by the rule the lists themselves follow.
func lpEntrySize(v []byte) int { return keyspace.ListpackEntrySize(v) }

// listSizeLevels are the node byte limits of list-max-listpack-size -1 .. -5.
var listSizeLevels = [...]int{4096, 8192, 16384, 32768, 65536}

// listSafetyLimit is the byte size no node grows beyond when the limit is a count of elements.
const listSafetyLimit = 8192

// listFits reports whether a single node of sz listpack bytes and count elements is within
// list-max-listpack-size fill: a list that loads as such a node is a listpack, otherwise a quicklist.
func listFits(fill, sz, count int) bool {
	if fill >= 0 {
		return sz <= listSafetyLimit && count <= max(fill, 1)
	}
	return sz <= listSizeLevels[min(-fill-1, len(listSizeLevels)-1)]
}

// writeNodeLimit is the size at which the writer starts a new quicklist node: Valkey's default
// (list-max-listpack-size -2), which every server loads efficiently whatever its own setting.
const writeNodeLimit = 8192

// listBuilder assembles a loaded list in the encoding Valkey would give it. Elements arrive in order;
// while they may still fit one listpack node they go into a listpack List, and once they cannot (or the
// input had several nodes) the List is rebuilt as a quicklist and the rest appended to it.
type listBuilder struct {
	fill  int
	l     *keyspace.List
	quick bool
	sz    int // listpack bytes of the elements so far, while not quick
	nodes int // non-empty nodes seen in the input
}

func newListBuilder(fill int) *listBuilder {
	return &listBuilder{fill: fill, l: keyspace.NewList(), sz: lpEmptySize}
}

// push appends a copy of v.
func (b *listBuilder) push(v []byte) {
	if !b.quick {
		b.sz += lpEntrySize(v)
		if !listFits(b.fill, b.sz, b.l.Len()+1) {
			b.toQuicklist()
		}
	}
	b.l.PushBack(v)
}

// node records the start of a non-empty node of the input: a second one, or a plain node (one large
// element), makes the list a quicklist, as Valkey converts only a quicklist of a single packed node to a
// listpack.
func (b *listBuilder) node(plain bool) {
	b.nodes++
	if (plain || b.nodes > 1) && !b.quick {
		b.toQuicklist()
	}
}

// toQuicklist moves what was pushed so far into a quicklist.
func (b *listBuilder) toQuicklist() {
	old := b.l
	b.l = keyspace.NewList()
	// PrepareAppend converts when the announced growth exceeds the limit: announce more than any limit
	b.l.PrepareAppend(b.fill, math.MaxInt32, math.MaxInt32)
	old.Range(0, old.Len(), func(v []byte) bool {
		b.l.PushBack(v)
		return true
	})
	b.quick = true
}
