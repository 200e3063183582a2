package resp

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestWriterEncodings(t *testing.T) {
	cases := []struct {
		name         string
		write        func(w *Writer)
		resp2, resp3 string
	}{
		{"OK", func(w *Writer) { w.OK() }, "+OK\r\n", "+OK\r\n"},
		{"simple", func(w *Writer) { w.Simple("PONG") }, "+PONG\r\n", "+PONG\r\n"},
		{"simple with CR LF", func(w *Writer) { w.Simple("a\r\nb") }, "+a  b\r\n", "+a  b\r\n"},
		{"error", func(w *Writer) { w.Error("ERR bad") }, "-ERR bad\r\n", "-ERR bad\r\n"},
		{"error with newline", func(w *Writer) { w.Error("ERR one\ntwo") }, "-ERR one two\r\n", "-ERR one two\r\n"},
		{"int 0", func(w *Writer) { w.Int(0) }, ":0\r\n", ":0\r\n"},
		{"int 1", func(w *Writer) { w.Int(1) }, ":1\r\n", ":1\r\n"},
		{"int negative", func(w *Writer) { w.Int(-42) }, ":-42\r\n", ":-42\r\n"},
		{"int min", func(w *Writer) { w.Int(math.MinInt64) }, ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
		{"bulk", func(w *Writer) { w.Bulk([]byte("a\r\nb")) }, "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n"},
		{"empty bulk", func(w *Writer) { w.Bulk(nil) }, "$0\r\n\r\n", "$0\r\n\r\n"},
		{"bulk string", func(w *Writer) { w.BulkString("héllo") }, "$6\r\nhéllo\r\n", "$6\r\nhéllo\r\n"},
		{"bulk int", func(w *Writer) { w.BulkInt(-12345) }, "$6\r\n-12345\r\n", "$6\r\n-12345\r\n"},
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"array", func(w *Writer) { w.Array(2); w.Int(1); w.Null() }, "*2\r\n:1\r\n$-1\r\n", "*2\r\n:1\r\n_\r\n"},
		{"empty array", func(w *Writer) { w.Array(0) }, "*0\r\n", "*0\r\n"},
		{"map", func(w *Writer) { w.Map(1); w.BulkString("k"); w.Int(7) }, "*2\r\n$1\r\nk\r\n:7\r\n", "%1\r\n$1\r\nk\r\n:7\r\n"},
		{"set", func(w *Writer) { w.Set(2); w.BulkString("a"); w.BulkString("b") },
			"*2\r\n$1\r\na\r\n$1\r\nb\r\n", "~2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{"push", func(w *Writer) { w.Push(2); w.BulkString("message"); w.BulkString("x") },
			"*2\r\n$7\r\nmessage\r\n$1\r\nx\r\n", ">2\r\n$7\r\nmessage\r\n$1\r\nx\r\n"},
		{"double", func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"double integral", func(w *Writer) { w.Double(3) }, "$1\r\n3\r\n", ",3\r\n"},
		{"double inf", func(w *Writer) { w.Double(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
		{"double -inf", func(w *Writer) { w.Double(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"bool true", func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
		{"bool false", func(w *Writer) { w.Bool(false) }, ":0\r\n", "#f\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("line1\nline2", "txt") },
			"$11\r\nline1\nline2\r\n", "=15\r\ntxt:line1\nline2\r\n"},
		{"string array", func(w *Writer) { w.StringArray([]string{"a", "", "bc"}) },
			"*3\r\n$1\r\na\r\n$0\r\n\r\n$2\r\nbc\r\n", "*3\r\n$1\r\na\r\n$0\r\n\r\n$2\r\nbc\r\n"},
		{"raw", func(w *Writer) { w.Raw([]byte("+QUEUED\r\n")) }, "+QUEUED\r\n", "+QUEUED\r\n"},
	}
	for _, tc := range cases {
		for _, proto := range []int{2, 3} {
			want := tc.resp2
			if proto == 3 {
				want = tc.resp3
			}
			w := &Writer{Proto: proto}
			tc.write(w)
			if got := string(w.Buf); got != want {
				t.Errorf("%s RESP%d: got %q, want %q", tc.name, proto, got, want)
			}
			if w.Len() != len(want) {
				t.Errorf("%s RESP%d: Len() = %d, want %d", tc.name, proto, w.Len(), len(want))
			}
		}
	}
}

// TestWriterResetKeepsSmallBuffers: Reset empties the buffer, keeping its memory for the next replies
// unless a huge reply made it big.
func TestWriterResetKeepsSmallBuffers(t *testing.T) {
	w := &Writer{Proto: 2}
	w.BulkString("hello")
	before := cap(w.Buf)
	w.Reset()
	if w.Len() != 0 || cap(w.Buf) != before {
		t.Errorf("after Reset: len %d cap %d, want 0 and %d", w.Len(), cap(w.Buf), before)
	}
	w.Bulk(make([]byte, 2<<20))
	w.Reset()
	if w.Len() != 0 || cap(w.Buf) > 1<<20 {
		t.Errorf("after Reset of a 2 MB reply: len %d cap %d, want the memory released", w.Len(), cap(w.Buf))
	}
	w.OK()
	if string(w.Buf) != "+OK\r\n" {
		t.Errorf("writing after Reset: %q", w.Buf)
	}
}

func TestAppendDouble(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {-3, "-3"}, {1.5, "1.5"}, {-0.25, "-0.25"}, {0.1, "0.1"},
		{10.6, "10.6"}, {3.14159, "3.14159"}, {123456789, "123456789"},
		{1e16, "10000000000000000"}, {1e17, "100000000000000000"}, {1.5e300, "1.5e+300"},
		// integral values up to 2^62 print as integers, as Valkey's d2string; beyond, shortest digits
		{1e19, "1e+19"}, {1234567.5, "1234567.5"}, {math.Copysign(0, -1), "-0"}, {1e-5, "1e-05"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"},
	} {
		if got := string(AppendDouble([]byte("x"), tc.f)); got != "x"+tc.want {
			t.Errorf("AppendDouble(%v) = %q, want %q", tc.f, got, "x"+tc.want)
		}
	}
}

// TestAppendDoubleRoundTrip: whatever the value, the text reads back as the same double, as a client
// parsing a RESP3 double or a RESP2 bulk needs.
func TestAppendDoubleRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		var f float64
		switch i % 3 {
		case 0:
			f = math.Float64frombits(rng.Uint64())
		case 1:
			f = (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(40)-20))
		default:
			f = float64(rng.Int64N(1<<62) - 1<<61)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s := string(AppendDouble(nil, f))
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != f {
			t.Fatalf("AppendDouble(%v) = %q reads back as %v (%v)", f, s, back, err)
		}
	}
}

func TestAppendCommand(t *testing.T) {
	want := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
	if got := string(AppendCommand(nil, "SET", "k", "")); got != want {
		t.Fatalf("strings: %q", got)
	}
	if got := string(AppendCommand([]byte("x"), []byte("SET"), []byte("k"), []byte{})); got != "x"+want {
		t.Fatalf("bytes, appended: %q", got)
	}
	if got := string(AppendCommand[string](nil)); got != "*0\r\n" {
		t.Fatalf("no arguments: %q", got)
	}
}
