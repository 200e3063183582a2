package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAOFRestoresEveryType: with appendonly yes every write is in the AOF, and a restart replays it,
// with or without an RDB preamble in the base written by BGREWRITEAOF, and with writes after the rewrite.
func TestAOFRestoresEveryType(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble-"+preamble, func(t *testing.T) {
			dir := t.TempDir()
			n := startNode(t, "dir", dir, "appendonly", "yes", "aof-use-rdb-preamble", preamble)
			r := n.raw()
			fillAllTypes(t, r, "before:")
			if got := r.do("BGREWRITEAOF"); got != "Background append only file rewriting started" {
				t.Fatalf("BGREWRITEAOF: %s", got)
			}
			fillAllTypes(t, r, "during:")
			waitFor(t, "the rewrite to end", func() bool {
				return strings.Contains(r.do("INFO", "persistence"), "aof_rewrite_in_progress:0")
			})
			fillAllTypes(t, r, "after:")
			r.do("SELECT", "2")
			r.do("INCRBYFLOAT", "f", "0.1")
			r.do("SELECT", "0")
			r.do("DEL", "before:str:int")
			r.do("EXPIRE", "during:str:short", "100")
			want := contents(t, r)
			info := r.do("INFO", "persistence")
			for _, f := range []string{"aof_enabled:1", "aof_rewrites:1", "aof_last_bgrewrite_status:ok", "aof_last_write_status:ok"} {
				if !strings.Contains(info, f) {
					t.Fatalf("INFO persistence lacks %s:\n%s", f, info)
				}
			}
			n.stop()
			ents, _ := os.ReadDir(filepath.Join(dir, "appendonlydir"))
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			base := "appendonly.aof.2.base.rdb"
			if preamble == "no" {
				base = "appendonly.aof.2.base.aof"
			}
			if !strings.Contains(strings.Join(names, " "), base) {
				t.Fatalf("append only dir holds %v, want a %s", names, base)
			}
			n2 := startNode(t, "dir", dir, "appendonly", "yes")
			r2 := n2.raw()
			if got := contents(t, r2); got != want {
				t.Fatalf("after restart: %s", firstDiff(got, want))
			}
			r2.do("SELECT", "2")
			if got := r2.do("GET", "f"); got != `"0.1"` {
				t.Fatalf("GET f after restart: %s", got)
			}
		})
	}
}

// TestAOFConvertsRDBDataDir: a node started with appendonly yes on a directory that only has an RDB loads
// the RDB and makes it the first base, as Valkey converts.
func TestAOFConvertsRDBDataDir(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "dir", dir)
	r := n.raw()
	fillAllTypes(t, r, "")
	want := contents(t, r)
	r.do("SAVE")
	n.stop()
	n2 := startNode(t, "dir", dir, "appendonly", "yes")
	r2 := n2.raw()
	if got := contents(t, r2); got != want {
		t.Fatalf("after converting: %s", firstDiff(got, want))
	}
	r2.do("SET", "new", "1")
	n2.stop()
	if err := os.Remove(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatal(err)
	}
	n3 := startNode(t, "dir", dir, "appendonly", "yes")
	r3 := n3.raw()
	if got := r3.do("GET", "new"); got != `"1"` {
		t.Fatalf("write after the conversion: %s", got)
	}
	if got := contents(t, r3); !strings.Contains(got, `"str:long"`) {
		t.Fatal("the converted base lost the RDB's keys")
	}
}

// TestAOFTurnedOnAtRuntime: CONFIG SET appendonly yes writes a base from a snapshot while the node serves;
// until it exists INFO says a rewrite is in progress; then a restart with appendonly yes has everything.
func TestAOFTurnedOnAtRuntime(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "dir", dir, "rdb-key-save-delay", "2000")
	r := n.raw()
	fillAllTypes(t, r, "")
	if got := r.do("CONFIG", "SET", "appendonly", "yes"); got != "OK" {
		t.Fatalf("CONFIG SET appendonly yes: %s", got)
	}
	if info := r.do("INFO", "persistence"); !strings.Contains(info, "aof_rewrite_in_progress:1") {
		t.Fatalf("INFO right after turning AOF on:\n%s", info)
	}
	r.do("SET", "while-rewriting", "x")
	waitFor(t, "the first base", func() bool {
		return strings.Contains(r.do("INFO", "persistence"), "aof_rewrite_in_progress:0")
	})
	r.do("SET", "after", "y")
	want := contents(t, r)
	n.stop()
	n2 := startNode(t, "dir", dir, "appendonly", "yes")
	if got := contents(t, n2.raw()); got != want {
		t.Fatalf("after restart: %s", firstDiff(got, want))
	}
}

// TestAOFTruncatedTail: a last command cut short loads up to the command before with aof-load-truncated
// yes (the default) and refuses to start, naming the file and offset, with no.
func TestAOFTruncatedTail(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, "dir", dir, "appendonly", "yes")
	r := n.raw()
	r.do("SET", "a", "1")
	r.do("SET", "b", "2")
	n.stop()
	incr := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	b, err := os.ReadFile(incr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(incr, b[:len(b)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Args: testArgs("dir", dir, "port", "0", "unixsocket", filepath.Join(t.TempDir(), "s"),
		"appendonly", "yes", "aof-load-truncated", "no"), LogWriter: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Start()
	srv.Shutdown(t.Context())
	if err == nil || !strings.Contains(err.Error(), "appendonly.aof.1.incr.aof") || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("start on a truncated AOF with aof-load-truncated no: %v", err)
	}
	n2 := startNode(t, "dir", dir, "appendonly", "yes")
	r2 := n2.raw()
	if got := r2.do("GET", "a"); got != `"1"` {
		t.Fatalf("GET a: %s", got)
	}
	if got := r2.do("EXISTS", "b"); got != ":0" {
		t.Fatalf("the truncated command was applied: EXISTS b = %s", got)
	}
	if !strings.Contains(n2.logs.String(), "runcat") {
		t.Errorf("the log does not say what was dropped:\n%s", n2.logs)
	}
	// appends continue cleanly after the cut
	r2.do("SET", "c", "3")
	n2.stop()
	n3 := startNode(t, "dir", dir, "appendonly", "yes")
	if got := n3.raw().do("MGET", "a", "b", "c"); got != `["1" (nil) "3"]` && got != `["1" $-1 "3"]` {
		t.Fatalf("MGET after the repaired file: %s", got)
	}
}
