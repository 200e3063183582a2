package server

import (
	"bytes"
	"math"
	"strconv"
	"sync"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Sorted set ranges: the parsers of scores and score/lexicographic intervals (which follow C's strtod, as
// Valkey's do), ZRANGE and its older forms, ZRANGESTORE, ZCOUNT, ZLEXCOUNT and ZREMRANGEBY{RANK,SCORE,LEX}.

// cIsSpace is C's isspace in the "C" locale.
func cIsSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

func hasPrefixFold(b []byte, kw string) bool { return len(b) >= len(kw) && eqFold(b[:len(kw)], kw) }

// cStrtod parses the longest prefix of s that C's strtod accepts (leading white space, a sign, decimal
// or hexadecimal digits with an optional exponent, "inf", "infinity", "nan", "nan(...)") and returns the
// value, the bytes consumed (0: no conversion) and whether the value was out of range (ERANGE: overflow,
// or a non-zero number that rounds to zero).
func cStrtod(s []byte) (v float64, n int, erange bool) {
	i := 0
	for i < len(s) && cIsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := 1.0
	if neg {
		sign = -1
	}
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return math.Inf(int(sign)), i + 8, false
	case hasPrefixFold(rest, "inf"):
		return math.Inf(int(sign)), i + 3, false
	case hasPrefixFold(rest, "nan"):
		j := i + 3
		if j < len(s) && s[j] == '(' {
			k := j + 1
			for k < len(s) && (isDigit(s[k]) || s[k]|0x20 >= 'a' && s[k]|0x20 <= 'z' || s[k] == '_') {
				k++
			}
			if k < len(s) && s[k] == ')' {
				j = k + 1
			}
		}
		return math.NaN(), j, false
	}
	if len(rest) >= 2 && rest[0] == '0' && rest[1]|0x20 == 'x' {
		if v, m, er, ok := cStrtodHex(rest[2:], neg); ok {
			return v, i + 2 + m, er
		}
		// "0x" without hexadecimal digits: only the "0" converts
		return math.Copysign(0, sign), i + 1, false
	}
	start := i
	digits, nonzero := 0, false
	for i < len(s) && isDigit(s[i]) {
		nonzero = nonzero || s[i] != '0'
		digits++
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			nonzero = nonzero || s[i] != '0'
			digits++
			i++
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if i < len(s) && s[i]|0x20 == 'e' {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	f, err := strconv.ParseFloat(string(s[start:i]), 64)
	erange = err != nil || (f == 0 && nonzero)
	return f * sign, i, erange
}

// cStrtodHex parses the hexadecimal mantissa and binary exponent after "0x".
func cStrtodHex(s []byte, neg bool) (v float64, n int, erange bool, ok bool) {
	i := 0
	digits, nonzero := 0, false
	for i < len(s) && isHexDigit(s[i]) {
		nonzero = nonzero || s[i] != '0'
		digits++
		i++
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isHexDigit(s[j]) {
			nonzero = nonzero || s[j] != '0'
			digits++
			j++
		}
		if digits > 0 {
			i = j
		}
	}
	if digits == 0 {
		return 0, 0, false, false
	}
	mant := s[:i]
	exp := []byte("p0")
	if i < len(s) && s[i]|0x20 == 'p' {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			exp = s[i:j]
			i = j
		}
	}
	text := "0x" + string(mant) + string(exp)
	if neg {
		text = "-" + text
	}
	f, err := strconv.ParseFloat(text, 64)
	return f, i, err != nil || (f == 0 && nonzero), true
}

// parseZScore parses a score or increment as Valkey's getDoubleFromObject: the whole argument must be a
// number for strtod, without leading space; NaN and out-of-range values are refused, "inf" is accepted.
func parseZScore(b []byte) (float64, bool) {
	if v, ok := parseIntScore(b); ok {
		return v, true
	}
	if len(b) == 0 || cIsSpace(b[0]) {
		return 0, false
	}
	v, n, erange := cStrtod(b)
	if n != len(b) || math.IsNaN(v) || (erange && (v == 0 || math.IsInf(v, 0))) {
		return 0, false
	}
	return v, true
}

// parseIntScore reads the most common score, a decimal integer of at most 15 digits with an optional
// sign, without going through cStrtod and strconv (whose string conversion allocates). Such an integer
// is below 2^53, so float64 holds it exactly and the result is strtod's, "-0" included.
func parseIntScore(b []byte) (float64, bool) {
	d := b
	neg := false
	if len(d) > 0 && (d[0] == '-' || d[0] == '+') {
		neg, d = d[0] == '-', d[1:]
	}
	if len(d) == 0 || len(d) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	f := float64(n)
	if neg {
		f = -f
	}
	return f, true
}

// cString is the part of an argument C code sees as a string: up to the first NUL byte.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// parseScoreBound parses one end of a score interval: "(" makes it exclusive; the rest goes to strtod,
// which here may skip leading blanks and turns an empty string into 0, as in Valkey.
func parseScoreBound(b []byte) (v float64, ex bool, ok bool) {
	b = cString(b)
	if len(b) > 0 && b[0] == '(' {
		ex = true
		b = b[1:]
	}
	v, n, _ := cStrtod(b)
	if n != len(b) || math.IsNaN(v) {
		return 0, false, false
	}
	return v, ex, true
}

func parseScoreRange(min, max []byte) (keyspace.ZScoreRange, bool) {
	var r keyspace.ZScoreRange
	var ok bool
	if r.Min, r.MinEx, ok = parseScoreBound(min); !ok {
		return r, false
	}
	if r.Max, r.MaxEx, ok = parseScoreBound(max); !ok {
		return r, false
	}
	return r, true
}

// parseLexBound parses one end of a lexicographic interval: "[x" inclusive, "(x" exclusive, "-" and "+"
// the infinities.
func parseLexBound(b []byte) (keyspace.ZLexBound, bool) {
	if len(b) == 0 {
		return keyspace.ZLexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		// Valkey compares as a C string: anything after a NUL does not count
		if len(b) > 1 && b[1] != 0 {
			return keyspace.ZLexBound{}, false
		}
		inf := int8(1)
		if b[0] == '-' {
			inf = -1
		}
		return keyspace.ZLexBound{Inf: inf, Ex: true}, true
	case '(':
		return keyspace.ZLexBound{Ex: true, Val: string(b[1:])}, true
	case '[':
		return keyspace.ZLexBound{Val: string(b[1:])}, true
	}
	return keyspace.ZLexBound{}, false
}

func parseLexRange(min, max []byte) (keyspace.ZLexRange, bool) {
	var r keyspace.ZLexRange
	var ok bool
	if r.Min, ok = parseLexBound(min); !ok {
		return r, false
	}
	if r.Max, ok = parseLexBound(max); !ok {
		return r, false
	}
	return r, true
}

// parseLong is getLongFromObject: a strict 64-bit integer.
func parseLong(c *Client, b []byte) (int64, bool) {
	n, ok := parseInt64(b)
	if !ok {
		c.Err(errNotInt)
	}
	return n, ok
}

// ---- ZRANGE and friends ----

type zrangeKind uint8

const (
	zrangeAuto zrangeKind = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

// zrangeReq is a parsed ZRANGE-family request.
type zrangeReq struct {
	kind       zrangeKind
	reverse    bool
	withScores bool
	start, end int64 // by rank
	score      keyspace.ZScoreRange
	lex        keyspace.ZLexRange
	offset     int64
	limit      int64 // -1 (or any negative): no limit
}

// parseZRangeArgs parses the arguments of the ZRANGE family after the key: the range at args[from+1],
// args[from+2] and the options after them. kind and reverse are fixed by the older commands
// (ZREVRANGEBYSCORE, ...); ZRANGE passes zrangeAuto and false and lets the options choose. store is
// ZRANGESTORE, which takes no WITHSCORES. It returns the request or the error to reply.
func parseZRangeArgs(args [][]byte, from int, store bool, kind zrangeKind, reverse bool) (zrangeReq, string) {
	req := zrangeReq{kind: kind, reverse: reverse, limit: -1}
	// the direction can be chosen once, and only by ZRANGE itself
	dirSet := reverse || kind != zrangeAuto
	for j := from + 3; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case !store && eqFold(a, "withscores"):
			req.withScores = true
		case eqFold(a, "limit") && left >= 2:
			var ok bool
			if req.offset, ok = parseInt64(args[j+1]); !ok {
				return req, errNotInt
			}
			if req.limit, ok = parseInt64(args[j+2]); !ok {
				return req, errNotInt
			}
			j += 2
		case !dirSet && eqFold(a, "rev"):
			req.reverse, dirSet = true, true
		case req.kind == zrangeAuto && eqFold(a, "bylex"):
			req.kind = zrangeLex
		case req.kind == zrangeAuto && eqFold(a, "byscore"):
			req.kind = zrangeScore
		default:
			return req, errSyntax
		}
	}
	if req.kind == zrangeAuto {
		req.kind = zrangeRank
	}
	// as in Valkey, "LIMIT x -1" is the same as no LIMIT and so is accepted by rank
	if req.limit != -1 && req.kind == zrangeRank {
		return req, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	}
	if req.withScores && req.kind == zrangeLex {
		return req, "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	}
	minIdx, maxIdx := from+1, from+2
	if req.reverse && req.kind != zrangeRank {
		// the interval is given as max, min
		minIdx, maxIdx = maxIdx, minIdx
	}
	switch req.kind {
	case zrangeRank:
		var ok bool
		if req.start, ok = parseInt64(args[minIdx]); !ok {
			return req, errNotInt
		}
		if req.end, ok = parseInt64(args[maxIdx]); !ok {
			return req, errNotInt
		}
	case zrangeScore:
		var ok bool
		if req.score, ok = parseScoreRange(args[minIdx], args[maxIdx]); !ok {
			return req, errZSetMinMax
		}
	case zrangeLex:
		var ok bool
		if req.lex, ok = parseLexRange(args[minIdx], args[maxIdx]); !ok {
			return req, errZSetLexRange
		}
	}
	return req, ""
}

// zentryPool recycles the result buffers of range commands.
var zentryPool = sync.Pool{New: func() any { b := make([]keyspace.ZEntry, 0, 64); return &b }}

// rankBounds normalises a rank interval (negative ranks count from the end) to 0-based start..end within
// a set of n members; ok is false when it is empty.
func rankBounds(start, end int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0, false
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end), true
}

// run appends the members the request selects from z to out, in reply order.
func (req *zrangeReq) run(z *keyspace.ZSet, out []keyspace.ZEntry) []keyspace.ZEntry {
	n := z.Len()
	if req.kind == zrangeRank {
		start, end, ok := rankBounds(req.start, req.end, n)
		if !ok {
			return out
		}
		var it keyspace.ZIter
		if req.reverse {
			it = z.At(n - 1 - start)
		} else {
			it = z.At(start)
		}
		for i := start; i <= end && it.Valid(); i++ {
			out = append(out, it.Entry())
			it.Step(req.reverse)
		}
		return out
	}
	// LIMIT: a negative offset skips everything (Valkey walks past the end), a negative count is no limit
	if req.offset < 0 || (req.offset > 0 && req.offset >= int64(n)) {
		return out
	}
	var it keyspace.ZIter
	switch {
	case req.kind == zrangeScore && req.reverse:
		it = z.LastInScore(&req.score)
	case req.kind == zrangeScore:
		it = z.FirstInScore(&req.score)
	case req.reverse:
		it = z.LastInLex(&req.lex)
	default:
		it = z.FirstInLex(&req.lex)
	}
	if !it.Valid() {
		return out
	}
	if req.offset > 0 {
		// the offset skips members without looking at the range, by rank in O(log n)
		r := int64(it.Rank())
		if req.reverse {
			r -= req.offset
		} else {
			r += req.offset
		}
		if r < 0 || r >= int64(n) {
			return out
		}
		it = z.At(int(r))
	}
	for limit := req.limit; it.Valid() && limit != 0; limit-- {
		var in bool
		switch {
		case req.kind == zrangeScore && req.reverse:
			in = req.score.GteMin(it.Score())
		case req.kind == zrangeScore:
			in = req.score.LteMax(it.Score())
		case req.reverse:
			in = req.lex.GteMin(it.Member())
		default:
			in = req.lex.LteMax(it.Member())
		}
		if !in {
			break
		}
		out = append(out, it.Entry())
		it.Step(req.reverse)
	}
	return out
}

func zrangeCommand(c *Client, args [][]byte) { zrangeGeneric(c, args, zrangeAuto, false) }
func zrevrangeCommand(c *Client, args [][]byte) {
	zrangeGeneric(c, args, zrangeRank, true)
}
func zrangebyscoreCommand(c *Client, args [][]byte) { zrangeGeneric(c, args, zrangeScore, false) }
func zrevrangebyscoreCommand(c *Client, args [][]byte) {
	zrangeGeneric(c, args, zrangeScore, true)
}
func zrangebylexCommand(c *Client, args [][]byte)    { zrangeGeneric(c, args, zrangeLex, false) }
func zrevrangebylexCommand(c *Client, args [][]byte) { zrangeGeneric(c, args, zrangeLex, true) }

func zrangeGeneric(c *Client, args [][]byte, kind zrangeKind, reverse bool) {
	req, msg := parseZRangeArgs(args, 1, false, kind, reverse)
	if msg != "" {
		c.Err(msg)
		return
	}
	z, ok := c.srv.zsetRead(c, args[1])
	if !ok {
		return
	}
	w := c.W()
	if z == nil {
		w.Array(0)
		return
	}
	bp := zentryPool.Get().(*[]keyspace.ZEntry)
	res := req.run(z, (*bp)[:0])
	zsetPairsHeader(w, len(res), req.withScores)
	for _, e := range res {
		zsetPair(w, e.Member, e.Score, req.withScores)
	}
	zsetReleaseBuf(bp, res)
}

// zsetReleaseBuf returns a result buffer to the pool, dropping the member references and any buffer that
// grew large.
func zsetReleaseBuf(bp *[]keyspace.ZEntry, res []keyspace.ZEntry) {
	if cap(res) > 1<<16 {
		return
	}
	clear(res)
	*bp = res[:0]
	zentryPool.Put(bp)
}

// zrangestoreCommand is ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count].
func zrangestoreCommand(c *Client, args [][]byte) {
	s := c.srv
	req, msg := parseZRangeArgs(args, 2, true, zrangeAuto, false)
	if msg != "" {
		c.Err(msg)
		return
	}
	src, ok := s.zsetRead(c, args[2])
	if !ok {
		return
	}
	var res []keyspace.ZEntry
	if src != nil {
		res = req.run(src, nil)
	}
	// Valkey sizes the result for the count of a rank range (unknown for the others: small form), then
	// adds the members in reply order, converting on the way like ZADD does
	hint := 0
	if req.kind == zrangeRank {
		hint = len(res)
	}
	lim := s.zsetLimits()
	z := keyspace.NewZSet(!lim.Fits(hint, 0))
	for _, e := range res {
		z.InsertLimited(e.Member, e.Score, lim)
	}
	s.zsetStoreSet(c, args[1], z, "zrangestore")
}

// zsetStore replaces dst with a sorted set of entries (distinct members, in any order; the slice is
// reordered) and replies its size; with no entries it deletes dst instead. The result takes the small
// form when it fits, as Valkey converts the results of its set algebra.
func (s *Server) zsetStore(c *Client, dst []byte, entries []keyspace.ZEntry, event string) {
	maxLen := 0
	for _, e := range entries {
		maxLen = max(maxLen, len(e.Member))
	}
	s.zsetStoreSet(c, dst, keyspace.NewZSetFrom(entries, !s.zsetLimits().Fits(len(entries), maxLen)), event)
}

// zsetStoreSet replaces dst with z and replies its size; an empty z deletes dst instead.
func (s *Server) zsetStoreSet(c *Client, dst []byte, z *keyspace.ZSet, event string) {
	db := c.dbx()
	if z.Len() == 0 {
		c.W().Int(0)
		if db.Delete(dst) {
			s.keyModified(db, dst)
			s.notifyKeyspace(notifyGeneric, "del", dst, db.ID)
		}
		return
	}
	s.expireIfNeeded(db, dst)
	db.Set(dst, keyspace.Object{Kind: keyspace.KindZSet, Val: z, LRU: s.lruClock()}, false)
	s.keyModified(db, dst)
	s.notifyKeyspace(notifyZSet, event, dst, db.ID)
	s.signalKeyReady(db.ID, dst)
	c.W().Int(int64(z.Len()))
}

// ---- counts and range removals ----

func zcountCommand(c *Client, args [][]byte) {
	r, ok := parseScoreRange(args[2], args[3])
	if !ok {
		c.Err(errZSetMinMax)
		return
	}
	z, ok := c.srv.zsetRead(c, args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W().Int(0)
		return
	}
	c.W().Int(int64(z.CountScore(&r)))
}

func zlexcountCommand(c *Client, args [][]byte) {
	r, ok := parseLexRange(args[2], args[3])
	if !ok {
		c.Err(errZSetLexRange)
		return
	}
	z, ok := c.srv.zsetRead(c, args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W().Int(0)
		return
	}
	c.W().Int(int64(z.CountLex(&r)))
}

func zremrangebyrankCommand(c *Client, args [][]byte) {
	start, ok := parseLong(c, args[2])
	if !ok {
		return
	}
	end, ok := parseLong(c, args[3])
	if !ok {
		return
	}
	zremrangeGeneric(c, args[1], "zremrangebyrank", func(z *keyspace.ZSet) int {
		from, to, ok := rankBounds(start, end, z.Len())
		if !ok {
			return 0
		}
		return z.DeleteRangeByRank(from, to)
	})
}

func zremrangebyscoreCommand(c *Client, args [][]byte) {
	r, ok := parseScoreRange(args[2], args[3])
	if !ok {
		c.Err(errZSetMinMax)
		return
	}
	zremrangeGeneric(c, args[1], "zremrangebyscore", func(z *keyspace.ZSet) int { return z.DeleteRangeByScore(&r) })
}

func zremrangebylexCommand(c *Client, args [][]byte) {
	r, ok := parseLexRange(args[2], args[3])
	if !ok {
		c.Err(errZSetLexRange)
		return
	}
	zremrangeGeneric(c, args[1], "zremrangebylex", func(z *keyspace.ZSet) int { return z.DeleteRangeByLex(&r) })
}

func zremrangeGeneric(c *Client, key []byte, event string, del func(z *keyspace.ZSet) int) {
	s := c.srv
	z, ok := s.zsetWrite(c, key)
	if !ok {
		return
	}
	if z == nil {
		c.W().Int(0)
		return
	}
	db := c.dbx()
	n := del(z)
	if n > 0 {
		s.keyModified(db, key)
		s.dirty += int64(n - 1)
		s.notifyKeyspace(notifyZSet, event, key, db.ID)
		s.zsetDeleteIfEmpty(db, key, z)
	}
	c.W().Int(int64(n))
}

func init() {
	const g = "sorted-set"
	const logRange = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."
	register(
		spec{name: "zrange", arity: -4, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "1.2.0",
			summary:    "Returns members in a sorted set within a range of indexes.",
			complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", handler: zrangeCommand},
		spec{name: "zrevrange", arity: -4, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "1.2.0",
			summary:    "Returns members in a sorted set within a range of indexes in reverse order.",
			complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", handler: zrevrangeCommand},
		spec{name: "zrangebyscore", arity: -4, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "1.0.5",
			summary: "Returns members in a sorted set within a range of scores.", complexity: logRange, handler: zrangebyscoreCommand},
		spec{name: "zrevrangebyscore", arity: -4, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "2.2.0",
			summary: "Returns members in a sorted set within a range of scores in reverse order.", complexity: logRange, handler: zrevrangebyscoreCommand},
		spec{name: "zrangebylex", arity: -4, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "2.8.9",
			summary: "Returns members in a sorted set within a lexicographical range.", complexity: logRange, handler: zrangebylexCommand},
		spec{name: "zrevrangebylex", arity: -4, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "2.8.9",
			summary: "Returns members in a sorted set within a lexicographical range in reverse order.", complexity: logRange, handler: zrevrangebylexCommand},
		spec{name: "zrangestore", arity: -5, flags: "write denyoom", first: 1, last: 2, step: 1, group: g, since: "6.2.0",
			summary:    "Stores a range of members from sorted set in a key.",
			complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", handler: zrangestoreCommand},
		spec{name: "zcount", arity: 4, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary:    "Returns the count of members in a sorted set that have scores within a range.",
			complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: zcountCommand},
		spec{name: "zlexcount", arity: 4, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "2.8.9",
			summary:    "Returns the number of members in a sorted set within a lexicographical range.",
			complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: zlexcountCommand},
		spec{name: "zremrangebyrank", arity: 4, flags: "write", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary:    "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.",
			complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", handler: zremrangebyrankCommand},
		spec{name: "zremrangebyscore", arity: 4, flags: "write", first: 1, last: 1, step: 1, group: g, since: "1.2.0",
			summary:    "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.",
			complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", handler: zremrangebyscoreCommand},
		spec{name: "zremrangebylex", arity: 4, flags: "write", first: 1, last: 1, step: 1, group: g, since: "2.8.9",
			summary:    "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.",
			complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", handler: zremrangebylexCommand},
	)
}
