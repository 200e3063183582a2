package textargs

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // nil with err for a refused line
		err  bool
	}{
		{"", nil, false},
		{"   \t  ", nil, false},
		{"port 6379", []string{"port", "6379"}, false},
		{"  save   900 1  ", []string{"save", "900", "1"}, false},
		{"a\tb\r\nc\vd\fe", []string{"a", "b", "c", "d", "e"}, false},
		{`requirepass "foo bar"`, []string{"requirepass", "foo bar"}, false},
		{`x ""`, []string{"x", ""}, false},
		{`x ''`, []string{"x", ""}, false},
		{`"a\nb\rc\td\be\af\\g\"h"`, []string{"a\nb\rc\td\be\af\\g\"h"}, false},
		{`"\x41\x7a\x00\xff"`, []string{"Az\x00\xff"}, false},
		{`"\xZZ\x4"`, []string{`\xZZ\x4`}, false},
		{`"\q"`, []string{"q"}, false},
		{`'it\'s'`, []string{"it's"}, false},
		{`'a\nb "c"'`, []string{`a\nb "c"`}, false},
		{`'\\'`, nil, true},             // the second backslash escapes the closing quote, as in Valkey
		{`a"b"`, []string{"ab"}, false}, // a quote inside a word starts a quoted part, as in Valkey
		{`"a" "b"`, []string{"a", "b"}, false},
		{`"a"b`, nil, true},
		{`'a'b`, nil, true},
		{`"abc`, nil, true},
		{`'abc`, nil, true},
		{`"abc\"`, nil, true},
		{`"`, nil, true},
	} {
		got, err := SplitString(tc.in)
		if tc.err {
			if !errors.Is(err, ErrUnbalancedQuotes) {
				t.Errorf("Split(%q) = %q, %v; want ErrUnbalancedQuotes", tc.in, got, err)
			}
			continue
		}
		if err != nil || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("Split(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"6379", "6379"},
		{"/var/lib/valkey", "/var/lib/valkey"},
		{"", `""`},
		{"two words", `"two words"`},
		{`say "hi"`, `"say \"hi\""`},
		{"it's", `"it's"`},
		{`back\slash`, `"back\\slash"`},
		{"tab\there", `"tab\there"`},
		{"nl\n", `"nl\n"`},
		{"\x00\x7f\xff", `"\x00\x7f\xff"`},
		{"é", `"\xc3\xa9"`},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestQuoteSplitRoundTrip: every byte value survives Quote then Split, alone and inside words.
func TestQuoteSplitRoundTrip(t *testing.T) {
	var words []string
	for c := 0; c < 256; c++ {
		words = append(words, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"b")
	}
	line := ""
	for i, w := range words {
		if i > 0 {
			line += " "
		}
		line += Quote(w)
	}
	got, err := SplitString(line)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(words) {
		t.Fatalf("%d words back, want %d", len(got), len(words))
	}
	for i := range words {
		if got[i] != words[i] {
			t.Errorf("word %d: %q came back as %q", i, words[i], got[i])
		}
	}
}

// FuzzSplit: Split never panics; what it accepts can be re-quoted and split to the same arguments; and
// any argument list survives Quote + Split.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"", "port 6379", `a "b c" 'd\'e'`, `"\x41\n"`, `"unterminated`, `'x'y`, "\xfe\x00 \"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		parts, err := Split(line)
		if err != nil {
			if !errors.Is(err, ErrUnbalancedQuotes) {
				t.Fatalf("Split(%q): unexpected error %v", line, err)
			}
		} else {
			requoted := joinQuoted(parts)
			again, err := Split([]byte(requoted))
			if err != nil || !equalArgs(again, parts) {
				t.Fatalf("Split(%q) = %q; re-quoted %q splits into %q, %v", line, parts, requoted, again, err)
			}
		}
		// the input taken as arguments cut at 0xFE
		args := bytes.Split(line, []byte{0xFE})
		quoted := joinQuoted(args)
		back, err := Split([]byte(quoted))
		if err != nil || !equalArgs(back, args) {
			t.Fatalf("args %q quoted as %q split into %q, %v", args, quoted, back, err)
		}
	})
}

func joinQuoted(args [][]byte) string {
	var b bytes.Buffer
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(string(a)))
	}
	return b.String()
}

func equalArgs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
