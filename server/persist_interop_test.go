package server

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRDBInteropWithRedis: an RDB written by the real redis-server 7 loads here with identical contents,
// and one written here loads into redis-server with identical contents, every type and encoding included.
func TestRDBInteropWithRedis(t *testing.T) {
	redisDir := t.TempDir()
	ref, _ := startRedisServer(t, "--dir", redisDir)
	fillAllTypes(t, ref, "")
	ref.do("SELECT", "5")
	fillAllTypes(t, ref, "five:")
	ref.do("SELECT", "0")
	want0 := contents(t, ref)
	ref.do("SELECT", "5")
	want5 := contents(t, ref)
	if got := ref.do("SAVE"); got != "OK" {
		t.Fatalf("redis-server SAVE: %s", got)
	}
	b, err := os.ReadFile(filepath.Join(redisDir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}

	// redis-server → valkey-node
	nodeDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(nodeDir, "dump.rdb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, "dir", nodeDir)
	r := n.raw()
	if got := contents(t, r); got != want0 {
		t.Fatalf("redis-server's RDB loaded here, db 0: %s", firstDiff(got, want0))
	}
	r.do("SELECT", "5")
	if got := contents(t, r); got != want5 {
		t.Fatalf("redis-server's RDB loaded here, db 5: %s", firstDiff(got, want5))
	}

	// valkey-node → redis-server: save under another name so the file is surely ours
	r.do("CONFIG", "SET", "dbfilename", "ours.rdb")
	if got := r.do("SAVE"); got != "OK" {
		t.Fatalf("SAVE: %s", got)
	}
	ref2, _ := startRedisServer(t, "--dir", nodeDir, "--dbfilename", "ours.rdb")
	if got := contents(t, ref2); got != want0 {
		t.Fatalf("our RDB loaded into redis-server, db 0: %s", firstDiff(got, want0))
	}
	ref2.do("SELECT", "5")
	if got := contents(t, ref2); got != want5 {
		t.Fatalf("our RDB loaded into redis-server, db 5: %s", firstDiff(got, want5))
	}
}
