package server

import (
	"math"
	"sort"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Sorted set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD. Plain sets are accepted
// as inputs, read as sorted sets whose scores are all 1, as in Valkey.

// zsetPlainSet is what the algebra needs from a plain set value (keyspace.KindSet).
type zsetPlainSet interface {
	Len() int
	Contains(member []byte) bool
	Range(fn func(member string) bool)
}

var _ zsetPlainSet = (*keyspace.Set)(nil)

const (
	zsetOpUnion = iota
	zsetOpInter
	zsetOpDiff
)

const (
	aggrSum = iota
	aggrMin
	aggrMax
)

// zsrc is one input of the algebra.
type zsrc struct {
	obj    *keyspace.Object // nil: the key does not exist (an empty input)
	z      *keyspace.ZSet
	set    zsetPlainSet
	weight float64
}

func (s *zsrc) length() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.set != nil:
		return s.set.Len()
	}
	return 0
}

// each calls fn for every member with its (unweighted) score.
func (s *zsrc) each(fn func(member string, score float64) bool) {
	switch {
	case s.z != nil:
		s.z.Range(fn)
	case s.set != nil:
		s.set.Range(func(m string) bool { return fn(m, 1) })
	}
}

// find returns the unweighted score of member.
func (s *zsrc) find(member string) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score(zsetBytes(member))
	case s.set != nil:
		return 1, s.set.Contains(zsetBytes(member))
	}
	return 0, false
}

// zsetBytes converts for a lookup; the compiler keeps short conversions on the stack.
func zsetBytes(s string) []byte { return []byte(s) }

// aggregate folds val into *target as ZUNION/ZINTER's AGGREGATE does; a sum of +inf and -inf is 0.
func aggregate(target *float64, val float64, how int) {
	switch how {
	case aggrSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggrMin:
		if val < *target {
			*target = val
		}
	case aggrMax:
		if val > *target {
			*target = val
		}
	}
}

func zunionCommand(c *Client, args [][]byte)     { zsetOpGeneric(c, args, nil, 1, zsetOpUnion, false) }
func zinterCommand(c *Client, args [][]byte)     { zsetOpGeneric(c, args, nil, 1, zsetOpInter, false) }
func zdiffCommand(c *Client, args [][]byte)      { zsetOpGeneric(c, args, nil, 1, zsetOpDiff, false) }
func zintercardCommand(c *Client, args [][]byte) { zsetOpGeneric(c, args, nil, 1, zsetOpInter, true) }
func zunionstoreCommand(c *Client, args [][]byte) {
	zsetOpGeneric(c, args, args[1], 2, zsetOpUnion, false)
}
func zinterstoreCommand(c *Client, args [][]byte) {
	zsetOpGeneric(c, args, args[1], 2, zsetOpInter, false)
}
func zdiffstoreCommand(c *Client, args [][]byte) {
	zsetOpGeneric(c, args, args[1], 2, zsetOpDiff, false)
}

var zsetOpEvents = [...]string{"zunionstore", "zinterstore", "zdiffstore"}

// zsetOpGeneric is the body of the algebra commands, in Valkey's order of checks: numkeys, the inputs'
// types, then the options (WEIGHTS, AGGREGATE, WITHSCORES, LIMIT for ZINTERCARD).
func zsetOpGeneric(c *Client, args [][]byte, dst []byte, numIdx int, op int, cardOnly bool) {
	s := c.srv
	setnum, ok := parseLong(c, args[numIdx])
	if !ok {
		return
	}
	if setnum < 1 {
		c.Err("ERR at least 1 input key is needed for '" + lowerASCII(args[0]) + "' command")
		return
	}
	if setnum > int64(len(args)-numIdx-1) {
		c.Err(errSyntax)
		return
	}
	n := int(setnum)
	src := make([]zsrc, n)
	j := numIdx + 1
	for i := 0; i < n; i, j = i+1, j+1 {
		src[i].weight = 1
		o := s.lookupRead(c, args[j])
		if o == nil {
			continue
		}
		switch o.Kind {
		case keyspace.KindZSet:
			src[i].z = o.Val.(*keyspace.ZSet)
		case keyspace.KindSet:
			src[i].set = o.Val.(zsetPlainSet)
		default:
			c.Err(errWrongType)
			return
		}
		src[i].obj = o
	}
	how := aggrSum
	withScores := false
	var limit int64
	for remaining := len(args) - j; remaining > 0; remaining = len(args) - j {
		a := args[j]
		switch {
		case op != zsetOpDiff && !cardOnly && remaining >= n+1 && eqFold(a, "weights"):
			j++
			for i := 0; i < n; i, j = i+1, j+1 {
				w, ok := parseZScore(args[j])
				if !ok {
					c.Err(errZSetWeight)
					return
				}
				src[i].weight = w
			}
		case op != zsetOpDiff && !cardOnly && remaining >= 2 && eqFold(a, "aggregate"):
			switch b := args[j+1]; {
			case eqFold(b, "sum"):
				how = aggrSum
			case eqFold(b, "min"):
				how = aggrMin
			case eqFold(b, "max"):
				how = aggrMax
			default:
				c.Err(errSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && eqFold(a, "withscores"):
			withScores = true
			j++
		case cardOnly && remaining >= 2 && eqFold(a, "limit"):
			l, ok := parseInt64(args[j+1])
			if !ok || l < 0 {
				c.Err(errZSetLimitNeg)
				return
			}
			limit = l
			j += 2
		default:
			c.Err(errSyntax)
			return
		}
	}
	if op != zsetOpDiff {
		// smallest inputs first: an intersection walks the smallest, and the order of the sums follows
		sort.SliceStable(src, func(a, b int) bool { return src[a].length() < src[b].length() })
	}
	var res []keyspace.ZEntry
	switch op {
	case zsetOpInter:
		card := zsetInter(src, how, cardOnly, limit, &res)
		if cardOnly {
			c.W().Int(card)
			return
		}
	case zsetOpUnion:
		res = zsetUnion(src, how)
	case zsetOpDiff:
		res = zsetDiff(src)
	}
	if dst != nil {
		s.zsetStore(c, dst, res, zsetOpEvents[op])
		return
	}
	sort.Slice(res, func(a, b int) bool {
		return res[a].Score < res[b].Score || (res[a].Score == res[b].Score && res[a].Member < res[b].Member)
	})
	w := c.W()
	zsetPairsHeader(w, len(res), withScores)
	for _, e := range res {
		zsetPair(w, e.Member, e.Score, withScores)
	}
}

// zsetInter walks the smallest input and keeps the members every other input has, aggregating the
// weighted scores in input order. With cardOnly it only counts, stopping at limit (0: no limit).
func zsetInter(src []zsrc, how int, cardOnly bool, limit int64, res *[]keyspace.ZEntry) int64 {
	var card int64
	if src[0].length() == 0 {
		return 0
	}
	src[0].each(func(m string, sc float64) bool {
		score := src[0].weight * sc
		if math.IsNaN(score) {
			score = 0
		}
		for j := 1; j < len(src); j++ {
			var v float64
			if src[j].obj == src[0].obj {
				v = sc * src[j].weight
			} else if f, ok := src[j].find(m); ok {
				v = f * src[j].weight
			} else {
				return true
			}
			aggregate(&score, v, how)
		}
		if cardOnly {
			card++
			return limit == 0 || card < limit
		}
		*res = append(*res, keyspace.ZEntry{Member: m, Score: score})
		return true
	})
	return card
}

// zsetUnion accumulates the weighted scores of every member over the inputs, in input order.
func zsetUnion(src []zsrc, how int) []keyspace.ZEntry {
	acc := make(map[string]int, src[len(src)-1].length())
	var res []keyspace.ZEntry
	for i := range src {
		src[i].each(func(m string, sc float64) bool {
			score := src[i].weight * sc
			if math.IsNaN(score) {
				score = 0
			}
			if k, ok := acc[m]; ok {
				aggregate(&res[k].Score, score, how)
			} else {
				acc[m] = len(res)
				res = append(res, keyspace.ZEntry{Member: m, Score: score})
			}
			return true
		})
	}
	return res
}

// zsetDiff keeps the members of the first input that no other input has, with their first scores.
func zsetDiff(src []zsrc) []keyspace.ZEntry {
	var res []keyspace.ZEntry
	src[0].each(func(m string, sc float64) bool {
		for j := 1; j < len(src); j++ {
			if src[j].obj == nil {
				continue
			}
			if src[j].obj == src[0].obj {
				return true
			}
			if _, ok := src[j].find(m); ok {
				return true
			}
		}
		res = append(res, keyspace.ZEntry{Member: m, Score: sc})
		return true
	})
	return res
}

func init() {
	const g = "sorted-set"
	keys1 := func(a [][]byte) []int { return zsetKeynumKeys(a, 1, 0) }
	keysStore := func(a [][]byte) []int { return zsetKeynumKeys(a, 2, 1) }
	register(
		spec{name: "zunion", arity: -3, flags: "readonly", group: g, since: "6.2.0", keys: keys1,
			summary:    "Returns the union of multiple sorted sets.",
			complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
			handler:    zunionCommand},
		spec{name: "zinter", arity: -3, flags: "readonly", group: g, since: "6.2.0", keys: keys1,
			summary:    "Returns the intersect of multiple sorted sets.",
			complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
			handler:    zinterCommand},
		spec{name: "zdiff", arity: -3, flags: "readonly", group: g, since: "6.2.0", keys: keys1,
			summary:    "Returns the difference between multiple sorted sets.",
			complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
			handler:    zdiffCommand},
		spec{name: "zintercard", arity: -3, flags: "readonly", group: g, since: "7.0.0", keys: keys1,
			summary:    "Returns the number of members of the intersect of multiple sorted sets.",
			complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
			handler:    zintercardCommand},
		spec{name: "zunionstore", arity: -4, flags: "write denyoom", first: 1, last: 1, step: 1, group: g, since: "2.0.0", keys: keysStore,
			summary:    "Stores the union of multiple sorted sets in a key.",
			complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
			handler:    zunionstoreCommand},
		spec{name: "zinterstore", arity: -4, flags: "write denyoom", first: 1, last: 1, step: 1, group: g, since: "2.0.0", keys: keysStore,
			summary:    "Stores the intersect of multiple sorted sets in a key.",
			complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
			handler:    zinterstoreCommand},
		spec{name: "zdiffstore", arity: -4, flags: "write denyoom", first: 1, last: 1, step: 1, group: g, since: "6.2.0", keys: keysStore,
			summary:    "Stores the difference of multiple sorted sets in a key.",
			complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
			handler:    zdiffstoreCommand},
	)
}
