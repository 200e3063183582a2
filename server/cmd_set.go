package server

import (
	"bytes"
	"math"
	"sort"
	"strconv"

	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/server/glob"
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// Set commands: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SPOP, SRANDMEMBER, SMOVE and SSCAN;
// the algebra (SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms) is in cmd_set_algebra.go. The
// value structure is keyspace.Set. The HSCAN/SSCAN option parsing and the random sampling of SRANDMEMBER
// and HRANDFIELD are shared from here.

// setSettings are the thresholds of the intset and listpack encodings.
type setSettings struct {
	MaxIntsetEntries   int64 // set-max-intset-entries
	MaxListpackEntries int64 // set-max-listpack-entries
	MaxListpackValue   int64 // set-max-listpack-value (bytes)
}

func (s *Server) registerSetDirectives() {
	c := &s.cfg.Set
	s.reg.Add(
		&config.Directive{Name: "set-max-intset-entries", Default: "512",
			Value: config.Int{P: &c.MaxIntsetEntries, Min: 0, Max: math.MaxInt64}},
		&config.Directive{Name: "set-max-listpack-entries", Default: "128",
			Value: config.Int{P: &c.MaxListpackEntries, Min: 0, Max: math.MaxInt64}},
		&config.Directive{Name: "set-max-listpack-value", Default: "64",
			Value: config.Memory{P: &c.MaxListpackValue, Min: 0, Max: math.MaxInt64}},
	)
}

func (s *Server) setLimits() keyspace.SetLimits {
	return keyspace.SetLimits{
		IntsetEntries:   directiveInt(s.cfg.Set.MaxIntsetEntries),
		ListpackEntries: directiveInt(s.cfg.Set.MaxListpackEntries),
		ListpackValue:   directiveInt(s.cfg.Set.MaxListpackValue),
	}
}

// setOf returns the set of an object, or false after replying WRONGTYPE. A nil object gives nil, true.
func setOf(c *Client, o *keyspace.Object) (*keyspace.Set, bool) {
	return typedValue[*keyspace.Set](c, o, keyspace.KindSet)
}

func (s *Server) setRead(c *Client, key []byte) (*keyspace.Set, bool) {
	return setOf(c, s.lookupRead(c, key))
}

func (s *Server) setWrite(c *Client, key []byte) (*keyspace.Set, bool) {
	return setOf(c, s.lookupWrite(c, key))
}

func (s *Server) addSetKey(db *keyspace.DB, key []byte, set *keyspace.Set) {
	db.Add(key, keyspace.Object{Kind: keyspace.KindSet, Val: set, LRU: s.lruClock()})
}

// setDeleteIfEmpty removes the key of an emptied set, with its "del" event, as Valkey does.
func (s *Server) setDeleteIfEmpty(db *keyspace.DB, key []byte, set *keyspace.Set) bool {
	if set.Len() > 0 {
		return false
	}
	db.Delete(key)
	s.notifyKeyspace(notifyGeneric, "del", key, db.ID)
	return true
}

// writeSetMembers replies with members as a set (RESP3 '~', RESP2 array).
func writeSetMembers(c *Client, members [][]byte) {
	w := c.W()
	w.Set(len(members))
	for _, m := range members {
		w.Bulk(m)
	}
}

func saddCommand(c *Client, args [][]byte) {
	s := c.srv
	key := args[1]
	set, ok := s.setWrite(c, key)
	if !ok {
		return
	}
	db := c.dbx()
	lim := s.setLimits()
	if set == nil {
		set = keyspace.NewSetFor(args[2], len(args)-2, lim)
		s.addSetKey(db, key, set)
	} else {
		set.MaybeConvert(len(args)-2, lim)
	}
	added := 0
	for _, m := range args[2:] {
		if set.Add(m, lim) {
			added++
		}
	}
	if added > 0 {
		s.keyModified(db, key)
		s.notifyKeyspace(notifySet, "sadd", key, db.ID)
	}
	c.W().Int(int64(added))
}

func sremCommand(c *Client, args [][]byte) {
	s := c.srv
	key := args[1]
	set, ok := s.setWrite(c, key)
	if !ok {
		return
	}
	if set == nil {
		c.W().Int(0)
		return
	}
	deleted := 0
	for _, m := range args[2:] {
		if set.Remove(m) {
			deleted++
			if set.Len() == 0 {
				break
			}
		}
	}
	if deleted > 0 {
		db := c.dbx()
		s.keyModified(db, key)
		s.notifyKeyspace(notifySet, "srem", key, db.ID)
		s.setDeleteIfEmpty(db, key, set)
	}
	c.W().Int(int64(deleted))
}

func scardCommand(c *Client, args [][]byte) {
	set, ok := c.srv.setRead(c, args[1])
	if !ok {
		return
	}
	n := 0
	if set != nil {
		n = set.Len()
	}
	c.W().Int(int64(n))
}

func sismemberCommand(c *Client, args [][]byte) {
	set, ok := c.srv.setRead(c, args[1])
	if !ok {
		return
	}
	if set != nil && set.Contains(args[2]) {
		c.W().Int(1)
		return
	}
	c.W().Int(0)
}

func smismemberCommand(c *Client, args [][]byte) {
	set, ok := c.srv.setRead(c, args[1])
	if !ok {
		return
	}
	w := c.W()
	w.Array(len(args) - 2)
	for _, m := range args[2:] {
		if set != nil && set.Contains(m) {
			w.Int(1)
		} else {
			w.Int(0)
		}
	}
}

func smembersCommand(c *Client, args [][]byte) {
	set, ok := c.srv.setRead(c, args[1])
	if !ok {
		return
	}
	w := c.W()
	if set == nil {
		w.Set(0)
		return
	}
	w.Set(set.Len())
	set.Each(func(m []byte) bool {
		w.Bulk(m)
		return true
	})
}

// SMOVE source destination member
func smoveCommand(c *Client, args [][]byte) {
	s := c.srv
	srcKey, dstKey, m := args[1], args[2], args[3]
	srcObj := s.lookupWrite(c, srcKey)
	dstObj := s.lookupWrite(c, dstKey)
	if srcObj == nil {
		c.W().Int(0)
		return
	}
	src, ok := setOf(c, srcObj)
	if !ok {
		return
	}
	dst, ok := setOf(c, dstObj)
	if !ok {
		return
	}
	if src == dst {
		if src.Contains(m) {
			c.W().Int(1)
		} else {
			c.W().Int(0)
		}
		return
	}
	if !src.Remove(m) {
		c.W().Int(0)
		return
	}
	db := c.dbx()
	s.notifyKeyspace(notifySet, "srem", srcKey, db.ID)
	s.setDeleteIfEmpty(db, srcKey, src)
	lim := s.setLimits()
	if dst == nil {
		dst = keyspace.NewSetFor(m, 1, lim)
		s.addSetKey(db, dstKey, dst)
	}
	s.keyModified(db, srcKey)
	if dst.Add(m, lim) {
		s.keyModified(db, dstKey)
		s.notifyKeyspace(notifySet, "sadd", dstKey, db.ID)
	}
	c.W().Int(1)
}

// spopMoveFactor is Valkey's threshold between SPOP's two strategies: popping count members one by one
// while the remainder is more than count/5, else drawing the members that stay into a new set.
const spopMoveFactor = 5

// SPOP key [count]
func spopCommand(c *Client, args [][]byte) {
	s := c.srv
	if len(args) > 3 {
		c.Err(errSyntax)
		return
	}
	if len(args) == 3 {
		spopWithCount(c, args)
		return
	}
	key := args[1]
	set, ok := s.setWrite(c, key)
	if !ok {
		return
	}
	if set == nil {
		c.W().Null()
		return
	}
	m := set.Pop(s.rng)
	db := c.dbx()
	s.notifyKeyspace(notifySet, "spop", key, db.ID)
	c.W().Bulk(m)
	// the member was drawn at random: a consumer must remove that one
	c.rewriteCommand(bSREM, key, append([]byte(nil), m...))
	s.setDeleteIfEmpty(db, key, set)
	s.keyModified(db, key)
}

func spopWithCount(c *Client, args [][]byte) {
	s := c.srv
	n, ok := parseInt64(args[2])
	if !ok || n < 0 {
		c.Err(errSetPositive)
		return
	}
	key := args[1]
	set, ok := s.setWrite(c, key)
	if !ok {
		return
	}
	w := c.W()
	if set == nil || n == 0 {
		w.Set(0)
		return
	}
	db := c.dbx()
	size := set.Len()
	count := int(min(n, int64(size)))
	s.notifyKeyspace(notifySet, "spop", key, db.ID)
	switch remaining := size - count; {
	case remaining == 0:
		// the whole set; the key goes
		w.Set(size)
		set.Each(func(m []byte) bool {
			w.Bulk(m)
			return true
		})
		c.rewriteCommand(bDEL, key)
		db.Delete(key)
		s.notifyKeyspace(notifyGeneric, "del", key, db.ID)
	case remaining*spopMoveFactor > count:
		w.Set(count)
		srem := s.spopPropagation(c, key)
		for i := 0; i < count; i++ {
			m := set.Pop(s.rng)
			w.Bulk(m)
			srem.add(m)
		}
		srem.flush()
	default:
		// Most members go: draw the ones that stay into a new set, reply with what is left of the old one
		// and store the new one, as Valkey does (so the key's encoding is that of a fresh set).
		kept := s.drawRemaining(set, remaining)
		w.Set(count)
		srem := s.spopPropagation(c, key)
		set.Each(func(m []byte) bool {
			w.Bulk(m)
			srem.add(m)
			return true
		})
		srem.flush()
		o := db.Get(key)
		o.Val = kept
	}
	s.keyModified(db, key)
}

// drawRemaining moves n random members of set into a new set and returns it. A listpack keeps the order
// of the members that stay, as Valkey's single pass does; an intset starts the new set as an intset and a
// hashtable as a listpack (Valkey's choice by how the first member drawn is stored), converting as
// members arrive.
func (s *Server) drawRemaining(set *keyspace.Set, n int) *keyspace.Set {
	lim := s.setLimits()
	if !set.IsIntset() && !set.IsHashtable() {
		members := set.Members(nil)
		keep := selectSorted(s, len(members), n)
		kept := keyspace.NewListpackSet()
		var owned [][]byte
		for _, i := range keep {
			m := append([]byte(nil), members[i]...)
			owned = append(owned, m)
		}
		for _, m := range owned {
			kept.Add(m, lim)
			set.Remove(m)
		}
		return kept
	}
	var kept *keyspace.Set
	var buf [24]byte
	for i := 0; i < n; i++ {
		m := append([]byte(nil), set.Random(s.rng, buf[:0])...)
		if kept == nil {
			if set.IsIntset() {
				kept = keyspace.NewIntset()
			} else {
				kept = keyspace.NewListpackSet()
			}
		}
		kept.Add(m, lim)
		set.Remove(m)
	}
	return kept
}

// selectSorted picks k distinct indexes of [0, n) uniformly, in ascending order (selection sampling).
func selectSorted(s *Server, n, k int) []int {
	out := make([]int, 0, k)
	for i := 0; i < n && len(out) < k; i++ {
		if s.rng.IntN(n-i) < k-len(out) {
			out = append(out, i)
		}
	}
	return out
}

// SRANDMEMBER key [count]
func srandmemberCommand(c *Client, args [][]byte) {
	s := c.srv
	if len(args) > 3 {
		c.Err(errSyntax)
		return
	}
	if len(args) == 2 {
		set, ok := s.setRead(c, args[1])
		if !ok {
			return
		}
		if set == nil {
			c.W().Null()
			return
		}
		var buf [24]byte
		c.W().Bulk(set.Random(s.rng, buf[:0]))
		return
	}
	count, ok := parseRandCount(c, args[2])
	if !ok {
		return
	}
	set, ok := s.setRead(c, args[1])
	if !ok {
		return
	}
	w := c.W()
	if set == nil || count == 0 {
		w.Array(0)
		return
	}
	var buf [24]byte
	s.randomSample(c, count, set.Len(), !set.IsHashtable(),
		func(n int) { w.Array(n) },
		func() [][2][]byte {
			members := set.Members(nil)
			out := make([][2][]byte, len(members))
			for i, m := range members {
				out[i][0] = m
			}
			return out
		},
		func() [2][]byte { return [2][]byte{set.Random(s.rng, buf[:0])} },
		func(p [2][]byte) { w.Bulk(p[0]) })
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
func sscanCommand(c *Client, args [][]byte) {
	s := c.srv
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.Err("ERR invalid cursor")
		return
	}
	set, ok := s.setRead(c, args[1])
	if !ok {
		return
	}
	if set == nil {
		replyEmptyScan(c)
		return
	}
	opt, ok := parseTypeScanOptions(c, args[3:], false)
	if !ok {
		return
	}
	var items [][]byte
	if !set.IsHashtable() {
		set.Each(func(m []byte) bool {
			if opt.pattern == nil || opt.match(m) {
				items = append(items, append([]byte(nil), m...))
			}
			return true
		})
		replyScan(c, 0, items)
		return
	}
	cursor = scanSteps(cursor, opt.count, func(cur uint64, sampled *int64) uint64 {
		return set.Scan(cur, func(m []byte) {
			*sampled++
			if opt.pattern == nil || opt.match(m) {
				items = append(items, m)
			}
		})
	})
	replyScan(c, cursor, items)
}

// ---- shared by HSCAN and SSCAN ----

// typeScanOptions are the options of HSCAN, SSCAN (and ZSCAN, which has its own parser).
type typeScanOptions struct {
	count    int64
	pattern  []byte // nil matches everything
	noValues bool
}

func (o *typeScanOptions) match(b []byte) bool { return glob.Match(o.pattern, b, false) }

// parseTypeScanOptions reads [MATCH pattern] [COUNT count] (and NOVALUES for a hash), replying the error
// as Valkey does when they are invalid. Valkey reads them only once the key is known to exist.
func parseTypeScanOptions(c *Client, args [][]byte, hash bool) (typeScanOptions, bool) {
	opt := typeScanOptions{count: 10}
	for i := 0; i < len(args); i++ {
		more := i+1 < len(args)
		switch {
		case eqFold(args[i], "count") && more:
			n, ok := parseInt64(args[i+1])
			if !ok {
				c.Err(errNotInt)
				return opt, false
			}
			if n < 1 {
				c.Err(errSyntax)
				return opt, false
			}
			opt.count = n
			i++
		case eqFold(args[i], "match") && more:
			opt.pattern = args[i+1]
			if len(opt.pattern) == 1 && opt.pattern[0] == '*' {
				opt.pattern = nil
			}
			i++
		case hash && eqFold(args[i], "novalues"):
			opt.noValues = true
		default:
			c.Err(errSyntax)
			return opt, false
		}
	}
	return opt, true
}

// scanSteps runs table scan steps from cursor until count elements were sampled, the iteration ended,
// or ten times count buckets were visited (Valkey's bound for tables that are mostly empty).
func scanSteps(cursor uint64, count int64, step func(cur uint64, sampled *int64) uint64) uint64 {
	maxIter := int64(math.MaxInt64)
	if count < math.MaxInt64/10 {
		maxIter = count * 10
	}
	var sampled int64
	for {
		cursor = step(cursor, &sampled)
		maxIter--
		if cursor == 0 || maxIter <= 0 || sampled >= count {
			return cursor
		}
	}
}

func replyScan(c *Client, cursor uint64, items [][]byte) {
	w := c.W()
	w.Array(2)
	var tmp [20]byte
	w.Bulk(strconv.AppendUint(tmp[:0], cursor, 10))
	w.Array(len(items))
	for _, it := range items {
		w.Bulk(it)
	}
}

func replyEmptyScan(c *Client) {
	w := c.W()
	w.Array(2)
	w.BulkString("0")
	w.Array(0)
}

// ---- random sampling shared by SRANDMEMBER and HRANDFIELD ----

const errSetPositive = "ERR value is out of range, must be positive"

const errRandCountRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"

// parseRandCount reads the count of SRANDMEMBER and HRANDFIELD: any integer but math.MinInt64.
func parseRandCount(c *Client, arg []byte) (int64, bool) {
	n, ok := parseInt64(arg)
	if !ok {
		c.Err(errNotInt)
		return 0, false
	}
	if n == math.MinInt64 {
		c.Err(errRandCountRange)
		return 0, false
	}
	return n, true
}

// randSubsetFactor is Valkey's threshold for unique samples of a hashtable: when count is more than a
// third of the size, copy everything and pick from the copy, else draw until enough distinct members.
const randSubsetFactor = 3

// randomSample answers SRANDMEMBER/HRANDFIELD with a count (not 0) over a collection of size members:
// a negative count allows repeats; a count at least the size returns everything. header is called with
// the reply length, then emit for each item. all lists every item (in iteration order); one draws a
// random item. compact collections (listpack, intset) are small and are sampled from all's copy.
func (s *Server) randomSample(c *Client, count int64, size int, compact bool,
	header func(n int), all func() [][2][]byte, one func() [2][]byte, emit func([2][]byte)) {
	if count < 0 || count == 1 {
		n := count
		if n < 0 {
			n = -n
		}
		header(int(n))
		var items [][2][]byte
		if compact && n > 1 {
			items = all()
		}
		for i := int64(0); i < n; i++ {
			if items != nil {
				emit(items[s.rng.IntN(len(items))])
			} else {
				emit(one())
			}
			if i%1024 == 1023 && s.longReplyAborted(c) {
				return
			}
		}
		return
	}
	if count >= int64(size) {
		items := all()
		header(len(items))
		for _, it := range items {
			emit(it)
		}
		return
	}
	k := int(count)
	header(k)
	if compact {
		items := all()
		for _, i := range selectSorted(s, len(items), k) {
			emit(items[i])
		}
		return
	}
	if k*randSubsetFactor > size {
		items := all()
		for i := 0; i < k; i++ {
			j := i + s.rng.IntN(len(items)-i)
			items[i], items[j] = items[j], items[i]
			emit(items[i])
		}
		return
	}
	seen := make(map[string]struct{}, k)
	for len(seen) < k {
		it := one()
		if _, dup := seen[string(it[0])]; dup {
			continue
		}
		seen[string(it[0])] = struct{}{}
		emit(it)
	}
}

// maxRandomReply bounds the reply of one SRANDMEMBER/HRANDFIELD with a negative count when no output
// buffer limit applies: a count near -2^63 would otherwise hold the execution lock until the node runs
// out of memory. The client is closed instead, as an output buffer limit would close it.
const maxRandomReply = 1 << 30

// longReplyAborted checks the output buffer limits in the middle of a long reply and reports whether the
// client is to be closed, so that a huge count stops early (Valkey checks CLIENT_CLOSE_ASAP the same way).
func (s *Server) longReplyAborted(c *Client) bool {
	s.checkOutputLimit(c)
	if !c.closeASAP && c.pendingOutput() > maxRandomReply {
		s.log.Warn().Str("addr", c.addr).Int64("omem", c.pendingOutput()).
			Msg("Client closed: a random-sampling reply with a huge count passed 1 GiB")
		c.closeASAP = true
	}
	return c.closeASAP
}

// sameKey reports whether two key arguments name the same key.
func sameKey(a, b []byte) bool { return bytes.Equal(a, b) }

// sortSetsBySize orders the inputs of SINTER by ascending cardinality, missing keys first.
func sortSetsBySize(sets []*keyspace.Set) {
	sort.SliceStable(sets, func(i, j int) bool { return setLen(sets[i]) < setLen(sets[j]) })
}

func setLen(s *keyspace.Set) int {
	if s == nil {
		return 0
	}
	return s.Len()
}

func init() {
	const g = "set"
	const scanComplexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection."
	register(
		spec{name: "sadd", arity: -3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: g, since: "1.0.0",
			summary: "Adds one or more members to a set. Creates the key if it doesn't exist.", handler: saddCommand,
			complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."},
		spec{name: "srem", arity: -3, flags: "write fast", first: 1, last: 1, step: 1, group: g, since: "1.0.0",
			summary: "Removes one or more members from a set. Deletes the set if the last member was removed.", complexity: "O(N) where N is the number of members to be removed.", handler: sremCommand},
		spec{name: "scard", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "1.0.0",
			summary: "Returns the number of members in a set.", complexity: "O(1)", handler: scardCommand},
		spec{name: "sismember", arity: 3, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "1.0.0",
			summary: "Determines whether a member belongs to a set.", complexity: "O(1)", handler: sismemberCommand},
		spec{name: "smismember", arity: -3, flags: "readonly fast", first: 1, last: 1, step: 1, group: g, since: "6.2.0",
			summary: "Determines whether multiple members belong to a set.", complexity: "O(N) where N is the number of elements being checked for membership", handler: smismemberCommand},
		spec{name: "smembers", arity: 2, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "1.0.0",
			summary: "Returns all members of a set.", complexity: "O(N) where N is the set cardinality.", handler: smembersCommand},
		spec{name: "spop", arity: -2, flags: "write fast", first: 1, last: 1, step: 1, group: g, since: "1.0.0",
			summary: "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", handler: spopCommand},
		spec{name: "srandmember", arity: -2, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "1.0.0",
			summary: "Get one or multiple random members from a set", complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", handler: srandmemberCommand},
		spec{name: "smove", arity: 4, flags: "write fast", first: 1, last: 2, step: 1, group: g, since: "1.0.0",
			summary: "Moves a member from one set to another.", complexity: "O(1)", handler: smoveCommand},
		spec{name: "sscan", arity: -3, flags: "readonly", first: 1, last: 1, step: 1, group: g, since: "2.8.0",
			summary: "Iterates over members of a set.", complexity: scanComplexity, handler: sscanCommand},
	)
}

var bSREM = []byte("SREM")

// spopBatch is how many members one propagated SREM of SPOP with a count carries.
const spopBatch = 1024

// sremBatcher propagates what SPOP with a count removed as SREMs of the members it drew.
type sremBatcher struct {
	s       *Server
	db      int
	key     []byte
	members [][]byte
}

func (s *Server) spopPropagation(c *Client, key []byte) *sremBatcher {
	c.preventPropagation()
	return &sremBatcher{s: s, db: c.db, key: key}
}

func (b *sremBatcher) add(m []byte) {
	if !b.s.propagating() {
		return
	}
	b.members = append(b.members, append([]byte(nil), m...))
	if len(b.members) == spopBatch {
		b.flush()
	}
}

func (b *sremBatcher) flush() {
	if len(b.members) > 0 {
		b.s.alsoPropagate(b.db, append([][]byte{bSREM, b.key}, b.members...)...)
		b.members = b.members[:0]
	}
}
