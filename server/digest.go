package server

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// DEBUG DIGEST and DEBUG DIGEST-VALUE: a 160-bit signature of the data set or of single values, the way
// Valkey computes it, so that tests can compare a primary with its replica, or a node before and after a
// reload, and get the same hex string a Valkey node holding the same data would print.
//
// The building blocks are two operations on a 20-byte accumulator:
//   - xor: accumulator ^= SHA1(data). Commutative, so it "adds" the elements of unordered collections
//     (keys of a database, set members, hash fields, sorted set members) whatever the iteration order.
//   - mix: accumulator = SHA1(accumulator ^ SHA1(data)). Order-sensitive, and "fo"+"obar" differs from
//     "foo"+"bar": used for sequences (list elements) and for the parts of one entry.
//
// A key contributes mix(key), mix(big-endian uint32 type code), then its value, then xor("!!expire!!")
// when it has a time to live (the expiry time itself is not part of it, so a replica that received the
// same absolute time, or a reload, compares equal). The key's digest is then xor-added (its SHA1 xored)
// to the data set's; each non-empty database first mixes its number (big-endian uint32) into the running
// result.

// digest is one 20-byte accumulator.
type digest [sha1.Size]byte

// xorIn adds data to d without regard to order.
func (d *digest) xorIn(data []byte) {
	h := sha1.Sum(data)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mixIn adds data to d so that the order of the additions matters.
func (d *digest) mixIn(data []byte) {
	d.xorIn(data)
	*d = sha1.Sum(d[:])
}

// mixUint32 mixes a big-endian 32-bit number (database numbers and type codes, which Valkey hashes in
// network byte order).
func (d *digest) mixUint32(n uint32) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	d.mixIn(b[:])
}

func (d *digest) hex() string { return hex.EncodeToString(d[:]) }

// digestTypeCode is Valkey's numeric object type (OBJ_STRING 0, OBJ_LIST 1, OBJ_SET 2, OBJ_ZSET 3, OBJ_HASH
// 4, OBJ_STREAM 6); the Kind numbering here matches except for streams.
func digestTypeCode(k keyspace.Kind) uint32 {
	if k == keyspace.KindStream {
		return 6
	}
	return uint32(k)
}

// expireMark is what a key with a time to live adds to its digest.
var expireMark = []byte("!!expire!!")

// addValue adds one value (type, contents and whether it expires) to d.
func addValue(d *digest, o *keyspace.Object, hasExpire bool) {
	d.mixUint32(digestTypeCode(o.Kind))
	switch o.Kind {
	case keyspace.KindString:
		d.mixIn(o.Str)
	case keyspace.KindList:
		if l, ok := o.Val.(*keyspace.List); ok {
			l.Range(0, l.Len(), func(v []byte) bool {
				d.mixIn(v)
				return true
			})
		}
	case keyspace.KindSet:
		if s, ok := o.Val.(*keyspace.Set); ok {
			// members go straight into the key's accumulator: xor makes their order irrelevant
			s.Each(func(m []byte) bool {
				d.xorIn(m)
				return true
			})
		}
	case keyspace.KindHash:
		if h, ok := o.Val.(*keyspace.Hash); ok {
			h.Range(func(f, v []byte) bool {
				var e digest
				e.mixIn(f)
				e.mixIn(v)
				d.xorIn(e[:])
				return true
			})
		}
	case keyspace.KindZSet:
		if z, ok := o.Val.(*keyspace.ZSet); ok {
			var buf []byte
			z.Range(func(m string, score float64) bool {
				var e digest
				e.mixIn(strBytes(m))
				buf = appendDigestScore(buf[:0], score)
				e.mixIn(buf)
				d.xorIn(e[:])
				return true
			})
		}
	}
	// Streams have no value representation here yet: they contribute their type code only.
	if hasExpire {
		d.xorIn(expireMark)
	}
}

// strBytes is a key or member as bytes, for hashing.
func strBytes(s string) []byte { return []byte(s) }

// keyDigest is the digest of one key and its value.
func keyDigest(key []byte, o *keyspace.Object, hasExpire bool) digest {
	var d digest
	d.mixIn(key)
	addValue(&d, o, hasExpire)
	return d
}

// datasetDigest is DEBUG DIGEST's signature of every database. Keys whose time to live has passed but
// that were not reclaimed yet count, as in Valkey (the command must not change the data set it measures).
// Lock held.
func (s *Server) datasetDigest() digest {
	var final digest
	for _, db := range s.dbs {
		if db.Len() == 0 {
			continue
		}
		final.mixUint32(uint32(db.ID))
		db.Range(func(key string, o *keyspace.Object) bool {
			kd := keyDigest(strBytes(key), o, db.ExpireOf(key) >= 0)
			final.xorIn(kd[:])
			return true
		})
	}
	return final
}

// debugDigest is DEBUG DIGEST: the data set's signature as a status reply, forty zeros when it is empty.
func debugDigest(c *Client) {
	d := c.srv.datasetDigest()
	c.W().Simple(d.hex())
}

// debugDigestValue is DEBUG DIGEST-VALUE key...: one status reply per key with the digest of its value
// (without the key name), forty zeros for a missing key. Expired keys that are still stored count.
func debugDigestValue(c *Client, keys [][]byte) {
	db := c.dbx()
	c.W().Array(len(keys))
	for _, k := range keys {
		var d digest
		if o := db.Get(k); o != nil {
			addValue(&d, o, db.Expire(k) >= 0)
		}
		c.W().Simple(d.hex())
	}
}

// appendDigestScore formats a sorted set score as Valkey's digest does (fpconv_dtoa): the shortest digits
// that read back as the same double, laid out as follows, with value = digits × 10^K:
//   - "inf", "-inf", "nan", and "0" / "-0" for zeros;
//   - a plain integer (digits then K zeros) when K >= 0 and the decimal exponent is below ndigits+7;
//   - a plain decimal when K < 0 and (K > -7 or the decimal exponent is below 4), with "0." and leading
//     zeros for values below 1;
//   - otherwise d[.ddd]e±X with the exponent written without padding ("1e+20", "1e-7").
//
// Valkey finds the digits with the Grisu2 algorithm, which in rare cases (well under 1% of doubles, none of
// the short decimals scores usually hold) gives a correct but longer digit string than the shortest one Go
// finds here; digests of such scores would differ from a Valkey node's while still being consistent
// between valkey-node nodes. Redis 7.0 formats with "%.17g" instead, so its digests differ from Valkey's
// for scores like 0.1; they agree for integers, halves, quarters and the infinities.
func appendDigestScore(dst []byte, f float64) []byte {
	neg := math.Signbit(f)
	if neg {
		dst = append(dst, '-')
	}
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 0):
		return append(dst, "inf"...)
	case f == 0:
		return append(dst, '0')
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], math.Abs(f), 'e', -1, 64) // d.ddde±XX
	mant, exp10 := e, 0
	for i := range e {
		if e[i] == 'e' {
			mant = e[:i]
			exp10, _ = strconv.Atoi(string(e[i+1:]))
			break
		}
	}
	var digitsBuf [24]byte
	digits := digitsBuf[:0]
	for _, ch := range mant {
		if ch != '.' {
			digits = append(digits, ch)
		}
	}
	nd := len(digits)
	k := exp10 - (nd - 1) // value = digits × 10^k
	absExp := exp10
	if absExp < 0 {
		absExp = -absExp
	}
	if k >= 0 && absExp < nd+7 {
		dst = append(dst, digits...)
		for range k {
			dst = append(dst, '0')
		}
		return dst
	}
	if k < 0 && (k > -7 || absExp < 4) {
		off := nd + k // digits before the point
		if off <= 0 {
			dst = append(dst, '0', '.')
			for range -off {
				dst = append(dst, '0')
			}
			return append(dst, digits...)
		}
		dst = append(dst, digits[:off]...)
		dst = append(dst, '.')
		return append(dst, digits[off:]...)
	}
	dst = append(dst, digits[0])
	if nd > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'e')
	if exp10 < 0 {
		dst = append(dst, '-')
	} else {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, int64(absExp), 10)
}
