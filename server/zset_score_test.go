package server

import (
	"math"
	"strconv"
	"testing"
)

// The integer fast path of parseZScore gives what the general strtod path gives, sign of zero included,
// and leaves everything else (too long, not plain digits) to it.
func TestParseIntScoreAgreesWithStrtod(t *testing.T) {
	cases := []string{"0", "-0", "+0", "7", "-7", "+7", "000000012345", "-000000000000", "999999999999999",
		"-999999999999999", "1234567890123456", "99999999999999999999", "1.5", "1e3", "12a", "", "-", "+",
		" 1", "1 ", "0x10", "--1", "+-1"}
	for i := 0; i < 200; i++ {
		cases = append(cases, strconv.FormatInt(int64(i*i*7919)-1000000, 10))
	}
	for _, in := range cases {
		b := []byte(in)
		fast, fastOK := parseIntScore(b)
		v, n, erange := cStrtod(b)
		slowOK := len(b) > 0 && !cIsSpace(b[0]) && n == len(b) && !math.IsNaN(v) &&
			!(erange && (v == 0 || math.IsInf(v, 0)))
		if fastOK {
			if !slowOK || fast != v || math.Signbit(fast) != math.Signbit(v) {
				t.Errorf("%q: fast path %v, strtod %v (ok %v)", in, fast, v, slowOK)
			}
		}
		got, ok := parseZScore(b)
		if ok != slowOK || (ok && (got != v || math.Signbit(got) != math.Signbit(v))) {
			t.Errorf("%q: parseZScore %v %v, strtod %v %v", in, got, ok, v, slowOK)
		}
	}
	for _, in := range []string{"000000012345", "-0", "42"} {
		if _, ok := parseIntScore([]byte(in)); !ok {
			t.Errorf("%q: not taken by the fast path", in)
		}
	}
}
