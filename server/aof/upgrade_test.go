package aof

import (
	"os"
	"path/filepath"
	"testing"
)

// An old single-file AOF in dir is moved into the directory as base seq 1 (its own name), the manifest is
// written, and appends then go to a new incr file.
func TestUpgradeFromSingleFile(t *testing.T) {
	dir := t.TempDir()
	old := append(fakeRDB("snap"), enc("SET", "tail", "1")...)
	writeFile(t, filepath.Join(dir, "appendonly.aof"), old)
	cfg := testConfig(t, dir)
	m := mustOpen(t, cfg)
	if !m.HasData() {
		t.Fatal("HasData = false with an old AOF present")
	}
	l := &recLoader{}
	if err := m.Load(l); err != nil {
		t.Fatal(err)
	}
	if string(l.rdb["appendonly.aof"]) != string(fakeRDB("snap")) || !equalStrings(l.cmds, []string{"SET tail 1"}) {
		t.Fatalf("loaded rdb %q cmds %q", l.rdb, l.cmds)
	}
	if _, err := os.Stat(filepath.Join(dir, "appendonly.aof")); !os.IsNotExist(err) {
		t.Fatal("old file still in dir")
	}
	if got := readFile(t, filepath.Join(m.Dir(), "appendonly.aof")); string(got) != string(old) {
		t.Fatal("old file not moved intact")
	}
	if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.manifest"))); got != "file appendonly.aof seq 1 type b\n" {
		t.Fatalf("manifest %q", got)
	}
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(m.Append(enc("SET", "new", "2"))); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	want := "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
	if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.manifest"))); got != want {
		t.Fatalf("manifest %q, want %q", got, want)
	}
	l = reload(t, cfg)
	if !equalStrings(l.cmds, []string{"SET tail 1", "SET new 2"}) {
		t.Fatalf("after reload %q", l.cmds)
	}
}

// A crash after the manifest was written but before the rename leaves a manifest naming the old file as
// base while the file is still in dir: the next start finishes the move.
func TestUpgradeResumesAfterCrash(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "appendonly.aof"), enc("SET", "a", "1"))
	setupDir(t, dir, "file appendonly.aof seq 1 type b\n", nil)
	m := mustOpen(t, testConfig(t, dir))
	defer m.Close()
	if !m.HasData() {
		t.Fatal("HasData = false")
	}
	l := &recLoader{}
	if err := m.Load(l); err != nil {
		t.Fatal(err)
	}
	if !equalStrings(l.cmds, []string{"SET a 1"}) {
		t.Fatalf("%q", l.cmds)
	}
}

// With a populated directory, a file of the same name in dir is not adopted.
func TestNoUpgradeWhenDirectoryInUse(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "appendonly.aof"), enc("SET", "stale", "1"))
	setupDir(t, dir, "file appendonly.aof.1.incr.aof seq 1 type i\n", map[string][]byte{
		"appendonly.aof.1.incr.aof": enc("SET", "a", "1"),
	})
	m := mustOpen(t, testConfig(t, dir))
	defer m.Close()
	l := &recLoader{}
	if err := m.Load(l); err != nil {
		t.Fatal(err)
	}
	if !equalStrings(l.cmds, []string{"SET a 1"}) {
		t.Fatalf("%q", l.cmds)
	}
	if _, err := os.Stat(filepath.Join(dir, "appendonly.aof")); err != nil {
		t.Fatal("the unrelated file in dir was moved")
	}
}
