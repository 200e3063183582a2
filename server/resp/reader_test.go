package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
)

// oneByteReader hands out its input one byte per Read, the worst case of a slow or fragmenting network.
type oneByteReader struct{ data []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

// chunkReader hands out its input in pieces of at most n bytes.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

// parseAll reads every command from rd until EOF or an error, the way the server's connection loop does:
// Next until it needs input, then Fill. Arguments are copied because Fill may move the buffer. It returns
// the commands, rendered as Go-quoted argument lists, and the first error other than io.EOF.
func parseAll(r *Reader) ([]string, error) {
	var out []string
	for {
		for {
			args, ok, err := r.Next()
			if err != nil {
				return out, err
			}
			if !ok {
				break
			}
			out = append(out, renderArgs(args))
		}
		r.Reset()
		if err := r.Fill(); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
	}
}

func renderArgs(args [][]byte) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = strconv.Quote(string(a))
	}
	return strings.Join(parts, " ")
}

// readerKinds are the ways input can arrive; every parse test runs with each.
var readerKinds = []struct {
	name string
	mk   func(string) io.Reader
}{
	{"whole", func(s string) io.Reader { return strings.NewReader(s) }},
	{"1-byte", func(s string) io.Reader { return &oneByteReader{[]byte(s)} }},
	{"7-byte", func(s string) io.Reader { return &chunkReader{[]byte(s), 7} }},
}

func TestReaderParses(t *testing.T) {
	big := strings.Repeat("x", 100*1024)
	cases := []struct {
		name, in string
		want     []string
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", []string{`"GET" "k"`}},
		{"empty bulk", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", []string{`"SET" "k" ""`}},
		{"binary bulk", "*2\r\n$4\r\nECHO\r\n$5\r\na\r\n\x00\xff\r\n", []string{`"ECHO" "a\r\n\x00\xff"`}},
		{"bulk holding CRLF and $", "*1\r\n$6\r\n$1\r\n*\r\r\n", []string{`"$1\r\n*\r"`}},
		{"inline", "PING\r\n", []string{`"PING"`}},
		{"inline LF only", "PING\n", []string{`"PING"`}},
		{"inline words", "SET  key\tvalue \r\n", []string{`"SET" "key" "value"`}},
		{"inline double quotes", `SET k "hello world"` + "\r\n", []string{`"SET" "k" "hello world"`}},
		{"inline escapes", `ECHO "a\nb\t\x41\x7a\"\\"` + "\r\n", []string{`"ECHO" "a\nb\tAz\"\\"`}},
		{"inline bad hex escape stays literal", `ECHO "\xZZ"` + "\r\n", []string{`"ECHO" "\\xZZ"`}},
		{"inline single quotes", `ECHO 'it\'s "raw" \n'` + "\r\n", []string{`"ECHO" "it's \"raw\" \\n"`}},
		{"inline empty quoted arg", `SET k ""` + "\r\n", []string{`"SET" "k" ""`}},
		{"empty lines are skipped", "\r\n\n   \r\nPING\r\n\r\n", []string{`"PING"`}},
		{"*0 is skipped", "*0\r\nPING\r\n", []string{`"PING"`}},
		{"*-1 is skipped", "*-1\r\n*1\r\n$4\r\nPING\r\n", []string{`"PING"`}},
		{"pipeline", "*1\r\n$4\r\nPING\r\nECHO a\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\nQUIT\r\n",
			[]string{`"PING"`, `"ECHO" "a"`, `"ECHO" "b"`, `"QUIT"`}},
		{"big bulk", "*2\r\n$4\r\nECHO\r\n$" + strconv.Itoa(len(big)) + "\r\n" + big + "\r\nPING\r\n",
			[]string{`"ECHO" ` + strconv.Quote(big), `"PING"`}},
		{"half-sent command is not returned", "*2\r\n$3\r\nGET\r\n$1\r\n", nil},
		{"half-sent inline is not returned", "PING", nil},
	}
	for _, tc := range cases {
		for _, rk := range readerKinds {
			t.Run(tc.name+"/"+rk.name, func(t *testing.T) {
				got, err := parseAll(NewReader(rk.mk(tc.in)))
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("got  %q\nwant %q", got, tc.want)
				}
			})
		}
	}
}

func TestReaderProtocolErrors(t *testing.T) {
	long := strings.Repeat("a", 70*1024)
	cases := []struct {
		name, in string
		strict   bool
		maxBulk  int64
		want     string // the whole error reply text
		before   []string
	}{
		{name: "multibulk length not a number", in: "*abc\r\n", want: "ERR Protocol error: invalid multibulk length"},
		{name: "multibulk length with plus", in: "*+1\r\n", want: "ERR Protocol error: invalid multibulk length"},
		{name: "multibulk length leading zero", in: "*01\r\n", want: "ERR Protocol error: invalid multibulk length"},
		{name: "multibulk length too big", in: "*2147483648\r\n", want: "ERR Protocol error: invalid multibulk length"},
		{name: "multibulk length overflows int64", in: "*99999999999999999999\r\n", want: "ERR Protocol error: invalid multibulk length"},
		{name: "empty multibulk length", in: "*\r\n", want: "ERR Protocol error: invalid multibulk length"},
		{name: "bulk length not a number", in: "*1\r\n$x\r\n", want: "ERR Protocol error: invalid bulk length"},
		{name: "negative bulk length", in: "*1\r\n$-1\r\n", want: "ERR Protocol error: invalid bulk length"},
		{name: "bulk length over proto-max-bulk-len", in: "*1\r\n$11\r\n", maxBulk: 10, want: "ERR Protocol error: invalid bulk length"},
		{name: "bulk length at proto-max-bulk-len", in: "*1\r\n$10\r\n0123456789\r\n*1\r\n$11\r\n", maxBulk: 10,
			want: "ERR Protocol error: invalid bulk length", before: []string{`"0123456789"`}},
		{name: "huge bulk length", in: "*1\r\n$9223372036854775807\r\n", maxBulk: 512 << 20, want: "ERR Protocol error: invalid bulk length"},
		{name: "expected $", in: "*1\r\n+PING\r\n", want: "ERR Protocol error: expected '$', got '+'"},
		{name: "expected $ after an argument", in: "*2\r\n$4\r\nECHO\r\n:1\r\n", want: "ERR Protocol error: expected '$', got ':'"},
		{name: "unbalanced double quote", in: `SET k "abc` + "\r\n", want: "ERR Protocol error: unbalanced quotes in request"},
		{name: "unbalanced single quote", in: "SET k 'abc\r\n", want: "ERR Protocol error: unbalanced quotes in request"},
		{name: "closing quote followed by text", in: `SET k "a"b` + "\r\n", want: "ERR Protocol error: unbalanced quotes in request"},
		{name: "error after good commands", in: "PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n",
			want: "ERR Protocol error: invalid multibulk length", before: []string{`"PING"`, `"PING"`}},
		{name: "too big inline request", in: long, want: "ERR Protocol error: too big inline request"},
		{name: "too big mbulk count string", in: "*" + long, want: "ERR Protocol error: too big mbulk count string"},
		{name: "too big bulk count string", in: "*1\r\n$" + long, want: "ERR Protocol error: too big bulk count string"},
		// clients that have not authenticated may not make the server allocate much
		{name: "unauthenticated: 10 arguments", strict: true, in: "*10\r\n" + strings.Repeat("$1\r\na\r\n", 10),
			want: "", before: []string{strings.TrimSpace(strings.Repeat(`"a" `, 10))}},
		{name: "unauthenticated: 11 arguments", strict: true, in: "*11\r\n", want: "ERR Protocol error: invalid multibulk length"},
		{name: "unauthenticated: 16384-byte bulk", strict: true,
			in: "*1\r\n$16384\r\n" + strings.Repeat("b", 16384) + "\r\n", want: "", before: []string{strconv.Quote(strings.Repeat("b", 16384))}},
		{name: "unauthenticated: 16385-byte bulk", strict: true, in: "*1\r\n$16385\r\n", want: "ERR Protocol error: invalid bulk length"},
	}
	for _, tc := range cases {
		for _, rk := range readerKinds {
			t.Run(tc.name+"/"+rk.name, func(t *testing.T) {
				r := NewReader(rk.mk(tc.in))
				r.Strict, r.MaxBulkLen = tc.strict, tc.maxBulk
				got, err := parseAll(r)
				if fmt.Sprint(got) != fmt.Sprint(tc.before) {
					t.Errorf("commands before the error: got %q, want %q", got, tc.before)
				}
				if tc.want == "" {
					if err != nil {
						t.Errorf("unexpected error %v", err)
					}
					return
				}
				var pe *ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v (%T), want *ProtocolError %q", err, err, tc.want)
				}
				if pe.Error() != tc.want {
					t.Errorf("error %q, want %q", pe.Error(), tc.want)
				}
			})
		}
	}
}

// TestReaderQueryBufferLimit: a request bigger than client-query-buffer-limit stops with
// ErrQueryBufferLimit instead of growing the buffer without bound; one that fits is parsed.
func TestReaderQueryBufferLimit(t *testing.T) {
	const limit = 64 * 1024
	fits := strings.Repeat("f", limit/2)
	tooBig := strings.Repeat("t", 2*limit)
	for _, rk := range readerKinds[:2] {
		t.Run(rk.name, func(t *testing.T) {
			r := NewReader(rk.mk("*1\r\n$" + strconv.Itoa(len(fits)) + "\r\n" + fits + "\r\n" +
				"*1\r\n$" + strconv.Itoa(len(tooBig)) + "\r\n" + tooBig + "\r\n"))
			r.MaxQueryBuf = limit
			got, err := parseAll(r)
			if len(got) != 1 || got[0] != strconv.Quote(fits) {
				t.Errorf("the request that fits was not parsed: %d commands", len(got))
			}
			if !errors.Is(err, ErrQueryBufferLimit) {
				t.Errorf("error %v, want ErrQueryBufferLimit", err)
			}
			if len(r.buf) > limit {
				t.Errorf("buffer grew to %d bytes, past the limit %d", len(r.buf), limit)
			}
		})
	}
	// an inline request with no newline is bounded by the inline limit long before
	r := NewReader(strings.NewReader(strings.Repeat("i", 1<<20)))
	r.MaxQueryBuf = 1 << 30
	if _, err := parseAll(r); err == nil || !strings.Contains(err.Error(), "too big inline request") {
		t.Errorf("endless inline request: %v", err)
	}
}

// TestReaderBufferGrowthAndShrink: a big bulk makes the buffer grow to what the argument needs in one
// step (not by doubling many times over), and the memory is given back once the request is consumed.
func TestReaderBufferGrowthAndShrink(t *testing.T) {
	const size = 3<<20 + 123
	payload := bytes.Repeat([]byte{'z'}, size)
	in := append([]byte("*1\r\n$"+strconv.Itoa(size)+"\r\n"), payload...)
	in = append(in, "\r\n"...)
	pr, pw := io.Pipe()
	go func() {
		pw.Write(in)
		pw.Write([]byte("PING\r\n"))
		pw.Close()
	}()
	r := NewReader(pr)
	var sizes []int
	var got [][]byte
	for len(got) < 2 {
		args, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, bytes.Clone(args[0]))
			continue
		}
		r.Reset()
		if err := r.Fill(); err != nil {
			t.Fatalf("Fill: %v after %d commands", err, len(got))
		}
		sizes = append(sizes, len(r.buf))
	}
	if !bytes.Equal(got[0], payload) || string(got[1]) != "PING" {
		t.Fatalf("parsed %d-byte and %q", len(got[0]), got[1])
	}
	max := 0
	for _, s := range sizes {
		max = maxInt(max, s)
	}
	if max < size || max > 2*size {
		t.Errorf("buffer peaked at %d bytes for a %d-byte bulk", max, size)
	}
	if len(r.buf) > 4*defaultBufSize {
		t.Errorf("buffer still %d bytes after the big request was consumed", len(r.buf))
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// TestReaderArgsStableUntilFill: the arguments of a batch stay valid while more commands of the same
// buffer are parsed (the server runs a whole batch before reading again), and Reset reuses the arena.
func TestReaderArgsStableUntilFill(t *testing.T) {
	r := NewReader(strings.NewReader("*2\r\n$4\r\nECHO\r\n$3\r\none\r\nECHO two\r\n*2\r\n$4\r\nECHO\r\n$5\r\nthree\r\n"))
	if err := r.Fill(); err != nil {
		t.Fatal(err)
	}
	var batch [][][]byte
	for {
		args, ok, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		batch = append(batch, args)
	}
	var got []string
	for _, args := range batch {
		got = append(got, renderArgs(args))
	}
	want := []string{`"ECHO" "one"`, `"ECHO" "two"`, `"ECHO" "three"`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("batch %q, want %q", got, want)
	}
	if r.Buffered() != 0 {
		t.Errorf("Buffered() = %d after the whole input was parsed", r.Buffered())
	}
	// an argument handed out must not be extendable into the bytes that follow it
	if c := cap(batch[0][1]); c != len("one") {
		t.Errorf("argument capacity %d, want %d (appending to it would overwrite the next argument)", c, len("one"))
	}
	if err := r.Fill(); !errors.Is(err, io.EOF) {
		t.Errorf("Fill at end of input: %v, want io.EOF", err)
	}
}

// TestReaderBuffered counts parsed and unparsed bytes.
func TestReaderBuffered(t *testing.T) {
	r := NewReader(strings.NewReader("PING\r\n*1\r\n$4\r\nPI"))
	if err := r.Fill(); err != nil {
		t.Fatal(err)
	}
	if r.Buffered() != 16 {
		t.Errorf("Buffered() = %d before parsing, want 16", r.Buffered())
	}
	if _, ok, _ := r.Next(); !ok {
		t.Fatal("PING not parsed")
	}
	if _, ok, _ := r.Next(); ok {
		t.Fatal("half a command parsed")
	}
	if r.Buffered() != 10 {
		t.Errorf("Buffered() = %d with half a command left, want 10", r.Buffered())
	}
}

// zeroReader returns (0, nil) forever: Fill must not spin on it.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestReaderNoProgress(t *testing.T) {
	if err := NewReader(zeroReader{}).Fill(); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("Fill on a reader that returns nothing: %v, want io.ErrNoProgress", err)
	}
}

func TestParseInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int64
		okay bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"123456", 123456, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775807", -9223372036854775807, true},
		{"9223372036854775808", 0, false}, {"", 0, false}, {"-", 0, false}, {"+1", 0, false},
		{"01", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1a", 0, false},
		{"123456789012345678901", 0, false},
	} {
		n, ok := parseInt([]byte(tc.in))
		if ok != tc.okay || (ok && n != tc.n) {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.okay)
		}
	}
}
