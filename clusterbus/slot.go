package clusterbus

import "math/bits"

// NumSlots is the number of hash slots of a Valkey cluster.
const NumSlots = 16384

// crc16Tables drive KeySlot's CRC16, four bytes per step ("slicing by 4"): crc16Tables[0][i] is the CRC
// of the byte i, and crc16Tables[k][i] that of the byte i followed by k zero bytes. The CRC is linear, so
// four input bytes (the first two xored with the running CRC) are four independent lookups xored
// together, rather than a chain of four dependent ones.
var crc16Tables = func() (t [4][256]uint16) {
	const poly = 0x1021 // CRC-16/XMODEM: x^16 + x^12 + x^5 + 1, no reflection, initial value 0
	for i := range t[0] {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ poly
			} else {
				crc <<= 1
			}
		}
		t[0][i] = crc
	}
	for k := 1; k < len(t); k++ {
		for i := range t[k] {
			prev := t[k-1][i]
			t[k][i] = prev<<8 ^ t[0][prev>>8]
		}
	}
	return t
}()

// crc16 is CRC-16/XMODEM over b ("123456789" gives 0x31C3).
func crc16[T string | []byte](b T) uint16 {
	t := &crc16Tables
	var crc uint16
	i := 0
	for ; i+4 <= len(b); i += 4 {
		crc = t[3][byte(crc>>8)^b[i]] ^ t[2][byte(crc)^b[i+1]] ^ t[1][b[i+2]] ^ t[0][b[i+3]]
	}
	for ; i < len(b); i++ {
		crc = crc<<8 ^ t[0][byte(crc>>8)^b[i]]
	}
	return crc
}

// KeySlot is the hash slot of key: CRC16 of the hash tag when the key has one, else of the whole key. The
// hash tag is what lies between the first '{' and the first '}' after it, when that is not empty, so
// "{user1000}.following" and "{user1000}.followers" share a slot, "foo{}{bar}" hashes the whole key and
// "foo{{bar}}zap" hashes "{bar". It does not allocate.
func KeySlot(key []byte) int { return keySlot(key) }

// KeySlotString is KeySlot for a key held in a string (no conversion, no allocation).
func KeySlotString(key string) int { return keySlot(key) }

func keySlot[T string | []byte](key T) int {
	for i := 0; i < len(key); i++ {
		if key[i] != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j > i+1 {
					key = key[i+1 : j]
				}
				break
			}
		}
		break
	}
	return int(crc16(key) & (NumSlots - 1))
}

// SlotBitmap is a set of slots laid out as on Valkey's bus (byte slot/8, bit slot&7), so that a bitmap
// received from or sent to a peer is this array as is.
type SlotBitmap [NumSlots / 8]byte

// Has reports whether slot is in the set.
func (b *SlotBitmap) Has(slot int) bool { return b[slot>>3]&(1<<(slot&7)) != 0 }

// Set adds slot; it reports whether the slot was already there.
func (b *SlotBitmap) Set(slot int) (was bool) {
	was = b.Has(slot)
	b[slot>>3] |= 1 << (slot & 7)
	return was
}

// Clear removes slot; it reports whether the slot was there.
func (b *SlotBitmap) Clear(slot int) (was bool) {
	was = b.Has(slot)
	b[slot>>3] &^= 1 << (slot & 7)
	return was
}

// Count is the number of slots in the set.
func (b *SlotBitmap) Count() int {
	n := 0
	for _, c := range b {
		n += bits.OnesCount8(c)
	}
	return n
}

// SlotRange is an inclusive range of slots.
type SlotRange struct{ Start, End int }

// Ranges lists the set as ascending, maximal ranges of consecutive slots. Whole bytes that neither
// start nor end a range are skipped: nodes.conf, CLUSTER NODES and every bus record list the ranges of
// each node, and bitmaps are mostly long runs.
func (b *SlotBitmap) Ranges() []SlotRange {
	var out []SlotRange
	start := -1
	for i, c := range b {
		if (start < 0 && c == 0) || (start >= 0 && c == 0xff) {
			continue
		}
		for bit := range 8 {
			in := c&(1<<bit) != 0
			switch {
			case in && start < 0:
				start = i*8 + bit
			case !in && start >= 0:
				out = append(out, SlotRange{start, i*8 + bit - 1})
				start = -1
			}
		}
	}
	if start >= 0 {
		out = append(out, SlotRange{start, NumSlots - 1})
	}
	return out
}
