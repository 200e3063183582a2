package replication

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func (f *primaryFixture) waitSnapshot() {
	f.t.Helper()
	select {
	case <-f.h.snapped:
	case <-time.After(safetyTimeout):
		f.t.Fatal("no snapshot taken")
	}
}

// heldStream is the replica's stream kept back by the Primary, and what its writer may send now.
func (f *primaryFixture) heldStream(id uint64) (held, out string) {
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	r := f.p.byID[id]
	if r == nil {
		f.t.Fatalf("replica %d unknown", id)
	}
	return string(r.held), string(r.out)
}

// TestPrimaryFullDiskless checks the $EOF framing, that +FULLRESYNC carries the offset at the snapshot,
// that the stream starts exactly there, and that it waits for the first ack.
func TestPrimaryFullDiskless(t *testing.T) {
	f := newPrimaryFixture(t, baseConfig())
	f.feed("old|")
	r := newTestReplica(t, 1, false)
	f.h.do(func() {
		if _, e := f.p.Sync(r.rc, true, "?", -1); e != "" {
			t.Fatal(e)
		}
		// Still under the node's lock: the snapshot cannot be taken yet, so this write is in it.
		f.p.Feed([]byte("before|"))
	})
	f.waitSnapshot()
	f.feed("after|") // registered at the snapshot: kept for the replica
	id, off := r.fullResync()
	if id != f.p.Status().ReplID || off != int64(len("old|before|")) {
		t.Fatalf("+FULLRESYNC %s %d, want %s %d", id, off, f.p.Status().ReplID, len("old|before|"))
	}
	r.disklessRDB(f.h.payload)
	if f.h.snapshots.Load() != 1 || f.h.released.Load() != 1 {
		t.Fatalf("snapshots %d released %d", f.h.snapshots.Load(), f.h.released.Load())
	}
	if ri, _ := f.replica(1); ri.State != StateOnline {
		t.Fatalf("state %s after the transfer", ri.State)
	}
	// Not a byte of stream before the replica has loaded: it is held, the writer has nothing to send.
	f.feed("later|")
	if held, out := f.heldStream(1); held != "after|later|" || out != "" {
		t.Fatalf("held %q out %q before the first ack", held, out)
	}
	f.h.do(func() { f.p.Ack(1, off) })
	f.feed("live|")
	r.expect("after|later|live|")
	if !strings.Contains(f.logs.String(), "Synchronization with replica 127.0.0.1:6381 succeeded") ||
		!strings.Contains(f.logs.String(), "Starting BGSAVE for SYNC with target: replicas sockets") {
		t.Fatalf("log: %s", f.logs)
	}
}

// TestPrimaryFullDisk checks the disk framing ($len, exactly len bytes, no CRLF, then the stream), the
// temporary file's removal, over real TCP.
func TestPrimaryFullDisk(t *testing.T) {
	cfg := baseConfig()
	cfg.DisklessSync = false
	cfg.Dir = t.TempDir()
	f := newPrimaryFixture(t, cfg)
	f.feed("old|")
	r := newTestReplica(t, 1, true)
	if !f.sync(r, true, "?", -1) {
		t.Fatal("not a full sync")
	}
	f.waitSnapshot()
	f.feed("after|")
	if _, off := r.fullResync(); off != 4 {
		t.Fatalf("+FULLRESYNC offset %d, want 4", off)
	}
	if got, want := r.line(true), "$"+strconv.Itoa(len(f.h.payload)); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := r.bytes(len(f.h.payload)); !bytes.Equal(got, f.h.payload) {
		t.Fatal("RDB payload differs")
	}
	f.feed("live|")
	r.expect("after|live|") // no CRLF after the payload, no wait for an ack
	if ri, _ := f.replica(1); ri.State != StateOnline {
		t.Fatalf("state %s", ri.State)
	}
	f.p.Close() // waits for the job, which removes its file
	if ents, err := os.ReadDir(cfg.Dir); err != nil || len(ents) != 0 {
		t.Fatalf("sync file left behind: %v %v", ents, err)
	}
}

// TestPrimarySyncCommand: SYNC gets the RDB without a +FULLRESYNC line (and disk framing without capa eof).
func TestPrimarySyncCommand(t *testing.T) {
	cfg := baseConfig()
	cfg.Dir = t.TempDir()
	f := newPrimaryFixture(t, cfg)
	r := newTestReplica(t, 1, false)
	r.rc.CapaEOF, r.rc.CapaPSYNC2 = false, false
	if !f.sync(r, false, "", 0) {
		t.Fatal("SYNC is always full")
	}
	if got, want := r.line(true), "$"+strconv.Itoa(len(f.h.payload)); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	r.bytes(len(f.h.payload))
	f.feed("x|")
	r.expect("x|")
}

// TestPrimaryDisklessShared: replicas that come during the delay share one snapshot; reaching
// repl-diskless-sync-max-replicas starts it at once.
func TestPrimaryDisklessShared(t *testing.T) {
	cfg := baseConfig()
	cfg.DisklessDelay = time.Hour
	cfg.DisklessMaxReplicas = 2
	f := newPrimaryFixture(t, cfg)
	r1 := newTestReplica(t, 1, false)
	r2 := newTestReplica(t, 2, false)
	f.sync(r1, true, "?", -1)
	f.feed("between|")
	f.sync(r2, true, "?", -1)
	f.waitSnapshot()
	f.feed("after|")
	for _, r := range []*testReplica{r1, r2} {
		if _, off := r.fullResync(); off != int64(len("between|")) {
			t.Fatalf("replica %d: offset %d", r.rc.ID, off)
		}
	}
	m := disklessRDBs(t, f.h.payload, r1, r2)
	if m[0] != m[1] || f.h.snapshots.Load() != 1 {
		t.Fatalf("marks %v, %d snapshots: not one shared snapshot", m, f.h.snapshots.Load())
	}
	f.h.do(func() { f.p.Ack(1, 8); f.p.Ack(2, 8) })
	r1.expect("after|")
	r2.expect("after|")

	// The snapshot was taken: a later replica waits for the next one.
	r3 := newTestReplica(t, 3, false)
	f.sync(r3, true, "?", -1)
	if ri, _ := f.replica(3); ri.State != StateWaitBgsave {
		t.Fatalf("late replica state %s", ri.State)
	}
}

// TestPrimaryDisklessDelayJoin: without a maximum, the delay lets every replica that comes meanwhile
// join (here both come before the snapshot can be taken: the node's lock is held).
func TestPrimaryDisklessDelayJoin(t *testing.T) {
	cfg := baseConfig()
	cfg.DisklessDelay = time.Millisecond
	f := newPrimaryFixture(t, cfg)
	r1 := newTestReplica(t, 1, false)
	r2 := newTestReplica(t, 2, false)
	f.h.do(func() {
		f.p.Sync(r1.rc, true, "?", -1)
		f.p.Sync(r2.rc, true, "?", -1)
	})
	f.waitSnapshot()
	r1.fullResync()
	r2.fullResync()
	if m := disklessRDBs(t, f.h.payload, r1, r2); m[0] != m[1] || f.h.snapshots.Load() != 1 {
		t.Fatal("not one shared snapshot")
	}
}

// TestPrimaryDisklessFailedReplica: a replica that fails during the transfer is dropped, the others
// get the whole snapshot.
func TestPrimaryDisklessFailedReplica(t *testing.T) {
	cfg := baseConfig()
	cfg.DisklessMaxReplicas = 2
	cfg.DisklessDelay = time.Hour
	f := newPrimaryFixture(t, cfg)
	good := newTestReplica(t, 1, false)
	bad := newTestReplica(t, 2, false)
	f.sync(good, true, "?", -1)
	f.sync(bad, true, "?", -1)
	bad.conn.Close()
	good.fullResync()
	good.disklessRDB(f.h.payload)
	f.waitGone(2)
	if _, ok := f.replica(2); ok {
		t.Fatal("failed replica still listed")
	}
}

// TestPrimaryDisklessStuckReplica: a replica that stops reading is dropped after repl-timeout without
// a byte of progress; the other one completes.
func TestPrimaryDisklessStuckReplica(t *testing.T) {
	cfg := baseConfig()
	cfg.DisklessMaxReplicas = 2
	cfg.DisklessDelay = time.Hour
	cfg.Timeout = 500 * time.Millisecond
	f := newPrimaryFixture(t, cfg)
	good := newTestReplica(t, 1, false)
	stuck := newTestReplica(t, 2, false) // never reads
	f.sync(good, true, "?", -1)
	f.sync(stuck, true, "?", -1)
	good.fullResync()
	good.disklessRDB(f.h.payload) // 40 chunks: more than the fan-out queue holds for the stuck one
	f.waitGone(2)
}

// TestPrimarySnapshotRetry: a snapshot refused (another one runs) is retried.
func TestPrimarySnapshotRetry(t *testing.T) {
	f := newPrimaryFixture(t, baseConfig())
	f.h.refuse.Store(2)
	r := newTestReplica(t, 1, false)
	f.sync(r, true, "?", -1)
	r.fullResync()
	r.disklessRDB(f.h.payload)
	if f.h.refuse.Load() != 0 || f.h.snapshots.Load() != 1 {
		t.Fatalf("refusals left %d, snapshots %d", f.h.refuse.Load(), f.h.snapshots.Load())
	}
}

// TestPrimaryKeepaliveWhileWaiting: "\n" is sent while the replica waits for its snapshot.
func TestPrimaryKeepaliveWhileWaiting(t *testing.T) {
	cfg := baseConfig()
	cfg.DisklessDelay = time.Hour
	f := newPrimaryFixture(t, cfg)
	r := newTestReplica(t, 1, false)
	f.sync(r, true, "?", -1)
	if got := r.line(false); got != "" {
		t.Fatalf("got %q, want an empty keepalive line", got)
	}
}

// TestPrimaryCloseDuringSync: Close stops a pending delay and a running transfer, closes the
// connections and leaves no goroutine (checked by the fixture).
func TestPrimaryCloseDuringSync(t *testing.T) {
	cfg := baseConfig()
	cfg.DisklessDelay = time.Hour
	cfg.DisklessMaxReplicas = 1
	f := newPrimaryFixture(t, cfg)
	r1 := newTestReplica(t, 1, false)
	f.sync(r1, true, "?", -1) // starts at once (max 1) and blocks: r1 doesn't read
	f.waitSnapshot()
	cfg.DisklessMaxReplicas = 0
	f.h.do(func() { f.p.SetConfig(cfg) })
	r2 := newTestReplica(t, 2, false)
	f.sync(r2, true, "?", -1) // waits for the delay
	f.p.Close()
	r1.eof()
	r2.eof()
	if len(f.h.gone) != 0 {
		t.Fatal("ReplicaGone called on Close")
	}
	var errReply string
	r3 := newTestReplica(t, 3, false)
	f.h.do(func() { _, errReply = f.p.Sync(r3.rc, true, "?", -1) })
	if errReply == "" {
		t.Fatal("Sync after Close accepted")
	}
}
