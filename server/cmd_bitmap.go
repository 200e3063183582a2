package server

import (
	"math/bits"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

const (
	errBitOffset = "ERR bit offset is not an integer or out of range"
	errBitValue  = "ERR bit is not an integer or out of range"
)

// parseBitOffset reads a bit offset argument. With hash, the "#N" form means N times width. The offset is
// limited so that its byte fits in proto-max-bulk-len, as in Valkey.
func (s *Server) parseBitOffset(arg []byte, hash bool, width int) (uint64, bool) {
	usehash := hash && len(arg) > 1 && arg[0] == '#'
	if usehash {
		arg = arg[1:]
	}
	n, ok := parseInt64(arg)
	if !ok {
		return 0, false
	}
	if usehash {
		// the product wraps like the C multiplication does; a wrapped value is refused below
		n *= int64(width)
	}
	if n < 0 || n>>3 >= s.cfg.ProtoMaxBulkLen {
		return 0, false
	}
	return uint64(n), true
}

// stringForBitWrite returns the string at key grown with zero bytes to hold bit maxbit, creating it
// when missing; grown tells whether the length changed. It returns nil after replying an error.
func (s *Server) stringForBitWrite(c *Client, key []byte, maxbit uint64) (o *keyspace.Object, grown bool) {
	o, ok := s.writeString(c, key)
	if !ok {
		return nil, false
	}
	need := maxbit>>3 + 1
	if need > uint64(s.cfg.ProtoMaxBulkLen) {
		c.Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
		return nil, false
	}
	if o == nil {
		o = c.dbx().Set(key, keyspace.Object{Kind: keyspace.KindString, Str: make([]byte, need), LRU: s.lruClock()}, false)
		o.Raw = true
		return o, true
	}
	if uint64(len(o.Str)) < need {
		o.Str = append(o.Str, make([]byte, need-uint64(len(o.Str)))...)
		grown = true
	}
	// Valkey unshares the value before writing, which leaves it "raw" even when nothing changes
	o.Raw, o.NoIntEnc = true, false
	return o, grown
}

// SETBIT key offset value
func setbitCommand(c *Client, args [][]byte) {
	s := c.srv
	off, ok := s.parseBitOffset(args[2], false, 0)
	if !ok {
		c.Err(errBitOffset)
		return
	}
	on, ok := parseInt64(args[3])
	if !ok || on&^1 != 0 {
		c.Err(errBitValue)
		return
	}
	o, grown := s.stringForBitWrite(c, args[1], off)
	if o == nil {
		return
	}
	byteIdx, mask := off>>3, byte(1)<<(7-off&7)
	old := int64(0)
	if o.Str[byteIdx]&mask != 0 {
		old = 1
	}
	if grown || old != on {
		if on == 1 {
			o.Str[byteIdx] |= mask
		} else {
			o.Str[byteIdx] &^= mask
		}
		o.Raw, o.NoIntEnc = true, false
		db := c.dbx()
		s.keyModified(db, args[1])
		s.notifyKeyspace(notifyString, "setbit", args[1], db.ID)
	}
	c.W().Int(old)
}

// GETBIT key offset
func getbitCommand(c *Client, args [][]byte) {
	s := c.srv
	off, ok := s.parseBitOffset(args[2], false, 0)
	if !ok {
		c.Err(errBitOffset)
		return
	}
	o, ok := s.getString(c, args[1])
	if !ok {
		return
	}
	if o == nil || off>>3 >= uint64(len(o.Str)) {
		c.W().Int(0)
		return
	}
	c.W().Int(int64(o.Str[off>>3]>>(7-off&7)) & 1)
}

// bitRange turns start/end arguments (byte or bit units) into an inclusive range of bits of a string of
// n bytes; ok is false for an empty range.
func bitRange(start, end int64, n int64, isBit, endGiven bool) (sb, eb int64, ok bool) {
	total := n
	if isBit {
		total = n * 8
	}
	if start < 0 {
		start += total
	}
	if !endGiven {
		end = total - 1
	} else if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if start > end {
		return 0, 0, false
	}
	if isBit {
		return start, end, true
	}
	return start * 8, end*8 + 7, true
}

// parseBitUnit reads the BYTE|BIT option.
func parseBitUnit(c *Client, arg []byte) (isBit, ok bool) {
	switch {
	case eqFold(arg, "bit"):
		return true, true
	case eqFold(arg, "byte"):
		return false, true
	}
	c.Err(errSyntax)
	return false, false
}

// countBits counts the set bits of p in the inclusive bit range [sb, eb].
func countBits(p []byte, sb, eb int64) int64 {
	first, last := sb>>3, eb>>3
	var n int
	for _, b := range p[first : last+1] {
		n += bits.OnesCount8(b)
	}
	// take away the bits of the edge bytes outside the range
	if head := sb & 7; head != 0 {
		n -= bits.OnesCount8(p[first] & ^byte(0xff>>head))
	}
	if tail := 7 - eb&7; tail != 0 {
		n -= bits.OnesCount8(p[last] & byte(1<<tail-1))
	}
	return int64(n)
}

// BITCOUNT key [start end [BYTE|BIT]]
func bitcountCommand(c *Client, args [][]byte) {
	var start, end int64
	isBit, ranged := false, false
	switch len(args) {
	case 2:
	case 4, 5:
		var ok1, ok2 bool
		start, ok1 = parseInt64(args[2])
		if !ok1 {
			c.Err(errNotInt)
			return
		}
		end, ok2 = parseInt64(args[3])
		if !ok2 {
			c.Err(errNotInt)
			return
		}
		if len(args) == 5 {
			var ok bool
			if isBit, ok = parseBitUnit(c, args[4]); !ok {
				return
			}
		}
		ranged = true
	default:
		c.Err(errSyntax)
		return
	}
	o, ok := c.srv.getString(c, args[1])
	if !ok {
		return
	}
	if o == nil {
		c.W().Int(0)
		return
	}
	if ranged && start < 0 && end < 0 && start > end {
		c.W().Int(0)
		return
	}
	sb, eb, ok := bitRange(start, end, int64(len(o.Str)), isBit, ranged)
	if !ok {
		c.W().Int(0)
		return
	}
	c.W().Int(countBits(o.Str, sb, eb))
}

// BITPOS key bit [start [end [BYTE|BIT]]]
func bitposCommand(c *Client, args [][]byte) {
	bit, ok := parseInt64(args[2])
	if !ok {
		c.Err(errNotInt)
		return
	}
	if bit != 0 && bit != 1 {
		c.Err("ERR The bit argument must be 1 or 0.")
		return
	}
	var start, end int64
	isBit, endGiven := false, false
	if len(args) > 6 {
		c.Err(errSyntax)
		return
	}
	if len(args) >= 4 {
		if start, ok = parseInt64(args[3]); !ok {
			c.Err(errNotInt)
			return
		}
		if len(args) == 6 {
			if isBit, ok = parseBitUnit(c, args[5]); !ok {
				return
			}
		}
		if len(args) >= 5 {
			if end, ok = parseInt64(args[4]); !ok {
				c.Err(errNotInt)
				return
			}
			endGiven = true
		}
	}
	o, ok := c.srv.getString(c, args[1])
	if !ok {
		return
	}
	if o == nil {
		// a missing key is an endless run of zero bits
		c.W().Int(-bit)
		return
	}
	sb, eb, ok := bitRange(start, end, int64(len(o.Str)), isBit, endGiven)
	if !ok {
		c.W().Int(-1)
		return
	}
	if pos := findBit(o.Str, sb, eb, byte(bit)); pos >= 0 {
		c.W().Int(pos)
		return
	}
	if bit == 0 && !endGiven {
		// without an explicit end the string reads as padded with zero bits on the right
		c.W().Int((eb>>3 + 1) * 8)
		return
	}
	c.W().Int(-1)
}

// findBit returns the first bit equal to bit in the inclusive range [sb, eb] of p, or -1.
func findBit(p []byte, sb, eb int64, bit byte) int64 {
	skip := byte(0)
	if bit == 0 {
		skip = 0xff
	}
	for i := sb; i <= eb; {
		if i&7 == 0 && i+7 <= eb && p[i>>3] == skip {
			i += 8
			continue
		}
		if (p[i>>3]>>(7-i&7))&1 == bit {
			return i
		}
		i++
	}
	return -1
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]
func bitopCommand(c *Client, args [][]byte) {
	s := c.srv
	var op byte
	switch {
	case eqFold(args[1], "and"):
		op = '&'
	case eqFold(args[1], "or"):
		op = '|'
	case eqFold(args[1], "xor"):
		op = '^'
	case eqFold(args[1], "not"):
		op = '~'
	default:
		c.Err(errSyntax)
		return
	}
	srcKeys := args[3:]
	if op == '~' && len(srcKeys) != 1 {
		c.Err("ERR BITOP NOT must be called with a single source key.")
		return
	}
	srcs := make([][]byte, len(srcKeys))
	maxLen := 0
	for i, k := range srcKeys {
		o, ok := s.getString(c, k)
		if !ok {
			return
		}
		if o != nil {
			srcs[i] = o.Str
			maxLen = max(maxLen, len(o.Str))
		}
	}
	res := make([]byte, maxLen)
	for j := range res {
		var v byte
		for i, src := range srcs {
			var b byte
			if j < len(src) {
				b = src[j]
			}
			switch {
			case op == '~':
				v = ^b
			case i == 0:
				v = b
			case op == '&':
				v &= b
			case op == '|':
				v |= b
			default:
				v ^= b
			}
		}
		res[j] = v
	}
	db := c.dbx()
	dest := args[2]
	if maxLen > 0 {
		s.expireIfNeeded(db, dest)
		o := db.Set(dest, keyspace.Object{Kind: keyspace.KindString, Str: res, LRU: s.lruClock()}, false)
		o.Raw = true
		s.keyModified(db, dest)
		s.notifyKeyspace(notifyString, "set", dest, db.ID)
	} else if s.lookupWrite(c, dest) != nil {
		db.Delete(dest)
		s.keyModified(db, dest)
		s.notifyKeyspace(notifyGeneric, "del", dest, db.ID)
	}
	c.W().Int(int64(maxLen))
}

func init() {
	register(
		spec{name: "setbit", arity: 4, flags: "write denyoom", first: 1, last: 1, step: 1, group: "bitmap", summary: "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", since: "2.2.0", complexity: "O(1)", handler: setbitCommand},
		spec{name: "getbit", arity: 3, flags: "readonly fast", first: 1, last: 1, step: 1, group: "bitmap", summary: "Returns a bit value by offset.", since: "2.2.0", complexity: "O(1)", handler: getbitCommand},
		spec{name: "bitcount", arity: -2, flags: "readonly", first: 1, last: 1, step: 1, group: "bitmap", summary: "Counts the number of set bits (population counting) in a string.", since: "2.6.0", complexity: "O(N)", handler: bitcountCommand},
		spec{name: "bitpos", arity: -3, flags: "readonly", first: 1, last: 1, step: 1, group: "bitmap", summary: "Finds the first set (1) or clear (0) bit in a string.", since: "2.8.7", complexity: "O(N)", handler: bitposCommand},
		spec{name: "bitop", arity: -4, flags: "write denyoom", first: 2, last: -1, step: 1, group: "bitmap", summary: "Performs bitwise operations on multiple strings, and stores the result.", since: "2.6.0", complexity: "O(N)", handler: bitopCommand},
	)
}
