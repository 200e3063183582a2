package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const twoIncrManifest = "file appendonly.aof.1.base.aof seq 1 type b\n" +
	"file appendonly.aof.1.incr.aof seq 1 type i\n" +
	"file appendonly.aof.2.incr.aof seq 2 type i\n"

func TestLoadBaseThenIncrInOrder(t *testing.T) {
	dir := t.TempDir()
	setupDir(t, dir, twoIncrManifest, map[string][]byte{
		"appendonly.aof.1.base.aof": encAll([]string{"SET", "a", "1"}, []string{"SET", "b", "2"}),
		"appendonly.aof.1.incr.aof": append([]byte("#TS:1700000000\r\n"), encAll([]string{"SELECT", "1"}, []string{"INCR", "a"})...),
		"appendonly.aof.2.incr.aof": enc("DEL", "b"),
	})
	m := mustOpen(t, testConfig(t, dir))
	defer m.Close()
	if !m.HasData() {
		t.Fatal("HasData = false with a manifest listing files")
	}
	l := &recLoader{}
	if err := m.Load(l); err != nil {
		t.Fatal(err)
	}
	want := []string{"SET a 1", "SET b 2", "SELECT 1", "INCR a", "DEL b"}
	if !equalStrings(l.cmds, want) {
		t.Fatalf("loaded %q, want %q", l.cmds, want)
	}
	if s := m.Stats(); s.BaseSize != int64(len(encAll([]string{"SET", "a", "1"}, []string{"SET", "b", "2"}))) || s.CurrentSize <= s.BaseSize {
		t.Fatalf("sizes after load: base %d current %d", s.BaseSize, s.CurrentSize)
	}
}

func TestHasDataEmpty(t *testing.T) {
	m := mustOpen(t, testConfig(t, t.TempDir()))
	defer m.Close()
	if m.HasData() {
		t.Fatal("HasData = true for a new directory")
	}
	if _, err := os.Stat(m.Dir()); err != nil {
		t.Fatalf("Open did not create the directory: %v", err)
	}
}

// A base starting with "REDIS" goes to LoadRDB; a RESP tail after the RDB (pre-7.0 preamble file) and
// the incr files follow as commands.
func TestLoadRDBPreamble(t *testing.T) {
	dir := t.TempDir()
	base := append(fakeRDB("payload"), enc("SET", "tail", "1")...)
	setupDir(t, dir, "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
		map[string][]byte{
			"appendonly.aof.1.base.rdb": base,
			"appendonly.aof.1.incr.aof": enc("SET", "after", "2"),
		})
	m := mustOpen(t, testConfig(t, dir))
	defer m.Close()
	l := &recLoader{}
	if err := m.Load(l); err != nil {
		t.Fatal(err)
	}
	if got := string(l.rdb["appendonly.aof.1.base.rdb"]); got != string(fakeRDB("payload")) {
		t.Fatalf("LoadRDB got %q", got)
	}
	if want := []string{"SET tail 1", "SET after 2"}; !equalStrings(l.cmds, want) {
		t.Fatalf("commands %q, want %q", l.cmds, want)
	}

	m2 := mustOpen(t, testConfig(t, dir))
	defer m2.Close()
	err := m2.Load(&recLoader{rdbFail: true})
	var le *LoadError
	if !errors.As(err, &le) || le.File != "appendonly.aof.1.base.rdb" || !strings.Contains(err.Error(), "bad RDB") {
		t.Fatalf("RDB failure: %v", err)
	}
}

func truncatedSetup(t *testing.T, dir string) (good []byte, path string) {
	good = encAll([]string{"SET", "a", "1"}, []string{"SET", "b", "2"})
	partial := enc("SET", "c", "3")
	ad := setupDir(t, dir, twoIncrManifest, map[string][]byte{
		"appendonly.aof.1.base.aof": enc("SET", "base", "0"),
		"appendonly.aof.1.incr.aof": enc("SET", "x", "9"),
		"appendonly.aof.2.incr.aof": append(append([]byte{}, good...), partial[:len(partial)-4]...),
	})
	return good, filepath.Join(ad, "appendonly.aof.2.incr.aof")
}

func TestLoadTruncatedAllowed(t *testing.T) {
	dir := t.TempDir()
	good, path := truncatedSetup(t, dir)
	cfg := testConfig(t, dir)
	m := mustOpen(t, cfg)
	l := &recLoader{}
	if err := m.Load(l); err != nil {
		t.Fatal(err)
	}
	if want := []string{"SET base 0", "SET x 9", "SET a 1", "SET b 2"}; !equalStrings(l.cmds, want) {
		t.Fatalf("loaded %q, want %q", l.cmds, want)
	}
	if got := readFile(t, path); string(got) != string(good) {
		t.Fatalf("file not truncated to the last complete command: %q", got)
	}
	// appends continue cleanly after the cut
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(m.Append(enc("SET", "d", "4"))); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	l = reload(t, cfg)
	if want := []string{"SET base 0", "SET x 9", "SET a 1", "SET b 2", "SET d 4"}; !equalStrings(l.cmds, want) {
		t.Fatalf("after append and reload %q, want %q", l.cmds, want)
	}
}

func TestLoadTruncatedRefused(t *testing.T) {
	dir := t.TempDir()
	good, path := truncatedSetup(t, dir)
	before := readFile(t, path)
	cfg := testConfig(t, dir)
	cfg.LoadTruncated = false
	m := mustOpen(t, cfg)
	defer m.Close()
	err := m.Load(&recLoader{})
	var le *LoadError
	if !errors.As(err, &le) || !le.Truncated || le.File != "appendonly.aof.2.incr.aof" || le.Offset != int64(len(good)) {
		t.Fatalf("err %#v", err)
	}
	for _, want := range []string{"appendonly.aof.2.incr.aof", fmt.Sprintf("offset %d", len(good)), "aof-load-truncated"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if after := readFile(t, path); string(after) != string(before) {
		t.Fatal("the file was modified although truncation is not allowed")
	}
}

// Only the last file may be short: a truncated file followed by another one is fatal even with
// aof-load-truncated yes.
func TestLoadTruncatedNotLastFile(t *testing.T) {
	dir := t.TempDir()
	set := enc("SET", "a", "1")
	setupDir(t, dir, twoIncrManifest, map[string][]byte{
		"appendonly.aof.1.base.aof": enc("SET", "base", "0"),
		"appendonly.aof.1.incr.aof": append(append([]byte{}, set...), set[:5]...),
		"appendonly.aof.2.incr.aof": set,
	})
	m := mustOpen(t, testConfig(t, dir))
	defer m.Close()
	err := m.Load(&recLoader{})
	var le *LoadError
	if !errors.As(err, &le) || le.File != "appendonly.aof.1.incr.aof" || le.Offset != int64(len(set)) ||
		!strings.Contains(err.Error(), "not the last file") {
		t.Fatalf("err %v", err)
	}
}

func TestLoadMalformedAlwaysFails(t *testing.T) {
	dir := t.TempDir()
	set := enc("SET", "a", "1")
	setupDir(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n", map[string][]byte{
		"appendonly.aof.1.incr.aof": append(append([]byte{}, set...), "*2\r\n$3\r\nGET\r\n!oops\r\n"...),
	})
	cfg := testConfig(t, dir) // LoadTruncated yes: does not forgive bad syntax
	m := mustOpen(t, cfg)
	defer m.Close()
	err := m.Load(&recLoader{})
	var le *LoadError
	if !errors.As(err, &le) || le.Truncated || le.File != "appendonly.aof.1.incr.aof" || le.Offset != int64(len(set)) {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(err.Error(), "bad file format") || !strings.Contains(err.Error(), fmt.Sprintf("offset %d", len(set))) {
		t.Fatalf("message %q", err)
	}
}

func TestLoadExecErrorNamesOffset(t *testing.T) {
	dir := t.TempDir()
	set := enc("SET", "a", "1")
	setupDir(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n", map[string][]byte{
		"appendonly.aof.1.incr.aof": append(append([]byte{}, set...), enc("NOSUCH", "x")...),
	})
	m := mustOpen(t, testConfig(t, dir))
	defer m.Close()
	err := m.Load(&recLoader{failOn: "NOSUCH x"})
	var le *LoadError
	if !errors.As(err, &le) || le.Offset != int64(len(set)) || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("err %v", err)
	}
}

func TestLoadTransactions(t *testing.T) {
	complete := encAll([]string{"SET", "a", "1"}, []string{"MULTI"}, []string{"INCR", "a"}, []string{"INCR", "b"}, []string{"EXEC"})
	unfinished := encAll([]string{"MULTI"}, []string{"INCR", "c"})
	data := append(append([]byte{}, complete...), unfinished...)

	t.Run("complete transaction is delivered whole", func(t *testing.T) {
		dir := t.TempDir()
		setupDir(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n", map[string][]byte{"appendonly.aof.1.incr.aof": complete})
		m := mustOpen(t, testConfig(t, dir))
		defer m.Close()
		l := &recLoader{}
		if err := m.Load(l); err != nil {
			t.Fatal(err)
		}
		if want := []string{"SET a 1", "MULTI", "INCR a", "INCR b", "EXEC"}; !equalStrings(l.cmds, want) {
			t.Fatalf("%q", l.cmds)
		}
	})
	t.Run("MULTI without EXEC dropped", func(t *testing.T) {
		dir := t.TempDir()
		ad := setupDir(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n", map[string][]byte{"appendonly.aof.1.incr.aof": data})
		m := mustOpen(t, testConfig(t, dir))
		defer m.Close()
		l := &recLoader{}
		if err := m.Load(l); err != nil {
			t.Fatal(err)
		}
		if want := []string{"SET a 1", "MULTI", "INCR a", "INCR b", "EXEC"}; !equalStrings(l.cmds, want) {
			t.Fatalf("%q", l.cmds)
		}
		if got := readFile(t, filepath.Join(ad, "appendonly.aof.1.incr.aof")); string(got) != string(complete) {
			t.Fatalf("not cut before the MULTI: %q", got)
		}
	})
	t.Run("MULTI cut inside a command", func(t *testing.T) {
		dir := t.TempDir()
		ad := setupDir(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n", map[string][]byte{"appendonly.aof.1.incr.aof": data[:len(data)-3]})
		m := mustOpen(t, testConfig(t, dir))
		defer m.Close()
		if err := m.Load(&recLoader{}); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, filepath.Join(ad, "appendonly.aof.1.incr.aof")); string(got) != string(complete) {
			t.Fatalf("not cut before the MULTI: %q", got)
		}
	})
	t.Run("MULTI without EXEC refused", func(t *testing.T) {
		dir := t.TempDir()
		setupDir(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n", map[string][]byte{"appendonly.aof.1.incr.aof": data})
		cfg := testConfig(t, dir)
		cfg.LoadTruncated = false
		m := mustOpen(t, cfg)
		defer m.Close()
		l := &recLoader{}
		err := m.Load(l)
		var le *LoadError
		if !errors.As(err, &le) || !le.Truncated || le.Offset != int64(len(complete)) {
			t.Fatalf("err %v", err)
		}
		for _, c := range l.cmds {
			if c == "INCR c" {
				t.Fatal("a command of the unfinished transaction was applied")
			}
		}
	})
}

// A timestamp annotation cut by the end of the last file carries no data: it is removed so that appends do
// not glue onto it, even with aof-load-truncated no.
func TestLoadCutAnnotation(t *testing.T) {
	dir := t.TempDir()
	set := enc("SET", "a", "1")
	ad := setupDir(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n", map[string][]byte{
		"appendonly.aof.1.incr.aof": append(append([]byte{}, set...), "#TS:17000"...),
	})
	cfg := testConfig(t, dir)
	cfg.LoadTruncated = false
	m := mustOpen(t, cfg)
	defer m.Close()
	if err := m.Load(&recLoader{}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(ad, "appendonly.aof.1.incr.aof")); string(got) != string(set) {
		t.Fatalf("%q", got)
	}
}

func TestLoadMissingListedFile(t *testing.T) {
	dir := t.TempDir()
	setupDir(t, dir, twoIncrManifest, map[string][]byte{"appendonly.aof.1.base.aof": enc("SET", "a", "1")})
	m := mustOpen(t, testConfig(t, dir))
	defer m.Close()
	l := &recLoader{}
	if err := m.Load(l); err == nil || !strings.Contains(err.Error(), "appendonly.aof.1.incr.aof") {
		t.Fatalf("err %v", err)
	}
	if len(l.cmds) != 0 {
		t.Fatal("commands applied before the missing file was noticed")
	}
}

func TestOpenRejectsBadManifest(t *testing.T) {
	dir := t.TempDir()
	setupDir(t, dir, "file a seq 1 type z\n", nil)
	if _, err := Open(testConfig(t, dir)); err == nil || !strings.Contains(err.Error(), "unknown AOF file type") {
		t.Fatalf("err %v", err)
	}
}

func TestOpenRejectsPaths(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.FileName = "sub/appendonly.aof"
	if _, err := Open(cfg); err == nil {
		t.Fatal("appendfilename with a slash accepted")
	}
	cfg = testConfig(t, t.TempDir())
	cfg.DirName = "a/b"
	if _, err := Open(cfg); err == nil {
		t.Fatal("appenddirname with a slash accepted")
	}
}

// readAheadLoader decodes the fake RDB through a buffer of its own, like server/rdb's Decoder, and hands
// back what it read past the end.
type readAheadLoader struct{ recLoader }

func (l *readAheadLoader) LoadRDBReadAhead(r io.Reader, name string) ([]byte, error) {
	br := bufio.NewReaderSize(r, 16)
	if err := l.LoadRDB(br, name); err != nil {
		return nil, err
	}
	rest := make([]byte, br.Buffered())
	br.Read(rest)
	return rest, nil
}

// With a read-ahead RDB loader the tail is still parsed from the right place, and a short tail is cut at
// the exact file offset.
func TestLoadRDBReadAheadTail(t *testing.T) {
	dir := t.TempDir()
	good := append(fakeRDB("some-longer-payload"), encAll([]string{"SET", "a", "1"}, []string{"SET", "b", "2"})...)
	partial := enc("SET", "c", "3")
	ad := setupDir(t, dir, "file appendonly.aof.1.base.rdb seq 1 type b\n", map[string][]byte{
		"appendonly.aof.1.base.rdb": append(append([]byte{}, good...), partial[:6]...),
	})
	m := mustOpen(t, testConfig(t, dir))
	defer m.Close()
	l := &readAheadLoader{}
	if err := m.Load(l); err != nil {
		t.Fatal(err)
	}
	if string(l.rdb["appendonly.aof.1.base.rdb"]) != string(fakeRDB("some-longer-payload")) || !equalStrings(l.cmds, []string{"SET a 1", "SET b 2"}) {
		t.Fatalf("rdb %q cmds %q", l.rdb, l.cmds)
	}
	if got := readFile(t, filepath.Join(ad, "appendonly.aof.1.base.rdb")); string(got) != string(good) {
		t.Fatalf("cut at the wrong offset: %d bytes, want %d", len(got), len(good))
	}
}
