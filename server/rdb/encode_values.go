package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/rdb/blobs"
)

// valueType picks the RDB type of a value from its current encoding, among the types Redis 7.0 loads:
// compact encodings are written as their compact blob (listpack, intset), the others element by element.
// A listpack set has no version-10 type (SET_LISTPACK is version 11) and is written as a plain set.
func valueType(obj *keyspace.Object) (byte, error) {
	switch obj.Kind {
	case keyspace.KindString:
		return typeString, nil
	case keyspace.KindList:
		if _, ok := obj.Val.(*keyspace.List); ok {
			return typeListQuicklist2, nil
		}
	case keyspace.KindSet:
		if s, ok := obj.Val.(*keyspace.Set); ok {
			if s.IsIntset() {
				return typeSetIntset, nil
			}
			return typeSet, nil
		}
	case keyspace.KindHash:
		if h, ok := obj.Val.(*keyspace.Hash); ok {
			if h.IsListpack() {
				return typeHashListpack, nil
			}
			return typeHash, nil
		}
	case keyspace.KindZSet:
		if z, ok := obj.Val.(*keyspace.ZSet); ok {
			if z.IsListpack() {
				return typeZSetListpack, nil
			}
			return typeZSet2, nil
		}
	case keyspace.KindStream:
		return 0, errors.New("stream values can't be saved yet")
	}
	return 0, fmt.Errorf("%s value of unexpected type %T", obj.Kind, obj.Val)
}

// writeValue writes the value of obj as type t (from valueType).
func (e *Encoder) writeValue(t byte, obj *keyspace.Object) {
	switch t {
	case typeString:
		e.writeString(obj.Str)
	case typeListQuicklist2:
		e.writeList(obj.Val.(*keyspace.List))
	case typeSetIntset:
		s := obj.Val.(*keyspace.Set)
		ints := e.members[:0]
		s.Each(func(m []byte) bool {
			n, _ := keyspace.ParseInt(m) // an intset's members are integers, in ascending order
			ints = append(ints, n)
			return true
		})
		e.members = ints
		e.writeString(blobs.IntsetBuild(ints))
	case typeSet:
		s := obj.Val.(*keyspace.Set)
		e.writeLen(uint64(s.Len()))
		s.Each(func(m []byte) bool {
			e.writeString(m)
			return true
		})
	case typeHashListpack:
		e.lp.Reset()
		obj.Val.(*keyspace.Hash).Range(func(f, v []byte) bool {
			e.lp.AppendString(f)
			e.lp.AppendString(v)
			return true
		})
		e.writeListpack()
	case typeHash:
		h := obj.Val.(*keyspace.Hash)
		e.writeLen(uint64(h.Len()))
		h.Range(func(f, v []byte) bool {
			e.writeString(f)
			e.writeString(v)
			return true
		})
	case typeZSetListpack:
		e.lp.Reset()
		var num [32]byte
		obj.Val.(*keyspace.ZSet).Range(func(m string, score float64) bool {
			e.lp.AppendString(bytesOf(m))
			if n, ok := scoreAsInt(score); ok {
				e.lp.AppendInt(n)
			} else {
				e.lp.AppendString(appendScore(num[:0], score))
			}
			return true
		})
		e.writeListpack()
	case typeZSet2:
		// highest score first, as Valkey writes it: loading then inserts each member at the head
		z := obj.Val.(*keyspace.ZSet)
		e.writeLen(uint64(z.Len()))
		var b [8]byte
		for it := z.At(z.Len() - 1); it.Valid(); it.Prev() {
			en := it.Entry()
			e.writeString(bytesOf(en.Member))
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(en.Score))
			e.write(b[:])
		}
	}
}

// writeListpack writes the builder's listpack as a string.
func (e *Encoder) writeListpack() {
	e.lpOut = e.lp.AppendTo(e.lpOut[:0])
	e.writeString(e.lpOut)
}

// scoreAsInt reports whether a score is stored as a listpack integer (Valkey's double2ll: integral and
// within ±2^62).
func scoreAsInt(f float64) (int64, bool) {
	if f < -(1<<62) || f > 1<<62 || f != math.Trunc(f) {
		return 0, false
	}
	if f == 0 && math.Signbit(f) {
		return 0, false // "-0" keeps its sign as text
	}
	return int64(f), true
}

// appendScore renders a non-integral score as text that strtod reads back exactly.
func appendScore(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f == 0 && math.Signbit(f):
		return append(b, "-0"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// listChunk is one quicklist node the writer emits: count elements, or one element in a plain node.
type listChunk struct {
	count int
	plain bool
}

// writeList writes a list as LIST_QUICKLIST_2. A listpack list is one packed node, as Valkey writes it. A
// quicklist is cut into nodes of at most writeNodeLimit listpack bytes, an element larger than that
// getting a plain node of its own; the cuts are planned in a first pass because the node count comes
// first.
func (e *Encoder) writeList(l *keyspace.List) {
	n := l.Len()
	chunks := e.nodes[:0]
	switch {
	case n == 0:
	case l.Encoding() == "listpack":
		chunks = append(chunks, listChunk{count: n})
	default:
		cur, sz := 0, lpEmptySize
		l.Range(0, n, func(v []byte) bool {
			if len(v) > writeNodeLimit {
				if cur > 0 {
					chunks = append(chunks, listChunk{count: cur})
				}
				chunks = append(chunks, listChunk{count: 1, plain: true})
				cur, sz = 0, lpEmptySize
				return true
			}
			es := lpEntrySize(v)
			if cur > 0 && sz+es > writeNodeLimit {
				chunks = append(chunks, listChunk{count: cur})
				cur, sz = 0, lpEmptySize
			}
			cur++
			sz += es
			return true
		})
		if cur > 0 {
			chunks = append(chunks, listChunk{count: cur})
		}
	}
	e.nodes = chunks
	e.writeLen(uint64(len(chunks)))
	ci, left := 0, 0
	e.lp.Reset()
	l.Range(0, n, func(v []byte) bool {
		if left == 0 {
			left = chunks[ci].count
		}
		if chunks[ci].plain {
			e.writeLen(containerPlain)
			e.writeString(v)
			ci, left = ci+1, 0
			return true
		}
		e.lp.AppendString(v)
		if left--; left == 0 {
			e.writeLen(containerPacked)
			e.writeListpack()
			e.lp.Reset()
			ci++
		}
		return true
	})
}
