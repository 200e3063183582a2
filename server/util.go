package server

import (
	"math"
	"strconv"
	"strings"
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

// parseFloat parses a float the way Valkey's string2ld does for commands: no spaces, "inf"/"-inf"
// accepted, NaN refused.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 5000 {
		return 0, false
	}
	if b[0] == ' ' || b[len(b)-1] == ' ' || b[0] == '\t' {
		return 0, false
	}
	s := string(b)
	switch strings.ToLower(s) {
	case "inf", "+inf", "infinity", "+infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && !math.IsNaN(f) {
			return f, !math.IsInf(f, 0)
		}
		return 0, false
	}
	// Go accepts "0x1p-2", "1_000" and similar forms that Valkey does not
	for _, c := range b {
		if c == '_' || c == 'x' || c == 'X' || c == 'p' || c == 'P' {
			return 0, false
		}
	}
	return f, true
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
