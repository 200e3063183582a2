package server

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// sortArgs are the parsed options of SORT and SORT_RO.
type sortArgs struct {
	by         []byte // BY pattern, nil without
	gets       [][]byte
	store      []byte
	start      int64
	count      int64
	desc       bool
	alpha      bool
	dontsort   bool
	hasStore   bool
	limitGiven bool
}

// parseSortArgs reads the options after the key; ok=false after replying an error.
func parseSortArgs(c *Client, args [][]byte, readonly bool) (a sortArgs, ok bool) {
	a.count = -1
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch {
		case eqFold(args[j], "asc"):
			a.desc = false
		case eqFold(args[j], "desc"):
			a.desc = true
		case eqFold(args[j], "alpha"):
			a.alpha = true
		case eqFold(args[j], "limit") && left >= 2:
			var ok1, ok2 bool
			a.start, ok1 = parseInt64(args[j+1])
			if ok1 {
				a.count, ok2 = parseInt64(args[j+2])
			}
			if !ok1 || !ok2 {
				c.Err(errNotInt)
				return a, false
			}
			a.limitGiven = true
			j += 2
		case !readonly && eqFold(args[j], "store") && left >= 1:
			a.store, a.hasStore = args[j+1], true
			j++
		case eqFold(args[j], "by") && left >= 1:
			a.by = args[j+1]
			// a pattern without '*' names no per-element key: nothing to sort by (and, as in Valkey, a
			// later BY does not undo that)
			if bytes.IndexByte(a.by, '*') < 0 {
				a.dontsort = true
			} else if !sortFullKeyAccess(c, args) {
				c.Err("ERR BY option of SORT denied due to insufficient ACL permissions.")
				return a, false
			}
			j++
		case eqFold(args[j], "get") && left >= 1:
			if !sortFullKeyAccess(c, args) {
				c.Err("ERR GET option of SORT denied due to insufficient ACL permissions.")
				return a, false
			}
			a.gets = append(a.gets, args[j+1])
			j++
		default:
			c.Err(errSyntax)
			return a, false
		}
	}
	return a, true
}

// sortFullKeyAccess tells whether the client's user may read any key with this command: BY and GET
// patterns read keys that the ACL check of the command never saw. As in Valkey, one selector must allow
// the command and read access to every key.
func sortFullKeyAccess(c *Client, args [][]byte) bool {
	u := c.user
	if u == nil {
		return true
	}
	cmd := commandTable[strings.ToLower(string(args[0]))]
	if cmd == nil {
		return false
	}
	refs := keyRefCache{cmd: cmd, args: args}
	for _, sel := range append([]*selector{u.root}, u.selectors...) {
		if res, _ := sel.checkCommand(cmd, args, &refs); res != aclOK {
			continue
		}
		if sel.allKeys {
			return true
		}
		for _, p := range sel.keys {
			if p.pattern == "*" && p.perm&permRead == permRead {
				return true
			}
		}
	}
	return false
}

// sortKeys gives the key positions of SORT: the sorted key and the STORE destination.
func sortKeys(args [][]byte) []int {
	keys := []int{1}
	for j := 2; j < len(args); j++ {
		switch {
		case eqFold(args[j], "limit"):
			j += 2
		case eqFold(args[j], "by"), eqFold(args[j], "get"):
			j++
		case eqFold(args[j], "store") && j+1 < len(args):
			keys = append(keys, j+1)
			j++
		}
	}
	return keys
}

// lookupByPattern is the value a BY or GET pattern names for one element: "#" is the element itself,
// the first '*' is replaced by the element, and "->field" after it reads a hash field.
func (s *Server) lookupByPattern(c *Client, pattern, elem []byte) ([]byte, bool) {
	if len(pattern) == 1 && pattern[0] == '#' {
		return elem, true
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil, false
	}
	keyPat, field := pattern, []byte(nil)
	if f := bytes.Index(pattern[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(pattern) {
		keyPat, field = pattern[:star+1+f], pattern[star+1+f+2:]
	}
	key := make([]byte, 0, len(keyPat)+len(elem))
	key = append(key, keyPat[:star]...)
	key = append(key, elem...)
	key = append(key, keyPat[star+1:]...)
	o := s.lookupRead(c, key)
	if o == nil {
		return nil, false
	}
	if field != nil {
		if o.Kind != keyspace.KindHash {
			return nil, false
		}
		return o.Val.(*keyspace.Hash).Get(field)
	}
	if o.Kind != keyspace.KindString {
		return nil, false
	}
	return o.Str, true
}

// sortScore reads a number as C strtod does for SORT: leading spaces, hexadecimal and "inf" accepted,
// no trailing bytes, no NaN, nothing out of range; the empty string reads as 0. Valkey hands strtod the
// value as a C string, so a NUL byte ends it: "\x00abc" reads as 0 and "1\x00x" as 1.
func sortScore(b []byte) (float64, bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	t := strings.TrimLeft(string(b), " \t\n\v\f\r")
	if t == "" {
		return 0, true
	}
	if strings.ContainsAny(t, "_") {
		return 0, false
	}
	body := strings.TrimLeft(t, "+-")
	if len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') && !strings.ContainsAny(body, "pP") {
		t += "p0" // strtod takes hexadecimal without an exponent, Go does not
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	if f != 0 && math.Abs(f) < 0x1p-1022 {
		return 0, false // strtod reports the underflow to a subnormal with ERANGE
	}
	return f, true
}

// sortElem is one element being sorted, with the value it sorts by.
type sortElem struct {
	elem  []byte
	cmp   []byte // ALPHA with BY: the by-value, nil when missing
	score float64
	has   bool
}

func sortCommand(c *Client, args [][]byte)   { sortGeneric(c, args, false) }
func sortROCommand(c *Client, args [][]byte) { sortGeneric(c, args, true) }

// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
// [STORE destination], and SORT_RO without STORE.
func sortGeneric(c *Client, args [][]byte, readonly bool) {
	s := c.srv
	a, ok := parseSortArgs(c, args, readonly)
	if !ok {
		return
	}
	o := s.lookupRead(c, args[1])
	if o != nil && o.Kind != keyspace.KindList && o.Kind != keyspace.KindSet && o.Kind != keyspace.KindZSet {
		c.Err(errWrongType)
		return
	}
	if o != nil && o.Kind == keyspace.KindSet && a.dontsort && a.hasStore {
		// an unsorted set comes in hash table order: stored results must not depend on it
		a.dontsort, a.alpha, a.by = false, true, nil
	}
	if o != nil && o.Kind == keyspace.KindZSet {
		// Valkey converts the sorted set it sorts to a skip list, which OBJECT ENCODING shows
		o.Val.(*keyspace.ZSet).ToSkiplist()
	}
	total := int64(0)
	if o != nil {
		switch v := o.Val.(type) {
		case *keyspace.List:
			total = int64(v.Len())
		case *keyspace.Set:
			total = int64(v.Len())
		case *keyspace.ZSet:
			total = int64(v.Len())
		}
	}
	start := min(max(a.start, 0), total)
	count := min(max(a.count, -1), total)
	end := total - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= total {
		start, end = total-1, total-2
	}
	end = min(end, total-1)

	// load the elements; lists and sorted sets that are not sorted load only the range, in their order
	var elems []sortElem
	direct := o != nil && a.dontsort && o.Kind != keyspace.KindSet
	if direct {
		if end >= start {
			n := int(end - start + 1)
			elems = make([]sortElem, 0, n)
			add := func(v []byte) bool {
				elems = append(elems, sortElem{elem: append([]byte(nil), v...)})
				return true
			}
			switch v := o.Val.(type) {
			case *keyspace.List:
				if a.desc {
					v.RangeReverse(v.Len()-1-int(start), n, add)
				} else {
					v.Range(int(start), n, add)
				}
			case *keyspace.ZSet:
				all := make([][]byte, 0, v.Len())
				v.Range(func(m string, _ float64) bool {
					all = append(all, []byte(m))
					return true
				})
				for i := 0; i < n; i++ {
					idx := int(start) + i
					if a.desc {
						idx = len(all) - 1 - idx
					}
					add(all[idx])
				}
			}
			end -= start
			start = 0
		}
	} else if o != nil {
		switch v := o.Val.(type) {
		case *keyspace.List:
			v.Range(0, v.Len(), func(e []byte) bool {
				elems = append(elems, sortElem{elem: append([]byte(nil), e...)})
				return true
			})
		case *keyspace.Set:
			v.Each(func(m []byte) bool {
				elems = append(elems, sortElem{elem: append([]byte(nil), m...)})
				return true
			})
		case *keyspace.ZSet:
			v.Range(func(m string, _ float64) bool {
				elems = append(elems, sortElem{elem: []byte(m)})
				return true
			})
		}
	}

	convErr := false
	if !a.dontsort {
		for i := range elems {
			e := &elems[i]
			by := e.elem
			if a.by != nil {
				v, found := s.lookupByPattern(c, a.by, e.elem)
				if !found {
					continue
				}
				by = v
			}
			if a.alpha {
				if a.by != nil {
					e.cmp, e.has = append([]byte(nil), by...), true
				}
				continue
			}
			if e.score, ok = sortScore(by); !ok {
				convErr = true
			}
		}
		sort.SliceStable(elems, func(i, j int) bool {
			r := sortCompare(&elems[i], &elems[j], a.alpha, a.by != nil)
			if a.desc {
				r = -r
			}
			return r < 0
		})
	}

	if convErr {
		c.Err("ERR One or more scores can't be converted into double")
		return
	}
	outLen := end - start + 1
	if len(a.gets) > 0 {
		outLen *= int64(len(a.gets))
	}
	if !a.hasStore {
		w := c.W()
		w.Array(int(outLen))
		for j := start; j <= end; j++ {
			if len(a.gets) == 0 {
				w.Bulk(elems[j].elem)
			}
			for _, g := range a.gets {
				if v, found := s.lookupByPattern(c, g, elems[j].elem); found {
					w.Bulk(v)
				} else {
					w.Null()
				}
			}
		}
		return
	}
	var vals [][]byte
	size := 0
	for j := start; j <= end; j++ {
		if len(a.gets) == 0 {
			vals = append(vals, elems[j].elem)
			size += len(elems[j].elem)
		}
		for _, g := range a.gets {
			v, _ := s.lookupByPattern(c, g, elems[j].elem)
			v = append([]byte{}, v...) // a missing value is stored as an empty string
			vals = append(vals, v)
			size += len(v)
		}
	}
	db := c.dbx()
	if len(vals) > 0 {
		l := keyspace.NewList()
		l.PrepareAppend(s.listFill(), size, len(vals))
		for _, v := range vals {
			l.PushBack(v)
		}
		s.expireIfNeeded(db, a.store)
		db.Set(a.store, keyspace.Object{Kind: keyspace.KindList, Val: l, LRU: s.lruClock()}, false)
		s.keyModified(db, a.store)
		s.dirty += int64(len(vals) - 1)
		s.notifyKeyspace(notifyList, "sortstore", a.store, db.ID)
	} else if s.lookupWrite(c, a.store) != nil {
		db.Delete(a.store)
		s.keyModified(db, a.store)
		s.notifyKeyspace(notifyGeneric, "del", a.store, db.ID)
	}
	c.W().Int(outLen)
}

// sortCompare orders two elements as Valkey does: by score with ties broken by the element bytes, or
// with ALPHA by the BY values (missing ones first) or the elements themselves.
func sortCompare(x, y *sortElem, alpha, byPattern bool) int {
	if !alpha {
		switch {
		case x.score > y.score:
			return 1
		case x.score < y.score:
			return -1
		}
		return bytes.Compare(x.elem, y.elem)
	}
	if byPattern {
		switch {
		case !x.has && !y.has:
			return 0
		case !x.has:
			return -1
		case !y.has:
			return 1
		}
		return bytes.Compare(x.cmp, y.cmp)
	}
	return bytes.Compare(x.elem, y.elem)
}

func init() {
	register(
		spec{name: "sort", arity: -2, flags: "write denyoom", first: 1, last: 1, step: 1, group: "generic", summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.", since: "1.0.0", complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", handler: sortCommand, keys: sortKeys},
		spec{name: "sort_ro", arity: -2, flags: "readonly", first: 1, last: 1, step: 1, group: "generic", summary: "Returns the sorted elements of a list, a set, or a sorted set.", since: "7.0.0", complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", handler: sortROCommand,
			// BY and GET patterns name keys the key positions cannot list: Valkey reports movablekeys
			keys: func(args [][]byte) []int { return []int{1} }},
	)
}
