package aof

import (
	"reflect"
	"strings"
	"testing"
)

// Valkey's own example manifest (from the comment in aof.c) parses into base, history and incr lists.
func TestParseManifestValkeyExample(t *testing.T) {
	text := "file appendonly.aof.2.base.rdb seq 2 type b\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"file appendonly.aof.2.incr.aof seq 2 type h\n" +
		"file appendonly.aof.3.incr.aof seq 3 type h\n" +
		"file appendonly.aof.4.incr.aof seq 4 type i\n" +
		"file appendonly.aof.5.incr.aof seq 5 type i\n"
	m, err := ParseManifest([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		Base: &Entry{"appendonly.aof.2.base.rdb", 2, TypeBase},
		History: []Entry{
			{"appendonly.aof.1.incr.aof", 1, TypeHistory},
			{"appendonly.aof.2.incr.aof", 2, TypeHistory},
			{"appendonly.aof.3.incr.aof", 3, TypeHistory},
		},
		Incr: []Entry{{"appendonly.aof.4.incr.aof", 4, TypeIncr}, {"appendonly.aof.5.incr.aof", 5, TypeIncr}},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %+v", m)
	}
	if got := string(m.Format()); got != text {
		t.Fatalf("Format:\n%s\nwant:\n%s", got, text)
	}
}

func TestManifestRoundTripQuoting(t *testing.T) {
	for _, tc := range []struct {
		name, line string // line: how the name must appear in the manifest
	}{
		{"appendonly.aof.1.incr.aof", "appendonly.aof.1.incr.aof"},
		{"my file.aof.1.incr.aof", `"my file.aof.1.incr.aof"`},
		{`say"hi".aof.1.incr.aof`, `"say\"hi\".aof.1.incr.aof"`},
		{`back\slash.1.incr.aof`, `"back\\slash.1.incr.aof"`},
		{"tab\there\n.1.incr.aof", `"tab\there\n.1.incr.aof"`},
		{"caf\xc3\xa9.1.incr.aof", `"caf\xc3\xa9.1.incr.aof"`},
		{"it's.1.incr.aof", `"it's.1.incr.aof"`},
		{"\x00\x7f\xff", `"\x00\x7f\xff"`},
	} {
		m := &Manifest{
			Base: &Entry{"b" + tc.name, 3, TypeBase},
			Incr: []Entry{{tc.name, 7, TypeIncr}},
		}
		text := string(m.Format())
		if want := "file " + tc.line + " seq 7 type i\n"; !strings.HasSuffix(text, want) {
			t.Errorf("%q: formatted\n%s\nwant a line %q", tc.name, text, want)
		}
		back, err := ParseManifest([]byte(text))
		if err != nil {
			t.Errorf("%q: parse back: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(back, m) {
			t.Errorf("%q: round trip gave %+v", tc.name, back)
		}
	}
}

// Lines Valkey accepts beyond what it writes: comments, CRLF, extra key/value pairs, keys in any case,
// single-quoted names, keys in another order.
func TestParseManifestLenient(t *testing.T) {
	text := "# written by hand\r\n" +
		"FILE 'a b.base.rdb' SEQ 1 TYPE b future value\r\n" +
		"type i seq 2 file x.incr.aof\n"
	m, err := ParseManifest([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if m.Base == nil || m.Base.Name != "a b.base.rdb" || len(m.Incr) != 1 || m.Incr[0] != (Entry{"x.incr.aof", 2, TypeIncr}) {
		t.Fatalf("got %+v", m)
	}
}

func TestParseManifestErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"", "empty"},
		{"file a seq 1 type b\nfile b seq 2 type b\n", "duplicate base"},
		{"file a seq 2 type i\nfile b seq 2 type i\n", "non-monotonic"},
		{"file a seq 3 type i\nfile b seq 2 type i\n", "non-monotonic"},
		{"file a seq 1 type x\n", "unknown AOF file type"},
		{"file dir/a seq 1 type i\n", "can't be a path"},
		{"file a seq 0 type i\n", "invalid"},
		{"file a seq x type i\n", "invalid"},
		{"file a seq 1 type\n", "invalid"},
		{"file a seq 1\n", "invalid"},
		{"file a seq 1 type i extra\n", "invalid"},
		{"\n", "invalid"},
		{"file a seq 1 type i\n   \n", "invalid"},
		{`file "a seq 1 type i` + "\n", "invalid"},
		{"file a seq 1 type i", "too long line"},
		{"file " + strings.Repeat("a", 1100) + " seq 1 type i\n", "too long line"},
	} {
		_, err := ParseManifest([]byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want it to mention %q", tc.text, err, tc.want)
		}
	}
}
