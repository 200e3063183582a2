package server

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/valkey-node/valkey-node/server/config"
	"github.com/valkey-node/valkey-node/server/keyspace"
)

// listSettings are the list directives.
type listSettings struct {
	// MaxListpackSize is list-max-listpack-size (alias list-max-ziplist-size): a negative value limits a
	// node to 4, 8, 16, 32 or 64 kB (-1 .. -5), a positive one to that many elements.
	MaxListpackSize int64
	// CompressDepth is list-compress-depth. Node compression is not implemented, so only 0 is accepted:
	// accepting another value and not compressing would mislead the operator about memory use.
	CompressDepth int64
}

func (s *Server) registerListDirectives() {
	c := &s.cfg.List
	s.reg.Add(
		&config.Directive{Name: "list-max-listpack-size", Aliases: []string{"list-max-ziplist-size"}, Default: "-2",
			Value: config.Int{P: &c.MaxListpackSize, Min: math.MinInt32, Max: math.MaxInt32}},
		&config.Directive{Name: "list-compress-depth", Default: "0", Value: config.Func{
			SetFn: func(args []string) error {
				if len(args) != 1 {
					return errWrongArgs
				}
				n, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil {
					return errors.New("argument couldn't be parsed into an integer")
				}
				if n < 0 || n > math.MaxInt32 {
					return fmt.Errorf("argument must be between 0 and %d inclusive", math.MaxInt32)
				}
				if n != 0 {
					return fmt.Errorf("'list-compress-depth %d' is not supported yet by valkey-node (only 'list-compress-depth 0' is accepted)", n)
				}
				c.CompressDepth = 0
				return nil
			},
			GetFn: func() string { return strconv.FormatInt(c.CompressDepth, 10) },
		}},
	)
}

// listFill is list-max-listpack-size.
func (s *Server) listFill() int { return int(s.cfg.List.MaxListpackSize) }

// lookupList finds the list at key (nil if there is none). It replies WRONGTYPE and returns false when
// the key holds another kind of value.
func (s *Server) lookupList(c *Client, key []byte, write bool) (*keyspace.List, bool) {
	var o *keyspace.Object
	if write {
		o = s.lookupWrite(c, key)
	} else {
		o = s.lookupRead(c, key)
	}
	if o == nil {
		return nil, true
	}
	if o.Kind != keyspace.KindList {
		c.Err(errWrongType)
		return nil, false
	}
	return o.Val.(*keyspace.List), true
}

// createList stores a new empty list at key, which must not exist.
func (s *Server) createList(c *Client, key []byte) *keyspace.List {
	l := keyspace.NewList()
	c.dbx().Add(key, keyspace.Object{Kind: keyspace.KindList, Val: l, LRU: s.lruClock()})
	return l
}

// listPushed finishes a command that added n elements: WATCH and the change counter (one per element, as
// Valkey counts), the keyspace event, and the wake-up of clients blocked on the key.
func (s *Server) listPushed(c *Client, key []byte, n int, front bool) {
	db := c.dbx()
	s.keyModified(db, key)
	s.dirty += int64(n - 1)
	event := "rpush"
	if front {
		event = "lpush"
	}
	s.notifyKeyspace(notifyList, event, key, db.ID)
	s.signalKeyReady(db.ID, key)
}

// listRemoved finishes a command that removed n elements (n > 0): the keyspace event, deleting the key
// when the list is empty (with a "del" event) or else trying the conversion back to listpack, then WATCH
// and the change counter.
func (s *Server) listRemoved(c *Client, key []byte, l *keyspace.List, event string, n int) {
	db := c.dbx()
	s.notifyKeyspace(notifyList, event, key, db.ID)
	if l.Len() == 0 {
		db.Delete(key)
		s.notifyKeyspace(notifyGeneric, "del", key, db.ID)
	} else {
		l.TryShrink(s.listFill())
	}
	s.keyModified(db, key)
	s.dirty += int64(n - 1)
}

func popEvent(front bool) string {
	if front {
		return "lpop"
	}
	return "rpop"
}

// parseWhere parses LEFT or RIGHT; it reports front (LEFT) and whether the word was valid.
func parseWhere(b []byte) (front, ok bool) {
	switch {
	case eqFold(b, "left"):
		return true, true
	case eqFold(b, "right"):
		return false, true
	}
	return false, false
}

// parsePositive is Valkey's getPositiveLongFromObjectOrReply: a non-negative integer, or the error msg
// (the same message whether the argument is not a number or negative).
func parsePositive(c *Client, b []byte, msg string) (int64, bool) {
	n, ok := parseInt64(b)
	if !ok || n < 0 {
		c.Err(msg)
		return 0, false
	}
	return n, true
}

// parseIndex parses a list index or range bound.
func parseIndex(c *Client, b []byte) (int64, bool) {
	n, ok := parseInt64(b)
	if !ok {
		c.Err(errNotInt)
	}
	return n, ok
}

func lpushCommand(c *Client, args [][]byte)  { pushGeneric(c, args, true, false) }
func rpushCommand(c *Client, args [][]byte)  { pushGeneric(c, args, false, false) }
func lpushxCommand(c *Client, args [][]byte) { pushGeneric(c, args, true, true) }
func rpushxCommand(c *Client, args [][]byte) { pushGeneric(c, args, false, true) }

// pushGeneric is LPUSH, RPUSH, and with onlyExisting LPUSHX and RPUSHX.
func pushGeneric(c *Client, args [][]byte, front, onlyExisting bool) {
	s := c.srv
	key := args[1]
	l, ok := s.lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		if onlyExisting {
			c.W().Int(0)
			return
		}
		l = s.createList(c, key)
	}
	vals := args[2:]
	size := 0
	for _, v := range vals {
		size += len(v)
	}
	l.PrepareAppend(s.listFill(), size, len(vals))
	for _, v := range vals {
		if front {
			l.PushFront(v)
		} else {
			l.PushBack(v)
		}
	}
	c.W().Int(int64(l.Len()))
	s.listPushed(c, key, len(vals), front)
}

func lpopCommand(c *Client, args [][]byte) { popGeneric(c, args, true) }
func rpopCommand(c *Client, args [][]byte) { popGeneric(c, args, false) }

// popGeneric is LPOP and RPOP: one element as a bulk string, or with a count an array (a null array when
// the key does not exist).
func popGeneric(c *Client, args [][]byte, front bool) {
	s := c.srv
	if len(args) > 3 {
		c.Err(fmt.Sprintf("ERR wrong number of arguments for '%s' command", popEvent(front)))
		return
	}
	withCount := len(args) == 3
	var count int64
	if withCount {
		var ok bool
		if count, ok = parsePositive(c, args[2], "ERR value is out of range, must be positive"); !ok {
			return
		}
	}
	key := args[1]
	l, ok := s.lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		if withCount {
			c.W().NullArray()
		} else {
			c.W().Null()
		}
		return
	}
	if withCount && count == 0 {
		c.W().Array(0)
		return
	}
	if !withCount {
		if front {
			c.W().Bulk(l.PopFront())
		} else {
			c.W().Bulk(l.PopBack())
		}
		s.listRemoved(c, key, l, popEvent(front), 1)
		return
	}
	n := popRangeReply(c, l, front, count)
	s.listRemoved(c, key, l, popEvent(front), n)
}

// popRangeReply replies with up to count elements from one end, in the order they are popped, and
// removes them. It returns how many.
func popRangeReply(c *Client, l *keyspace.List, front bool, count int64) int {
	n := int(min(count, int64(l.Len())))
	w := c.W()
	w.Array(n)
	bulk := func(v []byte) bool { w.Bulk(v); return true }
	if front {
		l.Range(0, n, bulk)
		l.DeleteRange(0, n)
	} else {
		l.RangeReverse(l.Len()-1, n, bulk)
		l.DeleteRange(l.Len()-n, n)
	}
	return n
}

func llenCommand(c *Client, args [][]byte) {
	l, ok := c.srv.lookupList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.W().Int(0)
		return
	}
	c.W().Int(int64(l.Len()))
}

// clampRange turns LRANGE/LTRIM bounds into a start index and a length within a list of n elements.
func clampRange(start, end int64, n int) (int, int) {
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
		return 0, 0
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end - start + 1)
}

func lrangeCommand(c *Client, args [][]byte) {
	start, ok := parseIndex(c, args[2])
	if !ok {
		return
	}
	end, ok := parseIndex(c, args[3])
	if !ok {
		return
	}
	l, ok := c.srv.lookupList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.W().Array(0)
		return
	}
	from, n := clampRange(start, end, l.Len())
	w := c.W()
	w.Array(n)
	l.Range(from, n, func(v []byte) bool { w.Bulk(v); return true })
}

// resolveIndex turns a possibly negative index into a position, reporting false when out of range.
func resolveIndex(idx int64, n int) (int, bool) {
	if idx < 0 {
		idx += int64(n)
	}
	if idx < 0 || idx >= int64(n) {
		return 0, false
	}
	return int(idx), true
}

func lindexCommand(c *Client, args [][]byte) {
	l, ok := c.srv.lookupList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.W().Null()
		return
	}
	idx, ok := parseIndex(c, args[2])
	if !ok {
		return
	}
	i, ok := resolveIndex(idx, l.Len())
	if !ok {
		c.W().Null()
		return
	}
	c.W().Bulk(l.Index(i))
}

func lsetCommand(c *Client, args [][]byte) {
	s := c.srv
	key := args[1]
	l, ok := s.lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.Err(errNoSuchKey)
		return
	}
	idx, ok := parseIndex(c, args[2])
	if !ok {
		return
	}
	v := args[3]
	// as Valkey, convert before knowing whether the index is valid
	l.PrepareAppend(s.listFill(), len(v), 1)
	i, ok := resolveIndex(idx, l.Len())
	if !ok {
		c.Err(errOutOfRange)
		return
	}
	l.Set(i, v)
	c.W().OK()
	db := c.dbx()
	s.keyModified(db, key)
	s.notifyKeyspace(notifyList, "lset", key, db.ID)
	l.TryShrink(s.listFill())
}

func linsertCommand(c *Client, args [][]byte) {
	s := c.srv
	var after bool
	switch {
	case eqFold(args[2], "after"):
		after = true
	case eqFold(args[2], "before"):
	default:
		c.Err(errSyntax)
		return
	}
	key := args[1]
	l, ok := s.lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.W().Int(0)
		return
	}
	pivot, v := args[3], args[4]
	// as Valkey, convert before looking for the pivot (so even when it is not found)
	l.PrepareAppend(s.listFill(), len(v), 1)
	at, i := -1, 0
	l.Range(0, l.Len(), func(e []byte) bool {
		if string(e) == string(pivot) {
			at = i
			return false
		}
		i++
		return true
	})
	if at < 0 {
		c.W().Int(-1)
		return
	}
	if after {
		at++
	}
	l.Insert(at, v)
	db := c.dbx()
	s.keyModified(db, key)
	s.notifyKeyspace(notifyList, "linsert", key, db.ID)
	c.W().Int(int64(l.Len()))
}

func lremCommand(c *Client, args [][]byte) {
	s := c.srv
	count, ok := parseIndex(c, args[2])
	if !ok {
		return
	}
	key := args[1]
	l, ok := s.lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.W().Int(0)
		return
	}
	limit, fromTail := count, false
	if count < 0 {
		fromTail = true
		limit = -count
		if limit < 0 { // -MinInt64: no limit, as in Valkey
			limit = 0
		}
	}
	removed := l.Remove(args[3], int(limit), fromTail)
	if removed > 0 {
		s.listRemoved(c, key, l, "lrem", removed)
	}
	c.W().Int(int64(removed))
}

func ltrimCommand(c *Client, args [][]byte) {
	s := c.srv
	start, ok := parseIndex(c, args[2])
	if !ok {
		return
	}
	end, ok := parseIndex(c, args[3])
	if !ok {
		return
	}
	key := args[1]
	l, ok := s.lookupList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.W().OK()
		return
	}
	n := l.Len()
	from, keep := clampRange(start, end, n)
	l.DeleteRange(from+keep, n-from-keep)
	l.DeleteRange(0, from)
	// LTRIM always counts as a change and always sends its event, even when nothing was trimmed
	s.listRemoved(c, key, l, "ltrim", n-keep)
	c.W().OK()
}

func lposCommand(c *Client, args [][]byte) {
	s := c.srv
	elem := args[2]
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch {
		case eqFold(args[j], "rank") && more:
			j++
			n, ok := parseInt64(args[j])
			if !ok {
				c.Err(errNotInt)
				return
			}
			if n == math.MinInt64 {
				c.Err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
				return
			}
			if n == 0 {
				c.Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = n
		case eqFold(args[j], "count") && more:
			j++
			n, ok := parsePositive(c, args[j], "ERR COUNT can't be negative")
			if !ok {
				return
			}
			count = n
		case eqFold(args[j], "maxlen") && more:
			j++
			n, ok := parsePositive(c, args[j], "ERR MAXLEN can't be negative")
			if !ok {
				return
			}
			maxlen = n
		default:
			c.Err(errSyntax)
			return
		}
	}
	fromTail := rank < 0
	if fromTail {
		rank = -rank
	}
	l, ok := s.lookupList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		if count != -1 {
			c.W().Array(0)
		} else {
			c.W().Null()
		}
		return
	}
	n := l.Len()
	scan := n
	if maxlen > 0 && maxlen < int64(n) {
		scan = int(maxlen)
	}
	var found []int64
	matches, index := int64(0), 0
	visit := func(e []byte) bool {
		if string(e) == string(elem) {
			matches++
			if matches >= rank {
				pos := int64(index)
				if fromTail {
					pos = int64(n - 1 - index)
				}
				found = append(found, pos)
				if count != -1 && (count == 0 || int64(len(found)) < count) {
					index++
					return true
				}
				return false
			}
		}
		index++
		return true
	}
	if fromTail {
		l.RangeReverse(n-1, scan, visit)
	} else {
		l.Range(0, scan, visit)
	}
	if count != -1 {
		c.W().Array(len(found))
		for _, p := range found {
			c.W().Int(p)
		}
		return
	}
	if len(found) == 0 {
		c.W().Null()
		return
	}
	c.W().Int(found[0])
}

// lmove pops from src and pushes to dst, replying with the element. It reports whether it replied (the
// element, or WRONGTYPE); when src does not exist it writes nothing and returns false.
func (s *Server) lmove(c *Client, src, dst []byte, fromFront, toFront bool) bool {
	sl, ok := s.lookupList(c, src, true)
	if !ok {
		return true
	}
	if sl == nil || sl.Len() == 0 {
		return false
	}
	dl, ok := s.lookupList(c, dst, true)
	if !ok {
		return true
	}
	// the popped element aliases the source's memory, which the push may reuse when src == dst
	var tmp [64]byte
	var v []byte
	if fromFront {
		v = append(tmp[:0], sl.PopFront()...)
	} else {
		v = append(tmp[:0], sl.PopBack()...)
	}
	if dl == nil {
		dl = s.createList(c, dst)
	}
	dl.PrepareAppend(s.listFill(), len(v), 1)
	if toFront {
		dl.PushFront(v)
	} else {
		dl.PushBack(v)
	}
	s.listPushed(c, dst, 1, toFront)
	c.W().Bulk(v)
	s.listRemoved(c, src, sl, popEvent(fromFront), 1)
	return true
}

func lmoveCommand(c *Client, args [][]byte) {
	from, ok1 := parseWhere(args[3])
	to, ok2 := parseWhere(args[4])
	if !ok1 || !ok2 {
		c.Err(errSyntax)
		return
	}
	if !c.srv.lmove(c, args[1], args[2], from, to) {
		c.W().Null()
	}
}

func rpoplpushCommand(c *Client, args [][]byte) {
	if !c.srv.lmove(c, args[1], args[2], false, true) {
		c.W().Null()
	}
}

// mpopArgs are the parsed arguments of LMPOP and BLMPOP.
type mpopArgs struct {
	keys  [][]byte
	front bool
	count int64
	// blocking: BLMPOP, which propagates as the LMPOP it amounted to
	blocking bool
}

// parseMpop parses "numkeys key [key ...] LEFT|RIGHT [COUNT count]" starting at args[at], with Valkey's
// errors.
func parseMpop(c *Client, args [][]byte, at int) (mpopArgs, bool) {
	var m mpopArgs
	numkeys, ok := parseInt64(args[at])
	if !ok || numkeys <= 0 {
		c.Err("ERR numkeys should be greater than 0")
		return m, false
	}
	if numkeys >= int64(len(args)-at-1) {
		c.Err(errSyntax)
		return m, false
	}
	whereIdx := at + int(numkeys) + 1
	m.keys = args[at+1 : whereIdx]
	if m.front, ok = parseWhere(args[whereIdx]); !ok {
		c.Err(errSyntax)
		return m, false
	}
	m.count = -1
	for j := whereIdx + 1; j < len(args); j++ {
		if m.count == -1 && eqFold(args[j], "count") && j+1 < len(args) {
			j++
			n, ok := parseInt64(args[j])
			if !ok || n <= 0 {
				c.Err("ERR count should be greater than 0")
				return m, false
			}
			m.count = n
			continue
		}
		c.Err(errSyntax)
		return m, false
	}
	if m.count == -1 {
		m.count = 1
	}
	return m, true
}

// mpopKeys lists the keys of LMPOP/BLMPOP (COMMAND GETKEYS, ACL): numkeys at args[at].
func mpopKeys(at int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		if len(args) <= at {
			return nil
		}
		n, ok := parseInt64(args[at])
		if !ok || n <= 0 || n >= int64(len(args)-at) {
			return nil
		}
		out := make([]int, n)
		for i := range out {
			out[i] = at + 1 + i
		}
		return out
	}
}

// mpop pops from the first non-empty list of m.keys, replying [key, [elements]]. It reports whether it
// replied (elements or WRONGTYPE); when every key is missing it writes nothing.
func (s *Server) mpop(c *Client, m mpopArgs) bool {
	for _, key := range m.keys {
		l, ok := s.lookupList(c, key, true)
		if !ok {
			return true
		}
		if l == nil || l.Len() == 0 {
			continue
		}
		c.W().Array(2)
		c.W().Bulk(key)
		n := popRangeReply(c, l, m.front, m.count)
		s.listRemoved(c, key, l, popEvent(m.front), n)
		if m.blocking {
			s.propagateAs(c, bLMPOP, bOne, key, whereName(m.front), bCOUNT, strconv.AppendInt(nil, int64(n), 10))
		}
		return true
	}
	return false
}

func lmpopCommand(c *Client, args [][]byte) {
	m, ok := parseMpop(c, args, 1)
	if !ok {
		return
	}
	if !c.srv.mpop(c, m) {
		c.W().NullArray()
	}
}

const listGroup = "list"

func init() {
	register(
		spec{name: "lpush", arity: -3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Prepends one or more elements to a list. Creates the key if it doesn't exist.", since: "1.0.0",
			complexity: "O(1) for each element added, so O(N) to add N elements when the command is invoked with multiple arguments.", handler: lpushCommand},
		spec{name: "rpush", arity: -3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Appends one or more elements to a list. Creates the key if it doesn't exist.", since: "1.0.0",
			complexity: "O(1) for each element added, so O(N) to add N elements when the command is invoked with multiple arguments.", handler: rpushCommand},
		spec{name: "lpushx", arity: -3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Prepends one or more elements to a list only when the list exists.", since: "2.2.0",
			complexity: "O(1) for each element added, so O(N) to add N elements when the command is invoked with multiple arguments.", handler: lpushxCommand},
		spec{name: "rpushx", arity: -3, flags: "write denyoom fast", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Appends an element to a list only when the list exists.", since: "2.2.0",
			complexity: "O(1) for each element added, so O(N) to add N elements when the command is invoked with multiple arguments.", handler: rpushxCommand},
		spec{name: "lpop", arity: -2, flags: "write fast", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", since: "1.0.0",
			complexity: "O(N) where N is the number of elements returned", handler: lpopCommand},
		spec{name: "rpop", arity: -2, flags: "write fast", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Returns and removes the last elements of the list. Deletes the list if the last element was popped.", since: "1.0.0",
			complexity: "O(N) where N is the number of elements returned", handler: rpopCommand},
		spec{name: "llen", arity: 2, flags: "readonly fast", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Returns the length of a list.", since: "1.0.0", complexity: "O(1)", handler: llenCommand},
		spec{name: "lrange", arity: 4, flags: "readonly", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Returns a range of elements from a list.", since: "1.0.0",
			complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", handler: lrangeCommand},
		spec{name: "lindex", arity: 3, flags: "readonly", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Returns an element from a list by its index.", since: "1.0.0",
			complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", handler: lindexCommand},
		spec{name: "lset", arity: 4, flags: "write denyoom", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Sets the value of an element in a list by its index.", since: "1.0.0",
			complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", handler: lsetCommand},
		spec{name: "linsert", arity: 5, flags: "write denyoom", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Inserts an element before or after another element in a list.", since: "2.2.0",
			complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", handler: linsertCommand},
		spec{name: "lrem", arity: 4, flags: "write", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Removes elements from a list. Deletes the list if the last element was removed.", since: "1.0.0",
			complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.", handler: lremCommand},
		spec{name: "ltrim", arity: 4, flags: "write", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", since: "1.0.0",
			complexity: "O(N) where N is the number of elements to be removed by the operation.", handler: ltrimCommand},
		spec{name: "lpos", arity: -3, flags: "readonly", first: 1, last: 1, step: 1, group: listGroup,
			summary: "Returns the index of matching elements in a list.", since: "6.0.6",
			complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", handler: lposCommand},
		spec{name: "lmove", arity: 5, flags: "write denyoom", first: 1, last: 2, step: 1, group: listGroup,
			summary: "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", since: "6.2.0",
			complexity: "O(1)", handler: lmoveCommand},
		spec{name: "rpoplpush", arity: 3, flags: "write denyoom", first: 1, last: 2, step: 1, group: listGroup,
			summary: "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", since: "1.2.0",
			complexity: "O(1)", handler: rpoplpushCommand},
		spec{name: "lmpop", arity: -4, flags: "write", group: listGroup, keys: mpopKeys(1),
			summary: "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", since: "7.0.0",
			complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.", handler: lmpopCommand},
	)
}
