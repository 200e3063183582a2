package aof

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// writeSnapshot returns a writeBase that writes cmds as a RESP base, after release is closed (nil: at once).
func writeSnapshot(release chan struct{}, cmds ...[]string) func(w io.Writer) error {
	return func(w io.Writer) error {
		if release != nil {
			<-release
		}
		_, err := w.Write(encAll(cmds...))
		return err
	}
}

func TestRewriteSwitchesIncrAndReplacesBase(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.UseRDBPreamble = false
	m := mustOpen(t, cfg)
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	before := encAll([]string{"SET", "a", "1"}, []string{"SET", "b", "2"})
	if err := m.Wait(m.Append(before)); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	// the snapshot at this point holds a and b; the base writes them as one MSET
	if err := m.StartRewrite(writeSnapshot(release, []string{"MSET", "a", "1", "b", "2"})); err != nil {
		t.Fatal(err)
	}
	if !m.RewriteInProgress() || !m.Stats().RewriteInProgress || m.Stats().CurrentRewriteTimeSec < 0 {
		t.Fatal("rewrite not reported in progress")
	}
	if err := m.StartRewrite(writeSnapshot(nil)); !errors.Is(err, ErrRewriteInProgress) {
		t.Fatalf("second StartRewrite: %v", err)
	}
	// the new incr file is listed at once, after the old one
	want := "file appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
	if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.manifest"))); got != want {
		t.Fatalf("manifest during rewrite %q", got)
	}
	during := enc("SET", "c", "3")
	if err := m.Wait(m.Append(during)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(m.Dir(), "appendonly.aof.2.incr.aof")); string(got) != string(during) {
		t.Fatalf("new incr file holds %q", got)
	}
	if got := readFile(t, filepath.Join(m.Dir(), "appendonly.aof.1.incr.aof")); string(got) != string(before) {
		t.Fatalf("old incr file holds %q", got)
	}
	close(release)
	if err := m.WaitRewrite(); err != nil {
		t.Fatal(err)
	}
	want = "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
	if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.manifest"))); got != want {
		t.Fatalf("manifest after rewrite %q, want %q", got, want)
	}
	wantFiles := []string{"appendonly.aof.1.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"}
	if got := dirFiles(t, m.Dir()); !equalStrings(got, wantFiles) {
		t.Fatalf("files %q, want %q", got, wantFiles)
	}
	s := m.Stats()
	if s.RewriteInProgress || !s.LastBgrewriteOK || s.Rewrites != 1 || s.RewritesConsecutiveFailures != 0 ||
		s.LastRewriteTimeSec < 0 || s.CurrentRewriteTimeSec != -1 {
		t.Fatalf("stats %+v", s)
	}
	baseLen := int64(len(enc("MSET", "a", "1", "b", "2")))
	if s.BaseSize != baseLen+int64(len(during)) || s.CurrentSize != s.BaseSize {
		t.Fatalf("sizes %+v, base file %d", s, baseLen)
	}
	after := enc("SET", "d", "4")
	if err := m.Wait(m.Append(after)); err != nil {
		t.Fatal(err)
	}
	if got := m.Stats().CurrentSize; got != s.CurrentSize+int64(len(after)) {
		t.Fatalf("aof_current_size %d after an append", got)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	l := reload(t, cfg)
	if want := []string{"MSET a 1 b 2", "SET c 3", "SET d 4"}; !equalStrings(l.cmds, want) {
		t.Fatalf("reloaded %q, want %q", l.cmds, want)
	}

	// a second rewrite names the base .rdb with aof-use-rdb-preamble and deletes base 1
	cfg.UseRDBPreamble = true
	m = mustOpen(t, cfg)
	if err := m.Load(&recLoader{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	rdb := fakeRDB("abcd")
	if err := m.StartRewrite(func(w io.Writer) error { _, err := w.Write(rdb); return err }); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitRewrite(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	want = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
	if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.manifest"))); got != want {
		t.Fatalf("manifest after second rewrite %q", got)
	}
	wantFiles = []string{"appendonly.aof.2.base.rdb", "appendonly.aof.3.incr.aof", "appendonly.aof.manifest"}
	if got := dirFiles(t, m.Dir()); !equalStrings(got, wantFiles) {
		t.Fatalf("files %q, want %q", got, wantFiles)
	}
	if l := reload(t, cfg); string(l.rdb["appendonly.aof.2.base.rdb"]) != string(rdb) || len(l.cmds) != 0 {
		t.Fatalf("reloaded rdb %q cmds %q", l.rdb, l.cmds)
	}
}

// A failed writeBase removes its temporary file and leaves a manifest that still loads everything: the old
// incr file and the new one, in order. The next rewrite succeeds and resets the failure count.
func TestRewriteFailureLeavesLoadableState(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.UseRDBPreamble = false
	m := mustOpen(t, cfg)
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(m.Append(enc("SET", "a", "1"))); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("snapshot failed")
	if err := m.StartRewrite(func(w io.Writer) error {
		w.Write([]byte("partial garbage"))
		return boom
	}); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(m.Append(enc("SET", "b", "2"))); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitRewrite(); !errors.Is(err, boom) {
		t.Fatalf("WaitRewrite: %v", err)
	}
	for _, f := range dirFiles(t, m.Dir()) {
		if strings.HasPrefix(f, "temp-") {
			t.Fatalf("temporary file %s left behind", f)
		}
	}
	s := m.Stats()
	if s.LastBgrewriteOK || s.RewritesConsecutiveFailures != 1 || s.Rewrites != 1 {
		t.Fatalf("stats after failure %+v", s)
	}
	if err := m.Wait(m.Append(enc("SET", "c", "3"))); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	want := "file appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
	if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.manifest"))); got != want {
		t.Fatalf("manifest %q", got)
	}
	if l := reload(t, cfg); !equalStrings(l.cmds, []string{"SET a 1", "SET b 2", "SET c 3"}) {
		t.Fatalf("reloaded %q", l.cmds)
	}

	m = mustOpen(t, cfg)
	defer m.Close()
	if err := m.Load(&recLoader{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	if err := m.StartRewrite(writeSnapshot(nil, []string{"MSET", "a", "1", "b", "2", "c", "3"})); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitRewrite(); err != nil {
		t.Fatal(err)
	}
	want = "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
	if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.manifest"))); got != want {
		t.Fatalf("manifest %q", got)
	}
	if got := dirFiles(t, m.Dir()); len(got) != 3 {
		t.Fatalf("old incr files not deleted: %q", got)
	}
}

// Close during a rewrite aborts writeBase; the manifest lists old and new incr files and loads.
func TestCloseAbortsRewrite(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	m := mustOpen(t, cfg)
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	m.Append(enc("SET", "a", "1"))
	started := make(chan struct{})
	if err := m.StartRewrite(func(w io.Writer) error {
		close(started)
		chunk := make([]byte, 64<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	<-started
	m.Append(enc("SET", "b", "2"))
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitRewrite(); !errors.Is(err, ErrClosed) {
		t.Fatalf("WaitRewrite after Close: %v, want ErrClosed", err)
	}
	if s := m.Stats(); s.RewriteInProgress || s.LastBgrewriteOK {
		t.Fatalf("stats after an aborted rewrite %+v", s)
	}
	for _, f := range dirFiles(t, m.Dir()) {
		if strings.HasPrefix(f, "temp-") {
			t.Fatalf("temporary file %s left behind", f)
		}
	}
	if l := reload(t, cfg); !equalStrings(l.cmds, []string{"SET a 1", "SET b 2"}) {
		t.Fatalf("reloaded %q", l.cmds)
	}
}

// Start with an empty directory and a writeBase (the node loaded an RDB): the base is written before Start
// returns, as Valkey does on startup.
func TestStartWritesBaseSynchronously(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	m := mustOpen(t, cfg)
	rdb := fakeRDB("fromdump")
	if err := m.Start(func(w io.Writer) error { _, err := w.Write(rdb); return err }); err != nil {
		t.Fatal(err)
	}
	want := "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
	if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.manifest"))); got != want {
		t.Fatalf("manifest %q", got)
	}
	if err := m.Wait(m.Append(enc("SET", "x", "1"))); err != nil {
		t.Fatal(err)
	}
	if s := m.Stats(); s.BaseSize != int64(len(rdb)) {
		t.Fatalf("aof_base_size %d", s.BaseSize)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	l := reload(t, cfg)
	if string(l.rdb["appendonly.aof.1.base.rdb"]) != string(rdb) || !equalStrings(l.cmds, []string{"SET x 1"}) {
		t.Fatalf("reloaded rdb %q cmds %q", l.rdb, l.cmds)
	}
}

// StartFresh: the manifest does not change until the base exists; appends made meanwhile are adopted as
// the first incr file.
func TestStartFresh(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	m := mustOpen(t, cfg)
	release := make(chan struct{})
	rdb := fakeRDB("live")
	if err := m.StartFresh(func(w io.Writer) error {
		<-release
		_, err := w.Write(rdb)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(m.Append(enc("SET", "during", "1"))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(m.Dir(), "appendonly.aof.manifest")); !os.IsNotExist(err) {
		t.Fatal("manifest written before the base exists")
	}
	if m.HasData() {
		t.Fatal("HasData = true before the fresh base exists")
	}
	close(release)
	if err := m.WaitRewrite(); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(m.Append(enc("SET", "after", "2"))); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	want := "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
	if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.manifest"))); got != want {
		t.Fatalf("manifest %q", got)
	}
	l := reload(t, cfg)
	if string(l.rdb["appendonly.aof.1.base.rdb"]) != string(rdb) || !equalStrings(l.cmds, []string{"SET during 1", "SET after 2"}) {
		t.Fatalf("reloaded rdb %q cmds %q", l.rdb, l.cmds)
	}
}

// A failed fresh rewrite keeps the directory free of a partial dataset; a retry with StartRewrite starts a
// new temporary incr at its snapshot and succeeds.
func TestStartFreshRetry(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	m := mustOpen(t, cfg)
	if err := m.StartFresh(func(w io.Writer) error { return errors.New("no space") }); err != nil {
		t.Fatal(err)
	}
	m.Append(enc("SET", "lost-in-retry", "1"))
	if err := m.WaitRewrite(); err == nil {
		t.Fatal("rewrite did not fail")
	}
	if m.HasData() {
		t.Fatal("a failed fresh rewrite left data to load")
	}
	rdb := fakeRDB("retry")
	if err := m.StartRewrite(func(w io.Writer) error { _, err := w.Write(rdb); return err }); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(m.Append(enc("SET", "after", "1"))); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitRewrite(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	l := reload(t, cfg)
	// the retry snapshot covers everything before it, so only later appends are in the incr file
	if string(l.rdb["appendonly.aof.1.base.rdb"]) != string(rdb) || !equalStrings(l.cmds, []string{"SET after 1"}) {
		t.Fatalf("reloaded rdb %q cmds %q", l.rdb, l.cmds)
	}
}

// History files and temporary files left by a crash are removed on Start.
func TestStartCleansUp(t *testing.T) {
	dir := t.TempDir()
	ad := setupDir(t, dir, "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.base.rdb seq 1 type h\n"+
		"file appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
		map[string][]byte{
			"appendonly.aof.2.base.rdb":   fakeRDB("x"),
			"appendonly.aof.1.base.rdb":   fakeRDB("old"),
			"appendonly.aof.1.incr.aof":   enc("SET", "old", "1"),
			"appendonly.aof.2.incr.aof":   enc("SET", "new", "1"),
			"temp-rewriteaof-bg-1234.aof": []byte("partial"),
		})
	m := mustOpen(t, testConfig(t, dir))
	defer m.Close()
	l := &recLoader{}
	if err := m.Load(l); err != nil {
		t.Fatal(err)
	}
	if !equalStrings(l.cmds, []string{"SET new 1"}) {
		t.Fatalf("history file loaded: %q", l.cmds)
	}
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"}
	if got := dirFiles(t, ad); !equalStrings(got, want) {
		t.Fatalf("files %q, want %q", got, want)
	}
	if got := string(readFile(t, filepath.Join(ad, "appendonly.aof.manifest"))); got != "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n" {
		t.Fatalf("manifest %q", got)
	}
}
