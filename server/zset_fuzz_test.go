package server

import (
	"bytes"
	"math"
	"strconv"
	"testing"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// FuzzZRangeArgs feeds arbitrary argument lists to the ZRANGE-family parser, for every command that uses
// it, and runs what it accepts on a small and a large sorted set. The parser must never panic, must
// either refuse or return a request that respects the rules it enforces, and the request must select
// members within the set, in order.
func FuzzZRangeArgs(f *testing.F) {
	for _, seed := range []string{
		"0 -1", "0 -1 WITHSCORES", "(1 +inf BYSCORE LIMIT 0 10", "+inf -inf BYSCORE REV LIMIT 1 -1 WITHSCORES",
		"[a (z BYLEX", "- + BYLEX REV LIMIT 0 1", "0 -1 LIMIT 0 1", "0 -1 REV REV", "a b", "( (", "0x10 1e3 byscore",
		"[\x00 + bylex", "-9223372036854775808 9223372036854775807", "0 -1 limit -1 -1 byscore", "nan inf byscore",
	} {
		f.Add([]byte(seed))
	}
	small := keyspace.NewZSet(false)
	large := keyspace.NewZSet(true)
	for i := 0; i < 40; i++ {
		m := []byte(string(rune('a' + i%26)))
		if i >= 26 {
			m = append(m, '2')
		}
		small.Add(m, float64(i/3), 0, keyspace.ZLimits{Entries: 128, Value: 64})
		large.Add(m, float64(i/3), 0, keyspace.ZLimits{})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fields := bytes.Fields(data)
		if len(fields) < 2 || len(fields) > 12 {
			return
		}
		for _, form := range []struct {
			kind    zrangeKind
			reverse bool
			store   bool
		}{
			{zrangeAuto, false, false}, {zrangeAuto, false, true}, {zrangeRank, true, false},
			{zrangeScore, false, false}, {zrangeScore, true, false}, {zrangeLex, false, false}, {zrangeLex, true, false},
		} {
			args := append([][]byte{[]byte("zrange"), []byte("key")}, fields...)
			from := 1
			if form.store {
				args = append([][]byte{[]byte("zrangestore"), []byte("dst")}, args[1:]...)
				from = 2
			}
			req, msg := parseZRangeArgs(args, from, form.store, form.kind, form.reverse)
			if msg != "" {
				if msg[:4] != "ERR " {
					t.Fatalf("error without a code: %q", msg)
				}
				continue
			}
			switch {
			case req.kind == zrangeAuto:
				t.Fatal("kind left undecided")
			case req.limit != -1 && req.kind == zrangeRank:
				t.Fatal("LIMIT accepted by rank")
			case req.withScores && (req.kind == zrangeLex || form.store):
				t.Fatal("WITHSCORES accepted with BYLEX or by ZRANGESTORE")
			case form.kind != zrangeAuto && req.kind != form.kind, form.reverse && !req.reverse:
				t.Fatal("a fixed kind or direction changed")
			case req.kind == zrangeScore && (math.IsNaN(req.score.Min) || math.IsNaN(req.score.Max)):
				t.Fatal("NaN bound accepted")
			}
			for _, z := range []*keyspace.ZSet{small, large} {
				res := req.run(z, nil)
				if req.limit >= 0 && int64(len(res)) > req.limit {
					t.Fatalf("%d results over LIMIT %d", len(res), req.limit)
				}
				for i, e := range res {
					if _, ok := z.Score([]byte(e.Member)); !ok {
						t.Fatalf("result %q is not a member", e.Member)
					}
					if req.kind == zrangeScore && !(req.score.GteMin(e.Score) && req.score.LteMax(e.Score)) {
						t.Fatalf("score %v out of %+v", e.Score, req.score)
					}
					if i > 0 {
						a, b := res[i-1], e
						if req.reverse {
							a, b = b, a
						}
						if a.Score > b.Score || (a.Score == b.Score && a.Member >= b.Member) {
							t.Fatalf("results out of order: %v", res)
						}
					}
				}
			}
		}
	})
}

// FuzzZScoreParse checks the strtod-like score parser: it never panics, and on plain decimal numbers it
// agrees with strconv.
func FuzzZScoreParse(f *testing.F) {
	for _, s := range []string{"1", "-1.5", "1e3", "inf", "-Infinity", "nan", "0x1p-2", "0x10", " 1", "1 ", "",
		"1e400", "1e-400", "4e-320", "(1", "+.5", "5.", ".", "-", "0x", "0x.8", "nan(123)", "1e", "1e+"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ok := parseZScore(b)
		if ok && math.IsNaN(v) {
			t.Fatalf("%q: NaN accepted", b)
		}
		_, _, _ = parseScoreBound(b)
		_, _ = parseLexBound(b)
		plain := len(b) > 0
		for _, c := range b {
			if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == 'e') {
				plain = false
			}
		}
		if !plain {
			return
		}
		want, err := strconv.ParseFloat(string(b), 64)
		if err == nil && want != 0 && !math.IsInf(want, 0) && (!ok || v != want) {
			t.Fatalf("%q: parsed %v %v, strconv says %v", b, v, ok, want)
		}
	})
}

func TestCStrtod(t *testing.T) {
	for _, tc := range []struct {
		in     string
		v      float64
		n      int
		erange bool
	}{
		{"1.5", 1.5, 3, false}, {"  -2", -2, 4, false}, {"1e3x", 1000, 3, false}, {"1e", 1, 1, false},
		{"0x10", 16, 4, false}, {"0x", 0, 1, false}, {"0x1p-1", 0.5, 6, false}, {"-0x.8", -0.5, 5, false},
		{"inf", math.Inf(1), 3, false}, {"-Infinity", math.Inf(-1), 9, false}, {"infin", math.Inf(1), 3, false},
		{"", 0, 0, false}, {"  ", 0, 0, false}, {"-", 0, 0, false}, {".5", 0.5, 2, false}, {"5.", 5, 2, false},
		{"1e400", math.Inf(1), 5, true}, {"1e-400", 0, 6, true}, {"0e-400", 0, 6, false},
	} {
		v, n, er := cStrtod([]byte(tc.in))
		if v != tc.v || n != tc.n || er != tc.erange {
			t.Errorf("cStrtod(%q) = %v, %d, %v; want %v, %d, %v", tc.in, v, n, er, tc.v, tc.n, tc.erange)
		}
	}
	if v, n, _ := cStrtod([]byte("nan(abc)x")); !math.IsNaN(v) || n != 8 {
		t.Errorf("nan(abc): %v %d", v, n)
	}
}

func TestAppendScore(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "-0"}, {1, "1"}, {-3, "-3"}, {2.5, "2.5"}, {0.1, "0.1"},
		{1234567.5, "1234567.5"}, {1e17, "100000000000000000"}, {1 << 62, "4611686018427387904"},
		{1e19, "1e+19"}, {1.5e300, "1.5e+300"}, {0.0001, "0.0001"}, {1.5e-7, "1.5e-07"}, {-2.5e-5, "-2.5e-05"},
		{123.456, "123.456"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"},
		{1.7976931348623157e308, "1.7976931348623157e+308"}, {5e-324, "5e-324"},
	} {
		if got := string(appendScore(nil, tc.f)); got != tc.want {
			t.Errorf("appendScore(%v) = %q, want %q", tc.f, got, tc.want)
		}
		if !math.IsNaN(tc.f) {
			if back, err := strconv.ParseFloat(string(appendScore(nil, tc.f)), 64); err != nil || back != tc.f {
				t.Errorf("appendScore(%v) does not read back: %v %v", tc.f, back, err)
			}
		}
	}
}
