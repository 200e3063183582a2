package server

import (
	"math"
)

// parseInt64 parses a whole decimal integer the way Valkey's string2ll does: no spaces, no '+', no leading
// zeros.
func parseInt64(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 || d[0] == '0' {
		return 0, false
	}
	var n uint64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		v := uint64(c - '0')
		if n > (math.MaxUint64-v)/10 {
			return 0, false
		}
		n = n*10 + v
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}

// eqFold compares a byte argument with a lower-case keyword, case-insensitively.
func eqFold(b []byte, kw string) bool {
	if len(b) != len(kw) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}

const (
	errSyntax       = "ERR syntax error"
	errNotInt       = "ERR value is not an integer or out of range"
	errNotFloat     = "ERR value is not a valid float"
	errWrongType    = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNoSuchKey    = "ERR no such key"
	errOutOfRange   = "ERR index out of range"
	errOverflow     = "ERR increment or decrement would overflow"
	errDBIndex      = "ERR DB index is out of range"
	errInvalidDB    = "ERR value is not an integer or out of range"
	errSameObject   = "ERR source and destination objects are the same"
	errNotSupported = "ERR not supported"
)

var errWrongArgs = errorString("wrong number of arguments")

type errorString string

func (e errorString) Error() string { return string(e) }
