package resp

import (
	"math"
	"strconv"
)

// Writer appends replies to one output buffer. Proto selects RESP2 (2) or RESP3 (3) encodings for the types
// that differ (null, map, set, double, boolean, push, verbatim string).
type Writer struct {
	Buf   []byte
	Proto int
}

// Reset empties the buffer, keeping its memory unless it grew large.
func (w *Writer) Reset() {
	if cap(w.Buf) > 1<<20 {
		w.Buf = nil
		return
	}
	w.Buf = w.Buf[:0]
}

// Len is the number of bytes waiting to be written.
func (w *Writer) Len() int { return len(w.Buf) }

func (w *Writer) header(c byte, n int64) {
	w.Buf = append(w.Buf, c)
	w.Buf = strconv.AppendInt(w.Buf, n, 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Raw appends bytes that are already RESP encoded.
func (w *Writer) Raw(b []byte) { w.Buf = append(w.Buf, b...) }

// OK appends +OK.
func (w *Writer) OK() { w.Buf = append(w.Buf, "+OK\r\n"...) }

// Simple appends a simple string; CR and LF are replaced by spaces so the reply stays one line.
func (w *Writer) Simple(s string) {
	w.Buf = append(w.Buf, '+')
	w.Buf = appendLine(w.Buf, s)
}

// Error appends an error reply; msg carries its own code ("ERR ...", "WRONGTYPE ...").
func (w *Writer) Error(msg string) {
	w.Buf = append(w.Buf, '-')
	w.Buf = appendLine(w.Buf, msg)
}

func appendLine(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return append(b, '\r', '\n')
}

// Int appends an integer reply.
func (w *Writer) Int(n int64) {
	switch {
	case n == 0:
		w.Buf = append(w.Buf, ":0\r\n"...)
	case n == 1:
		w.Buf = append(w.Buf, ":1\r\n"...)
	default:
		w.header(':', n)
	}
}

// Bulk appends a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.header('$', int64(len(b)))
	w.Buf = append(w.Buf, b...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkString appends a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', int64(len(s)))
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkInt appends an integer rendered as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null appends a null bulk string (RESP2 $-1, RESP3 _).
func (w *Writer) Null() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
		return
	}
	w.Buf = append(w.Buf, "$-1\r\n"...)
}

// NullArray appends a null array (RESP2 *-1, RESP3 _).
func (w *Writer) NullArray() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
		return
	}
	w.Buf = append(w.Buf, "*-1\r\n"...)
}

// Array starts an array of n elements.
func (w *Writer) Array(n int) { w.header('*', int64(n)) }

// Map starts a map of n key/value pairs (RESP2: a flat array of 2n elements).
func (w *Writer) Map(n int) {
	if w.Proto == 3 {
		w.header('%', int64(n))
		return
	}
	w.header('*', int64(2*n))
}

// Set starts a set of n elements (RESP2: an array).
func (w *Writer) Set(n int) {
	if w.Proto == 3 {
		w.header('~', int64(n))
		return
	}
	w.header('*', int64(n))
}

// Push starts an out-of-band push message of n elements (RESP2: an array).
func (w *Writer) Push(n int) {
	if w.Proto == 3 {
		w.header('>', int64(n))
		return
	}
	w.header('*', int64(n))
}

// Double appends a floating point reply (RESP3 double, RESP2 bulk string).
func (w *Writer) Double(f float64) {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, ',')
		w.Buf = AppendDouble(w.Buf, f)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	var tmp [32]byte
	w.Bulk(AppendDouble(tmp[:0], f))
}

// Bool appends a boolean (RESP3 #t/#f, RESP2 :1/:0).
func (w *Writer) Bool(b bool) {
	switch {
	case w.Proto == 3 && b:
		w.Buf = append(w.Buf, "#t\r\n"...)
	case w.Proto == 3:
		w.Buf = append(w.Buf, "#f\r\n"...)
	case b:
		w.Buf = append(w.Buf, ":1\r\n"...)
	default:
		w.Buf = append(w.Buf, ":0\r\n"...)
	}
}

// Verbatim appends a verbatim string of the given 3-letter format (RESP3), or a bulk string (RESP2).
func (w *Writer) Verbatim(s, format string) {
	if w.Proto != 3 {
		w.BulkString(s)
		return
	}
	w.header('=', int64(len(s)+4))
	w.Buf = append(w.Buf, format...)
	w.Buf = append(w.Buf, ':')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// StringArray appends an array of bulk strings.
func (w *Writer) StringArray(items []string) {
	w.Array(len(items))
	for _, s := range items {
		w.BulkString(s)
	}
}

// AppendDouble formats f the way Valkey replies with doubles: integral values as integers, otherwise the
// shortest digits that read back to the same float64, in plain notation unless the exponent is below -4
// or at least 17 (then d.ddde±XX); "inf", "-inf", "nan" and "-0" for the special values.
func AppendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0"...)
		}
		return append(b, '0')
	case f == math.Trunc(f) && math.Abs(f) <= 1<<62:
		return strconv.AppendInt(b, int64(f), 10)
	}
	// shortest digits in exponent form: [-]d[.ddd]e±XX
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	ePos := 0
	for ePos < len(e) && e[ePos] != 'e' {
		ePos++
	}
	exp, _ := strconv.Atoi(string(e[ePos+1:]))
	var digits [24]byte
	nd := 0
	for _, ch := range e[:ePos] {
		if ch != '.' {
			digits[nd] = ch
			nd++
		}
	}
	if neg {
		b = append(b, '-')
	}
	if exp < -4 || exp >= 17 {
		b = append(b, digits[0])
		if nd > 1 {
			b = append(b, '.')
			b = append(b, digits[1:nd]...)
		}
		b = append(b, 'e')
		if exp < 0 {
			b = append(b, '-')
			exp = -exp
		} else {
			b = append(b, '+')
		}
		if exp < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(exp), 10)
	}
	if exp < 0 {
		b = append(b, "0."...)
		for i := 0; i < -exp-1; i++ {
			b = append(b, '0')
		}
		return append(b, digits[:nd]...)
	}
	// exp+1 digits before the point (padded with zeros), the rest after it
	if nd <= exp+1 {
		b = append(b, digits[:nd]...)
		for i := nd; i < exp+1; i++ {
			b = append(b, '0')
		}
		return b
	}
	b = append(b, digits[:exp+1]...)
	b = append(b, '.')
	return append(b, digits[exp+1:nd]...)
}

// AppendCommand appends args as a RESP array of bulk strings: a command as a client, a replica or the
// replication stream sends it.
func AppendCommand[T string | []byte](b []byte, args ...T) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}
