package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary configuration files to the parser: it must never panic, and whatever it accepts
// must survive CONFIG REWRITE: loading the rewritten file gives the same values.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"name hello\nnum 5\n",
		"# comment\nflag yes\nwords \"a b\" 'c d' e\n",
		"name \"esc\\x41\\n\\\"q\\\"\"\n",
		"path ''\nnum 100\nother 0\n",
		"name 'unbalanced\n",
		"words\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if strings.Contains(strings.ToLower(text), "include") {
			return // includes would read arbitrary files of the machine running the fuzzer
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "fuzz.conf")
		writeFile(t, path, text)
		c := newTestConf(t)
		if err := c.r.Load(path, nil); err != nil {
			return
		}
		if err := c.r.Rewrite(); err != nil {
			t.Fatalf("rewrite of an accepted file failed: %v", err)
		}
		d := newTestConf(t)
		if err := d.r.Load(path, nil); err != nil {
			t.Fatalf("rewritten file refused: %v", err)
		}
		for _, name := range []string{"name", "num", "other", "flag", "mode", "path", "words"} {
			a, b := c.r.Lookup(name).Value.Get(), d.r.Lookup(name).Value.Get()
			if c.r.Lookup(name).Has(Multi) {
				// a multi-word directive's value is its whitespace-separated words (as CONFIG SET of
				// "save" or "bind" splits it): blank words carry nothing and are not kept
				a, b = strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " ")
			}
			if a != b {
				t.Fatalf("%s: %q before rewrite, %q after", name, a, b)
			}
		}
	})
}
