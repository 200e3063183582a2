package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testConf is a small directive table bound to plain variables.
type testConf struct {
	r                *Registry
	name, mode, path string
	num, other       int64
	flag             bool
	words            []string
	applied          map[string]int
	failApply        string // name of the apply that fails
	checkErr         error
}

func newTestConf(t *testing.T) *testConf {
	t.Helper()
	c := &testConf{r: NewRegistry(), applied: map[string]int{}}
	apply := func(name string) *Apply {
		return &Apply{Name: name, Fn: func() error {
			c.applied[name]++
			if c.failApply == name {
				return &ApplyError{Msg: "Unable to do " + name + ". Check server logs.", Err: errors.New("detail")}
			}
			return nil
		}}
	}
	shared := apply("shared")
	c.r.Add(
		&Directive{Name: "name", Default: "none", Value: String{P: &c.name}, Apply: shared},
		&Directive{Name: "num", Aliases: []string{"number"}, Default: "10", Value: Int{P: &c.num, Min: 0, Max: 100}, Apply: shared},
		&Directive{Name: "other", Default: "1", Value: Int{P: &c.other, Min: 0, Max: 100}, Apply: apply("other"),
			Check: func() error { return c.checkErr }},
		&Directive{Name: "flag", Default: "no", Value: Bool{P: &c.flag}},
		&Directive{Name: "mode", Default: "fast", Value: Enum{P: &c.mode, Options: []string{"fast", "slow"}}, Flags: Immutable},
		&Directive{Name: "path", Default: "", Value: String{P: &c.path}, Flags: Volatile, Apply: apply("path")},
		&Directive{Name: "words", Default: "a b", Flags: Multi, Value: Func{
			SetFn: func(args []string) error { c.words = append([]string(nil), args...); return nil },
			GetFn: func() string { return strings.Join(c.words, " ") },
		}},
		&Directive{Name: "secret-thing", Default: "", Value: String{P: new(string)}, Flags: Hidden},
	)
	if err := c.r.SetDefaults(); err != nil {
		t.Fatal(err)
	}
	return c
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
}

func TestLoadQuotesEscapesAndInclude(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	writeFile(t, inc, "num 42\nname included\n")
	main := filepath.Join(dir, "main.conf")
	writeFile(t, main, strings.Join([]string{
		"# a comment",
		"",
		`   name "hello world"   `,
		`words one "two three" 'fo\'ur' "t\tab\x41"`,
		"FLAG yes",
		"include " + inc,
		"number 7", // the alias, after the include: overrides it
		"path '/tmp/x y'",
	}, "\n"))
	c := newTestConf(t)
	if err := c.r.Load(main, []Option{{Name: "flag", Args: []string{"no"}}, {Name: "other", Args: []string{"5"}}}); err != nil {
		t.Fatal(err)
	}
	if c.name != "included" || c.num != 7 || c.other != 5 || c.flag || c.path != "/tmp/x y" {
		t.Fatalf("name=%q num=%d other=%d flag=%v path=%q", c.name, c.num, c.other, c.flag, c.path)
	}
	if want := []string{"one", "two three", "fo'ur", "t\tabA"}; !reflect.DeepEqual(c.words, want) {
		t.Fatalf("words = %q, want %q", c.words, want)
	}
	if c.r.File != main {
		t.Fatalf("File = %q", c.r.File)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, text, want string
		line             int
	}{
		{"unknown", "name x\nnosuch 1\n", "Bad directive or wrong number of arguments", 2},
		{"too many args", "num 1 2\n", "Bad directive or wrong number of arguments", 1},
		{"quotes", "# c\nname \"abc\n", "Unbalanced quotes in configuration line", 2},
		{"closing quote then text", "name \"abc\"x\n", "Unbalanced quotes in configuration line", 1},
		{"bad int", "num abc\n", "argument couldn't be parsed into an integer", 1},
		{"out of range", "\n\nnum 101\n", "argument must be between 0 and 100 inclusive", 3},
		{"bad enum", "mode medium\n", "argument(s) must be one of the following: fast, slow", 1},
		{"include args", "include\n", "Bad directive or wrong number of arguments", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".conf")
			writeFile(t, p, tc.text)
			err := newTestConf(t).r.Load(p, nil)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a LoadError", err)
			}
			if le.Err != tc.want || le.Line != tc.line || le.File != p {
				t.Fatalf("got %s:%d %q, want line %d %q", le.File, le.Line, le.Err, tc.line, tc.want)
			}
			if !strings.Contains(le.Error(), "FATAL CONFIG FILE ERROR") || !strings.Contains(le.Short(), p) {
				t.Fatalf("messages: %q / %q", le.Error(), le.Short())
			}
		})
	}
	// a missing file and an include of a missing file
	if err := newTestConf(t).r.Load(filepath.Join(dir, "missing.conf"), nil); err == nil || !strings.Contains(err.Error(), "can't open config file") {
		t.Fatalf("missing file: %v", err)
	}
	p := filepath.Join(dir, "inc-missing.conf")
	writeFile(t, p, "include "+filepath.Join(dir, "nope.conf")+"\n")
	if err := newTestConf(t).r.Load(p, nil); err == nil || !strings.Contains(err.Error(), "nope.conf") {
		t.Fatalf("missing include: %v", err)
	}
	// an include of itself stops instead of recursing forever
	self := filepath.Join(dir, "self.conf")
	writeFile(t, self, "include "+self+"\n")
	if err := newTestConf(t).r.Load(self, nil); err == nil || !strings.Contains(err.Error(), "too many nested includes") {
		t.Fatalf("recursive include: %v", err)
	}
	// a bad command-line option names itself
	err := newTestConf(t).r.Load("", []Option{{Name: "num", Args: []string{"x"}}})
	var le *LoadError
	if !errors.As(err, &le) || le.Line != 0 || le.Text != "--num x" || !strings.Contains(le.Short(), "command line") {
		t.Fatalf("command-line error: %#v", err)
	}
}

func TestSetAllOrNothing(t *testing.T) {
	cases := []struct {
		name  string
		pairs [][2]string
		want  string
	}{
		{"bad value among good ones", [][2]string{{"name", "changed"}, {"num", "55"}, {"other", "abc"}},
			"ERR CONFIG SET failed (possibly related to argument 'other') - argument couldn't be parsed into an integer"},
		{"out of range", [][2]string{{"name", "changed"}, {"num", "500"}},
			"ERR CONFIG SET failed (possibly related to argument 'num') - argument must be between 0 and 100 inclusive"},
		{"unknown", [][2]string{{"name", "changed"}, {"nosuch", "1"}},
			"ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{"immutable", [][2]string{{"name", "changed"}, {"mode", "slow"}},
			"ERR CONFIG SET failed (possibly related to argument 'mode') - can't set immutable config"},
		{"duplicate through an alias", [][2]string{{"num", "1"}, {"NUMBER", "2"}},
			"ERR CONFIG SET failed (possibly related to argument 'NUMBER') - duplicate parameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestConf(t)
			err := c.r.Set(tc.pairs, nil)
			var se *SetError
			if !errors.As(err, &se) || se.Msg != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if c.name != "none" || c.num != 10 || c.other != 1 || c.mode != "fast" {
				t.Fatalf("values changed: name=%q num=%d other=%d mode=%q", c.name, c.num, c.other, c.mode)
			}
			if len(c.applied) != 0 {
				t.Fatalf("applies ran: %v", c.applied)
			}
		})
	}
}

func TestSetApplies(t *testing.T) {
	c := newTestConf(t)
	// two directives sharing an apply: it runs once
	if err := c.r.Set([][2]string{{"name", "n1"}, {"num", "20"}, {"flag", "yes"}}, nil); err != nil {
		t.Fatal(err)
	}
	if c.name != "n1" || c.num != 20 || !c.flag || c.applied["shared"] != 1 {
		t.Fatalf("name=%q num=%d flag=%v applied=%v", c.name, c.num, c.flag, c.applied)
	}
	// setting the current value applies nothing, unless the directive is volatile (a file to read again)
	c.applied = map[string]int{}
	if err := c.r.Set([][2]string{{"name", "n1"}, {"path", ""}}, nil); err != nil {
		t.Fatal(err)
	}
	if c.applied["shared"] != 0 || c.applied["path"] != 1 {
		t.Fatalf("applied = %v", c.applied)
	}
	// an apply that fails restores every value and runs the applies again with the old values
	c.applied = map[string]int{}
	c.failApply = "other"
	var failed string
	err := c.r.Set([][2]string{{"name", "n2"}, {"other", "9"}}, func(name string, err error) { failed = name })
	var se *SetError
	want := "ERR CONFIG SET failed (possibly related to argument 'other') - Unable to do other. Check server logs."
	if !errors.As(err, &se) || se.Msg != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if failed != "other" || c.name != "n1" || c.other != 1 {
		t.Fatalf("failed=%q name=%q other=%d", failed, c.name, c.other)
	}
	if c.applied["shared"] != 2 || c.applied["other"] != 2 {
		t.Fatalf("applies after the failure: %v (want each twice: the attempt and the restore)", c.applied)
	}
	// a cross-directive check that fails restores too
	c.failApply, c.checkErr = "", errors.New("other must be even")
	err = c.r.Set([][2]string{{"num", "30"}, {"other", "3"}}, nil)
	if !errors.As(err, &se) || se.Msg != "ERR CONFIG SET failed (possibly related to argument 'other') - other must be even" {
		t.Fatalf("check: %v", err)
	}
	if c.num != 20 || c.other != 1 {
		t.Fatalf("num=%d other=%d after a failed check", c.num, c.other)
	}
	// a multi-word directive takes its words from one argument
	c.checkErr = nil
	if err := c.r.Set([][2]string{{"words", "x  y z"}}, nil); err != nil || !reflect.DeepEqual(c.words, []string{"x", "y", "z"}) {
		t.Fatalf("words = %q, %v", c.words, err)
	}
}

func TestGetPatterns(t *testing.T) {
	c := newTestConf(t)
	cases := []struct {
		patterns []string
		want     [][2]string
	}{
		{[]string{"num"}, [][2]string{{"num", "10"}}},
		{[]string{"NUM"}, [][2]string{{"num", "10"}}},
		{[]string{"number"}, [][2]string{{"number", "10"}}}, // an alias answers to its exact name
		{[]string{"n*"}, [][2]string{{"name", "none"}, {"num", "10"}}},
		{[]string{"n*", "num", "?lag"}, [][2]string{{"flag", "no"}, {"name", "none"}, {"num", "10"}}},
		{[]string{"*"}, [][2]string{{"flag", "no"}, {"mode", "fast"}, {"name", "none"}, {"num", "10"}, {"other", "1"}, {"path", ""}, {"words", "a b"}}},
		{[]string{"secret-thing"}, [][2]string{{"secret-thing", ""}}}, // hidden: only by name
		{[]string{"nosuch", "x*"}, nil},
		{[]string{"[mn]*"}, [][2]string{{"mode", "fast"}, {"name", "none"}, {"num", "10"}}},
	}
	for _, tc := range cases {
		if got := c.r.Get(tc.patterns); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Get(%q) = %q, want %q", tc.patterns, got, tc.want)
		}
	}
}

func TestRewriteKeepsCommentsAndUnknownLines(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "node.conf")
	original := strings.Join([]string{
		"# valkey-node test configuration",
		"",
		"   # indented comment",
		"name first",
		"not-ours 1 2 3", // a directive this registry does not know (a later feature): kept as is
		"num 10",
		"NAME second", // a later occurrence of name: dropped, the first line carries the value
		"include /etc/elsewhere.conf",
		"words a b",
	}, "\n") + "\n"
	writeFile(t, p, original)
	c := newTestConf(t)
	c.r.File = p
	if err := c.r.Set([][2]string{{"name", "hello world"}, {"num", "11"}, {"other", "7"}, {"flag", "yes"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.r.Rewrite(); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"# valkey-node test configuration",
		"",
		"   # indented comment",
		`name "hello world"`,
		"not-ours 1 2 3",
		"num 11",
		"include /etc/elsewhere.conf",
		"words a b",
		"# Generated by CONFIG REWRITE",
		"other 7",
		"flag yes",
	}, "\n") + "\n"
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("rewritten file:\n%s\nwant:\n%s", got, want)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v not kept", st.Mode().Perm())
	}
	// rewriting again changes nothing: the signature and the appended lines are not duplicated
	if err := c.r.Rewrite(); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(p); string(again) != want {
		t.Fatalf("second rewrite:\n%s", again)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	// a fresh registry loading the rewritten file (without the unknown line) gets the same values
	clean := strings.ReplaceAll(strings.ReplaceAll(want, "not-ours 1 2 3\n", ""), "include /etc/elsewhere.conf\n", "")
	writeFile(t, p, clean)
	d := newTestConf(t)
	if err := d.r.Load(p, nil); err != nil {
		t.Fatal(err)
	}
	if d.name != "hello world" || d.num != 11 || d.other != 7 || !d.flag {
		t.Fatalf("reloaded: name=%q num=%d other=%d flag=%v", d.name, d.num, d.other, d.flag)
	}
}

func TestRewriteWithoutFile(t *testing.T) {
	c := newTestConf(t)
	if err := c.r.Rewrite(); err == nil || err.Error() != "The server is running without a config file" {
		t.Fatalf("got %v", err)
	}
	// a configured file that has disappeared is written from scratch
	p := filepath.Join(t.TempDir(), "gone.conf")
	c.r.File = p
	c.num = 12
	if err := c.r.Rewrite(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "# Generated by CONFIG REWRITE\nnum 12\n" {
		t.Fatalf("got %q", got)
	}
}

func TestParseMemory(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"100", 100, true}, {"1k", 1000, true}, {"1kb", 1024, true}, {"2mb", 2 << 20, true}, {"1G", 1e9, true},
		{"1gb", 1 << 30, true}, {"-5", -5, true}, {"1x", 0, false}, {"", 0, false}, {"99999999999gb", 0, false},
	}
	for _, tc := range cases {
		got, err := ParseMemory(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseMemory(%q) = %d, %v", tc.in, got, err)
		}
	}
}
