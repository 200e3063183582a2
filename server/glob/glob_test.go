package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s   string
		nocase bool
		want   bool
	}{
		{"*", "", false, true},
		{"*", "anything", false, true},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"h*llo", "heeeello", false, true},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[b-a]llo", "hbllo", false, true},
		{"h[a-b]llo", "hcllo", false, false},
		{"h\\*llo", "h*llo", false, true},
		{"h\\*llo", "hello", false, false},
		{"HELLO", "hello", true, true},
		{"HELLO", "hello", false, false},
		{"h[A-C]llo", "hbllo", true, true},
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"user:*", "user:1000", false, true},
		{"*:*:*", "a:b:c", false, true},
		{"[abc", "a", false, true},
		{"foo*", "fo", false, false},
		{"**a", "ba", false, true},
	}
	for _, c := range cases {
		if got := MatchString(c.p, c.s, c.nocase); got != c.want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", c.p, c.s, c.nocase, got, c.want)
		}
	}
}

// A pattern that makes a naive backtracking matcher take exponential time must still be answered; the work
// is bounded by len(pattern)*len(s), which this checks by counting nothing but completing at all on an input
// that would take years with exponential backtracking.
func TestMatchPathological(t *testing.T) {
	p := strings.Repeat("a*", 40) + "b"
	s := strings.Repeat("a", 5000)
	if MatchString(p, s, false) {
		t.Fatal("matched a string without b")
	}
	if !MatchString(p, s+"b", false) {
		t.Fatal("did not match")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*b?[c-d]\\e", "aXbYce")
	f.Fuzz(func(t *testing.T, p, s string) {
		MatchString(p, s, false)
		MatchString(p, s, true)
		if IsPlain([]byte(p)) && MatchString(p, s, false) != (p == s) {
			t.Fatalf("plain pattern %q vs %q", p, s)
		}
	})
}
