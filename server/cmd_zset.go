package server

import (
	"math"
	"strconv"

	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/server/glob"
	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/resp"
)

// Sorted set commands: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, the pops (ZPOPMIN,
// ZPOPMAX, BZPOPMIN, BZPOPMAX, ZMPOP, BZMPOP), ZRANDMEMBER and ZSCAN. The range commands are in
// cmd_zset_range.go, the set algebra (ZUNION, ZINTER, ZDIFF, ZINTERCARD) in cmd_zset_store.go, the value
// structure in keyspace/zset.go.

// zsetSettings are the thresholds of the small ("listpack") form.
type zsetSettings struct {
	MaxListpackEntries int64 // zset-max-listpack-entries
	MaxListpackValue   int64 // zset-max-listpack-value (bytes)
}

func (s *Server) registerZSetDirectives() {
	c := &s.cfg.ZSet
	s.reg.Add(
		&config.Directive{Name: "zset-max-listpack-entries", Aliases: []string{"zset-max-ziplist-entries"}, Default: "128",
			Value: config.Int{P: &c.MaxListpackEntries, Min: 0, Max: math.MaxInt64}},
		&config.Directive{Name: "zset-max-listpack-value", Aliases: []string{"zset-max-ziplist-value"}, Default: "64",
			Value: config.Memory{P: &c.MaxListpackValue, Min: 0, Max: math.MaxInt64}},
	)
}

func (s *Server) zsetLimits() keyspace.ZLimits {
	return keyspace.ZLimits{Entries: int(s.cfg.ZSet.MaxListpackEntries), Value: int(s.cfg.ZSet.MaxListpackValue)}
}

const (
	errZSetNaN        = "ERR resulting score is not a number (NaN)"
	errZSetMinMax     = "ERR min or max is not a float"
	errZSetLexRange   = "ERR min or max not valid string range item"
	errPositive       = "ERR value is out of range, must be positive"
	errZSetWeight     = "ERR weight value is not a float"
	errZSetNumkeys    = "ERR numkeys should be greater than 0"
	errZSetCount      = "ERR count should be greater than 0"
	errZSetLimitNeg   = "ERR LIMIT can't be negative"
	errZSetRandRange  = "ERR value is out of range"
	errZSetLongRange  = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errZSetNXXX       = "ERR XX and NX options at the same time are not compatible"
	errZSetGTLTNX     = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZSetIncrSingle = "ERR INCR option supports a single increment-element pair"
)

// zsetOf returns the sorted set of an object, or nil after replying WRONGTYPE. A nil object gives nil
// and true.
func zsetOf(c *Client, o *keyspace.Object) (*keyspace.ZSet, bool) {
	return typedValue[*keyspace.ZSet](c, o, keyspace.KindZSet)
}

// zsetRead looks key up for reading: (nil, true) when missing, (nil, false) after replying WRONGTYPE.
func (s *Server) zsetRead(c *Client, key []byte) (*keyspace.ZSet, bool) {
	return zsetOf(c, s.lookupRead(c, key))
}

// zsetWrite is zsetRead for write commands.
func (s *Server) zsetWrite(c *Client, key []byte) (*keyspace.ZSet, bool) {
	return zsetOf(c, s.lookupWrite(c, key))
}

// zsetDeleteIfEmpty removes a key whose sorted set became empty, with the "del" event; it reports whether
// it did.
func (s *Server) zsetDeleteIfEmpty(db *keyspace.DB, key []byte, z *keyspace.ZSet) bool {
	if z.Len() > 0 {
		return false
	}
	db.Delete(key)
	s.notifyKeyspace(notifyGeneric, "del", key, db.ID)
	return true
}

// appendScore formats a score as Valkey's d2string: "nan", "inf", "-inf", "-0" and "0" spelled out, an
// integral value within ±2^62 as an integer, anything else with the fewest digits that read back the same
// value, in %g notation (an exponent only below 1e-4 or from 1e17).
func appendScore(b []byte, f float64) []byte { return resp.AppendDouble(b, f) }

// writeScore replies a score: a RESP3 double or a RESP2 bulk string, formatted as Valkey formats them.
func writeScore(w *resp.Writer, f float64) {
	var tmp [40]byte
	if w.Proto == 3 {
		b := append(tmp[:0], ',')
		b = appendScore(b, f)
		w.Raw(append(b, '\r', '\n'))
		return
	}
	w.Bulk(appendScore(tmp[:0], f))
}

// zsetPairsHeader starts a reply of n member/score pairs: flat in RESP2, an array of [member, score]
// arrays in RESP3 (clients must keep the order, so not a map).
func zsetPairsHeader(w *resp.Writer, n int, withScores bool) {
	if withScores && w.Proto == 2 {
		w.Array(2 * n)
		return
	}
	w.Array(n)
}

func zsetPair(w *resp.Writer, member string, score float64, withScores bool) {
	if withScores && w.Proto == 3 {
		w.Array(2)
	}
	w.BulkString(member)
	if withScores {
		writeScore(w, score)
	}
}

// ---- ZADD / ZINCRBY ----

func zaddCommand(c *Client, args [][]byte)    { zaddGeneric(c, args, 0) }
func zincrbyCommand(c *Client, args [][]byte) { zaddGeneric(c, args, keyspace.ZAddIncr) }

// zaddGeneric is ZADD, and ZINCRBY as ZADD with INCR. ZINCRBY goes through the same option parser, as in
// Valkey (so "ZINCRBY k incr m" is a syntax error rather than a bad float).
func zaddGeneric(c *Client, args [][]byte, flags int) {
	s := c.srv
	key := args[1]
	ch := false
	i := 2
options:
	for ; i < len(args); i++ {
		switch a := args[i]; {
		case eqFold(a, "nx"):
			flags |= keyspace.ZAddNX
		case eqFold(a, "xx"):
			flags |= keyspace.ZAddXX
		case eqFold(a, "ch"):
			ch = true
		case eqFold(a, "incr"):
			flags |= keyspace.ZAddIncr
		case eqFold(a, "gt"):
			flags |= keyspace.ZAddGT
		case eqFold(a, "lt"):
			flags |= keyspace.ZAddLT
		default:
			break options
		}
	}
	elements := len(args) - i
	if elements == 0 || elements%2 != 0 {
		c.Err(errSyntax)
		return
	}
	elements /= 2
	nx, xx := flags&keyspace.ZAddNX != 0, flags&keyspace.ZAddXX != 0
	gt, lt := flags&keyspace.ZAddGT != 0, flags&keyspace.ZAddLT != 0
	incr := flags&keyspace.ZAddIncr != 0
	switch {
	case nx && xx:
		c.Err(errZSetNXXX)
		return
	case (gt && nx) || (lt && nx) || (gt && lt):
		c.Err(errZSetGTLTNX)
		return
	case incr && elements > 1:
		c.Err(errZSetIncrSingle)
		return
	}
	// every score is parsed before anything changes: the command applies fully or not at all
	var buf [8]float64
	scores := buf[:0]
	maxLen := 0
	for j := 0; j < elements; j++ {
		f, ok := parseZScore(args[i+2*j])
		if !ok {
			c.Err(errNotFloat)
			return
		}
		scores = append(scores, f)
		maxLen = max(maxLen, len(args[i+2*j+1]))
	}
	z, ok := s.zsetWrite(c, key)
	if !ok {
		return
	}
	db := c.dbx()
	lim := s.zsetLimits()
	var added, updated, processed int
	var score float64
	if z == nil {
		if xx {
			zaddReply(c, incr, ch, 0, 0, 0, 0)
			return
		}
		z = keyspace.NewZSet(!lim.Fits(elements, maxLen))
		db.Add(key, keyspace.Object{Kind: keyspace.KindZSet, Val: z, LRU: s.lruClock()})
	} else if z.IsListpack() && elements > lim.Entries {
		z.ToSkiplist()
	}
	nan := false
	for j := 0; j < elements && !nan; j++ {
		ns, out := z.Add(args[i+2*j+1], scores[j], flags, lim)
		nan = out&keyspace.ZNaN != 0
		if out&keyspace.ZAdded != 0 {
			added++
		}
		if out&keyspace.ZUpdated != 0 {
			updated++
		}
		if out&(keyspace.ZNop|keyspace.ZNaN) == 0 {
			processed++
		}
		score = ns
	}
	if nan {
		// only INCR can get there (an increment of inf on -inf), and it has one element: nothing changed
		c.Err(errZSetNaN)
	} else {
		zaddReply(c, incr, ch, added, updated, processed, score)
	}
	if added+updated > 0 {
		s.keyModified(db, key)
		s.dirty += int64(added + updated - 1) // Valkey counts every changed member
		event := "zadd"
		if incr {
			event = "zincr"
		}
		s.notifyKeyspace(notifyZSet, event, key, db.ID)
		s.signalKeyReady(db.ID, key)
	}
}

func zaddReply(c *Client, incr, ch bool, added, updated, processed int, score float64) {
	switch {
	case incr && processed > 0:
		writeScore(c.W(), score)
	case incr:
		c.W().Null()
	case ch:
		c.W().Int(int64(added + updated))
	default:
		c.W().Int(int64(added))
	}
}

// ---- ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK ----

func zremCommand(c *Client, args [][]byte) {
	s := c.srv
	key := args[1]
	z, ok := s.zsetWrite(c, key)
	if !ok {
		return
	}
	if z == nil {
		c.W().Int(0)
		return
	}
	db := c.dbx()
	deleted := 0
	for _, m := range args[2:] {
		if z.Delete(m) {
			deleted++
			if z.Len() == 0 {
				break
			}
		}
	}
	if deleted > 0 {
		s.notifyKeyspace(notifyZSet, "zrem", key, db.ID)
		s.zsetDeleteIfEmpty(db, key, z)
		s.keyModified(db, key)
		s.dirty += int64(deleted - 1)
	}
	c.W().Int(int64(deleted))
}

func zcardCommand(c *Client, args [][]byte) {
	z, ok := c.srv.zsetRead(c, args[1])
	if !ok {
		return
	}
	if z == nil {
		c.W().Int(0)
		return
	}
	c.W().Int(int64(z.Len()))
}

func zscoreCommand(c *Client, args [][]byte) {
	z, ok := c.srv.zsetRead(c, args[1])
	if !ok {
		return
	}
	if z != nil {
		if f, found := z.Score(args[2]); found {
			writeScore(c.W(), f)
			return
		}
	}
	c.W().Null()
}

func zmscoreCommand(c *Client, args [][]byte) {
	z, ok := c.srv.zsetRead(c, args[1])
	if !ok {
		return
	}
	w := c.W()
	w.Array(len(args) - 2)
	for _, m := range args[2:] {
		f, found := 0.0, false
		if z != nil {
			f, found = z.Score(m)
		}
		if found {
			writeScore(w, f)
		} else {
			w.Null()
		}
	}
}

func zrankCommand(c *Client, args [][]byte)    { zrankGeneric(c, args, false) }
func zrevrankCommand(c *Client, args [][]byte) { zrankGeneric(c, args, true) }

// zrankGeneric is Z[REV]RANK key member [WITHSCORE].
func zrankGeneric(c *Client, args [][]byte, reverse bool) {
	if len(args) > 4 {
		c.Err("ERR wrong number of arguments for '" + lowerASCII(args[0]) + "' command")
		return
	}
	withScore := false
	if len(args) == 4 {
		if !eqFold(args[3], "withscore") {
			c.Err(errSyntax)
			return
		}
		withScore = true
	}
	z, ok := c.srv.zsetRead(c, args[1])
	if !ok {
		return
	}
	w := c.W()
	if z != nil {
		if r, f, found := z.Rank(args[2], reverse); found {
			if withScore {
				w.Array(2)
				w.Int(int64(r))
				writeScore(w, f)
			} else {
				w.Int(int64(r))
			}
			return
		}
	}
	if withScore {
		w.NullArray()
	} else {
		w.Null()
	}
}

// ---- pops ----

// zpopFrom pops up to count members of the sorted set at key (lowest scores, highest when top) and writes
// the reply in one of Valkey's four shapes: with or without the key in front (the blocking and multi-key
// forms), flat or nested pairs.
func (s *Server) zpopFrom(c *Client, key []byte, z *keyspace.ZSet, top bool, emitKey bool, count int64, nested bool) {
	db := c.dbx()
	n := int(min(count, int64(z.Len())))
	w := c.W()
	switch {
	case !nested && !emitKey:
		w.Array(2 * n)
	case nested && !emitKey:
		w.Array(n)
	case !nested && emitKey:
		w.Array(2*n + 1)
		w.Bulk(key)
	default:
		w.Array(2)
		w.Bulk(key)
		w.Array(n)
	}
	for i := 0; i < n; i++ {
		e := z.Pop(top)
		if nested {
			w.Array(2)
		}
		w.BulkString(e.Member)
		writeScore(w, e.Score)
	}
	event := "zpopmin"
	if top {
		event = "zpopmax"
	}
	s.notifyKeyspace(notifyZSet, event, key, db.ID)
	s.zsetDeleteIfEmpty(db, key, z)
	s.keyModified(db, key)
}

// zpopFirst pops from the first of keys that exists. It reports false, having written nothing, when none
// does; a key of another type is a WRONGTYPE error (served).
func (s *Server) zpopFirst(c *Client, keys [][]byte, top, emitKey bool, count int64, nested bool) bool {
	for _, k := range keys {
		o := s.lookupWrite(c, k)
		if o == nil {
			continue
		}
		z, ok := zsetOf(c, o)
		if !ok {
			return true
		}
		if z.Len() == 0 {
			continue
		}
		if count == 0 {
			c.W().Array(0)
			return true
		}
		s.zpopFrom(c, k, z, top, emitKey, count, nested)
		return true
	}
	return false
}

func zpopminCommand(c *Client, args [][]byte) { zpopCommand(c, args, false) }
func zpopmaxCommand(c *Client, args [][]byte) { zpopCommand(c, args, true) }

// zpopCommand is ZPOP{MIN,MAX} key [count]: without a count one flat pair; with one, RESP3 nests the pairs.
func zpopCommand(c *Client, args [][]byte, where bool) {
	if len(args) > 3 {
		c.Err(errSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		// Valkey's getPositiveLongFromObjectOrReply: one message for both a bad number and a negative one
		n, ok := parseInt64(args[2])
		if !ok || n < 0 {
			c.Err(errPositive)
			return
		}
		count = n
	}
	nested := c.out.Proto == 3 && count != -1
	if count == -1 {
		count = 1
	}
	if !c.srv.zpopFirst(c, args[1:2], where, false, count, nested) {
		c.W().Array(0)
	}
}

func bzpopminCommand(c *Client, args [][]byte) { bzpopCommand(c, args, false) }
func bzpopmaxCommand(c *Client, args [][]byte) { bzpopCommand(c, args, true) }

// bzpopCommand is BZPOP{MIN,MAX} key [key ...] timeout: [key, member, score] from the first non-empty key,
// or wait for one.
func bzpopCommand(c *Client, args [][]byte, where bool) {
	timeout, msg := parseBlockTimeout(args[len(args)-1])
	if msg != "" {
		c.Err(msg)
		return
	}
	s := c.srv
	keys := args[1 : len(args)-1]
	retry := func(c *Client, keys [][]byte) bool { return c.srv.zpopFirst(c, keys, where, true, 1, false) }
	if retry(c, keys) {
		return
	}
	s.blockOn(c, keys, timeout, retry, func(w *resp.Writer) { w.NullArray() })
}

func zmpopCommand(c *Client, args [][]byte)  { zmpopGeneric(c, args, 1, false) }
func bzmpopCommand(c *Client, args [][]byte) { zmpopGeneric(c, args, 2, true) }

// zmpopGeneric is ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] and BZMPOP timeout numkeys ...: the
// reply is [key, [[member, score], ...]], or a null array when nothing could be popped.
func zmpopGeneric(c *Client, args [][]byte, numIdx int, block bool) {
	s := c.srv
	numkeys, ok := parseInt64(args[numIdx])
	if !ok || numkeys < 1 {
		c.Err(errZSetNumkeys)
		return
	}
	if numkeys >= int64(len(args)-numIdx-1) {
		c.Err(errSyntax)
		return
	}
	whereIdx := numIdx + int(numkeys) + 1
	var where bool
	switch {
	case eqFold(args[whereIdx], "min"):
	case eqFold(args[whereIdx], "max"):
		where = true
	default:
		c.Err(errSyntax)
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(args); j++ {
		if count == -1 && eqFold(args[j], "count") && j+1 < len(args) {
			j++
			n, ok := parseInt64(args[j])
			if !ok || n < 1 {
				c.Err(errZSetCount)
				return
			}
			count = n
			continue
		}
		c.Err(errSyntax)
		return
	}
	if count == -1 {
		count = 1
	}
	keys := args[numIdx+1 : whereIdx]
	if !block {
		if !s.zpopFirst(c, keys, where, true, count, true) {
			c.W().NullArray()
		}
		return
	}
	timeout, msg := parseBlockTimeout(args[1])
	if msg != "" {
		c.Err(msg)
		return
	}
	retry := func(c *Client, keys [][]byte) bool { return c.srv.zpopFirst(c, keys, where, true, count, true) }
	if retry(c, keys) {
		return
	}
	s.blockOn(c, keys, timeout, retry, func(w *resp.Writer) { w.NullArray() })
}

// ---- ZRANDMEMBER ----

// zrandMaxRepeat bounds the reply of a negative count (members may repeat): Valkey would build a reply
// of any size, which here would exhaust memory inside one command. Beyond it the count is refused with
// Valkey's out-of-range error.
const zrandMaxRepeat = 1 << 24

// zrandmemberCommand is ZRANDMEMBER key [count [WITHSCORES]].
func zrandmemberCommand(c *Client, args [][]byte) {
	s := c.srv
	if len(args) == 2 {
		z, ok := s.zsetRead(c, args[1])
		if !ok {
			return
		}
		if z == nil {
			c.W().Null()
			return
		}
		e := z.RandomMember(s.rng)
		c.W().BulkString(e.Member)
		return
	}
	l, ok := parseInt64(args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	if l == math.MinInt64 {
		c.Err(errZSetLongRange)
		return
	}
	withScores := false
	if len(args) > 4 || (len(args) == 4 && !eqFold(args[3], "withscores")) {
		c.Err(errSyntax)
		return
	}
	if len(args) == 4 {
		withScores = true
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.Err(errZSetRandRange)
			return
		}
	}
	if l < -zrandMaxRepeat {
		c.Err(errZSetRandRange)
		return
	}
	z, ok := s.zsetRead(c, args[1])
	if !ok {
		return
	}
	w := c.W()
	if z == nil || l == 0 {
		w.Array(0)
		return
	}
	size := z.Len()
	if l < 0 || l == 1 {
		// with repetitions (or a single member): independent uniform draws, O(log n) each
		n := int(max64(l, -l))
		zsetPairsHeader(w, n, withScores)
		for i := 0; i < n; i++ {
			e := z.RandomMember(s.rng)
			zsetPair(w, e.Member, e.Score, withScores)
		}
		return
	}
	if int64(size) <= l {
		// the whole set, from the highest score down: Valkey walks it with the iterator of its set
		// algebra, which runs from the tail
		zsetPairsHeader(w, size, withScores)
		for it := z.At(size - 1); it.Valid(); it.Prev() {
			zsetPair(w, it.Member(), it.Score(), withScores)
		}
		return
	}
	count := int(l)
	zsetPairsHeader(w, count, withScores)
	if count*3 > size {
		// a large share: shuffle the ranks partially (Fisher-Yates) and take the first count
		ranks := make([]int, size)
		for i := range ranks {
			ranks[i] = i
		}
		for i := 0; i < count; i++ {
			j := i + s.rng.IntN(size-i)
			ranks[i], ranks[j] = ranks[j], ranks[i]
			it := z.At(ranks[i])
			zsetPair(w, it.Member(), it.Score(), withScores)
		}
		return
	}
	// a small share: draw ranks until count distinct ones came up
	seen := make(map[int]struct{}, count)
	for len(seen) < count {
		r := s.rng.IntN(size)
		if _, dup := seen[r]; dup {
			continue
		}
		seen[r] = struct{}{}
		it := z.At(r)
		zsetPair(w, it.Member(), it.Score(), withScores)
	}
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// ---- ZSCAN ----

// zscanCommand is ZSCAN key cursor [MATCH pattern] [COUNT count] [NOSCORES]. The small form is returned
// whole with cursor 0, as Valkey does; the skip list form iterates its member table with the
// reverse-binary cursor, so members present for the whole iteration are returned at least once even
// while the table resizes.
func zscanCommand(c *Client, args [][]byte) {
	s := c.srv
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.Err("ERR invalid cursor")
		return
	}
	z, ok := s.zsetRead(c, args[1])
	if !ok {
		return
	}
	if z == nil {
		w := c.W()
		w.Array(2)
		w.BulkString("0")
		w.Array(0)
		return
	}
	count := int64(10)
	var pattern []byte
	noScores := false
	for i := 3; i < len(args); i++ {
		more := i+1 < len(args)
		switch {
		case eqFold(args[i], "count") && more:
			n, ok := parseInt64(args[i+1])
			if !ok {
				c.Err(errNotInt)
				return
			}
			if n < 1 {
				c.Err(errSyntax)
				return
			}
			count = n
			i++
		case eqFold(args[i], "match") && more:
			pattern = args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
			i++
		case eqFold(args[i], "noscores"):
			noScores = true
		default:
			c.Err(errSyntax)
			return
		}
	}
	var items []keyspace.ZEntry
	collect := func(m string, f float64) {
		items = append(items, keyspace.ZEntry{Member: m, Score: f})
	}
	if z.IsListpack() {
		z.Scan(0, collect)
		cursor = 0
	} else {
		maxIter := int64(math.MaxInt64)
		if count < math.MaxInt64/10 {
			maxIter = count * 10
		}
		for {
			cursor = z.Scan(cursor, collect)
			maxIter--
			if cursor == 0 || maxIter <= 0 || int64(len(items)) >= count {
				break
			}
		}
	}
	if pattern != nil {
		kept := items[:0]
		for _, e := range items {
			if glob.Match(pattern, []byte(e.Member), false) {
				kept = append(kept, e)
			}
		}
		items = kept
	}
	w := c.W()
	w.Array(2)
	var tmp [40]byte
	w.Bulk(strconv.AppendUint(tmp[:0], cursor, 10))
	if noScores {
		w.Array(len(items))
	} else {
		w.Array(2 * len(items))
	}
	for _, e := range items {
		w.BulkString(e.Member)
		if !noScores {
			w.Bulk(appendScore(tmp[:0], e.Score))
		}
	}
}

// ---- key positions of the movable-key commands ----

// zsetKeynumKeys returns the key positions of a command whose keys are counted by the argument at numIdx
// and start right after it, plus the destination at dst (> 0) for the STORE forms; nothing when the
// count is not a valid number of the arguments present.
func zsetKeynumKeys(args [][]byte, numIdx, dst int) []int {
	if numIdx >= len(args) {
		return nil
	}
	n, ok := parseInt64(args[numIdx])
	if !ok || n < 1 || n > int64(len(args)-numIdx-1) {
		return nil
	}
	var out []int
	if dst > 0 {
		out = append(out, dst)
	}
	for i := 0; i < int(n); i++ {
		out = append(out, numIdx+1+i)
	}
	return out
}

func init() {
	const g = "sorted-set"
	register(
		spec{name: "zadd", arity: -4, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: g, since: "1.2.0",
			summary:    "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
			complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.", handler: zaddCommand},
		spec{name: "zincrby", arity: 4, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: g, since: "1.2.0",
			summary:    "Increments the score of a member in a sorted set.",
			complexity: "O(log(N)) where N is the number of elements in the sorted set.", handler: zincrbyCommand},
		spec{name: "zrem", arity: -3, flags: "write fast", first: 1, last: 1, step: 1, group: g, since: "1.2.0",
			summary:    "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
			complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", handler: zremCommand},
		spec{name: "zcard", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "1.2.0",
			summary: "Returns the number of members in a sorted set.", complexity: "O(1)", handler: zcardCommand},
		spec{name: "zscore", arity: 3, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "1.2.0",
			summary: "Returns the score of a member in a sorted set.", complexity: "O(1)", handler: zscoreCommand},
		spec{name: "zmscore", arity: -3, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "6.2.0",
			summary:    "Returns the score of one or more members in a sorted set.",
			complexity: "O(N) where N is the number of members being requested.", handler: zmscoreCommand},
		spec{name: "zrank", arity: -3, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary:    "Returns the index of a member in a sorted set ordered by ascending scores.",
			complexity: "O(log(N))", handler: zrankCommand},
		spec{name: "zrevrank", arity: -3, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "2.0.0",
			summary:    "Returns the index of a member in a sorted set ordered by descending scores.",
			complexity: "O(log(N))", handler: zrevrankCommand},
		spec{name: "zpopmin", arity: -2, flags: "write fast", first: 1, last: 1, step: 1, group: g, since: "5.0.0",
			summary:    "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
			complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", handler: zpopminCommand},
		spec{name: "zpopmax", arity: -2, flags: "write fast", first: 1, last: 1, step: 1, group: g, since: "5.0.0",
			summary:    "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
			complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", handler: zpopmaxCommand},
		spec{name: "bzpopmin", arity: -3, flags: "write noscript blocking fast", first: 1, last: -2, step: 1, group: g, since: "5.0.0",
			summary:    "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
			complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: bzpopminCommand},
		spec{name: "bzpopmax", arity: -3, flags: "write noscript blocking fast", first: 1, last: -2, step: 1, group: g, since: "5.0.0",
			summary:    "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.",
			complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: bzpopmaxCommand},
		spec{name: "zmpop", arity: -4, flags: "write", group: g, since: "7.0.0",
			summary:    "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.",
			complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
			handler:    zmpopCommand, keys: func(a [][]byte) []int { return zsetKeynumKeys(a, 1, 0) }},
		spec{name: "bzmpop", arity: -5, flags: "write blocking", group: g, since: "7.0.0",
			summary:    "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
			complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
			handler:    bzmpopCommand, keys: func(a [][]byte) []int { return zsetKeynumKeys(a, 2, 0) }},
		spec{name: "zrandmember", arity: -2, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "6.2.0",
			summary:    "Returns one or more random members from a sorted set.",
			complexity: "O(N) where N is the number of members returned", handler: zrandmemberCommand},
		spec{name: "zscan", arity: -3, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "2.8.0",
			summary:    "Iterates over members and scores of a sorted set.",
			complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
			handler:    zscanCommand},
	)
}
