package server

import (
	"math"
)

// The BITFIELD overflow behaviours.
const (
	bfWrap = iota
	bfSat
	bfFail
)

// bfOp is one GET, SET or INCRBY of BITFIELD.
type bfOp struct {
	offset   uint64
	value    int64
	opcode   byte // 'g', 's', 'i'
	overflow byte
	bits     uint8
	signed   bool
}

const errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

// parseBitfieldType reads a type such as i16 or u8 (the letter is case sensitive, as in Valkey).
func parseBitfieldType(arg []byte) (signed bool, width int, ok bool) {
	if len(arg) < 2 || (arg[0] != 'i' && arg[0] != 'u') {
		return false, 0, false
	}
	signed = arg[0] == 'i'
	n, ok := parseInt64(arg[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

// parseBitfieldOps parses the subcommands of BITFIELD (readonly for BITFIELD_RO). It returns the operations
// and whether any writes, or ok=false after replying an error.
func (s *Server) parseBitfieldOps(c *Client, args [][]byte, readonly bool) (ops []bfOp, writes bool, ok bool) {
	overflow := byte(bfWrap)
	for j := 2; j < len(args); j++ {
		remaining := len(args) - j - 1
		var op bfOp
		switch {
		case eqFold(args[j], "get") && remaining >= 2:
			op.opcode = 'g'
		case eqFold(args[j], "set") && remaining >= 3:
			op.opcode = 's'
		case eqFold(args[j], "incrby") && remaining >= 3:
			op.opcode = 'i'
		case eqFold(args[j], "overflow") && remaining >= 1:
			j++
			switch {
			case eqFold(args[j], "wrap"):
				overflow = bfWrap
			case eqFold(args[j], "sat"):
				overflow = bfSat
			case eqFold(args[j], "fail"):
				overflow = bfFail
			default:
				c.Err("ERR Invalid OVERFLOW type specified")
				return nil, false, false
			}
			continue
		default:
			c.Err(errSyntax)
			return nil, false, false
		}
		signed, width, okType := parseBitfieldType(args[j+1])
		if !okType {
			c.Err(errBitfieldType)
			return nil, false, false
		}
		off, okOff := s.parseBitOffset(args[j+2], true, width)
		if !okOff {
			c.Err(errBitOffset)
			return nil, false, false
		}
		op.offset, op.bits, op.signed, op.overflow = off, uint8(width), signed, overflow
		if op.opcode != 'g' {
			v, okV := parseInt64(args[j+3])
			if !okV {
				c.Err(errNotInt)
				return nil, false, false
			}
			op.value = v
			writes = true
			j += 3
		} else {
			j += 2
		}
		ops = append(ops, op)
	}
	// as in Valkey, BITFIELD_RO refuses writes only once every subcommand parsed: a bad argument
	// anywhere is reported first
	if readonly && writes {
		c.Err("ERR BITFIELD_RO only supports the GET subcommand")
		return nil, false, false
	}
	return ops, writes, true
}

// getBitfield reads width bits at bit offset off, most significant first; bits past the end read as 0.
func getBitfield(p []byte, off uint64, width uint8) uint64 {
	var v uint64
	for i := uint64(0); i < uint64(width); i++ {
		b := off + i
		v <<= 1
		if b>>3 < uint64(len(p)) {
			v |= uint64(p[b>>3]>>(7-b&7)) & 1
		}
	}
	return v
}

// setBitfield writes the low width bits of v at bit offset off (the string is long enough).
func setBitfield(p []byte, off uint64, width uint8, v uint64) {
	for i := uint64(0); i < uint64(width); i++ {
		b := off + i
		mask := byte(1) << (7 - b&7)
		if v>>(uint64(width)-1-i)&1 != 0 {
			p[b>>3] |= mask
		} else {
			p[b>>3] &^= mask
		}
	}
}

func signExtend(v uint64, width uint8) int64 {
	if width < 64 && v&(1<<(width-1)) != 0 {
		v |= math.MaxUint64 << width
	}
	return int64(v)
}

// signedOverflow tells whether value+incr leaves the range of a signed field of width bits and gives the
// wrapped or saturated result.
func signedOverflow(value, incr int64, width uint8, how byte) (limit int64, over bool) {
	maxv := int64(math.MaxInt64)
	if width < 64 {
		maxv = 1<<(width-1) - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	switch {
	case value > maxv || (width != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr):
		limit = maxv
	case value < minv || (width != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr):
		limit = minv
	default:
		return 0, false
	}
	if how == bfWrap {
		r := uint64(value) + uint64(incr)
		if width < 64 {
			mask := uint64(math.MaxUint64) << width
			if r&(1<<(width-1)) != 0 {
				r |= mask
			} else {
				r &^= mask
			}
		}
		limit = int64(r)
	}
	return limit, true
}

// unsignedOverflow is signedOverflow for unsigned fields (at most 63 bits).
func unsignedOverflow(value uint64, incr int64, width uint8, how byte) (limit uint64, over bool) {
	maxv := uint64(1)<<width - 1
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	switch {
	case value > maxv || (incr > 0 && incr > maxincr):
		limit = maxv
	case incr < 0 && incr < minincr:
		limit = 0
	default:
		return 0, false
	}
	if how == bfWrap {
		limit = (value + uint64(incr)) &^ (math.MaxUint64 << width)
	}
	return limit, true
}

func bitfieldCommand(c *Client, args [][]byte)   { bitfieldGeneric(c, args, false) }
func bitfieldROCommand(c *Client, args [][]byte) { bitfieldGeneric(c, args, true) }

// BITFIELD key [GET encoding offset | [OVERFLOW WRAP|SAT|FAIL] SET encoding offset value |
// INCRBY encoding offset increment ...] and BITFIELD_RO key [GET encoding offset ...]
func bitfieldGeneric(c *Client, args [][]byte, readonly bool) {
	s := c.srv
	ops, writes, ok := s.parseBitfieldOps(c, args, readonly)
	if !ok {
		return
	}
	var str []byte
	grown := false
	if !writes {
		o, ok := s.getString(c, args[1])
		if !ok {
			return
		}
		if o != nil {
			str = o.Str
		}
	} else {
		var highest uint64
		for _, op := range ops {
			if op.opcode != 'g' {
				highest = max(highest, op.offset+uint64(op.bits)-1)
			}
		}
		o, g := s.stringForBitWrite(c, args[1], highest)
		if o == nil {
			return
		}
		grown, str = g, o.Str
	}
	changes := 0
	w := c.W()
	w.Array(len(ops))
	for _, op := range ops {
		old := getBitfield(str, op.offset, op.bits)
		if op.opcode == 'g' {
			if op.signed {
				w.Int(signExtend(old, op.bits))
			} else {
				w.Int(int64(old))
			}
			continue
		}
		var newBits uint64
		var reply int64
		var over bool
		if op.signed {
			oldv := signExtend(old, op.bits)
			var nv, lim int64
			if op.opcode == 'i' {
				nv = oldv + op.value
				lim, over = signedOverflow(oldv, op.value, op.bits, op.overflow)
				if over {
					nv = lim
				}
				reply = nv
			} else {
				nv = op.value
				lim, over = signedOverflow(nv, 0, op.bits, op.overflow)
				if over {
					nv = lim
				}
				reply = oldv
			}
			newBits = uint64(nv)
		} else {
			var nv, lim uint64
			if op.opcode == 'i' {
				nv = old + uint64(op.value)
				lim, over = unsignedOverflow(old, op.value, op.bits, op.overflow)
				if over {
					nv = lim
				}
				reply = int64(nv)
			} else {
				nv = uint64(op.value)
				lim, over = unsignedOverflow(nv, 0, op.bits, op.overflow)
				if over {
					nv = lim
				}
				reply = int64(old)
			}
			newBits = nv
		}
		if over && op.overflow == bfFail {
			w.Null()
			continue
		}
		w.Int(reply)
		if op.bits < 64 {
			newBits &^= math.MaxUint64 << op.bits
		}
		setBitfield(str, op.offset, op.bits, newBits)
		if grown || old != newBits {
			changes++
		}
	}
	// as in Valkey, a key created or grown only by writes that all FAILed sends no event
	if changes > 0 {
		db := c.dbx()
		s.keyModified(db, args[1])
		s.notifyKeyspace(notifyString, "setbit", args[1], db.ID)
	}
}

func init() {
	register(
		spec{name: "bitfield", arity: -2, flags: "write denyoom", first: 1, last: 1, step: 1, group: "bitmap", summary: "Performs arbitrary bitfield integer operations on strings.", since: "3.2.0", complexity: "O(1) for each subcommand specified", handler: bitfieldCommand},
		spec{name: "bitfield_ro", arity: -2, flags: "readonly fast", first: 1, last: 1, step: 1, group: "bitmap", summary: "Performs arbitrary read-only bitfield integer operations on strings.", since: "6.0.0", complexity: "O(1) for each subcommand specified", handler: bitfieldROCommand},
	)
}
